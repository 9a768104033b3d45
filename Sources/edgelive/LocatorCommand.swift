// `edgelive locator ...`: streaming locators (publish an asset at playback URLs).
import ArgumentParser
import Client
import Foundation

struct LocatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locator",
        abstract: "Publish assets: create streaming locators, print their playback URLs and content keys, delete them.",
        subcommands: [Create.self, Paths.self, Keys.self, Delete.self])

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
        @Option(name: .customLong("key-policy"), help: "Content key policy guarding the keys of an encrypting --policy (who gets them from key delivery).")
        var keyPolicy: String?
        @Option(help: "Create the locator with the content keys of this CPIX document (plain keys; - for standard input).")
        var cpix: String?
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let options = LocatorCreateOptions(name: name, asset: asset, policy: policy, start: start, end: end, locatorId: id,
                                               filters: filters, contentKeyPolicy: keyPolicy)
            guard let cpix else {
                try await client.run { verbs throws(ClientError) in try await verbs.createLocator(options) }
                return
            }
            let text = try readInput(cpix, what: "CPIX document")
            let source = cpix == "-" ? "the CPIX document on standard input" : "'\(cpix)'"
            try await client.run { verbs throws(ClientError) in try await verbs.createLocator(options, cpixText: text, source: source) }
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

    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a locator's content keys (id, type, label, policy, value), or write them as a CPIX document.",
            discussion: "The CPIX 2.3 document carries each key in the clear with its pssh for Widevine, PlayReady and the W3C common system, "
                + "for a DRM provider; `edgelive locator create --cpix` reads it back. A file is written with mode 0600.")
        @Argument(help: "Locator name.") var name: String
        @Option(help: "Write a DASH-IF CPIX 2.3 document to this file (- for standard output) instead of the table.") var cpix: String?
        @OptionGroup var client: ClientCommandOptions

        func run() async throws {
            let (name, cpix) = (name, cpix)
            try await client.run { verbs throws(ClientError) in
                if let cpix { return try await verbs.locatorKeysCPIX(name, destination: cpix) }
                return try await verbs.locatorKeys(name)
            }
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

/// The text of `path`, or of standard input for `-`; an unreadable file is a usage error (exit 64).
func readInput(_ path: String, what: String) throws -> String {
    let data: Data?
    if path == "-" {
        data = try? FileHandle.standardInput.readToEnd()
    } else {
        data = FileManager.default.contents(atPath: path)
    }
    guard let data, let text = String(data: data, encoding: .utf8) else {
        FileHandle.standardError.write(Data("edgelive: error: cannot read the \(what) '\(path)': no such readable UTF-8 file\n".utf8))
        throw ExitCode(Int32(ClientExitCode.usage.rawValue))
    }
    return text
}
