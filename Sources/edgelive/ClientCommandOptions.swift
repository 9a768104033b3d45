// The options every client verb shares, and the bridge from a verb to the process exit code.
import Appliance
import ArgumentParser
import Foundation
import Client

/// `--api`, `--token`, `--data-dir`, the ARM account path and `--json`.
struct ClientCommandOptions: ParsableArguments {
    @Option(help: "API base URL (default: $EDGELIVE_API, else http://127.0.0.1:8090).")
    var api: String?

    @Option(help: "API bearer token (default: $EDGELIVE_TOKEN, else the file <data-dir>/api-token).")
    var token: String?

    @Option(help: "The daemon's configuration file: gives the API port and data directory when --api/--data-dir are not given (default: /etc/edgelive/edgelive.conf when it exists).")
    var config: String?

    @Option(help: "The daemon's data directory, where api-token is read from (default: the configuration's, else ./data).")
    var dataDir: String?

    @Option(help: "ARM subscription id used in request paths (the box accepts any).")
    var subscription = ClientConfiguration.defaultSubscription

    @Option(help: "ARM resource group used in request paths.")
    var resourceGroup = "edgelive"

    @Option(help: "Media Services account name used in request paths.")
    var account = "edgelive"

    @Flag(help: "Print the raw resource or list JSON (for scripts).")
    var json = false

    /// Runs `verb`, prints its output, and ends the process with the verb's exit code.
    /// The configuration file named by --config, or the installed one when present; nil in development.
    func configurationFile() throws -> ConfigurationFile? {
        let path = config ?? (FileManager.default.isReadableFile(atPath: ConfigurationFile.defaultPath) ? ConfigurationFile.defaultPath : nil)
        guard let path else { return nil }
        do {
            return try ConfigurationFile.load(path: path)
        } catch {
            FileHandle.standardError.write(Data("edgelive: \(error)\n".utf8))
            throw ExitCode(Int32(ClientExitCode.usage.rawValue))
        }
    }

    func run(wait: Bool = true, _ verb: @Sendable (EdgeLiveClient) async throws(ClientError) -> CommandOutput) async throws {
        let file = try configurationFile()
        // A daemon listening on all interfaces is reached on loopback; a specific address is used as is.
        let apiFromFile = file.flatMap { file -> String? in
            guard let port = file.value("server", "api-port") else { return nil }
            let host = file.value("server", "listen").flatMap { $0 == "0.0.0.0" || $0 == "::" ? nil : $0 } ?? "127.0.0.1"
            return "http://\(host):\(port)"
        }
        let options = ClientOptions(api: api ?? apiFromFile, token: token,
                                    dataDirectory: dataDir ?? file?.value("server", "data-dir") ?? "./data",
                                    subscription: subscription, resourceGroup: resourceGroup, account: account)
        let code = await ClientRunner.run(options, json: json, wait: wait, verb)
        if code != 0 { throw ExitCode(code) }
    }
}

/// `--no-wait` for verbs that start long-running operations.
struct WaitOptions: ParsableArguments {
    @Flag(name: .customLong("no-wait"), help: "Return once the daemon accepted the operation instead of waiting for it to finish.")
    var noWait = false
}
