// `edgelive endpoint ...`: the streaming endpoint (origin) that serves every locator.
import ArgumentParser
import Client

struct EndpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoint",
        abstract: "Show, start and stop the streaming endpoint.",
        subcommands: [Show.self, Start.self, Stop.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a streaming endpoint: state and host name.")
        @Argument(help: "Streaming endpoint name.") var name = "default"
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let name = name
            try await client.run { verbs throws(ClientError) in try await verbs.showEndpoint(name) }
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a streaming endpoint (playback URLs start answering).")
        @Argument(help: "Streaming endpoint name.") var name = "default"
        @OptionGroup var wait: WaitOptions
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let name = name
            try await client.run(wait: !wait.noWait) { verbs throws(ClientError) in try await verbs.startEndpoint(name) }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a streaming endpoint.")
        @Argument(help: "Streaming endpoint name.") var name = "default"
        @OptionGroup var wait: WaitOptions
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let name = name
            try await client.run(wait: !wait.noWait) { verbs throws(ClientError) in try await verbs.stopEndpoint(name) }
        }
    }
}
