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
        subcommands: [Serve.self, EventCommand.self, OutputCommand.self, AssetCommand.self, LocatorCommand.self, KeyPolicyCommand.self, TokenCommand.self, FilterCommand.self, EndpointCommand.self, HardwareCommand.self,
                      WorkerCommand.self])
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the appliance: ingest, live pipelines, origin and control API.",
        discussion: "Settings come from the defaults, then the --config file's [server] section, then these flags.")

    @Option(help: "Configuration file (INI; keys are these flags' names). Default: none (development defaults).")
    var config: String?

    @Option(help: "Data directory (state, assets). Default ./data.")
    var dataDir: String?

    @Option(help: "Address to listen on. Default 0.0.0.0.")
    var listen: String?

    @Option(help: "Origin (HTTP) port. Default 8080.")
    var httpPort: Int?

    @Option(help: "RTMP ingest port. Default 1935.")
    var rtmpPort: Int?

    @Option(help: "RTMPS ingest port. Default 2935; listens when --tls-certificate and --tls-key are set.")
    var rtmpsPort: Int?

    @Option(help: "RTMPS certificate: PEM file, server certificate first, then intermediates. Re-read on SIGHUP.")
    var tlsCertificate: String?

    @Option(help: "RTMPS private key: unencrypted PEM file matching --tls-certificate. Re-read on SIGHUP.")
    var tlsKey: String?

    @Option(help: "Host name or address used in published URLs (default: first non-loopback IPv4 address).")
    var publicHost: String?

    @Option(help: "Live window kept in memory per channel, in seconds. Default 300.")
    var window: Int?

    @Option(help: "Control API (Azure Media Services v3 compatible REST) port. Default 8090.")
    var apiPort: Int?

    @Option(help: "Control API bearer token (default: generated on first start into <data-dir>/api-token; also EDGELIVE_API_TOKEN).")
    var apiToken: String?

    @Option(help: "host[:port] that streaming endpoints report as their hostName (default: <public host>:<http port>).")
    var streamingHost: String?

    @Option(help: "Hardware profiles directory (default: /usr/share/edgelive/hwprofiles when it exists, else the hwprofiles/ of the checkout the binary is in).")
    var hwprofiles: String?

    @Option(help: "Live encoding without a usable GPU: auto (libx264, said loudly) or never (refuse encoding events). Default auto.")
    var encodePolicy: String?

    @Option(help: "Directory of custom ladders (NAME.yaml) offered beside the built-in presets.")
    var presets: String?

    func validate() throws {
        for (name, port) in [("--http-port", httpPort), ("--rtmp-port", rtmpPort), ("--rtmps-port", rtmpsPort), ("--api-port", apiPort)] {
            if let port, !(0...65535).contains(port) { throw ValidationError("\(name) \(port) is not a TCP port (0-65535)") }
        }
        if let window, window < 10 { throw ValidationError("--window must be at least 10 seconds") }
        if let window, window > ApplianceConfiguration.maximumWindowSeconds {
            throw ValidationError("--window must be at most \(ApplianceConfiguration.maximumWindowSeconds) seconds (one week)")
        }
        if let encodePolicy, EncodePolicy(rawValue: encodePolicy.lowercased()) == nil {
            throw ValidationError("--encode-policy must be auto or never; got '\(encodePolicy)'")
        }
    }

    func run() async throws {
        var configuration = ApplianceConfiguration()
        do {
            if let config { try configuration.apply(ConfigurationFile.load(path: config)) }
        } catch {
            FileHandle.standardError.write(Data("edgelive: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if let dataDir { configuration.dataDirectory = dataDir }
        if let listen { configuration.listenHost = listen }
        if let httpPort { configuration.httpPort = httpPort }
        if let rtmpPort { configuration.rtmpPort = rtmpPort }
        if let rtmpsPort { configuration.rtmpsPort = rtmpsPort }
        if let tlsCertificate { configuration.tlsCertificate = tlsCertificate }
        if let tlsKey { configuration.tlsKey = tlsKey }
        if let publicHost { configuration.publicHost = publicHost }
        if let window { configuration.windowSeconds = window }
        if let apiPort { configuration.apiPort = apiPort }
        if let token = apiToken ?? ProcessInfo.processInfo.environment["EDGELIVE_API_TOKEN"] { configuration.apiToken = token }
        if let streamingHost { configuration.streamingHost = streamingHost }
        if let hwprofiles { configuration.hardwareProfilesDirectory = hwprofiles }
        if let encodePolicy, let policy = EncodePolicy(rawValue: encodePolicy.lowercased()) { configuration.encodePolicy = policy }
        if let presets { configuration.presetsDirectory = presets }
        do {
            try await Appliance.serve(configuration)
        } catch let error as ApplianceError {
            FileHandle.standardError.write(Data("edgelive: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}
