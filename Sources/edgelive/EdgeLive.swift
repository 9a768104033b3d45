import Appliance
import ArgumentParser
import Client
import Foundation

/// `edgelive` — the daemon and its command-line client in one binary. Parsing and dispatch only.
@main
struct EdgeLive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edgelive",
        abstract: "A live-streaming appliance: RTMP ingest, HLS and DASH origin.",
        discussion: ClientRunner.exitCodeHelp,
        subcommands: [Serve.self, EventCommand.self, OutputCommand.self, AssetCommand.self, LocatorCommand.self, EndpointCommand.self])
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the appliance: ingest, live pipelines and origin.")

    @Option(help: "Data directory (state, assets).")
    var dataDir = "./data"

    @Option(help: "Address to listen on.")
    var listen = "0.0.0.0"

    @Option(help: "Origin (HTTP) port.")
    var httpPort = 8080

    @Option(help: "RTMP ingest port.")
    var rtmpPort = 1935

    @Option(help: "Host name or address used in printed URLs (default: first non-loopback IPv4 address).")
    var publicHost: String?

    @Option(help: "Live window kept in memory per channel, in seconds.")
    var window = 300

    @Option(help: "Control API (Azure Media Services v3 compatible REST) port.")
    var apiPort = 8090

    @Option(help: "Control API bearer token (default: generated on first start into <data-dir>/api-token).")
    var apiToken: String?

    @Option(help: "host[:port] that streaming endpoints report as their hostName (default: <public host>:<http port>).")
    var streamingHost: String?

    func validate() throws {
        for (name, port) in [("--http-port", httpPort), ("--rtmp-port", rtmpPort), ("--api-port", apiPort)] where !(0...65535).contains(port) {
            throw ValidationError("\(name) \(port) is not a TCP port (0-65535)")
        }
        guard window >= 10 else { throw ValidationError("--window must be at least 10 seconds") }
    }

    func run() async throws {
        var configuration = ApplianceConfiguration()
        configuration.dataDirectory = dataDir
        configuration.listenHost = listen
        configuration.httpPort = httpPort
        configuration.rtmpPort = rtmpPort
        configuration.publicHost = publicHost
        configuration.windowSeconds = window
        configuration.apiPort = apiPort
        configuration.apiToken = apiToken ?? ProcessInfo.processInfo.environment["EDGELIVE_API_TOKEN"]
        configuration.streamingHost = streamingHost
        do {
            try await Appliance.serve(configuration)
        } catch let error as ApplianceError {
            FileHandle.standardError.write(Data("edgelive: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}

