// `edgelive event ...`: live events.
import ArgumentParser
import Client

struct EventCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "event",
        abstract: "Create, inspect, start, stop, reset and delete live events.",
        subcommands: [Create.self, List.self, Show.self, Start.self, Stop.self, Reset.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a live event (started unless --no-start).")

        @Argument(help: "Live event name (letters, digits, hyphens; up to 32).") var name: String
        @Option(help: "None, PassthroughBasic, PassthroughStandard, Standard or Premium1080p.") var encoding: String?
        @Option(help: "Encoder preset (encoding live events only), e.g. Default720p.") var preset: String?
        @Option(name: .customLong("protocol"), help: "Ingest protocol: RTMP or FragmentedMP4.") var streamingProtocol = "RTMP"
        @Option(help: "Ingest URL token (hex); generated when omitted.") var accessToken: String?
        @Option(help: "Encoder address or CIDR allowed to ingest (repeatable; default everyone, 0.0.0.0/0).") var allow: [String] = []
        @Option(help: "Client address or CIDR allowed to preview (repeatable; default everyone).") var previewAllow: [String] = []
        @Option(help: "ISO-8601 key frame interval, e.g. PT2S.") var keyFrameInterval: String?
        @Option(help: "Free-text description.") var description: String?
        @Flag(help: "Low-latency stream options (LowLatency; LowLatencyV2 for encoding events).") var lowLatency = false
        @Flag(help: "Keep ingest and preview host names stable across stop and start.") var staticHostname = false
        @Option(help: "Location recorded on the resource.") var location = "local"
        @Flag(help: "Create the event stopped (autoStart=false).") var noStart = false
        @Option(help: "Encoding events: auto (the GPU when usable, else libx264) or never (the GPU or refuse); default the box's [encoding] encode-policy.")
        var encodePolicy: String?
        @OptionGroup var wait: WaitOptions
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let options = LiveEventCreateOptions(
                name: name, encoding: encoding, preset: preset, streamingProtocol: streamingProtocol, accessToken: accessToken,
                allow: allow, previewAllow: previewAllow, keyFrameInterval: keyFrameInterval, description: description,
                lowLatency: lowLatency, staticHostname: staticHostname, location: location, autoStart: !noStart,
                encodePolicy: encodePolicy)
            try await client.run(wait: !wait.noWait) { verbs throws(ClientError) in try await verbs.createEvent(options) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List live events with their state and ingest URL.")
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            try await client.run { verbs throws(ClientError) in try await verbs.listEvents() }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a live event: state, ingest URLs, preview URLs.")
        @Argument(help: "Live event name.") var name: String
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let name = name
            try await client.run { verbs throws(ClientError) in try await verbs.showEvent(name) }
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a live event (ingest opens).")
        @Argument(help: "Live event name.") var name: String
        @Flag(help: "Create the event from the configuration file's [channel] defaults when it does not exist.") var create = false
        @OptionGroup var wait: WaitOptions
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let name = name
            guard create else {
                try await client.run(wait: !wait.noWait) { verbs throws(ClientError) in try await verbs.startEvent(name) }
                return
            }
            let channel = try client.configurationFile()
            let defaults = LiveEventCreateOptions(
                name: name, encoding: channel?.value("channel", "encoding"),
                allow: channel?.list("channel", "allow") ?? [], previewAllow: channel?.list("channel", "preview-allow") ?? [],
                description: "Created by edgelive event start --create", autoStart: true)
            try await client.run(wait: !wait.noWait) { verbs throws(ClientError) in try await verbs.startOrCreateEvent(defaults) }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a live event (its live outputs must be deleted, or pass --remove-outputs).")
        @Argument(help: "Live event name.") var name: String
        @Flag(help: "Delete the event's live outputs first (their assets stay).") var removeOutputs = false
        @OptionGroup var wait: WaitOptions
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let (name, removeOutputs) = (name, removeOutputs)
            try await client.run(wait: !wait.noWait) { verbs throws(ClientError) in try await verbs.stopEvent(name, removeOutputs: removeOutputs) }
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reset a running live event (deletes its live outputs, restarts it).")
        @Argument(help: "Live event name.") var name: String
        @OptionGroup var wait: WaitOptions
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let name = name
            try await client.run(wait: !wait.noWait) { verbs throws(ClientError) in try await verbs.resetEvent(name) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a live event.")
        @Argument(help: "Live event name.") var name: String
        @OptionGroup var wait: WaitOptions
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let name = name
            try await client.run(wait: !wait.noWait) { verbs throws(ClientError) in try await verbs.deleteEvent(name) }
        }
    }
}
