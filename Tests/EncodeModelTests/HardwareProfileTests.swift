import EncodeModel
import Foundation
import Testing

/// The shipped `hwprofiles/`, found from this file's place in the checkout.
private let shippedDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("hwprofiles").path

private func shipped() throws -> HardwareProfileSet { try HardwareProfileSet.load(directory: shippedDirectory) }

private func pairs(_ list: [(String, String)]) -> [VAConfigPair] {
    list.map { VAConfigPair(profile: "VAProfile" + $0.0, entrypoint: "VAEntrypoint" + $0.1) }
}

/// vainfo of a Tiger Lake laptop (iHD 23.1): H.264 and HEVC encode only through VDEnc.
private let tigerLake = RenderNodeProbe(
    path: "/dev/dri/renderD128", driverName: "iHD", vendorString: "Intel iHD driver for Intel(R) Gen Graphics - 23.1.1 ()",
    pciVendorID: 0x8086, pciDeviceID: 0x9a49, kernelDriver: "i915", vaAPIVersion: "1.17",
    configs: pairs([("H264Main", "VLD"), ("H264Main", "EncSliceLP"), ("H264High", "VLD"), ("H264High", "EncSliceLP"),
                    ("HEVCMain", "VLD"), ("HEVCMain", "EncSliceLP"), ("None", "VideoProc")]))

/// A Coffee Lake desktop on iHD: full encoder, FEI and VDEnc.
private let coffeeLake = RenderNodeProbe(
    path: "/dev/dri/renderD128", driverName: "iHD", vendorString: "Intel iHD driver for Intel(R) Gen Graphics - 23.1.1 ()",
    pciVendorID: 0x8086, pciDeviceID: 0x3e92, kernelDriver: "i915",
    configs: pairs([("H264Main", "VLD"), ("H264Main", "EncSlice"), ("H264Main", "FEI"), ("H264Main", "EncSliceLP"),
                    ("H264High", "VLD"), ("H264High", "EncSlice"), ("H264High", "FEI"), ("H264High", "EncSliceLP"),
                    ("HEVCMain", "VLD"), ("HEVCMain", "EncSlice")]))

private func probe(_ nodes: [RenderNodeProbe], arch: String = "x86_64", cores: Int = 2) -> HardwareProbeResult {
    HardwareProbeResult(renderNodes: nodes, architecture: arch, cpuCores: cores,
                        note: nodes.isEmpty ? "no GPU: no DRM render node under /dev/dri" : nil)
}

