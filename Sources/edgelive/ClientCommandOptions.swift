// The options every client verb shares, and the bridge from a verb to the process exit code.
import ArgumentParser
import Client

/// `--api`, `--token`, `--data-dir`, the ARM account path and `--json`.
struct ClientCommandOptions: ParsableArguments {
    @Option(help: "API base URL (default: $EDGELIVE_API, else http://127.0.0.1:8090).")
    var api: String?

    @Option(help: "API bearer token (default: $EDGELIVE_TOKEN, else the file <data-dir>/api-token).")
    var token: String?

    @Option(help: "The daemon's data directory, where api-token is read from.")
    var dataDir = "./data"

    @Option(help: "ARM subscription id used in request paths (the box accepts any).")
    var subscription = ClientConfiguration.defaultSubscription

    @Option(help: "ARM resource group used in request paths.")
    var resourceGroup = "edgelive"

    @Option(help: "Media Services account name used in request paths.")
    var account = "edgelive"

    @Flag(help: "Print the raw resource or list JSON (for scripts).")
    var json = false

    /// Runs `verb`, prints its output, and ends the process with the verb's exit code.
    func run(wait: Bool = true, _ verb: @Sendable (EdgeLiveClient) async throws(ClientError) -> CommandOutput) async throws {
        let options = ClientOptions(api: api, token: token, dataDirectory: dataDir, subscription: subscription,
                                    resourceGroup: resourceGroup, account: account)
        let code = await ClientRunner.run(options, json: json, wait: wait, verb)
        if code != 0 { throw ExitCode(code) }
    }
}

/// `--no-wait` for verbs that start long-running operations.
struct WaitOptions: ParsableArguments {
    @Flag(name: .customLong("no-wait"), help: "Return once the daemon accepted the operation instead of waiting for it to finish.")
    var noWait = false
}
