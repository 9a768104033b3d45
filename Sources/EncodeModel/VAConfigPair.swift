/// A VA-API (profile, entrypoint) pair as libva names them: what a driver offers (`vaQueryConfigEntrypoints`)
/// and what a hardware profile requires.
///
/// Names rather than numbers, so hardware profiles and probe reports read like `vainfo`; ``VANames`` maps them
/// to libva's enum values (the table `EncodeTests` checks against `va.h`).
public struct VAConfigPair: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `VAProfileH264High`, `VAProfileHEVCMain`, …
    public var profile: String
    /// `VAEntrypointEncSlice`, `VAEntrypointEncSliceLP`, `VAEntrypointVLD`, …
    public var entrypoint: String

    public init(profile: String, entrypoint: String) {
        self.profile = profile
        self.entrypoint = entrypoint
    }

    /// True for the entrypoints that encode (slice, picture and low-power slice level).
    public var isEncode: Bool { VANames.encodeEntrypoints.contains(entrypoint) }
    /// True for the decode (variable-length decoding) entrypoint.
    public var isDecode: Bool { entrypoint == VANames.decodeEntrypoint }

    public var description: String { "\(profile)/\(entrypoint)" }

    public static func < (a: VAConfigPair, b: VAConfigPair) -> Bool {
        (VANames.profileValue(a.profile) ?? .max, VANames.entrypointValue(a.entrypoint) ?? .max, a.profile, a.entrypoint)
            < (VANames.profileValue(b.profile) ?? .max, VANames.entrypointValue(b.entrypoint) ?? .max, b.profile, b.entrypoint)
    }
}

/// libva's profile and entrypoint names with their `va.h` values (libva 2.17, Debian 12), and the readable
/// codec names reports use.
public enum VANames {
    /// `VAProfile` values. Stable ABI: libva only ever appends.
    public static let profiles: [(name: String, value: Int32)] = [
        ("VAProfileNone", -1),
        ("VAProfileMPEG2Simple", 0), ("VAProfileMPEG2Main", 1),
        ("VAProfileMPEG4Simple", 2), ("VAProfileMPEG4AdvancedSimple", 3), ("VAProfileMPEG4Main", 4),
        ("VAProfileH264Baseline", 5), ("VAProfileH264Main", 6), ("VAProfileH264High", 7),
        ("VAProfileVC1Simple", 8), ("VAProfileVC1Main", 9), ("VAProfileVC1Advanced", 10),
        ("VAProfileH263Baseline", 11), ("VAProfileJPEGBaseline", 12), ("VAProfileH264ConstrainedBaseline", 13),
        ("VAProfileVP8Version0_3", 14), ("VAProfileH264MultiviewHigh", 15), ("VAProfileH264StereoHigh", 16),
        ("VAProfileHEVCMain", 17), ("VAProfileHEVCMain10", 18),
        ("VAProfileVP9Profile0", 19), ("VAProfileVP9Profile1", 20), ("VAProfileVP9Profile2", 21), ("VAProfileVP9Profile3", 22),
        ("VAProfileHEVCMain12", 23), ("VAProfileHEVCMain422_10", 24), ("VAProfileHEVCMain422_12", 25),
        ("VAProfileHEVCMain444", 26), ("VAProfileHEVCMain444_10", 27), ("VAProfileHEVCMain444_12", 28),
        ("VAProfileHEVCSccMain", 29), ("VAProfileHEVCSccMain10", 30), ("VAProfileHEVCSccMain444", 31),
        ("VAProfileAV1Profile0", 32), ("VAProfileAV1Profile1", 33), ("VAProfileHEVCSccMain444_10", 34),
        ("VAProfileProtected", 35),
    ]

    /// `VAEntrypoint` values.
    public static let entrypoints: [(name: String, value: Int32)] = [
        ("VAEntrypointVLD", 1), ("VAEntrypointIZZ", 2), ("VAEntrypointIDCT", 3), ("VAEntrypointMoComp", 4),
        ("VAEntrypointDeblocking", 5), ("VAEntrypointEncSlice", 6), ("VAEntrypointEncPicture", 7),
        ("VAEntrypointEncSliceLP", 8), ("VAEntrypointVideoProc", 10), ("VAEntrypointFEI", 11),
        ("VAEntrypointStats", 12), ("VAEntrypointProtectedTEEComm", 13), ("VAEntrypointProtectedContent", 14),
    ]

    /// Slice-level encode on the full encoder (Intel: the VME/PAK path; AMD: VCE/VCN), low-power slice-level encode
    /// (Intel VDEnc), and picture-level encode (JPEG).
    public static let encodeEntrypoints: Set<String> = ["VAEntrypointEncSlice", "VAEntrypointEncSliceLP", "VAEntrypointEncPicture"]
    public static let decodeEntrypoint = "VAEntrypointVLD"
    /// The entrypoint that selects libavcodec's `low_power` mode.
    public static let lowPowerEntrypoint = "VAEntrypointEncSliceLP"

    /// The profiles `h264_vaapi` can encode, and those `hevc_vaapi` can (8-bit 4:2:0 output only here).
    public static let h264EncodeProfiles: Set<String> = ["VAProfileH264ConstrainedBaseline", "VAProfileH264Main", "VAProfileH264High"]
    public static let hevcEncodeProfiles: Set<String> = ["VAProfileHEVCMain"]

    private static let profileByName = Dictionary(uniqueKeysWithValues: profiles.map { ($0.name, $0.value) })
    private static let profileByValue = Dictionary(uniqueKeysWithValues: profiles.map { ($0.value, $0.name) })
    private static let entrypointByName = Dictionary(uniqueKeysWithValues: entrypoints.map { ($0.name, $0.value) })
    private static let entrypointByValue = Dictionary(uniqueKeysWithValues: entrypoints.map { ($0.value, $0.name) })

    public static func profileValue(_ name: String) -> Int32? { profileByName[name] }
    public static func entrypointValue(_ name: String) -> Int32? { entrypointByName[name] }
    /// The name of a `VAProfile` value; unknown (newer libva) values read `VAProfile(<n>)`.
    public static func profileName(_ value: Int32) -> String { profileByValue[value] ?? "VAProfile(\(value))" }
    public static func entrypointName(_ value: Int32) -> String { entrypointByValue[value] ?? "VAEntrypoint(\(value))" }

    /// `VAProfileH264High` → `H.264 High`, for sentences.
    public static func readableProfile(_ name: String) -> String {
        var rest = name.hasPrefix("VAProfile") ? String(name.dropFirst("VAProfile".count)) : name
        for (prefix, codec) in [("H264", "H.264"), ("HEVC", "HEVC"), ("MPEG2", "MPEG-2"), ("MPEG4", "MPEG-4"), ("VP8", "VP8"),
                                ("VP9", "VP9"), ("AV1", "AV1"), ("VC1", "VC-1"), ("JPEG", "JPEG"), ("H263", "H.263")]
        where rest.hasPrefix(prefix) {
            rest = String(rest.dropFirst(prefix.count))
            return rest.isEmpty ? codec : "\(codec) \(rest)"
        }
        return rest
    }
}
