// `edgelive locator ...`: streaming locators (publish an asset at playback URLs).
import ArgumentParser
import Client

struct LocatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locator",
        abstract: "Publish assets: create streaming locators, print their playback URLs, delete them.",
        subcommands: [Create.self, Paths.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a streaming locator for an asset.")
        @Argument(help: "Locator name.") var name: String
        @Option(help: "Asset to publish.") var asset: String
        @Option(help: "Streaming policy.") var policy = "Predefined_ClearStreamingOnly"
        @Option(help: "Start of validity, ISO-8601 (e.g. 2024-01-31T12:00:00Z).") var start: String?
        @Option(help: "End of validity, ISO-8601.") var end: String?
        @Option(help: "Locator UUID (first element of the playback URLs); generated when omitted.") var id: String?
        @Option(name: .customLong("filter"), help: "A filter every manifest of this locator applies (asset filter, else account filter); repeatable, up to 3.")
        var filters: [String] = []
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let options = LocatorCreateOptions(name: name, asset: asset, policy: policy, start: start, end: end, locatorId: id,
                                               filters: filters)
            try await client.run { verbs throws(ClientError) in try await verbs.createLocator(options) }
        }
    }

    struct Paths: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the playback URLs (HLS, DASH, CMAF variants, Smooth) of a locator.")
        @Argument(help: "Locator name.") var name: String
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let name = name
            try await client.run { verbs throws(ClientError) in try await verbs.locatorPaths(name) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a streaming locator (its URLs stop working).")
        @Argument(help: "Locator name.") var name: String
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let name = name
            try await client.run { verbs throws(ClientError) in try await verbs.deleteLocator(name) }
        }
    }
}
