// `edgelive hw ...`: what this machine can encode with, and which hardware profile live encoding would use.
import ArgumentParser
import Client
import Encode
import EncodeModel
import Foundation

struct HardwareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hw",
        abstract: "Inspect the machine's encoding hardware (VAAPI GPUs) and hardware profiles.",
        subcommands: [Probe.self])

    struct Probe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the DRM render nodes, what their VAAPI drivers encode and decode, and the profile live encoding would choose.",
            discussion: """
                Runs locally (no daemon needed). Exit codes: 0 a profile was chosen (GPU, or libx264 under policy auto); \
                1 the profiles cannot be loaded or libavcodec refuses the chosen options; 3 policy never and no usable GPU; 64 usage.
                """)

        @Option(name: [.customLong("profiles"), .customLong("hwprofiles")],
                help: "Hardware profile directory (default: \(HardwareProfileSet.installedDirectory) when it exists, else the hwprofiles/ of the checkout the binary is in).")
        var profiles: String?

        @Option(help: "auto: without a usable GPU, encode with libx264; never: fail (exit 3).")
        var policy: FallbackPolicy = .auto

        @Flag(help: "Print the probe, the selection and the fallback as JSON.")
        var json = false

        func run() throws {
            let directory = profiles ?? HardwareProfileSet.defaultDirectory()
            let set: HardwareProfileSet
            do {
                set = try HardwareProfileSet.load(directory: directory)
            } catch {
                FileHandle.standardError.write(Data(ClientError(.failure, message: "\(error.description) (--profiles DIR)").report.utf8))
                throw ExitCode(ClientExitCode.failure.rawValue)
            }

            let probe = HardwareProbe.run()
            let outcome: Result<HardwareSelection, HardwareSelectionError>
            do {
                outcome = .success(try set.select(probe, policy: policy))
            } catch {
                outcome = .failure(error)
            }
            let fallback = try? set.softwareChoice(architecture: probe.architecture, cores: probe.cpuCores)
            var problems: [String] = []
            if case .success(let selection) = outcome {
                let profile = selection.profile
                problems = EncoderOptionCheck.problems(options: profile.effectiveEncoderOptions(for: .h264),
                                                       encoder: EncoderOptionCheck.encoderName(for: profile),
                                                       open: profile.backend == .software, preset: selection.softwareTier?.preset)
            }

            if json {
                let report = HardwareProbeReport(profilesDirectory: directory, probe: probe, selection: try? outcome.get(), softwareFallback: fallback,
                                        error: outcome.failure?.message, libavcodecVersion: CodecAvailability.libavcodecVersion,
                                        optionProblems: problems)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
            } else {
                let text = HardwareReport.text(probe: probe, set: set, profilesDirectory: directory, outcome: outcome, fallback: fallback,
                                               optionProblems: problems, libavcodecVersion: CodecAvailability.libavcodecVersion)
                FileHandle.standardOutput.write(Data(text.utf8))
            }

            if let error = outcome.failure {
                let hint = "run `edgelive hw probe` (policy auto) to see what libx264 would do instead"
                FileHandle.standardError.write(Data(ClientError(.conflict, message: error.message, hint: hint).report.utf8))
                throw ExitCode(ClientExitCode.conflict.rawValue)
            }
            if !problems.isEmpty {
                FileHandle.standardError.write(Data(ClientError(.failure, message: "libavcodec refuses the chosen profile's encoder options: "
                    + problems.joined(separator: "; "), hint: "fix encoder-options in the profile file").report.utf8))
                throw ExitCode(ClientExitCode.failure.rawValue)
            }
        }
    }
}

extension FallbackPolicy: ExpressibleByArgument {}

private extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
