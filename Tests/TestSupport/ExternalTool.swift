// Runs the command-line tools the tests check against (ffmpeg, ffprobe), shared by the Packaging and Origin tests.
import EventLoop
import Foundation

/// ffmpeg and ffprobe are required test tools in this project: a missing one fails the test, it is not skipped.
public enum ExternalTool {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Whether `name` is an executable on PATH (for tests that skip, with a reason, when a tool is missing).
    public static func isAvailable(_ name: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }

    /// Runs `name` (found on PATH) with `arguments` and returns its standard output. A non-zero exit throws; so does any
    /// output on standard error when `rejectingErrorOutput` (tools run with `-v error` print only errors there).
    @discardableResult
    public static func run(_ name: String, _ arguments: [String], rejectingErrorOutput: Bool) throws -> Data {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(name)" }
        guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure(description: "\(name) not found on PATH: it is a required test tool (apt install ffmpeg)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Helper-thread reads that survive EINTR (this process takes signals); both pipes drain before the wait.
        let output = Data(BlockingRead.toEnd(fileDescriptor: out.fileHandleForReading.fileDescriptor))
        let errors = Data(BlockingRead.toEnd(fileDescriptor: err.fileHandleForReading.fileDescriptor))
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(name) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus): "
                          + String(decoding: errors, as: UTF8.self))
        }
        guard errors.isEmpty || !rejectingErrorOutput else {
            throw Failure(description: "\(name) \(arguments.joined(separator: " ")) reported errors: " + String(decoding: errors, as: UTF8.self))
        }
        return output
    }
}
