/// A hardware profile file (or the directory of them) that cannot be used: the file, the key, the line, what is
/// wrong and what to change.
public struct HardwareProfileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file (or directory) concerned, as it was given.
    public var file: String
    /// The key path inside the file (`h264.entrypoint`, `software-tiers[1].preset`); nil for the whole file.
    public var key: String?
    /// 1-based line in the file, when known.
    public var line: Int?
    /// What is wrong.
    public var problem: String
    /// What to change.
    public var fix: String

    public init(file: String, key: String? = nil, line: Int? = nil, problem: String, fix: String) {
        self.file = file
        self.key = key
        self.line = line
        self.problem = problem
        self.fix = fix
    }

    /// `hwprofiles/x.yaml:12: h264.entrypoint: unknown VA entrypoint 'EncSlice'; use VAEntrypointEncSlice or …`
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += "\(key): " }
        return text + problem + "; " + fix
    }
}

/// A failure to choose an encoder: no usable GPU under policy `never`, no software profile for the machine, a
/// ladder the chosen profile cannot sustain.
public struct HardwareSelectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure; may grow.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case noUsableGPU, noSoftwareProfile, presetNotSustained, overCapacity, codecUnavailable
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Policy `never`, and no render node has a matching profile and the pairs it needs.
        public static let noUsableGPU = Code(.noUsableGPU)
        /// No software profile matches the machine's architecture.
        public static let noSoftwareProfile = Code(.noSoftwareProfile)
        /// The chosen profile lists no capacity for the ladder preset.
        public static let presetNotSustained = Code(.presetNotSustained)
        /// The preset is listed, but that many live events of it at once are over the listed capacity.
        public static let overCapacity = Code(.overCapacity)
        /// HEVC was asked for and the chosen profile or node cannot encode it.
        public static let codecUnavailable = Code(.codecUnavailable)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// What happened and what to do, one paragraph.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
