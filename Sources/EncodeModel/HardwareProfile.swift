/// One hardware family as a file under `hwprofiles/` describes it: which GPUs (or CPUs) it matches, the VA-API
/// configuration it needs, the encoder options it sets, and the ladders it sustains.
///
/// Loaded by ``HardwareProfileSet/load(directory:knownPresets:)``; the keys are documented in `hwprofiles/README.md`.
public struct HardwareProfile: Codable, Sendable, Hashable {
    /// Which encoder family the profile drives.
    public enum Backend: String, Codable, Sendable, Hashable, CaseIterable {
        /// `h264_vaapi` / `hevc_vaapi` on a DRM render node.
        case vaapi
        /// `libx264` on the CPU.
        case software
    }

    /// What a render node (or the machine, for software profiles) must be for the profile to apply.
    public struct Match: Codable, Sendable, Hashable {
        /// VAAPI driver names (`iHD`, `i965`, `radeonsi`), compared without case. Required for `vaapi`.
        public var drivers: [String]
        /// PCI vendor ids (0x8086 Intel, 0x1002 AMD); empty matches any.
        public var pciVendorIDs: [UInt16]
        /// Normalised architectures (`x86-64`, `arm64`); empty matches any. Required for `software`.
        public var architectures: [String]

        public init(drivers: [String] = [], pciVendorIDs: [UInt16] = [], architectures: [String] = []) {
            self.drivers = drivers
            self.pciVendorIDs = pciVendorIDs
            self.architectures = architectures
        }
    }

    /// The libx264 settings for machines with at least `minCores` cores.
    public struct SoftwareTier: Codable, Sendable, Hashable {
        public var minCores: Int
        /// x264 preset: `ultrafast` … `placebo`.
        public var preset: String
        /// libx264 threads; 0 lets x264 choose (1.5 × cores).
        public var threads: Int
        /// Ladder preset name → live events of that preset this tier sustains at once.
        public var ladders: [String: Int]

        public init(minCores: Int, preset: String, threads: Int = 0, ladders: [String: Int]) {
            self.minCores = minCores
            self.preset = preset
            self.threads = threads
            self.ladders = ladders
        }
    }

    /// Unique; by convention the file's name without `.yaml`.
    public var name: String
    public var description: String
    public var backend: Backend
    /// Lower is tried first; ties go by name.
    public var priority: Int
    public var match: Match
    /// The VA-API pair H.264 encoding needs (vaapi profiles).
    public var h264: VAConfigPair?
    /// The VA-API pair HEVC encoding needs, when the family can do it (vaapi profiles, optional).
    public var hevc: VAConfigPair?
    /// libavcodec AVOptions set on the encoder (`rc_mode`, `quality`, `async_depth`, `x264-params`, …).
    public var encoderOptions: [String: String]
    /// Ladder preset name → live events of that preset the family sustains at once (vaapi profiles).
    public var ladders: [String: Int]
    /// libx264 tiers by core count, ascending `minCores` (software profiles).
    public var softwareTiers: [SoftwareTier]
    /// The file it was loaded from, for messages.
    public var sourceFile: String?

    public init(name: String, description: String = "", backend: Backend, priority: Int = 50, match: Match,
                h264: VAConfigPair? = nil, hevc: VAConfigPair? = nil, encoderOptions: [String: String] = [:],
                ladders: [String: Int] = [:], softwareTiers: [SoftwareTier] = [], sourceFile: String? = nil) {
        self.name = name
        self.description = description
        self.backend = backend
        self.priority = priority
        self.match = match
        self.h264 = h264
        self.hevc = hevc
        self.encoderOptions = encoderOptions
        self.ladders = ladders
        self.softwareTiers = softwareTiers
        self.sourceFile = sourceFile
    }

    /// The tier for a machine with `cores` cores: the one with the largest `minCores` not above it (the smallest
    /// tier when `cores` is below every tier).
    public func softwareTier(forCores cores: Int) -> SoftwareTier? {
        softwareTiers.last { $0.minCores <= cores } ?? softwareTiers.first
    }

    /// The VA-API pair a codec needs, nil when the profile does not encode it.
    public func vaConfig(for codec: VideoCodec) -> VAConfigPair? {
        switch codec {
        case .h264: return h264
        case .hevc: return hevc
        }
    }

    /// The options a job gets for `codec`: the file's, plus `low_power` from the entrypoint (libavcodec 59 opens
    /// VAEntrypointEncSlice unless told otherwise, and Gen12 Intel has only the low-power one) and `profile` from the
    /// VA profile (so the encoder opens exactly the pair the probe found).
    public func effectiveEncoderOptions(for codec: VideoCodec) -> [String: String] {
        var options = encoderOptions
        if backend == .vaapi, let pair = vaConfig(for: codec) {
            options["low_power"] = pair.entrypoint == VANames.lowPowerEntrypoint ? "1" : "0"
            if let profile = EncoderOptionRules.avProfileName(forVAProfile: pair.profile) { options["profile"] = profile }
        }
        return options
    }
}

/// The video codecs a ladder can be encoded in.
public enum VideoCodec: String, Codable, Sendable, Hashable, CaseIterable {
    case h264
    case hevc

    /// `H.264`, `HEVC`.
    public var displayName: String { self == .h264 ? "H.264" : "HEVC" }
}

/// What to do when no GPU can encode: `auto` falls back to libx264, `never` refuses.
public enum FallbackPolicy: String, Codable, Sendable, Hashable, CaseIterable {
    case auto
    case never
}
