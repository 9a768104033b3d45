// Account and asset filters through the REST API: create/replace/patch/delete, validation, swagger conformance,
// persistence across a restart, locator references, and the FilterSet the origin receives.
import EventLoop
import Foundation
import HTTP
import Packaging
import Testing
@testable import ControlPlane

@Suite struct FilterAPITests {
    static let metadata = "api-version=2023-01-01"
    static let accountSwagger = "Metadata/stable/2023-01-01/AccountFilters.json"

    static var bitrateAndLanguage: [String: Any] { ["properties": [
        "presentationTimeRange": ["startTimestamp": 0, "endTimestamp": 170_000_000, "presentationWindowDuration": 9_223_372_036_854_775_000,
                                  "liveBackoffDuration": 0, "timescale": 10_000_000, "forceEndTimestamp": false],
        "firstQuality": ["bitrate": 128_000],
        "tracks": [
            ["trackSelections": [["property": "Type", "operation": "Equal", "value": "Audio"],
                                 ["property": "Language", "operation": "NotEqual", "value": "en"],
                                 ["property": "FourCC", "operation": "NotEqual", "value": "EC-3"]]],
            ["trackSelections": [["property": "Type", "operation": "Equal", "value": "Video"],
                                 ["property": "Bitrate", "operation": "Equal", "value": "3000000-5000000"]]],
        ],
    ]] }

    @Test func accountFilterLifecycleConformsToSwagger() async throws {
        try await withAPI { api in
            let created = await api.send("PUT", "/accountFilters/f1", body: Self.bitrateAndLanguage, query: Self.metadata)
            #expect(created.status == 201, "\(created.text)")
            try expectConforms(created.json, to: "AccountFilter", in: Self.accountSwagger)
            #expect(created.at("type") as? String == "Microsoft.Media/mediaservices/accountFilters")
            #expect((created.at("id") as? String)?.hasSuffix("/mediaservices/acct1/accountFilters/f1") == true)
            #expect(created.at("properties", "firstQuality", "bitrate") as? Int == 128_000)
            #expect((created.at("properties", "tracks") as? [Any])?.count == 2)

            // Same name again: replaced, 200.
            let replaced = await api.send("PUT", "/accountFilters/F1",
                                          body: ["properties": ["firstQuality": ["bitrate": 400_000]]], query: Self.metadata)
            #expect(replaced.status == 200, "\(replaced.text)")
            #expect(replaced.at("name") as? String == "f1")
            #expect(replaced.at("properties", "tracks") == nil)

            // PATCH adds tracks, keeps firstQuality.
            let patched = await api.send("PATCH", "/accountFilters/f1", body: ["properties": [
                "tracks": [["trackSelections": [["property": "Type", "operation": "Equal", "value": "video"]]]]]], query: Self.metadata)
            #expect(patched.status == 200, "\(patched.text)")
            #expect(patched.at("properties", "firstQuality", "bitrate") as? Int == 400_000)
            #expect((patched.at("properties", "tracks") as? [Any])?.count == 1)

            let list = await api.send("GET", "/accountFilters", query: Self.metadata)
            #expect(list.status == 200 && list.names == ["f1"], "\(list.text)")
            try expectConforms(list.json, to: "AccountFilterCollection", in: Self.accountSwagger)
            #expect(await api.send("GET", "/accountFilters/f1", query: Self.metadata).status == 200)
            try expectARMError(await api.send("GET", "/accountFilters/nope", query: Self.metadata), status: 404, code: "ResourceNotFound")
            #expect(await api.send("DELETE", "/accountFilters/f1", query: Self.metadata).status == 200)
            #expect(await api.send("DELETE", "/accountFilters/f1", query: Self.metadata).status == 204)
            #expect(await api.send("GET", "/accountFilters", query: Self.metadata).names.isEmpty)
        }
    }

