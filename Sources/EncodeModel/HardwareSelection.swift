/// The encoder the machine will use: the chosen profile (on a render node, or libx264), why, and the software
/// fallback that applies when no GPU does.
public struct HardwareSelection: Codable, Sendable, Hashable {
    /// The profile that encodes.
    public var profile: HardwareProfile
    /// The render node it encodes on; nil for software.
    public var renderNode: RenderNodeProbe?
    /// The libx264 tier in use; nil when a GPU encodes.
    public var softwareTier: HardwareProfile.SoftwareTier?
    /// The software profile and tier for this machine's architecture and cores (what `auto` falls back to).
    public var softwareFallback: SoftwareChoice
    /// The codecs the chosen profile can encode on the chosen node (H.264 always).
    public var codecs: [VideoCodec]
    /// One sentence: what was chosen and why.
    public var reason: String
    /// Why each other node or profile was passed over, one line each (empty when nothing was).
    public var skipped: [String]
    public var policy: FallbackPolicy

    /// True when a GPU encodes.
    public var usesGPU: Bool { renderNode != nil }

    /// `h264_vaapi low-power on /dev/dri/renderD128`, `libx264 superfast, threads auto (2 cores)`.
    public var summary: String {
        if let node = renderNode, let pair = profile.h264 {
            return "h264_vaapi\(pair.entrypoint == VANames.lowPowerEntrypoint ? " low-power" : "") on \(node.path)"
        }
        let tier = softwareTier ?? softwareFallback.tier
        let threads = tier.threads == 0 ? "threads auto" : "\(tier.threads) threads"
        return "libx264 \(tier.preset), \(threads) (\(softwareFallback.cores) core\(softwareFallback.cores == 1 ? "" : "s"))"
    }
}

/// A software profile and the tier a core count picks from it.
public struct SoftwareChoice: Codable, Sendable, Hashable {
    public var profile: HardwareProfile
    public var tier: HardwareProfile.SoftwareTier
    public var cores: Int

    /// `software profile software-x86-64, libx264 superfast for 2 cores`.
    public var summary: String {
        "software profile \(profile.name), libx264 \(tier.preset) for \(cores) core\(cores == 1 ? "" : "s")"
    }
}

/// What an `EncodeJob` takes from the selection for one ladder preset: the backend, its options, and whether
/// the profile sustains it.
public struct EncodeJobSettings: Sendable, Hashable {
    public var backend: EncoderBackend
    public var encoderOptions: [String: String]
    /// The profile that produced them.
    public var profileName: String
    /// Live events of this preset the profile sustains at once.
    public var capacity: Int
    /// Set when the job runs over capacity (only with `allowOverCapacity`): log it on the live event.
    public var warning: String?
}

extension HardwareProfileSet {
    /// Chooses the encoder for a probed machine.
    ///
    /// VAAPI profiles are tried in priority order against every render node (in name order); the first whose driver,
    /// PCI vendor and architecture match a node that offers its `h264` pair wins. Otherwise the software profile for
    /// the architecture applies, unless `policy` is `never`.
    public func select(_ probe: HardwareProbeResult, policy: FallbackPolicy = .auto) throws(HardwareSelectionError) -> HardwareSelection {
        let fallback = try softwareChoice(architecture: probe.architecture, cores: probe.cpuCores)
        var skipped: [String] = []
        let usable = probe.renderNodes.filter { node in
            if let error = node.error { skipped.append("\(node.name): \(error)") }
            return node.error == nil
        }
        var matchedByDriver: Set<String> = []

        for profile in profiles where profile.backend == .vaapi {
            for node in usable {
                guard let mismatch = Self.mismatch(profile, node, architecture: probe.architecture) else {
                    let codecs = VideoCodec.allCases.filter { codec in profile.vaConfig(for: codec).map(node.offers) ?? false }
                    let pair = profile.h264.map { "\($0.profile)/\($0.entrypoint)" } ?? ""
                    let reason = "\(node.label) offers \(pair): profile \(profile.name), "
                        + "h264_vaapi\(profile.h264?.entrypoint == VANames.lowPowerEntrypoint ? " low-power (VDEnc)" : "")"
                        + (codecs.contains(.hevc) ? ", HEVC available" : "")
                    return HardwareSelection(profile: profile, renderNode: node, softwareTier: nil, softwareFallback: fallback,
                                             codecs: codecs, reason: reason, skipped: skipped, policy: policy)
                }
                if case .lacks(let text) = mismatch {
                    matchedByDriver.insert(node.path)
                    skipped.append("\(profile.name): \(text)")
                }
            }
        }
        for node in usable where !matchedByDriver.contains(node.path) {
            let vendor = node.pciVendorID.map { "PCI vendor \(hex4($0))" } ?? "an unknown PCI vendor"
            skipped.append("\(node.label): no hardware profile matches driver \(node.driverName ?? "(unknown)") on \(vendor)")
        }

        let why: String
        if probe.renderNodes.isEmpty {
            why = probe.note ?? "no DRM render node under /dev/dri"
        } else {
            why = skipped.joined(separator: "; ")
        }
        guard policy == .auto else {
            throw HardwareSelectionError(.noUsableGPU,
                "no usable GPU (\(why)) and the fallback policy is never; give the service a GPU VAAPI can encode H.264 on "
                    + "(driver package, render group; check with `edgelive hw probe`), or set the policy to auto to encode with libx264")
        }
        return HardwareSelection(profile: fallback.profile, renderNode: nil, softwareTier: fallback.tier, softwareFallback: fallback,
                                 codecs: [.h264], reason: "\(why): \(fallback.summary)", skipped: skipped, policy: policy)
    }

