// One CLI invocation: resolve the options, run a verb on a private loop, print, and pick the exit code.
import EventLoop
import Foundation

/// Runs a verb the way `edgelive <group> <verb>` does.
public enum ClientRunner {
    /// The result of one invocation, before anything is printed.
    public struct Result: Sendable, Equatable {
        /// What goes to standard output and standard error.
        public var output: CommandOutput
        /// The process exit code.
        public var exitCode: ClientExitCode
    }

    /// Resolves `options` against `environment`, runs `verb` on a fresh event loop and shuts the loop down.
    public static func execute(_ options: ClientOptions, json: Bool, wait: Bool, environment: [String: String],
                               _ verb: @Sendable (EdgeLiveClient) async throws(ClientError) -> CommandOutput) async -> Result {
        let configuration: ClientConfiguration
        do {
            configuration = try options.resolve(environment: environment)
        } catch {
            return Result(output: CommandOutput(standardError: error.report), exitCode: error.exitCode)
        }
        return await execute(configuration, json: json, wait: wait, verb)
    }

    /// Runs `verb` with an explicit configuration on a fresh event loop.
    public static func execute(_ configuration: ClientConfiguration, json: Bool, wait: Bool,
                               _ verb: @Sendable (EdgeLiveClient) async throws(ClientError) -> CommandOutput) async -> Result {
        let loop: EventLoop
        do {
            loop = try EventLoop(name: "edgelive-cli")
        } catch {
            return Result(output: CommandOutput(standardError: "edgelive: error: cannot start the client's event loop: \(error)\n"), exitCode: .failure)
        }
        let client = EdgeLiveClient(arm: ARMClient(loop: loop, configuration: configuration), json: json, wait: wait)
        var result: Result
        do {
            result = Result(output: try await verb(client), exitCode: .success)
        } catch {
            result = Result(output: CommandOutput(standardError: error.report), exitCode: error.exitCode)
        }
        do {
            try await loop.shutdownGracefully()
        } catch {
            // The verb's outcome stands; a leaked handle is a bug worth reporting, not a reason to hide the result.
            result.output.standardError += "edgelive: warning: \(error)\n"
        }
        return result
    }

    /// `execute` with the process environment, printing the output; returns the exit code for `ExitCode(_:)`.
    public static func run(_ options: ClientOptions, json: Bool, wait: Bool = true,
                           _ verb: @Sendable (EdgeLiveClient) async throws(ClientError) -> CommandOutput) async -> Int32 {
        let result = await execute(options, json: json, wait: wait, environment: ProcessInfo.processInfo.environment, verb)
        if !result.output.standardOutput.isEmpty { FileHandle.standardOutput.write(Data(result.output.standardOutput.utf8)) }
        if !result.output.standardError.isEmpty { FileHandle.standardError.write(Data(result.output.standardError.utf8)) }
        return result.exitCode.rawValue
    }

    /// The exit-code table for `edgelive --help`.
    public static let exitCodeHelp = """
        Client verbs (event, output, asset, locator, key-policy, token, filter, endpoint) talk to the daemon's API (--api, default $EDGELIVE_API or \
        http://127.0.0.1:8090) with a bearer token (--token, else $EDGELIVE_TOKEN, else <--data-dir>/api-token).

        Exit codes:
          0   success
          1   other or unexpected error (server error, failed operation)
          2   not found (HTTP 404)
          3   conflict or wrong state (409, or 400 InvalidOperation/Conflict)
          4   authentication or authorization (401/403, no token)
          5   cannot reach the API (is `edgelive serve` running? see --api)
          6   bad request (400 validation)
          64  usage error
        """
}