    @Test func assetFiltersBelongToTheirAsset() async throws {
        try await withAPI { api in
            try expectARMError(await api.send("PUT", "/assets/missing/assetFilters/f", body: Self.bitrateAndLanguage, query: Self.metadata),
                               status: 404, code: "ResourceNotFound")
            await api.createAsset("a1")
            let created = await api.send("PUT", "/assets/A1/assetFilters/trim", body: Self.bitrateAndLanguage, query: Self.metadata)
            #expect(created.status == 201, "\(created.text)")
            try expectConforms(created.json, to: "AssetFilter", in: SwaggerSchema.assets)
            #expect(created.at("type") as? String == "Microsoft.Media/mediaservices/assets/assetFilters")
            #expect((created.at("id") as? String)?.hasSuffix("/assets/a1/assetFilters/trim") == true)
            let list = await api.send("GET", "/assets/a1/assetFilters", query: Self.metadata)
            #expect(list.names == ["trim"], "\(list.text)")
            try expectConforms(list.json, to: "AssetFilterCollection", in: SwaggerSchema.assets)

            // Deleting the asset deletes its filters: a new asset of the same name has none.
            #expect(await api.send("DELETE", "/assets/a1", query: Self.metadata).status == 200)
            await api.createAsset("a1")
            #expect(await api.send("GET", "/assets/a1/assetFilters", query: Self.metadata).names.isEmpty)
        }
    }

    @Test func invalidFiltersAreRefusedNamingTheField() async throws {
        let cases: [([String: Any], String)] = [
            (["tracks": [["trackSelections": []]]], "properties.tracks[0].trackSelections"),
            (["tracks": [["trackSelections": [["property": "Colour", "operation": "Equal", "value": "x"]]]]], "properties.tracks[0].trackSelections[0].property"),
            (["tracks": [["trackSelections": [["property": "Unknown", "operation": "Equal", "value": "x"]]]]], "properties.tracks[0].trackSelections[0].property"),
            (["tracks": [["trackSelections": [["property": "Type", "operation": "Like", "value": "video"]]]]], "properties.tracks[0].trackSelections[0].operation"),
            (["tracks": [["trackSelections": [["property": "Type", "operation": "Equal", "value": "subtitles"]]]]], "properties.tracks[0].trackSelections[0].value"),
            (["tracks": [["trackSelections": [["property": "Bitrate", "operation": "Equal", "value": "5000-100"]]]]], "properties.tracks[0].trackSelections[0].value"),
            (["tracks": [["trackSelections": [["property": "Bitrate", "operation": "Equal", "value": "fast"]]]]], "properties.tracks[0].trackSelections[0].value"),
            (["presentationTimeRange": ["presentationWindowDuration": 300_000_000]], "properties.presentationTimeRange.presentationWindowDuration"),
            (["presentationTimeRange": ["presentationWindowDuration": 59, "timescale": 1]], "properties.presentationTimeRange.presentationWindowDuration"),
            (["presentationTimeRange": ["liveBackoffDuration": 3_000_000_001]], "properties.presentationTimeRange.liveBackoffDuration"),
            (["presentationTimeRange": ["forceEndTimestamp": true]], "properties.presentationTimeRange.endTimestamp"),
            (["presentationTimeRange": ["startTimestamp": 100, "endTimestamp": 100]], "properties.presentationTimeRange.endTimestamp"),
            (["presentationTimeRange": ["timescale": 0]], "properties.presentationTimeRange.timescale"),
            (["presentationTimeRange": ["startTimestamp": -5]], "properties.presentationTimeRange.startTimestamp"),
            (["firstQuality": [:]], "properties.firstQuality.bitrate"),
        ]
        try await withAPI { api in
            for (properties, field) in cases {
                try expectARMError(await api.send("PUT", "/accountFilters/bad", body: ["properties": properties], query: Self.metadata),
                                   status: 400, naming: field)
            }
            #expect(await api.send("GET", "/accountFilters", query: Self.metadata).names.isEmpty, "a refused filter was kept")
            // The limits themselves are accepted: a 60 s window, a 300 s backoff.
            let edge = await api.send("PUT", "/accountFilters/edge", body: ["properties": ["presentationTimeRange": [
                "presentationWindowDuration": 600_000_000, "liveBackoffDuration": 3_000_000_000]]], query: Self.metadata)
            #expect(edge.status == 201, "\(edge.text)")
        }
    }

