import ControlPlane
import EncodeModel
import EventLoop
import Foundation
import Live
import Logging
import Yams

/// Start-up of live encoding: the hardware profiles (loaded and validated, or the daemon does not start), the
/// VAAPI probe (in a child process, so a broken GPU driver cannot take the daemon down), the choice of encoder
/// and the custom ladders.
enum LiveEncodingSetup {
    /// How long the probe child may take before the box is treated as having no usable GPU.
    static let probeTimeout: TimeInterval = 20

    static func make(_ configuration: ApplianceConfiguration, logger: Logger) throws(ApplianceError) -> LiveEncodingEnvironment {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let directory = configuration.hardwareProfilesDirectory ?? HardwareProfileSet.defaultDirectory()
        let profiles: HardwareProfileSet
        do {
            profiles = try HardwareProfileSet.load(directory: directory)
        } catch {
            throw ApplianceError("hardware profiles: \(error) (set [encoding] hwprofiles or --hwprofiles)")
        }
        let presets = LadderPreset.builtIn + (try loadCustomPresets(configuration.presetsDirectory))
        let probe = runProbe(executable: executable, profiles: directory, logger: logger)
        let boxPolicy = FallbackPolicy(rawValue: configuration.encodePolicy.rawValue) ?? .auto
        // The choice under each policy: the box's applies unless an event's tag names the other.
        let selections = Dictionary(uniqueKeysWithValues: FallbackPolicy.allCases.map { policy in
            (policy, Result<HardwareSelection, HardwareSelectionError> { () throws(HardwareSelectionError) in try profiles.select(probe, policy: policy) })
        })
        switch selections[boxPolicy]! {
        case .success(let chosen) where chosen.usesGPU:
            logger.info("live encoding uses the GPU", metadata: ["encoder": "\(chosen.summary)", "reason": "\(chosen.reason)"])
        case .success(let chosen):
            // Loud on purpose: a box meant to encode on its GPU must not slip to the CPU unnoticed.
            logger.warning("live encoding falls back to software (libx264): no usable GPU", metadata: [
                "encoder": "\(chosen.summary)", "reason": "\(chosen.reason)"])
        case .failure(let error):
            logger.error("live encoding is unavailable; encoding live events will be refused", metadata: ["reason": "\(error.message)"])
        }

        return LiveEncodingEnvironment(
            launcher: EncodeWorkerLauncher(executable: executable), presets: presets,
            chooseEncoder: { preset, runningEvents, eventPolicy in
                let policy = eventPolicy ?? boxPolicy
                switch selections[policy]! {
                case .failure(let error):
                    return .failure(EncoderUnavailable(error.message))
                case .success(let chosen):
                    // Profiles list capacities for the built-in ladders; a custom ladder counts as the built-in of its class.
                    let capacityPreset = LadderPreset.named(preset.name) != nil ? preset.name
                        : (LiveEncodingEnvironment.encodingType(of: preset) == .standard ? "Default720p" : "Default1080p")
                    do {
                        let settings = try chosen.encodeJobSettings(preset: capacityPreset, runningEvents: runningEvents,
                                                                    allowOverCapacity: true)
                        var reason = chosen.reason
                        if let warning = settings.warning { reason += "; " + warning }
                        let software = chosen.softwareFallback
                        let fallback = chosen.usesGPU && policy == .auto
                            ? SoftwareFallback(backend: .software(preset: software.tier.preset, threads: software.tier.threads),
                                               options: software.profile.effectiveEncoderOptions(for: .h264), summary: software.summary)
                            : nil
                        return .success(EncoderChoice(backend: settings.backend, options: settings.encoderOptions, reason: reason,
                                                      isFallback: !chosen.usesGPU, softwareFallback: fallback))
                    } catch {
                        return .failure(EncoderUnavailable("\(error)"))
                    }
                }
            })
    }

