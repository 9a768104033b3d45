/// The text `edgelive hw probe` prints: the render nodes and what they offer, the profile chosen and why, the
/// software fallback. A pure function of the probe and the selection, so it is tested without a GPU.
public enum HardwareReport {
    /// - Parameters:
    ///   - profilesDirectory: where the profiles came from.
    ///   - outcome: the selection, or why there is none (policy `never`).
    ///   - fallback: the software choice for the machine (shown even when the selection failed).
    ///   - optionProblems: what libavcodec refused in the chosen profile's options (empty: accepted).
    public static func text(probe: HardwareProbeResult, set: HardwareProfileSet, profilesDirectory: String,
                            outcome: Result<HardwareSelection, HardwareSelectionError>, fallback: SoftwareChoice?,
                            optionProblems: [String] = [], libavcodecVersion: String? = nil) -> String {
        var lines: [String] = []
        let cores = "\(probe.cpuCores) core\(probe.cpuCores == 1 ? "" : "s")"
        lines.append("machine   \(probe.architecture), \(cores)" + (probe.driverOverride.map { ", LIBVA_DRIVER_NAME=\($0)" } ?? ""))
        if probe.renderNodes.isEmpty {
            lines.append("gpu       \(probe.note ?? "no GPU: no DRM render node")")
        }
        for node in probe.renderNodes {
            lines.append("")
            lines.append(nodeHeader(node))
            if let error = node.error {
                lines.append("  error   \(error)")
                continue
            }
            if let vendor = node.vendorString { lines.append("  vendor  \(vendor)") }
            let byProfile = Dictionary(grouping: node.configs.filter { $0.isEncode || $0.isDecode }, by: \.profile)
            let names = byProfile.keys.sorted { (VANames.profileValue($0) ?? .max, $0) < (VANames.profileValue($1) ?? .max, $1) }
            if names.isEmpty { lines.append("  codecs  none: the driver offers no decode or encode entrypoint") }
            let width = names.map(\.count).max() ?? 0
            for name in names {
                let pairs = byProfile[name] ?? []
                var uses: [String] = []
                if pairs.contains(where: \.isDecode) { uses.append("decode") }
                let encode = pairs.filter(\.isEncode).sorted().map { $0.entrypoint.replacingOccurrences(of: "VAEntrypoint", with: "") }
                if !encode.isEmpty { uses.append("encode " + encode.joined(separator: ", ")) }
                lines.append("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + uses.joined(separator: "; "))
            }
        }
        lines.append("")
        let names = set.profiles.map(\.name).joined(separator: ", ")
        lines.append("profiles  \(profilesDirectory) (\(set.profiles.count): \(names))")
        switch outcome {
        case .success(let selection):
            lines.append("chosen    \(selection.profile.name): \(selection.summary)")
            lines.append("why       \(selection.reason)")
            let settingsProfile = selection.profile
            let options = settingsProfile.effectiveEncoderOptions(for: .h264).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            lines.append("options   " + (options.isEmpty ? "(none)" : options.joined(separator: " ")))
            let ladders = selection.softwareTier?.ladders ?? settingsProfile.ladders
            lines.append("ladders   " + ladderText(ladders) + " (live events at once)")
            if selection.codecs.contains(.hevc) { lines.append("hevc      available (\(settingsProfile.hevc.map(\.description) ?? ""))") }
            for line in selection.skipped where selection.usesGPU {
                lines.append("skipped   \(line)")
            }
        case .failure(let error):
            lines.append("chosen    none (policy never)")
            lines.append("error     \(error.message)")
        }
        if let fallback {
            let describe = "\(fallback.summary), ladders \(ladderText(fallback.tier.ladders))"
            switch outcome {
            case .success(let selection) where selection.usesGPU:
                lines.append("fallback  \(describe); \(selection.policy == .auto ? "what policy auto falls back to" : "not used (policy never)")")
            case .success:
                lines.append("fallback  in use (policy auto)")
            case .failure:
                lines.append("fallback  \(describe); not used (policy never)")
            }
        }
        if let libavcodecVersion, case .success = outcome {
            lines.append(optionProblems.isEmpty ? "libav     libavcodec \(libavcodecVersion) accepts the chosen options"
                                                : "libav     libavcodec \(libavcodecVersion) refuses: " + optionProblems.joined(separator: "; "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func nodeHeader(_ node: RenderNodeProbe) -> String {
        var parts = [node.path]
        parts.append("driver \(node.driverName ?? "unknown")")
        if let vendor = node.pciVendorID {
            parts.append("PCI \(hex4(vendor))" + (node.pciDeviceID.map { ":\(hex4($0))" } ?? ""))
        }
        if let kernel = node.kernelDriver { parts.append("kernel \(kernel)") }
        if let version = node.vaAPIVersion { parts.append("VA-API \(version)") }
        return "gpu       " + parts.joined(separator: ", ")
    }

    /// `Default720p ×1, 720p-3-Layer ×1`, in the known presets' order.
    static func ladderText(_ ladders: [String: Int]) -> String {
        let order = ["Default720p", "Default1080p", "720p-3-Layer", "1080p-4-Layer"]
        let names = ladders.keys.sorted { (order.firstIndex(of: $0) ?? order.count, $0) < (order.firstIndex(of: $1) ?? order.count, $1) }
        return names.isEmpty ? "none" : names.map { "\($0) ×\(ladders[$0] ?? 0)" }.joined(separator: ", ")
    }
}

/// What `edgelive hw probe --json` prints, and how the daemon reads it back: the daemon does not link libva (only
/// the `edgelive` executable's Encode target does), so it runs the probe as a child process and decodes this.
public struct HardwareProbeReport: Codable, Sendable, Hashable {
    public var profilesDirectory: String
    public var probe: HardwareProbeResult
    /// nil when selection failed (policy `never` without a usable GPU); `error` says why.
    public var selection: HardwareSelection?
    /// The software profile and tier for this machine, whatever was chosen.
    public var softwareFallback: SoftwareChoice?
    public var error: String?
    public var libavcodecVersion: String
    /// What libavcodec refused in the chosen profile's options (empty: accepted).
    public var optionProblems: [String]

    public init(profilesDirectory: String, probe: HardwareProbeResult, selection: HardwareSelection?, softwareFallback: SoftwareChoice?,
                error: String?, libavcodecVersion: String, optionProblems: [String]) {
        self.profilesDirectory = profilesDirectory
        self.probe = probe
        self.selection = selection
        self.softwareFallback = softwareFallback
        self.error = error
        self.libavcodecVersion = libavcodecVersion
        self.optionProblems = optionProblems
    }
}