    @Test func locatorFiltersMustExistAndPinTheirFilters() async throws {
        try await withAPI { api in
            await api.createAsset("a1")
            #expect(await api.send("PUT", "/accountFilters/hd", body: ["properties": ["tracks": [["trackSelections": [
                ["property": "Bitrate", "operation": "Equal", "value": "0-3000000"]]]]]], query: Self.metadata).status == 201)
            #expect(await api.send("PUT", "/assets/a1/assetFilters/hd", body: ["properties": ["tracks": [["trackSelections": [
                ["property": "Type", "operation": "Equal", "value": "audio"]]]]]], query: Self.metadata).status == 201)
            #expect(await api.send("PUT", "/accountFilters/late", body: ["properties": ["presentationTimeRange": [
                "liveBackoffDuration": 100_000_000]]], query: Self.metadata).status == 201)

            try expectARMError(await api.send("PUT", "/streamingLocators/l0", body: ["properties": [
                "assetName": "a1", "streamingPolicyName": "Predefined_ClearStreamingOnly", "filters": ["nope"]]], query: Self.metadata),
                status: 400, naming: "properties.filters")
            let locator = await api.send("PUT", "/streamingLocators/l1", body: ["properties": [
                "assetName": "a1", "streamingPolicyName": "Predefined_ClearStreamingOnly", "filters": ["HD"]]], query: Self.metadata)
            #expect(locator.status == 201, "\(locator.text)")

            // What the origin gets: the asset filter wins the name clash, both in `always` and `named`.
            let set = await api.services.filterSet(assetName: "a1", locatorFilters: ["HD"])
            #expect(set.always.count == 1)
            #expect(set.always.first?.trackSelections == [[TrackCondition(property: .type, operation: .equal, value: "audio")]])
            #expect(set.filter(named: "Late")?.timeRange?.liveBackoffDuration == 100_000_000)
            #expect(set.filter(named: "hd")?.trackSelections.first?.first?.property == .type)
            // Another asset sees the account filter under that name.
            #expect(await api.services.filterSet(assetName: "other", locatorFilters: nil).filter(named: "hd")?.trackSelections.first?.first?.property == .bitrate)

            // A filter a locator uses cannot be deleted; the shadowed account filter can.
            try expectARMError(await api.send("DELETE", "/assets/a1/assetFilters/hd", query: Self.metadata), status: 400, naming: "l1")
            #expect(await api.send("DELETE", "/accountFilters/hd", query: Self.metadata).status == 200)
            #expect(await api.send("DELETE", "/streamingLocators/l1", query: Self.metadata).status == 200)
            #expect(await api.send("DELETE", "/assets/a1/assetFilters/hd", query: Self.metadata).status == 200)
        }
    }

    @Test func filtersSurviveARestart() async throws {
        let directory = NSTemporaryDirectory() + "edgelive-filters-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/edgelive.sqlite"
        let loop = try EventLoop(name: "filters-test")
        do {
            let first = try await APIHarness.open(loop: loop, store: try ControlStore(path: path), directory: directory)
            await first.createAsset("a1")
            #expect(await first.send("PUT", "/accountFilters/f1", body: Self.bitrateAndLanguage, query: Self.metadata).status == 201)
            #expect(await first.send("PUT", "/assets/a1/assetFilters/f2", body: Self.bitrateAndLanguage, query: Self.metadata).status == 201)
            await first.services.shutdown()

            let second = try await APIHarness.open(loop: loop, store: try ControlStore(path: path), directory: directory)
            let account = await second.send("GET", "/accountFilters/f1", query: Self.metadata)
            #expect(account.status == 200 && account.at("properties", "firstQuality", "bitrate") as? Int == 128_000, "\(account.text)")
            #expect(await second.send("GET", "/assets/a1/assetFilters", query: Self.metadata).names == ["f2"])
            await second.services.shutdown()
        } catch {
            try? await loop.shutdownGracefully()
            throw error
        }
        try await loop.shutdownGracefully()
    }
}
