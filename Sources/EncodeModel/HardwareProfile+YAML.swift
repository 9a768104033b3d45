import Yams

// Reading a profile file: the YAML node tree is walked by hand rather than through `Decodable`, so that an unknown
// key (a typo) is an error instead of being ignored, and every error carries its key path and line.

extension HardwareProfile {
    /// The top-level keys, in the order the README documents them.
    static let topLevelKeys = ["name", "description", "backend", "priority", "match", "h264", "hevc", "encoder-options",
                               "ladders", "software-tiers"]

    /// Parses and checks one profile file's text.
    ///
    /// - Parameters:
    ///   - file: the path used in error messages.
    ///   - knownPresets: the ladder preset names `ladders` may use.
    public static func parse(yaml: String, file: String,
                             knownPresets: Set<String> = HardwareProfileSet.knownLadderPresets) throws(HardwareProfileError) -> HardwareProfile {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw HardwareProfileError(file: file, problem: "the file is empty",
                                           fix: "write a profile (see hwprofiles/README.md) or remove the file")
            }
            root = node
        } catch let error as HardwareProfileError {
            throw error
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        } catch {
            throw HardwareProfileError(file: file, problem: "not readable as YAML: \(error)", fix: "fix the YAML syntax")
        }

        let top = ProfileNode(node: root, path: "", file: file)
        let fields = try top.mapping(allowed: topLevelKeys)
        let name = try top.required("name", in: fields).identifier()
        let description = try fields["description"]?.string() ?? ""
        let backendField = try top.required("backend", in: fields)
        let backend = try backendField.choice(Backend.self)
        let priority = try fields["priority"]?.int(in: 0...1000) ?? 50
        let match = try parseMatch(top.required("match", in: fields), backend: backend)

        var profile = HardwareProfile(name: name, description: description, backend: backend, priority: priority, match: match,
                                      sourceFile: file)
        switch backend {
        case .vaapi:
            if let field = fields["software-tiers"] {
                throw field.error("only software profiles have software tiers", fix: "remove it, or set backend: software")
            }
            profile.h264 = try parseVAConfig(top.required("h264", in: fields), codec: .h264)
            profile.hevc = try fields["hevc"].map { field throws(HardwareProfileError) in try parseVAConfig(field, codec: .hevc) }
            let laddersField = try top.required("ladders", in: fields)
            profile.ladders = try parseLadders(laddersField, knownPresets: knownPresets)
        case .software:
            for key in ["h264", "hevc", "ladders"] {
                guard let field = fields[key] else { continue }
                throw field.error("software profiles take no \(key) key",
                                         fix: key == "ladders" ? "list ladders per core count under software-tiers" : "remove it, or set backend: vaapi")
            }
            profile.softwareTiers = try parseTiers(top.required("software-tiers", in: fields), knownPresets: knownPresets)
        }
        if let optionsField = fields["encoder-options"] {
            profile.encoderOptions = try parseEncoderOptions(optionsField, profile: profile)
        }
        return profile
    }

    private static func syntaxError(_ error: YamlError, file: String) -> HardwareProfileError {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return HardwareProfileError(file: file, line: mark.line, problem: "YAML syntax: \(problem) (column \(mark.column))",
                                        fix: "fix the YAML at that line (indentation, a missing ':' or quote)")
        default:
            return HardwareProfileError(file: file, problem: "YAML syntax: \(error)", fix: "fix the YAML syntax")
        }
    }

    private static func parseMatch(_ node: ProfileNode, backend: Backend) throws(HardwareProfileError) -> Match {
        let fields = try node.mapping(allowed: ["drivers", "pci-vendor-ids", "architectures"])
        var match = Match()
        match.drivers = try fields["drivers"]?.stringList() ?? []
        match.pciVendorIDs = try fields["pci-vendor-ids"]?.list { item throws(HardwareProfileError) in try item.pciID() } ?? []
        if let field = fields["architectures"] {
            match.architectures = try field.list { item throws(HardwareProfileError) in
                let arch = try item.string()
                guard HardwareProfileSet.requiredArchitectures.contains(arch) else {
                    throw item.error("unknown architecture '\(arch)'",
                                     fix: "use \(HardwareProfileSet.requiredArchitectures.sorted().joined(separator: " or ")) (uname -m x86_64 is x86-64, aarch64 is arm64)")
                }
                return arch
            }
        }
        switch backend {
        case .vaapi where match.drivers.isEmpty:
            throw (fields["drivers"] ?? node).error("a vaapi profile must name the VAAPI drivers it matches",
                                                    fix: "add drivers: [iHD] (or i965, radeonsi: the name `edgelive hw probe` prints)")
        case .software where match.architectures.isEmpty:
            throw (fields["architectures"] ?? node).error("a software profile must name its architectures",
                                                          fix: "add architectures: [x86-64] or [arm64]")
        default:
            return match
        }
    }

    private static func parseVAConfig(_ node: ProfileNode, codec: VideoCodec) throws(HardwareProfileError) -> VAConfigPair {
        let fields = try node.mapping(allowed: ["profile", "entrypoint"])
        let profileField = try node.required("profile", in: fields)
        let profile = try profileField.string()
        let usable = codec == .h264 ? VANames.h264EncodeProfiles : VANames.hevcEncodeProfiles
        guard usable.contains(profile) else {
            let problem = VANames.profileValue(profile) == nil
                ? "unknown VA profile '\(profile)'" : "\(profile) is not a profile \(codec == .h264 ? "h264_vaapi" : "hevc_vaapi") encodes here"
            throw profileField.error(problem, fix: "use one of \(usable.sorted().joined(separator: ", "))")
        }
        let entrypointField = try node.required("entrypoint", in: fields)
        let entrypoint = try entrypointField.string()
        let slices = ["VAEntrypointEncSlice", "VAEntrypointEncSliceLP"]
        guard slices.contains(entrypoint) else {
            let problem = VANames.entrypointValue(entrypoint) == nil
                ? "unknown VA entrypoint '\(entrypoint)'" : "\(entrypoint) is not a slice-level encode entrypoint"
            throw entrypointField.error(problem, fix: "use VAEntrypointEncSlice (full encoder) or VAEntrypointEncSliceLP (low power, Intel VDEnc)")
        }
        return VAConfigPair(profile: profile, entrypoint: entrypoint)
    }

    private static func parseLadders(_ node: ProfileNode, knownPresets: Set<String>) throws(HardwareProfileError) -> [String: Int] {
        let fields = try node.entries(allowed: nil)
        guard !fields.isEmpty else {
            throw node.error("no ladder preset listed", fix: "list at least one of \(knownPresets.sorted().joined(separator: ", ")) with its concurrent events")
        }
        var ladders: [String: Int] = [:]
        for (preset, field) in fields {
            guard knownPresets.contains(preset) else {
                throw field.error("unknown ladder preset '\(preset)'", fix: "use one of \(knownPresets.sorted().joined(separator: ", "))")
            }
            ladders[preset] = try field.int(in: 1...64)
        }
        return ladders
    }

    private static func parseTiers(_ node: ProfileNode, knownPresets: Set<String>) throws(HardwareProfileError) -> [SoftwareTier] {
        let tiers = try node.list { item throws(HardwareProfileError) -> SoftwareTier in
            let fields = try item.mapping(allowed: ["min-cores", "preset", "threads", "ladders"])
            let minCores = try item.required("min-cores", in: fields).int(in: 1...1024)
            let presetField = try item.required("preset", in: fields)
            let preset = try presetField.string()
            guard HardwareProfileSet.x264Presets.contains(preset) else {
                throw presetField.error("unknown x264 preset '\(preset)'", fix: "use one of \(HardwareProfileSet.x264Presets.joined(separator: ", "))")
            }
            let threads = try fields["threads"]?.int(in: 0...256) ?? 0
            let ladders = try parseLadders(item.required("ladders", in: fields), knownPresets: knownPresets)
            return SoftwareTier(minCores: minCores, preset: preset, threads: threads, ladders: ladders)
        }
        guard !tiers.isEmpty else {
            throw node.error("no tier listed", fix: "add at least one tier with min-cores: 1")
        }
        for (index, pair) in zip(tiers, tiers.dropFirst()).enumerated() where pair.1.minCores <= pair.0.minCores {
            throw node.element(index + 1).error("min-cores \(pair.1.minCores) does not follow \(pair.0.minCores)",
                                                fix: "list tiers by ascending min-cores, each value once")
        }
        if tiers[0].minCores != 1 {
            throw node.element(0).error("the first tier starts at \(tiers[0].minCores) cores, so smaller machines have no preset",
                                        fix: "start the first tier at min-cores: 1")
        }
        return tiers
    }

    private static func parseEncoderOptions(_ node: ProfileNode, profile: HardwareProfile) throws(HardwareProfileError) -> [String: String] {
        let entries = try node.entries(allowed: nil)
        let fields = Dictionary(uniqueKeysWithValues: entries)
        var options: [String: String] = [:]
        for (key, field) in entries {
            let value = try field.string()
            if let problem = EncoderOptionRules.check(key: key, value: value, backend: profile.backend) {
                throw field.error(problem.problem, fix: problem.fix)
            }
            options[key] = value
        }
        // `low_power` may be spelled out for readers, but it must agree with the entrypoint it selects.
        if let value = options["low_power"], let h264 = profile.h264, let field = fields["low_power"] {
            let on = ["1", "true", "yes", "on"].contains(value.lowercased())
            let lowPowerPair = h264.entrypoint == VANames.lowPowerEntrypoint
            if on != lowPowerPair {
                throw field.error(
                    "low_power: \(value) contradicts h264.entrypoint \(h264.entrypoint)",
                    fix: lowPowerPair ? "set low_power: 1 (VAEntrypointEncSliceLP is the low-power entrypoint) or remove it"
                        : "set low_power: 0 or remove it (it follows the entrypoint), or use VAEntrypointEncSliceLP")
            }
        }
        return options
    }
}

