import ArgumentParser
import Encode
import EncodeModel
import Foundation

/// `edgelive worker …`: processes the daemon starts for itself; not for people to run.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Processes the daemon spawns (live encoding); it speaks a binary protocol on stdin/stdout.",
        shouldDisplay: false,
        subcommands: [Encode.self, Bench.self])

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encode one live event's contribution into its ladder (stdin: contribution, stdout: ladder).")

        @Option(help: "Seconds between heartbeats; the daemon replaces a worker that stays silent.")
        var heartbeatInterval: Double = 1

        func run() throws {
            if isatty(1) != 0 {
                FileHandle.standardError.write(Data("edgelive worker encode: started by the daemon for an encoding live event; its stdout is a binary protocol, not a terminal.\n".utf8))
                throw ExitCode(64)
            }
            let status = EncodeWorker.run(heartbeatInterval: heartbeatInterval)
            throw ExitCode(status)
        }
    }

    /// `make bench`: the software ladder's throughput on a file, to compare with the `ffmpeg` CLI.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encode a file's H.264 + AAC into a ladder as fast as possible and print the throughput (JSON).")

        @Option(help: "Input file (FLV or MP4 with H.264 and AAC).")
        var input: String

        @Option(help: "Ladder preset: Default720p, Default1080p, 720p-3-Layer, 1080p-4-Layer.")
        var preset: String = "Default720p"

        @Option(help: "libx264 preset.")
        var x264Preset: String = "veryfast"

        @Option(help: "libx264 threads per rung (0: x264 chooses).")
        var threads: Int = 0

        func run() throws {
            guard let ladder = LadderPreset.named(preset) else {
                throw ValidationError("unknown preset '\(preset)'; known: \(LadderPreset.builtIn.map(\.name).joined(separator: ", "))")
            }
            let job = EncodeJob(eventName: "bench", preset: ladder, backend: .software(preset: x264Preset, threads: threads))
            let result = try LadderBenchmark.run(path: input, job: job)
            let fields: [String: Any] = [
                "frames_in": result.framesIn, "samples_out": result.samplesOut, "wall_seconds": result.wallSeconds,
                "cpu_seconds": result.cpuSeconds, "fps": result.framesPerSecond, "backend": result.backend,
            ]
            let json = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            print(String(decoding: json, as: UTF8.self))
        }
    }
}