/// Writes the shipped profiles plus `files` into a fresh directory and loads it.
private func loadWith(_ files: [String: String], removing: [String] = []) throws -> HardwareProfileSet {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hwprofiles-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for name in try FileManager.default.contentsOfDirectory(atPath: shippedDirectory) where !removing.contains(name) {
        try FileManager.default.copyItem(atPath: shippedDirectory + "/" + name, toPath: directory.appendingPathComponent(name).path)
    }
    for (name, text) in files { try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
    return try HardwareProfileSet.load(directory: directory.path)
}

private func loadError(_ files: [String: String], removing: [String] = []) -> HardwareProfileError? {
    do {
        _ = try loadWith(files, removing: removing)
        return nil
    } catch let error as HardwareProfileError {
        return error
    } catch {
        return nil
    }
}

private let validVAAPI = """
    name: test-gpu
    description: a test family
    backend: vaapi
    match:
      drivers: [iHD]
      pci-vendor-ids: [0x8086]
    h264:
      profile: VAProfileH264High
      entrypoint: VAEntrypointEncSlice
    encoder-options:
      rc_mode: CBR
    ladders:
      Default720p: 1

    """

@Suite struct HardwareProfileTests {
    // MARK: - The shipped profiles

    @Test func everyShippedProfileLoadsAndValidates() throws {
        let set = try shipped()
        let names = Set(set.profiles.map(\.name))
        #expect(names == ["intel-ihd-gen12", "intel-ihd-gen9", "intel-i965", "amd-radeonsi-vcn", "software-x86-64", "software-arm64"])
        for profile in set.profiles {
            // By convention a profile is named after its file.
            #expect(profile.sourceFile.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } == profile.name)
            #expect(!profile.description.isEmpty, "\(profile.name) has no description")
            switch profile.backend {
            case .vaapi:
                #expect(profile.h264 != nil)
                #expect(profile.match.pciVendorIDs.count == 1)
                #expect(profile.encoderOptions["rc_mode"] == "CBR", "\(profile.name): live ladders want CBR")
                #expect(!profile.ladders.isEmpty)
            case .software:
                #expect(profile.softwareTiers.first?.minCores == 1)
                #expect(profile.encoderOptions["x264-params"]?.contains("scenecut=0") == true)
            }
            let presets = profile.backend == .vaapi ? Set(profile.ladders.keys) : Set(profile.softwareTiers.flatMap(\.ladders.keys))
            #expect(presets.isSubset(of: HardwareProfileSet.knownLadderPresets))
        }
        // Every preset is sustained by something on a big enough machine.
        let x86 = try #require(set.profile(named: "software-x86-64"))
        #expect(Set(x86.softwareTiers.last?.ladders.keys.map { $0 } ?? []) == HardwareProfileSet.knownLadderPresets)
    }

    @Test func theSoftwareTierFollowsTheCoreCount() throws {
        let set = try shipped()
        let presets = [1: "ultrafast", 2: "superfast", 3: "superfast", 4: "veryfast", 8: "faster", 64: "faster"]
        for (cores, preset) in presets {
            #expect(try set.softwareChoice(architecture: "x86_64", cores: cores).tier.preset == preset, "\(cores) cores")
        }
        #expect(try set.softwareChoice(architecture: "aarch64", cores: 4).profile.name == "software-arm64")
        #expect(throws: HardwareSelectionError.self) { try set.softwareChoice(architecture: "riscv64", cores: 4) }
    }

    // MARK: - Selection

    @Test func noGPUOnX86WithTwoCoresUsesTheSoftwarePresetFromTheFile() throws {
        let set = try shipped()
        let selection = try set.select(probe([]), policy: .auto)
        #expect(!selection.usesGPU)
        #expect(selection.profile.name == "software-x86-64")
        let tier = try #require(set.profile(named: "software-x86-64")?.softwareTier(forCores: 2))
        #expect(selection.softwareTier == tier)
        #expect(selection.reason == "no GPU: no DRM render node under /dev/dri: software profile software-x86-64, libx264 superfast for 2 cores")

        let settings = try selection.encodeJobSettings(preset: "Default720p")
        #expect(settings.backend == .software(preset: "superfast", threads: 0))
        #expect(settings.encoderOptions == ["x264-params": "scenecut=0:open-gop=0"])
        #expect(settings.capacity == 1)
        #expect(settings.warning == nil)
        let job = EncodeJob(eventName: "news", preset: LadderPreset(name: "Default720p", rungs: [LadderRung(width: 1280, height: 720, bitrate: 3_500_000)]),
                            settings: settings)
        #expect(job.backend.encoderName == "libx264")
        #expect(job.encoderOptions == settings.encoderOptions)
    }

    @Test func iHDGen12WithLowPowerEntrypointsEncodesOnVDEnc() throws {
        let selection = try shipped().select(probe([tigerLake]), policy: .never)
        #expect(selection.profile.name == "intel-ihd-gen12")
        #expect(selection.renderNode?.path == "/dev/dri/renderD128")
        #expect(selection.codecs == [.h264, .hevc])
        #expect(selection.reason.contains("VAProfileH264High/VAEntrypointEncSliceLP"))
        #expect(selection.reason.contains("low-power"))
        // The Gen9 profile was tried first and passed over, with the reason.
        #expect(selection.skipped.contains { $0.hasPrefix("intel-ihd-gen9: renderD128") && $0.contains("lacks VAEntrypointEncSlice for H.264 High") })

        let settings = try selection.encodeJobSettings(preset: "Default1080p")
        #expect(settings.backend == .vaapi(device: "/dev/dri/renderD128", codec: "h264", lowPower: true))
        #expect(settings.encoderOptions == ["low_power": "1", "rc_mode": "CBR", "compression_level": "4", "async_depth": "4", "profile": "high"])
        let hevc = try selection.encodeJobSettings(preset: "Default1080p", codec: .hevc)
        #expect(hevc.backend == .vaapi(device: "/dev/dri/renderD128", codec: "hevc", lowPower: true))
        #expect(hevc.backend.encoderName == "hevc_vaapi")
        #expect(hevc.encoderOptions["profile"] == "main")
    }

    @Test func iHDLackingLowPowerUsesTheFullEncoderProfile() throws {
        var node = coffeeLake
        node.configs.removeAll { $0.entrypoint == "VAEntrypointEncSliceLP" }
        let selection = try shipped().select(probe([node]))
        #expect(selection.profile.name == "intel-ihd-gen9")
        let settings = try selection.encodeJobSettings(preset: "Default720p")
        #expect(settings.backend == .vaapi(device: "/dev/dri/renderD128", codec: "h264", lowPower: false))
        #expect(settings.encoderOptions["low_power"] == "0")
        #expect(settings.encoderOptions["compression_level"] == "7")

        // With VDEnc offered as well, a Gen9 part still takes the full encoder (VDEnc's rate control needs HuC).
        #expect(try shipped().select(probe([coffeeLake])).profile.name == "intel-ihd-gen9")
    }

    @Test func i965AndRadeonsiPickTheirProfiles() throws {
        let set = try shipped()
        let haswell = RenderNodeProbe(path: "/dev/dri/renderD128", driverName: "i965",
                                      vendorString: "Intel i965 driver for Intel(R) Haswell Desktop - 2.4.1", pciVendorID: 0x8086,
                                      configs: pairs([("H264ConstrainedBaseline", "EncSlice"), ("H264Main", "EncSlice"),
                                                      ("H264High", "VLD"), ("H264High", "EncSlice")]))
        let i965 = try set.select(probe([haswell]))
        #expect(i965.profile.name == "intel-i965")
        #expect(i965.codecs == [.h264])
        #expect(throws: HardwareSelectionError.self) { try i965.encodeJobSettings(preset: "Default720p", codec: .hevc) }
        // i965 lists no 1080p ladder: refused with what it can do.
        do {
            _ = try i965.encodeJobSettings(preset: "Default1080p")
            Issue.record("Default1080p should be refused on i965")
        } catch {
            #expect(error.code == .presetNotSustained)
            #expect(error.message.contains("720p-3-Layer, Default720p"))
        }

        let navi = RenderNodeProbe(path: "/dev/dri/renderD128", driverName: "radeonsi",
                                   vendorString: "Mesa Gallium driver 22.3.6 for AMD Radeon RX 6600 (navi23, LLVM 15.0.6, DRM 3.49)",
                                   pciVendorID: 0x1002, kernelDriver: "amdgpu",
                                   configs: pairs([("H264High", "VLD"), ("H264High", "EncSlice"), ("HEVCMain", "VLD"), ("HEVCMain", "EncSlice")]))
        let amd = try set.select(probe([navi]))
        #expect(amd.profile.name == "amd-radeonsi-vcn")
        #expect(amd.codecs == [.h264, .hevc])
        let settings = try amd.encodeJobSettings(preset: "1080p-4-Layer")
        #expect(settings.backend == .vaapi(device: "/dev/dri/renderD128", codec: "h264", lowPower: false))
        #expect(settings.encoderOptions["compression_level"] == nil)
    }

    @Test func aGPUWithoutH264EncodeFallsBackToSoftwareWithTheReason() throws {
        // A decode-only AMD part (e.g. no VCN encode exposed).
        let decodeOnly = RenderNodeProbe(path: "/dev/dri/renderD128", driverName: "radeonsi", vendorString: "Mesa Gallium driver",
                                         pciVendorID: 0x1002, configs: pairs([("H264High", "VLD"), ("HEVCMain", "VLD")]))
        let unknown = RenderNodeProbe(path: "/dev/dri/renderD129", driverName: "nouveau", vendorString: "Mesa Gallium driver", pciVendorID: 0x10de,
                                      configs: pairs([("H264High", "VLD")]))
        let denied = RenderNodeProbe(path: "/dev/dri/renderD130", error: "permission denied")
        let selection = try shipped().select(probe([decodeOnly, unknown, denied], cores: 4))
        #expect(!selection.usesGPU)
        #expect(selection.profile.name == "software-x86-64")
        #expect(selection.reason.hasSuffix(": software profile software-x86-64, libx264 veryfast for 4 cores"))
        #expect(selection.reason.contains("renderD128 (radeonsi, PCI 1002) lacks VAEntrypointEncSlice for H.264 High (no H.264 High encoding at all)"))
        #expect(selection.reason.contains("renderD129 (nouveau, PCI 10de): no hardware profile matches driver nouveau"))
        #expect(selection.reason.contains("renderD130: permission denied"))
    }

    @Test func policyNeverWithoutAUsableGPUIsAClearError() throws {
        let set = try shipped()
        do {
            _ = try set.select(probe([]), policy: .never)
            Issue.record("policy never without a GPU must fail")
        } catch {
            #expect(error.code == .noUsableGPU)
            #expect(error.message.contains("no GPU: no DRM render node under /dev/dri"))
            #expect(error.message.contains("policy is never"))
        }
        var noLP = tigerLake
        noLP.configs.removeAll { $0.isEncode }
        #expect(throws: HardwareSelectionError.self) { try set.select(probe([noLP]), policy: .never) }
    }

    @Test func capacityIsEnforcedUnlessOverCapacityIsAllowed() throws {
        let selection = try shipped().select(probe([tigerLake]))
        #expect(try selection.encodeJobSettings(preset: "Default1080p", runningEvents: 1).warning == nil)
        do {
            _ = try selection.encodeJobSettings(preset: "Default1080p", runningEvents: 2)
            Issue.record("a third Default1080p event is over the listed 2")
        } catch {
            #expect(error.code == .overCapacity)
        }
        let over = try selection.encodeJobSettings(preset: "Default1080p", runningEvents: 2, allowOverCapacity: true)
        #expect(over.warning?.contains("3 live events of Default1080p at once exceed the 2") == true)
        #expect(throws: HardwareSelectionError.self) { try selection.encodeJobSettings(preset: "NoSuchPreset") }
    }

    @Test func theSelectionRoundTripsThroughJSON() throws {
        let selection = try shipped().select(probe([tigerLake]))
        let decoded = try JSONDecoder().decode(HardwareSelection.self, from: JSONEncoder().encode(selection))
        #expect(decoded == selection)
        // `hw probe --json` as the daemon reads it back.
        let report = HardwareProbeReport(profilesDirectory: "hwprofiles", probe: probe([tigerLake]), selection: selection,
                                         softwareFallback: selection.softwareFallback, error: nil, libavcodecVersion: "59.37.100", optionProblems: [])
        #expect(try JSONDecoder().decode(HardwareProbeReport.self, from: JSONEncoder().encode(report)) == report)
    }

    // MARK: - Loader errors




    @Test func aValidExtraProfileLoads() throws {
        let set = try loadWith(["test-gpu.yaml": validVAAPI])
        let profile = try #require(set.profile(named: "test-gpu"))
        #expect(profile.priority == 50)
        #expect(profile.h264 == VAConfigPair(profile: "VAProfileH264High", entrypoint: "VAEntrypointEncSlice"))
    }

    @Test func loaderErrorsNameTheFileTheKeyAndTheFix() throws {
        // A misspelt entrypoint.
        let entrypoint = try #require(loadError(["test-gpu.yaml": validVAAPI.replacingOccurrences(of: "EncSlice\n", with: "EncSliceLp\n")]))
        #expect(entrypoint.file.hasSuffix("/test-gpu.yaml"))
        #expect(entrypoint.key == "h264.entrypoint")
        #expect(entrypoint.line == 9)
        #expect(entrypoint.description.contains("unknown VA entrypoint 'VAEntrypointEncSliceLp'; use VAEntrypointEncSlice"))

        // A required key left out.
        let missing = try #require(loadError(["test-gpu.yaml": validVAAPI.replacingOccurrences(of: "  profile: VAProfileH264High\n", with: "")]))
        #expect(missing.key == "h264.profile")
        #expect(missing.problem == "missing")

        // A typo in a key is caught, with a suggestion.
        let typo = try #require(loadError(["test-gpu.yaml": validVAAPI.replacingOccurrences(of: "encoder-options:", with: "encoder-option:")]))
        #expect(typo.key == "encoder-option")
        #expect(typo.line == 10)
        #expect(typo.fix.contains("did you mean 'encoder-options'?"))

        // An unknown ladder preset.
        let preset = try #require(loadError(["test-gpu.yaml": validVAAPI.replacingOccurrences(of: "Default720p: 1", with: "Default4k: 1")]))
        #expect(preset.key == "ladders.Default4k")
        #expect(preset.fix.contains("Default720p"))

        // A rate control that ignores the ladder's bitrates.
        let cqp = try #require(loadError(["test-gpu.yaml": validVAAPI.replacingOccurrences(of: "rc_mode: CBR", with: "rc_mode: CQP")]))
        #expect(cqp.key == "encoder-options.rc_mode")
        #expect(cqp.problem.contains("ignores the ladder's bitrates"))

        // An option the worker owns.
        let bitrate = try #require(loadError(["test-gpu.yaml": validVAAPI.replacingOccurrences(of: "rc_mode: CBR", with: "b: 3M")]))
        #expect(bitrate.key == "encoder-options.b")

        // low_power contradicting the entrypoint.
        let lowPower = try #require(loadError(["test-gpu.yaml": validVAAPI.replacingOccurrences(of: "rc_mode: CBR", with: "low_power: 1")]))
        #expect(lowPower.key == "encoder-options.low_power")

        // A YAML syntax error has a line.
        let syntax = try #require(loadError(["test-gpu.yaml": "name: [unclosed\nbackend: vaapi\n"]))
        #expect(syntax.file.hasSuffix("/test-gpu.yaml"))
        #expect(syntax.line != nil)
        #expect(syntax.problem.hasPrefix("YAML syntax"))

        // A software tier with an unknown x264 preset, and tiers out of order.
        let software = """
            name: software-extra
            backend: software
            match:
              architectures: [x86-64]
            software-tiers:
              - min-cores: 1
                preset: superfastest
                ladders: {Default720p: 1}

            """
        let x264 = try #require(loadError(["software-extra.yaml": software]))
        #expect(x264.key == "software-tiers[0].preset")
        #expect(x264.fix.contains("ultrafast"))
        let order = try #require(loadError(["software-extra.yaml": software.replacingOccurrences(of: "superfastest", with: "superfast")
            + "  - min-cores: 1\n    preset: ultrafast\n    ladders: {Default720p: 1}\n"]))
        #expect(order.key == "software-tiers[1]")
    }

    @Test func setErrorsNameTheFiles() throws {
        // The same name twice.
        let duplicate = try #require(loadError(["zz-copy.yaml": validVAAPI, "test-gpu.yaml": validVAAPI]))
        #expect(duplicate.key == "name")
        #expect(duplicate.problem.contains("test-gpu"))

        // No software profile for arm64.
        let arm = try #require(loadError([:], removing: ["software-arm64.yaml"]))
        #expect(arm.problem.contains("no software profile for arm64"))
        #expect(arm.fix.contains("software-arm64.yaml"))

        // A directory that is not there.
        #expect(throws: HardwareProfileError.self) { try HardwareProfileSet.load(directory: "/nonexistent/hwprofiles") }
    }

    @Test func vaNamesAreConsistent() {
        #expect(VANames.profileValue("VAProfileH264High") == 7)
        #expect(VANames.entrypointName(8) == "VAEntrypointEncSliceLP")
        #expect(VANames.profileName(99) == "VAProfile(99)")
        #expect(VANames.readableProfile("VAProfileH264ConstrainedBaseline") == "H.264 ConstrainedBaseline")
        #expect(VANames.readableProfile("VAProfileHEVCMain") == "HEVC Main")
    }

    // MARK: - The `hw probe` report

    @Test func theReportShowsNodesChoiceAndFallback() throws {
        let set = try shipped()
        let machine = probe([tigerLake], cores: 4)
        let selection = try set.select(machine)
        let text = HardwareReport.text(probe: machine, set: set, profilesDirectory: "hwprofiles", outcome: .success(selection),
                                       fallback: selection.softwareFallback, libavcodecVersion: "59.37.100")
        #expect(text.contains("gpu       /dev/dri/renderD128, driver iHD, PCI 8086:9a49, kernel i915, VA-API 1.17\n"))
        #expect(text.contains("  VAProfileH264High  decode; encode EncSliceLP\n"))
        #expect(text.contains("  VAProfileNone      \n") == false)
        #expect(text.contains("chosen    intel-ihd-gen12: h264_vaapi low-power on /dev/dri/renderD128\n"))
        #expect(text.contains("options   async_depth=4 compression_level=4 low_power=1 profile=high rc_mode=CBR\n"))
        #expect(text.contains("ladders   Default720p ×4, Default1080p ×2, 720p-3-Layer ×6, 1080p-4-Layer ×3 (live events at once)\n"))
        #expect(text.contains("skipped   intel-ihd-gen9: renderD128 (iHD, PCI 8086:9a49) lacks VAEntrypointEncSlice for H.264 High (only VAEntrypointEncSliceLP)\n"))
        #expect(text.contains("fallback  software profile software-x86-64, libx264 veryfast for 4 cores"))

        let none = probe([])
        let failed = HardwareReport.text(probe: none, set: set, profilesDirectory: "hwprofiles",
                                         outcome: Result { () throws(HardwareSelectionError) in try set.select(none, policy: .never) },
                                         fallback: try set.softwareChoice(architecture: "x86-64", cores: 2))
        #expect(failed.contains("gpu       no GPU: no DRM render node under /dev/dri\n"))
        #expect(failed.contains("chosen    none (policy never)\n"))
        #expect(failed.contains("not used (policy never)"))
    }
}