    /// The software profile and tier for an architecture and core count.
    public func softwareChoice(architecture: String, cores: Int) throws(HardwareSelectionError) -> SoftwareChoice {
        let arch = HardwareProbeResult.normalizedArchitecture(architecture)
        guard let profile = profiles.first(where: { $0.backend == .software && $0.match.architectures.contains(arch) }),
              let tier = profile.softwareTier(forCores: cores) else {
            throw HardwareSelectionError(.noSoftwareProfile,
                "no software hardware profile for architecture \(arch); add one to the hwprofiles directory (copy software-x86-64.yaml and set match.architectures: [\(arch)])")
        }
        return SoftwareChoice(profile: profile, tier: tier, cores: max(1, cores))
    }

    private enum Mismatch {
        /// Not this family: another driver, vendor or architecture (not worth a line in the report).
        case otherFamily
        /// The right family, but the node lacks what the profile needs.
        case lacks(String)
    }

    private static func mismatch(_ profile: HardwareProfile, _ node: RenderNodeProbe, architecture: String) -> Mismatch? {
        guard let driver = node.driverName, profile.match.drivers.contains(where: { $0.caseInsensitiveCompare(driver) == .orderedSame }) else {
            return .otherFamily
        }
        if !profile.match.pciVendorIDs.isEmpty {
            guard let vendor = node.pciVendorID, profile.match.pciVendorIDs.contains(vendor) else { return .otherFamily }
        }
        if !profile.match.architectures.isEmpty, !profile.match.architectures.contains(architecture) { return .otherFamily }
        guard let pair = profile.h264 else { return .lacks("no h264 pair in the profile") }
        if node.offers(pair) { return nil }
        let sameProfile = node.configs.filter { $0.profile == pair.profile && $0.isEncode }.map(\.entrypoint)
        let offered = sameProfile.isEmpty ? "no \(VANames.readableProfile(pair.profile)) encoding at all"
                                          : "only \(sameProfile.joined(separator: ", "))"
        return .lacks("\(node.label) lacks \(pair.entrypoint) for \(VANames.readableProfile(pair.profile)) (\(offered))")
    }
}

extension HardwareSelection {
    /// The backend and options for a live event encoding `preset`, with `runningEvents` other events of the same
    /// preset already encoding on this machine.
    ///
    /// Throws when the profile lists no capacity for the preset (the ladder would not keep up: refuse it), when
    /// `codec` is HEVC and the node cannot encode it, and when the event would go over the listed capacity unless
    /// `allowOverCapacity` (then ``EncodeJobSettings/warning`` says so).
    public func encodeJobSettings(preset: String, codec: VideoCodec = .h264, runningEvents: Int = 0,
                                  allowOverCapacity: Bool = false) throws(HardwareSelectionError) -> EncodeJobSettings {
        let backend: EncoderBackend
        let ladders: [String: Int]
        let label: String
        if let node = renderNode {
            guard codecs.contains(codec), let pair = profile.vaConfig(for: codec) else {
                throw HardwareSelectionError(.codecUnavailable,
                    "\(codec.displayName) encoding is not available with profile \(profile.name) on \(node.path)"
                        + (profile.hevc.map { " (the node lacks \($0.profile)/\($0.entrypoint))" } ?? " (the profile lists no hevc pair)")
                        + "; encode H.264")
            }
            backend = .vaapi(device: node.path, codec: codec.rawValue, lowPower: pair.entrypoint == VANames.lowPowerEntrypoint)
            ladders = profile.ladders
            label = "profile \(profile.name) (\(node.label))"
        } else {
            guard codec == .h264 else {
                throw HardwareSelectionError(.codecUnavailable,
                    "HEVC needs a GPU profile with an hevc pair; the software profile \(profile.name) encodes H.264 (libx264) only; encode H.264")
            }
            let tier = softwareTier ?? softwareFallback.tier
            backend = .software(preset: tier.preset, threads: tier.threads)
            ladders = tier.ladders
            label = softwareFallback.summary
        }
        guard let capacity = ladders[preset] else {
            let sustained = ladders.keys.sorted().joined(separator: ", ")
            throw HardwareSelectionError(.presetNotSustained,
                "ladder preset \(preset) is not sustained by \(label): it lists \(sustained.isEmpty ? "no preset" : sustained); "
                    + "choose one of those, or add a GPU (see `edgelive hw probe`)")
        }
        var warning: String?
        if runningEvents + 1 > capacity {
            let text = "\(runningEvents + 1) live events of \(preset) at once exceed the \(capacity) that \(label) sustains; "
                + "frames will be dropped when the encoder falls behind"
            guard allowOverCapacity else {
                throw HardwareSelectionError(.overCapacity, text + "; stop another encoding event or choose a lighter preset")
            }
            warning = text
        }
        return EncodeJobSettings(backend: backend, encoderOptions: profile.effectiveEncoderOptions(for: codec), profileName: profile.name,
                                 capacity: capacity, warning: warning)
    }
}

extension EncodeJob {
    /// A job whose backend and encoder options come from the hardware selection.
    public init(eventName: String, preset: LadderPreset, settings: EncodeJobSettings, stretchMode: StretchMode = .none,
                keyFrameInterval: Double = 2, maxFrameRate: Double = 30) {
        self.init(eventName: eventName, preset: preset, stretchMode: stretchMode, keyFrameInterval: keyFrameInterval,
                  maxFrameRate: maxFrameRate, backend: settings.backend, encoderOptions: settings.encoderOptions)
    }
}
