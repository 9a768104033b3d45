// `edgelive output ...`: live outputs (archives of a live event into an asset).
import ArgumentParser
import Client

struct OutputCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "output",
        abstract: "Create, list and delete live outputs.",
        subcommands: [Create.self, List.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Archive a live event into an asset (the asset is created if missing).")

        @Argument(help: "Live event name.") var event: String
        @Argument(help: "Live output name.") var name: String
        @Option(help: "Asset to archive into.") var asset: String
        @Option(help: "ISO-8601 archive (DVR) window, PT1M to PT25H.") var archiveWindow = "PT1H"
        @Option(help: "ISO-8601 seekable window during live (at most the archive window).") var rewindWindow: String?
        @Option(help: "Manifest base name (<name>.ism); generated when omitted.") var manifestName: String?
        @Option(help: "Fragments per HLS TS segment.") var fragmentsPerTsSegment: Int?
        @Option(help: "Free-text description.") var description: String?
        @OptionGroup var wait: WaitOptions
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let options = LiveOutputCreateOptions(event: event, name: name, asset: asset, archiveWindow: archiveWindow, rewindWindow: rewindWindow,
                                                  manifestName: manifestName, fragmentsPerTsSegment: fragmentsPerTsSegment, description: description)
            try await client.run(wait: !wait.noWait) { verbs throws(ClientError) in try await verbs.createOutput(options) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the live outputs of a live event.")
        @Argument(help: "Live event name.") var event: String
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let event = event
            try await client.run { verbs throws(ClientError) in try await verbs.listOutputs(event: event) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a live output (its asset stays as on-demand content).")
        @Argument(help: "Live event name.") var event: String
        @Argument(help: "Live output name.") var name: String
        @OptionGroup var wait: WaitOptions
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let (event, name) = (event, name)
            try await client.run(wait: !wait.noWait) { verbs throws(ClientError) in try await verbs.deleteOutput(event: event, name: name) }
        }
    }
}
