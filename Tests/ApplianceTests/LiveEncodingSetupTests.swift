import EncodeModel
import Foundation
import Testing
@testable import Appliance

/// Custom ladders from the `[encoding] presets` directory, the `[encoding]` section, and the shipped hardware
/// profiles as the daemon loads them at start.
@Suite struct LiveEncodingSetupTests {
    private func directory(_ files: [String: String]) throws -> String {
        let path = NSTemporaryDirectory() + "edgelive-presets-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8) }
        return path
    }

    @Test func customLaddersLoadBesideTheBuiltIns() throws {
        let dir = try directory(["church.yaml": """
            name: Church480p
            audioBitrate: 96000
            rungs:
              - {width: 854, height: 480, bitrate: 1200000}
              - {width: 640, height: 360, bitrate: 600000}
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let presets = try LiveEncodingSetup.loadCustomPresets(dir)
        #expect(presets == [LadderPreset(name: "Church480p", rungs: [LadderRung(width: 854, height: 480, bitrate: 1_200_000),
                                                                  LadderRung(width: 640, height: 360, bitrate: 600_000)],
                                         audioBitrate: 96_000)])
        #expect(try LiveEncodingSetup.loadCustomPresets(nil).isEmpty)
    }

    @Test func badLaddersStopTheStartWithTheFileAndTheFix() throws {
        let cases: [(String, String)] = [
            ("name: Default720p\nrungs: [{width: 640, height: 360, bitrate: 600000}]", "already taken"),
            ("name: Odd\nrungs: [{width: 641, height: 360, bitrate: 600000}]", "even"),
            ("name: Huge\nrungs: [{width: 3840, height: 2160, bitrate: 9000000}]", "1080p"),
            ("name: Slow\nrungs: [{width: 640, height: 360, bitrate: 10}]", "bits per second"),
            ("name: None\nrungs: []", "1 to 8 rungs"),
            ("name: Same\nrungs: [{width: 640, height: 360, bitrate: 600000}, {width: 480, height: 270, bitrate: 600000}]", "its own bitrate"),
            ("rungs: [{width: 640, height: 360, bitrate: 600000}]", "expected name"),
        ]
        for (text, expected) in cases {
            let dir = try directory(["x.yaml": text])
            defer { try? FileManager.default.removeItem(atPath: dir) }
            do {
                _ = try LiveEncodingSetup.loadCustomPresets(dir)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.contains("x.yaml") && error.description.contains(expected), "\(error.description)")
            }
        }
    }

    @Test func encodingSectionMapsOntoTheConfiguration() throws {
        let file = try ConfigurationFile(text: "[encoding]\nhwprofiles = /opt/hw\nencode-policy = never\npresets = /etc/edgelive/presets\n")
        var configuration = ApplianceConfiguration()
        try configuration.apply(file)
        #expect(configuration.hardwareProfilesDirectory == "/opt/hw")
        #expect(configuration.encodePolicy == .never)
        #expect(configuration.presetsDirectory == "/etc/edgelive/presets")
        #expect(throws: ConfigurationError.self) {
            var c = ApplianceConfiguration()
            try c.apply(try ConfigurationFile(text: "[encoding]\nencode-policy = sometimes\n"))
        }
    }

    @Test func shippedHardwareProfilesLoadAsTheDaemonLoadsThem() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var configuration = ApplianceConfiguration()
        configuration.hardwareProfilesDirectory = root.appendingPathComponent("hwprofiles").path
        let set = try HardwareProfileSet.load(directory: configuration.hardwareProfilesDirectory ?? "")
        #expect(set.profiles.count >= 6)
    }
}
