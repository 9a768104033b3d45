// `edgelive asset ...`: assets (archives and on-demand content).
import ArgumentParser
import Client

struct AssetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asset",
        abstract: "List, show and delete assets.",
        subcommands: [List.self, Show.self, Delete.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List assets.")
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            try await client.run { verbs throws(ClientError) in try await verbs.listAssets() }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an asset.")
        @Argument(help: "Asset name.") var name: String
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let name = name
            try await client.run { verbs throws(ClientError) in try await verbs.showAsset(name) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an asset and its content.")
        @Argument(help: "Asset name.") var name: String
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let name = name
            try await client.run { verbs throws(ClientError) in try await verbs.deleteAsset(name) }
        }
    }
}
