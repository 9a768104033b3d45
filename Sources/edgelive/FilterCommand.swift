// `edgelive filter ...`: account and asset filters (dynamic manifests: tracks, time range, first quality).
import ArgumentParser
import Client

struct FilterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filter",
        abstract: "Dynamic manifests: create, list, show and delete account filters (or asset filters with --asset).",
        discussion: """
            A filter is applied with `filter=NAME` in a manifest URL (up to three: filter=a;b;c), or always by a locator \
            made with `edgelive locator create --filter NAME`. Example: a device profile without 1080p and with English \
            audio only: edgelive filter create mobile --track "Type=video,Bitrate=0-3000000" --track "Type=audio,Language=en"
            """,
        subcommands: [Create.self, List.self, Show.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or replace a filter.")
        @Argument(help: "Filter name.") var name: String
        @Option(help: "Make an asset filter of this asset (default: an account filter).") var asset: String?
        @Option(name: .customLong("track"),
                help: "One track selection: Property=Value or Property!=Value conditions, comma-separated (ANDed); repeat for more selections (ORed). Properties: Type, Name, Language, FourCC, Bitrate (bps or low-high).")
        var tracks: [String] = []
        @Option(help: "Bitrate (bits per second) of the quality HLS lists first.") var firstQuality: Int?
        @Option(help: "Absolute start, in --timescale ticks (GOP accurate).") var start: Int64?
        @Option(help: "Absolute end, in --timescale ticks (on demand; live with --force-end).") var end: Int64?
        @Option(help: "Live: sliding window in seconds (at least 60).") var window: Double?
        @Option(help: "Live: hold the live edge back by this many seconds (at most 300).") var backoff: Double?
        @Option(help: "Ticks per second of --start and --end (default 10000000).") var timescale: Int64?
        @Flag(help: "Apply --end while live too (forceEndTimestamp).") var forceEnd = false
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let options = FilterCreateOptions(name: name, asset: asset, tracks: tracks, firstQuality: firstQuality, start: start, end: end,
                                              windowSeconds: window, backoffSeconds: backoff, timescale: timescale, forceEnd: forceEnd)
            try await client.run { verbs throws(ClientError) in try await verbs.createFilter(options) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List account filters, or an asset's filters.")
        @Option(help: "List this asset's filters.") var asset: String?
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let asset = asset
            try await client.run { verbs throws(ClientError) in try await verbs.listFilters(asset: asset) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one filter.")
        @Argument(help: "Filter name.") var name: String
        @Option(help: "An asset filter of this asset.") var asset: String?
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let (name, asset) = (name, asset)
            try await client.run { verbs throws(ClientError) in try await verbs.showFilter(name, asset: asset) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a filter (refused while a locator uses it).")
        @Argument(help: "Filter name.") var name: String
        @Option(help: "An asset filter of this asset.") var asset: String?
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let (name, asset) = (name, asset)
            try await client.run { verbs throws(ClientError) in try await verbs.deleteFilter(name, asset: asset) }
        }
    }
}