    /// `edgelive hw probe --json` in a child: the probe part of its report, or "no GPU" with the reason.
    static func runProbe(executable: String, profiles: String, logger: Logger) -> HardwareProbeResult {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        func noGPU(_ note: String) -> HardwareProbeResult {
            logger.error("the VAAPI probe failed; treating this box as having no usable GPU", metadata: ["reason": "\(note)"])
            return HardwareProbeResult(renderNodes: [], architecture: HardwareProbeResult.normalizedArchitecture(machine()),
                                       cpuCores: cores, note: "the VAAPI probe failed: \(note)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["hw", "probe", "--json", "--profiles", profiles]
        let output = Pipe()
        process.standardOutput = output
        do { try process.run() } catch { return noGPU("cannot run \(executable) worker probe: \(error)") }
        let done = DispatchSemaphore(value: 0)
        let reader = DispatchQueue(label: "edgelive.probe")
        nonisolated(unsafe) var data = Data()
        reader.async {
            data = Data(BlockingRead.toEnd(fileDescriptor: output.fileHandleForReading.fileDescriptor))
            done.signal()
        }
        if done.wait(timeout: .now() + probeTimeout) == .timedOut {
            process.terminate()
            kill(process.processIdentifier, SIGKILL)
            return noGPU("no answer within \(Int(probeTimeout)) s (a hung GPU driver?)")
        }
        process.waitUntilExit()
        // Its exit status speaks of the choice (which the daemon makes itself); the probe is in the report.
        do {
            return try JSONDecoder().decode(HardwareProbeReport.self, from: data).probe
        } catch {
            return noGPU("it ended with status \(process.terminationStatus) and unreadable output: \(error)")
        }
    }

    private static func machine() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    // MARK: - Custom ladders

    /// One YAML file per ladder: `name`, optional `audioBitrate` (bits/s, default 128000) and `rungs` of
    /// `width`, `height`, `bitrate` (bits/s), highest first.
    static func loadCustomPresets(_ directory: String?) throws(ApplianceError) -> [LadderPreset] {
        guard let directory else { return [] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            throw ApplianceError("custom ladders: cannot list \(directory): \(error.localizedDescription) (set [encoding] presets to a readable directory, or leave it empty)")
        }
        var presets: [LadderPreset] = []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            let preset: LadderPreset
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                preset = try YAMLDecoder().decode(CustomLadder.self, from: text).preset
            } catch {
                throw ApplianceError("custom ladder \(path): \(error) (expected name, rungs: [{width, height, bitrate}], optional audioBitrate)")
            }
            if let problem = problem(with: preset, among: presets) { throw ApplianceError("custom ladder \(path): \(problem)") }
            presets.append(preset)
        }
        return presets
    }

    static func problem(with preset: LadderPreset, among others: [LadderPreset]) -> String? {
        if preset.name.isEmpty { return "the name is empty" }
        if LadderPreset.named(preset.name) != nil || others.contains(where: { $0.name.lowercased() == preset.name.lowercased() }) {
            return "the name '\(preset.name)' is already taken (built-in or another file); choose another"
        }
        if preset.rungs.isEmpty || preset.rungs.count > 8 { return "a ladder has 1 to 8 rungs; it has \(preset.rungs.count)" }
        for (index, rung) in preset.rungs.enumerated() {
            guard rung.width >= 64, rung.height >= 64, rung.width <= 1920, rung.height <= 1088,
                  rung.width % 2 == 0, rung.height % 2 == 0 else {
                return "rung \(index + 1) is \(rung.width)x\(rung.height); sizes are even, 64 to 1920 wide and 64 to 1088 high (live encoding ends at 1080p)"
            }
            guard (50_000 ... 20_000_000).contains(rung.bitrate) else {
                return "rung \(index + 1) has bitrate \(rung.bitrate); give bits per second between 50000 and 20000000"
            }
        }
        // Players and the origin tell rungs apart by bitrate (`QualityLevels(<bitrate>)` in every fragment URL).
        let bitrates = preset.rungs.map(\.bitrate)
        if let repeated = bitrates.first(where: { rate in bitrates.filter { $0 == rate }.count > 1 }) {
            return "two rungs have bitrate \(repeated); give each rung its own bitrate (fragment URLs name rungs by bitrate)"
        }
        if !(32_000 ... 512_000).contains(preset.audioBitrate) { return "audioBitrate \(preset.audioBitrate) is outside 32000–512000 bits per second" }
        return nil
    }

    private struct CustomLadder: Decodable {
        var name: String
        var audioBitrate: Int?
        var rungs: [LadderRung]
        var preset: LadderPreset { LadderPreset(name: name, rungs: rungs, audioBitrate: audioBitrate ?? 128_000) }
    }
}
