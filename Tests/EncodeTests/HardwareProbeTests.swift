import CFFmpeg
@testable import Encode
import EncodeModel
import Foundation
import Testing

private let hasRenderNode = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev/dri")) ?? []).contains { $0.hasPrefix("renderD") }

private let shippedDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("hwprofiles").path

@Suite struct HardwareProbeTests {
    @Test(.enabled(if: !hasRenderNode, "this machine has a /dev/dri/renderD* node; the GPU test runs instead"))
    func withoutAGPUTheProbeFindsNoNodeAndSaysSo() throws {
        let result = HardwareProbe.run()
        #expect(result.renderNodes.isEmpty)
        #expect(result.note?.hasPrefix("no GPU: no DRM render node under /dev/dri") == true)
        #expect(result.cpuCores >= 1)
        #expect(["x86-64", "arm64"].contains(result.architecture))

        // And selection on it falls back to the shipped software profile for this architecture.
        let selection = try HardwareProfileSet.load(directory: shippedDirectory).select(result)
        #expect(!selection.usesGPU)
        #expect(selection.profile.name == "software-\(result.architecture)")
    }

    @Test(.enabled(if: hasRenderNode, "no /dev/dri/renderD* node on this machine (no GPU): nothing to probe"))
    func everyOpenableRenderNodeReportsAVendorString() {
        let result = HardwareProbe.run()
        #expect(!result.renderNodes.isEmpty)
        for node in result.renderNodes where node.error == nil {
            #expect(node.vendorString?.isEmpty == false, "\(node.path) has no vendor string")
            #expect(node.vaAPIVersion != nil)
        }
    }

    @Test func aDeviceDirectoryWithoutRenderNodesIsANote() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dri-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("card0").path, contents: nil)
        let result = HardwareProbe.run(deviceDirectory: directory.path)
        #expect(result.renderNodes.isEmpty)
        #expect(result.note == "no GPU: no DRM render node under \(directory.path) (only card0)")
    }

    @Test func aRenderNodeThatIsNoGPUIsAPerNodeErrorNotACrash() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dri-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // A plain file where a DRM node should be: libva cannot initialise on it.
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("renderD128").path, contents: Data())
        let result = HardwareProbe.run(deviceDirectory: directory.path, sysfsDirectory: directory.path, environment: [:])
        let node = try #require(result.renderNodes.first)
        #expect(result.renderNodes.count == 1)
        #expect(node.name == "renderD128")
        #expect(node.configs.isEmpty)
        #expect(node.error != nil)
        #expect(node.pciVendorID == nil)
    }

    @Test func permissionDeniedSaysWhichGroupToJoin() {
        let text = HardwareProbe.openError(path: "/dev/null", errno: EACCES)
        #expect(text.hasPrefix("permission denied opening /dev/null:"))
        #expect(text.contains("usermod -aG"))
        #expect(text.contains("SupplementaryGroups=render"))
    }

    @Test func theDriverIsGuessedFromTheVendorStringWhenLibvaIsSilent() {
        #expect(HardwareProbe.guessDriver(vendor: "Intel iHD driver for Intel(R) Gen Graphics - 23.1.1 ()", kernelDriver: "i915") == "iHD")
        #expect(HardwareProbe.guessDriver(vendor: "Intel i965 driver for Intel(R) Haswell Desktop - 2.4.1", kernelDriver: "i915") == "i965")
        #expect(HardwareProbe.guessDriver(vendor: "Mesa Gallium driver 22.3.6 for AMD Radeon RX 6600", kernelDriver: "amdgpu") == "radeonsi")
        #expect(HardwareProbe.guessDriver(vendor: "something else", kernelDriver: nil) == nil)
    }

    /// The name table in EncodeModel (pure, no libva) must match the `va.h` this build compiles against.
    @Test func vaNameTableMatchesVaH() {
        let profiles: [(VAProfile, String)] = [
            (VAProfileNone, "VAProfileNone"), (VAProfileH264ConstrainedBaseline, "VAProfileH264ConstrainedBaseline"),
            (VAProfileH264Main, "VAProfileH264Main"), (VAProfileH264High, "VAProfileH264High"), (VAProfileHEVCMain, "VAProfileHEVCMain"),
            (VAProfileHEVCMain10, "VAProfileHEVCMain10"), (VAProfileVP9Profile0, "VAProfileVP9Profile0"), (VAProfileAV1Profile0, "VAProfileAV1Profile0"),
            (VAProfileJPEGBaseline, "VAProfileJPEGBaseline"), (VAProfileProtected, "VAProfileProtected"),
        ]
        for (value, name) in profiles { #expect(VANames.profileValue(name) == Int32(truncatingIfNeeded: value.rawValue), "\(name)") }
        let entrypoints: [(VAEntrypoint, String)] = [
            (VAEntrypointVLD, "VAEntrypointVLD"), (VAEntrypointEncSlice, "VAEntrypointEncSlice"), (VAEntrypointEncPicture, "VAEntrypointEncPicture"),
            (VAEntrypointEncSliceLP, "VAEntrypointEncSliceLP"), (VAEntrypointVideoProc, "VAEntrypointVideoProc"), (VAEntrypointFEI, "VAEntrypointFEI"),
            (VAEntrypointProtectedContent, "VAEntrypointProtectedContent"),
        ]
        for (value, name) in entrypoints { #expect(VANames.entrypointValue(name) == Int32(truncatingIfNeeded: value.rawValue), "\(name)") }
    }

    /// Every shipped profile's options are real AVOptions of the linked libavcodec's encoder with values it parses;
    /// libx264 is opened with each tier's preset so `x264-params` is parsed too.
    @Test func shippedEncoderOptionsAreAcceptedByTheLinkedLibavcodec() throws {
        let set = try HardwareProfileSet.load(directory: shippedDirectory)
        for profile in set.profiles {
            switch profile.backend {
            case .vaapi:
                for codec in VideoCodec.allCases where profile.vaConfig(for: codec) != nil {
                    let encoder = EncoderOptionCheck.encoderName(for: profile, codec: codec)
                    #expect(EncoderOptionCheck.problems(options: profile.effectiveEncoderOptions(for: codec), encoder: encoder) == [],
                            "\(profile.name) \(encoder)")
                }
            case .software:
                for tier in profile.softwareTiers {
                    #expect(EncoderOptionCheck.problems(options: profile.effectiveEncoderOptions(for: .h264), encoder: "libx264",
                                                        open: true, preset: tier.preset) == [], "\(profile.name) \(tier.preset)")
                }
            }
        }
        // And a wrong one is caught, with libavcodec's reason.
        #expect(EncoderOptionCheck.problems(options: ["rc_mode": "SLOW"], encoder: "h264_vaapi").count == 1)
        #expect(EncoderOptionCheck.problems(options: ["x264-params": "no-such-key=1"], encoder: "libx264", open: true, preset: "ultrafast").count == 1)
    }
}