/// A node of a profile file with its key path, for reading values and reporting errors at the right line.
struct ProfileNode {
    let node: Node
    let path: String
    let file: String

    func error(_ problem: String, fix: String) -> HardwareProfileError {
        HardwareProfileError(file: file, key: path.isEmpty ? nil : path, line: node.mark?.line, problem: problem, fix: fix)
    }

    private func child(_ key: String, _ node: Node) -> ProfileNode {
        ProfileNode(node: node, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    func element(_ index: Int) -> ProfileNode {
        guard case .sequence(let sequence) = node, sequence.indices.contains(index) else { return self }
        return ProfileNode(node: sequence[index], path: "\(path)[\(index)]", file: file)
    }

    /// The mapping's fields by key; with `allowed`, any other key is an error (with a suggestion for a near miss).
    func mapping(allowed: [String]?) throws(HardwareProfileError) -> [String: ProfileNode] {
        Dictionary(uniqueKeysWithValues: try entries(allowed: allowed))
    }

    /// The mapping's fields in file order.
    func entries(allowed: [String]?) throws(HardwareProfileError) -> [(key: String, node: ProfileNode)] {
        guard case .mapping(let mapping) = node else {
            throw error("expected a mapping of keys to values, found \(kindName)", fix: "indent the keys under it as `key: value` lines")
        }
        var fields: [(key: String, node: ProfileNode)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                throw ProfileNode(node: keyNode, path: path, file: file).error("a key must be a plain name", fix: "write `name: value`")
            }
            let field = child(key, value)
            if let allowed, !allowed.contains(key) {
                let near = allowed.min { editDistance($0, key) < editDistance($1, key) }
                let hint = near.flatMap { editDistance($0, key) <= 3 ? "did you mean '\($0)'? " : nil } ?? ""
                throw ProfileNode(node: keyNode, path: field.path, file: file).error(
                    "unknown key '\(key)'", fix: "\(hint)the keys here are \(allowed.joined(separator: ", "))")
            }
            guard !fields.contains(where: { $0.key == key }) else {
                throw ProfileNode(node: keyNode, path: field.path, file: file).error("the key appears twice", fix: "keep one")
            }
            fields.append((key, field))
        }
        return fields
    }

    func required(_ key: String, in fields: [String: ProfileNode]) throws(HardwareProfileError) -> ProfileNode {
        if let field = fields[key] { return field }
        let missing = path.isEmpty ? key : "\(path).\(key)"
        throw HardwareProfileError(file: file, key: missing, line: node.mark?.line, problem: "missing",
                                   fix: "add `\(key):` (see hwprofiles/README.md for its meaning)")
    }

    func string() throws(HardwareProfileError) -> String {
        guard case .scalar(let scalar) = node else {
            throw error("expected a single value, found \(kindName)", fix: "write it on the key's line, e.g. `key: value`")
        }
        return scalar.string
    }

    func identifier() throws(HardwareProfileError) -> String {
        let value = try string()
        let allowed = value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
        guard !value.isEmpty, allowed else {
            throw error("'\(value)' is not a usable name", fix: "use letters, digits, '-', '_' and '.', e.g. the file's name without .yaml")
        }
        return value
    }

    func int(in range: ClosedRange<Int>) throws(HardwareProfileError) -> Int {
        let text = try string()
        guard let value = Int(text), range.contains(value) else {
            throw error("expected a whole number from \(range.lowerBound) to \(range.upperBound), found '\(text)'", fix: "write a number in that range")
        }
        return value
    }

    func choice<T: RawRepresentable & CaseIterable>(_ type: T.Type) throws(HardwareProfileError) -> T where T.RawValue == String {
        let text = try string()
        guard let value = T(rawValue: text) else {
            throw error("'\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))", fix: "use one of those")
        }
        return value
    }

    /// A PCI id written `0x8086` (or decimal).
    func pciID() throws(HardwareProfileError) -> UInt16 {
        let text = try string()
        let parsed = text.lowercased().hasPrefix("0x") ? UInt16(text.dropFirst(2), radix: 16) : UInt16(text)
        guard let value = parsed else {
            throw error("'\(text)' is not a PCI vendor id", fix: "write it in hexadecimal as sysfs shows it, e.g. 0x8086 (Intel) or 0x1002 (AMD)")
        }
        return value
    }

    func list<T>(_ item: (ProfileNode) throws(HardwareProfileError) -> T) throws(HardwareProfileError) -> [T] {
        switch node {
        case .sequence(let sequence):
            var values: [T] = []
            for index in sequence.indices { values.append(try item(element(index))) }
            return values
        case .scalar:
            return [try item(self)]
        default:
            throw error("expected a list, found \(kindName)", fix: "write [a, b] or one `- item` line each")
        }
    }

    func stringList() throws(HardwareProfileError) -> [String] {
        try list { item throws(HardwareProfileError) in try item.string() }
    }

    private var kindName: String {
        switch node {
        case .scalar(let scalar): return "'\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}

/// Levenshtein distance, for "did you mean" on short key names.
private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
