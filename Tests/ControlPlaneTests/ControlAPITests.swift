// The control API end to end in-process: every resource's answers against the swagger, status codes the SDK accepts,
// required fields, state rules, lists and persistence across a second MediaServices over the same store.
import AMSModels
import EventLoop
import Foundation
import HTTP
import Testing
@testable import ControlPlane

/// Bodies and shortcuts shared by the tests.
extension APIHarness {
    static func eventBody(encodingType: String = "PassthroughStandard", protocolName: String? = "RTMP") -> [String: Any] {
        var input: [String: Any] = [:]
        if let protocolName { input["streamingProtocol"] = protocolName }
        return ["location": "West US", "tags": ["team": "a"],
                "properties": ["description": "unit", "input": input, "encoding": ["encodingType": encodingType]]]
    }

    @discardableResult
    func createEvent(_ name: String, encodingType: String = "PassthroughStandard", autoStart: Bool = false) async -> APIResponse {
        await send("PUT", "/liveEvents/\(name)", body: Self.eventBody(encodingType: encodingType),
                   query: "api-version=2022-11-01" + (autoStart ? "&autoStart=true" : ""))
    }

    @discardableResult
    func createAsset(_ name: String, _ properties: [String: Any] = [:]) async -> APIResponse {
        await send("PUT", "/assets/\(name)", body: ["properties": properties], query: "api-version=2023-01-01")
    }

    @discardableResult
    func createOutput(_ event: String, _ name: String, asset: String, manifest: String? = nil) async -> APIResponse {
        var properties: [String: Any] = ["assetName": asset, "archiveWindowLength": "PT1H"]
        if let manifest { properties["manifestName"] = manifest }
        return await send("PUT", "/liveEvents/\(event)/liveOutputs/\(name)", body: ["properties": properties])
    }

    @discardableResult
    func createLocator(_ name: String, asset: String, policy: String = "Predefined_ClearStreamingOnly") async -> APIResponse {
        await send("PUT", "/streamingLocators/\(name)", body: ["properties": ["assetName": asset, "streamingPolicyName": policy]],
                   query: "api-version=2023-01-01")
    }

    func state(ofEvent name: String) async -> String? {
        await send("GET", "/liveEvents/\(name)").at("properties", "resourceState") as? String
    }
}

@Suite struct ControlAPITests {
    static let streaming = SwaggerSchema.streaming
    static let metadata = "api-version=2023-01-01"

    // MARK: - The checker itself

    /// The schema walker must see drift, or every conformance check above would pass vacuously.
    @Test func swaggerCheckerReportsUnknownKeysEnumsAndDates() throws {
        let schema = SwaggerSchema()
        let good: [String: Any] = ["name": "n", "properties": ["resourceState": "Running", "created": "2024-01-02T03:04:05.678Z",
                                                              "input": ["streamingProtocol": "RTMP", "endpoints": [["protocol": "RTMP", "url": "rtmp://x"]]]]]
        #expect(try schema.problems(good, definition: "LiveEvent", in: Self.streaming).isEmpty)
        let bad: [String: Any] = ["name": "n", "bogus": 1, "properties": ["resourceState": "Sleeping", "created": "yesterday",
                                                                          "input": ["streamingProtocol": "RTMP", "endpoints": [["proto": "x"]]]]]
        let problems = try schema.problems(bad, definition: "LiveEvent", in: Self.streaming)
        for expected in ["LiveEvent.bogus", "LiveEvent.properties.resourceState", "LiveEvent.properties.created",
                         "LiveEvent.properties.input.endpoints[0].proto"] {
            #expect(problems.contains { $0.hasPrefix(expected + ":") }, "\(expected) not reported: \(problems)")
        }
        // Inherited (allOf) and cross-file ($ref into common-types) properties resolve.
        let readOnly = try schema.readOnlyPaths(definition: "LiveEvent", in: Self.streaming)
        #expect(readOnly.isSuperset(of: ["id", "name", "type", "systemData", "properties.created", "properties.resourceState"]))
    }

    // MARK: - Live events

    @Test func healthAndReadinessProbesAreOpenAndReadinessFollowsTheAppliance() async throws {
        try await withAPI { harness in
            func get(_ path: String) async -> APIResponse {
                APIResponse(await harness.api.respond(to: HTTPRequest(method: "GET", target: path), body: HTTPRequestBody(bytes: [])))
            }
            let health = await get("/healthz")
            #expect(health.status == 200 && String(decoding: health.bytes, as: UTF8.self) == "ok\n")
            #expect(await get("/readyz").status == 503)
            await harness.services.setReady(true)
            #expect(await get("/readyz").status == 200)
            await harness.services.setReady(false)
            #expect(await get("/readyz").status == 503)
            // Everything else still needs the token, metrics included.
            #expect(await get("/metrics").status == 401)
        }
    }

    @Test func liveEventAnswersMatchTheSwagger() async throws {
        try await withAPI { api in
            let created = await api.createEvent("news")
            try await expectLRO(api, created, status: 201, operations: "liveEventOperations", location: "liveEvents/news")
            try expectConforms(created.json, to: "LiveEvent", in: Self.streaming)
            let got = await api.send("GET", "/liveEvents/news")
            #expect(got.status == 200)
            try expectConforms(got.json, to: "LiveEvent", in: Self.streaming)
            try expectReadOnlyPresent(got.object, ["id", "name", "type", "systemData", "properties.created", "properties.lastModified",
                                                   "properties.provisioningState", "properties.resourceState"],
                                      definition: "LiveEvent", in: Self.streaming)
            // The service's examples spell the type segment in lower case in ids and types.
            #expect(got.at("id") as? String == APIHarness.account + "/liveevents/news")
            #expect(got.at("type") as? String == "Microsoft.Media/mediaservices/liveevents")
            #expect(got.at("properties", "resourceState") as? String == "Stopped")
            let ingest = try #require(got.at("properties", "input", "endpoints") as? [[String: Any]])
            #expect((ingest.first?["url"] as? String)?.hasPrefix("rtmp://box.test:1935/live/") == true, "\(ingest)")
            let preview = try #require(got.at("properties", "preview", "endpoints") as? [[String: Any]])
            #expect((preview.first?["url"] as? String)?.hasPrefix("http://box.test:8080/") == true, "\(preview)")

            let list = await api.send("GET", "/liveEvents")
            try expectConforms(list.json, to: "LiveEventListResult", in: Self.streaming)
            #expect(list.names == ["news"] && list.at("@odata.count") as? Int == 1)

            // Exists already: not a second 201.
            try expectARMError(await api.createEvent("news"), status: 409, code: "Conflict")
            try expectARMError(await api.send("GET", "/liveEvents/none"), status: 404, code: "ResourceNotFound")
        }
    }

    @Test(arguments: [
        ("location", "location"),
        ("input", "properties.input"),
        ("streamingProtocol", "properties.input.streamingProtocol"),
    ])
    func liveEventCreateWithoutARequiredFieldIs400(missing: String, field: String) async throws {
        try await withAPI { api in
            var body = APIHarness.eventBody()
            var properties = body["properties"] as! [String: Any]
            switch missing {
            case "location": body["location"] = nil
            case "input": properties["input"] = nil
            default: properties["input"] = [String: Any]()
            }
            body["properties"] = properties
            let response = await api.send("PUT", "/liveEvents/news", body: body)
            try expectARMError(response, status: 400, naming: field)
            #expect(await api.send("GET", "/liveEvents/news").status == 404, "a refused create left a live event behind")
        }
    }

    @Test func liveEventLifecycleStatusCodes() async throws {
        try await withAPI { api in
            await api.createEvent("news")
            // reset only when Running
            try expectARMError(await api.send("POST", "/liveEvents/news/reset"), status: 400, code: "InvalidOperation")
            try await expectLRO(api, await api.send("POST", "/liveEvents/news/start"), status: 202, operations: "liveEventOperations", location: "liveEvents/news")
            #expect(await api.state(ofEvent: "news") == "Running")
            try await expectLRO(api, await api.send("POST", "/liveEvents/news/reset"), status: 202, operations: "liveEventOperations", location: "liveEvents/news")
            #expect(await api.state(ofEvent: "news") == "Running")
            // stop without a body
            let stop = await api.send("POST", "/liveEvents/news/stop")
            try await expectLRO(api, stop, status: 202, operations: "liveEventOperations", location: "liveEvents/news")
            #expect(stop.bytes.isEmpty)
            #expect(await api.state(ofEvent: "news") == "Stopped")
            try await expectLRO(api, await api.send("POST", "/liveEvents/news/allocate"), status: 202, operations: "liveEventOperations", location: "liveEvents/news")
            #expect(await api.state(ofEvent: "news") == "StandBy")
            try await expectLRO(api, await api.send("POST", "/liveEvents/news/start"), status: 202, operations: "liveEventOperations", location: "liveEvents/news")
            // allocate only from Stopped (StandBy is already allocated).
            try expectARMError(await api.send("POST", "/liveEvents/news/allocate"), status: 400, code: "InvalidOperation")

            let delete = await api.send("DELETE", "/liveEvents/news")
            try await expectLRO(api, delete, status: 202, operations: "liveEventOperations", location: "liveEvents/news")
            #expect(await api.send("DELETE", "/liveEvents/news").status == 204)
            #expect(await api.send("GET", "/liveEvents/news").status == 404)
        }
    }

    @Test func autoStartCreatesARunningEvent() async throws {
        try await withAPI { api in
            let created = await api.createEvent("news", autoStart: true)
            #expect(created.status == 201)
            #expect(created.at("properties", "resourceState") as? String == "Running")
            try expectConforms(created.json, to: "LiveEvent", in: Self.streaming)
        }
    }

    @Test func stopWithOutputsNeedsRemoveOutputsOnStop() async throws {
        try await withAPI { api in
            await api.createEvent("news", autoStart: true)
            await api.createAsset("a1")
            #expect(await api.createOutput("news", "out1", asset: "a1").status == 201)
            try expectARMError(await api.send("POST", "/liveEvents/news/stop"), status: 400, code: "InvalidOperation")
            try expectARMError(await api.send("POST", "/liveEvents/news/stop", body: ["removeOutputsOnStop": false]), status: 400, code: "InvalidOperation")
            #expect(await api.state(ofEvent: "news") == "Running")
            let stop = await api.send("POST", "/liveEvents/news/stop", body: ["removeOutputsOnStop": true])
            try await expectLRO(api, stop, status: 202, operations: "liveEventOperations", location: "liveEvents/news")
            #expect(await api.state(ofEvent: "news") == "Stopped")
            #expect(await api.send("GET", "/liveEvents/news/liveOutputs").values.isEmpty)
            // The asset stays, no longer recording: it can be deleted now.
            #expect(await api.send("DELETE", "/assets/a1", query: Self.metadata).status == 200)
        }
    }

    @Test func updateRefusesCreateOnlyFields() async throws {
        try await withAPI { api in
            await api.createEvent("news")
            for (body, field) in [
                (["location": "East US"] as [String: Any], "location"),
                (["properties": ["input": ["streamingProtocol": "FragmentedMP4"]]], "properties.input.streamingProtocol"),
                (["properties": ["encoding": ["encodingType": "Standard"]]], "properties.encoding.encodingType"),
            ] {
                try expectARMError(await api.send("PATCH", "/liveEvents/news", body: body), status: 400, naming: field)
            }
            let patched = await api.send("PATCH", "/liveEvents/news", body: ["properties": ["description": "changed"], "tags": ["x": "y"]])
            try await expectLRO(api, patched, status: 202, operations: "liveEventOperations", location: "liveEvents/news")
            try expectConforms(patched.json, to: "LiveEvent", in: Self.streaming)
            #expect(await api.send("GET", "/liveEvents/news").at("properties", "description") as? String == "changed")
        }
    }

    @Test func telemetryShapesForStoppedAndRunningEvents() async throws {
        try await withAPI { api in
            await api.createEvent("news")
            for running in [false, true] {
                if running { #expect(await api.send("POST", "/liveEvents/news/start").status == 202) }
                let status = await api.send("POST", "/liveEvents/news/getStatus")
                #expect(status.status == 200)
                try expectConforms(status.json, to: "LiveEventGetStatusResult", in: Self.streaming)
                let first = try #require(status.values.first, "getStatus has no entry: \(status.text)")
                #expect(first["state"] as? String == (running ? "Running" : "Stopped"))
                let events = await api.send("POST", "/liveEvents/news/getStreamEvents")
                #expect(events.status == 200)
                try expectConforms(events.json, to: "LiveEventGetStreamEventsResult", in: Self.streaming)
                #expect(events.object?["value"] is [Any])
                let heartbeats = await api.send("POST", "/liveEvents/news/getTrackIngestHeartbeats")
                #expect(heartbeats.status == 200)
                try expectConforms(heartbeats.json, to: "LiveEventGetTrackIngestHeartbeatsResult", in: Self.streaming)
                #expect(heartbeats.object?["value"] is [Any])
            }
            try expectARMError(await api.send("POST", "/liveEvents/none/getStatus"), status: 404)
        }
    }

    @Test func liveEventListPagesWithTopAndNextLink() async throws {
        try await withAPI { api in
            for name in ["e1", "e2", "e3"] { #expect(await api.createEvent(name).status == 201) }
            // $top limits the total (pages are 1000 long); the rest is reached with the $skiptoken a nextLink carries.
            let first = await api.send("GET", "/liveEvents", query: "api-version=2022-11-01&$top=2")
            try expectConforms(first.json, to: "LiveEventListResult", in: Self.streaming)
            #expect(first.names == ["e1", "e2"] && first.at("@odata.count") as? Int == 3)
            #expect(first.at("@odata.nextLink") == nil)
            let second = await api.send("GET", "/liveEvents", query: "api-version=2022-11-01&$skiptoken=\(ODataQuery.encodeSkipToken(2))")
            #expect(second.status == 200)
            #expect(second.names == ["e3"] && second.at("@odata.nextLink") == nil)
            try expectARMError(await api.send("GET", "/liveEvents", query: "api-version=2022-11-01&$filter=name%20eq%20'e1'"), status: 400)
        }
    }

    // MARK: - Live outputs

    @Test func liveOutputAnswersMatchTheSwagger() async throws {
        try await withAPI { api in
            await api.createEvent("news", autoStart: true)
            await api.createAsset("a1")
            let created = await api.createOutput("news", "out1", asset: "a1", manifest: "show")
            try await expectLRO(api, created, status: 201, operations: "liveOutputOperations", location: "liveEvents/news/liveOutputs/out1")
            try expectConforms(created.json, to: "LiveOutput", in: Self.streaming)
            let got = await api.send("GET", "/liveEvents/news/liveOutputs/out1")
            try expectConforms(got.json, to: "LiveOutput", in: Self.streaming)
            try expectReadOnlyPresent(got.object, ["id", "name", "type", "systemData", "properties.created", "properties.lastModified",
                                                   "properties.provisioningState", "properties.resourceState"],
                                      definition: "LiveOutput", in: Self.streaming)
            #expect(got.at("properties", "resourceState") as? String == "Running")
            #expect(got.at("properties", "manifestName") as? String == "show")
            let list = await api.send("GET", "/liveEvents/news/liveOutputs")
            try expectConforms(list.json, to: "LiveOutputListResult", in: Self.streaming)
            #expect(list.names == ["out1"] && list.at("@odata.count") as? Int == 1)
            // Live outputs are immutable: a second PUT is refused, PATCH is not a method here.
            try expectARMError(await api.createOutput("news", "out1", asset: "a1"), status: 409)
            let patch = await api.send("PATCH", "/liveEvents/news/liveOutputs/out1", body: ["properties": [:] as [String: Any]])
            try expectARMError(patch, status: 405)
            #expect(patch.headers["Allow"] == "GET, PUT, DELETE")

            let delete = await api.send("DELETE", "/liveEvents/news/liveOutputs/out1")
            try await expectLRO(api, delete, status: 202, operations: "liveOutputOperations", location: "liveEvents/news/liveOutputs/out1")
            #expect(await api.send("DELETE", "/liveEvents/news/liveOutputs/out1").status == 204)
        }
    }

    @Test(arguments: [("assetName", "properties.assetName"), ("archiveWindowLength", "properties.archiveWindowLength")])
    func liveOutputCreateWithoutARequiredFieldIs400(missing: String, field: String) async throws {
        try await withAPI { api in
            await api.createEvent("news")
            await api.createAsset("a1")
            var properties: [String: Any] = ["assetName": "a1", "archiveWindowLength": "PT1H"]
            properties[missing] = nil
            let response = await api.send("PUT", "/liveEvents/news/liveOutputs/out1", body: ["properties": properties])
            try expectARMError(response, status: 400, naming: field)
            #expect(await api.send("GET", "/liveEvents/news/liveOutputs/out1").status == 404)
        }
    }

    @Test(arguments: [("PassthroughStandard", 3), ("PassthroughBasic", 1)])
    func liveOutputQuota(encodingType: String, limit: Int) async throws {
        try await withAPI { api in
            await api.createEvent("news", encodingType: encodingType)
            for index in 0 ... limit {
                await api.createAsset("a\(index)")
                let response = await api.createOutput("news", "out\(index)", asset: "a\(index)")
                if index < limit {
                    #expect(response.status == 201, "\(response.text)")
                } else {
                    try expectARMError(response, status: 400)
                }
            }
            #expect(await api.send("GET", "/liveEvents/news/liveOutputs").values.count == limit)
        }
    }

    @Test func oneOperationAtATimePerEventIncludingOutputs() async throws {
        try await withAPI { api in
            await api.createEvent("news", autoStart: true)
            await api.createAsset("a1")
            await api.createAsset("a2")
            // Creating an output holds the event's slot while it opens the asset's archive; a concurrent output create
            // or event stop on the same event must be refused rather than interleaved.
            async let first = api.createOutput("news", "out1", asset: "a1")
            async let second = api.send("POST", "/liveEvents/news/stop", body: ["removeOutputsOnStop": true])
            let (output, stop) = await (first, second)
            // Overlapping, the later one is refused with 409 Conflict (never both, never another error).
            let refused = [output, stop].filter { $0.status >= 400 }
            #expect(refused.count <= 1, "both refused: \(output.text) \(stop.text)")
            for response in refused { try expectARMError(response, status: 409, code: "Conflict") }
            #expect(output.status == 201 || stop.status == 202)
            // Whatever the order, the account is consistent: at most the one output, and none when the stop (which
            // removes outputs) succeeded after it was created. An output created after the stop finished is allowed:
            // outputs may be created on a Stopped event and start recording when it starts.
            let state = await api.state(ofEvent: "news")
            let outputs = await api.send("GET", "/liveEvents/news/liveOutputs").values.count
            #expect(outputs <= (output.status == 201 ? 1 : 0), "state \(state ?? "nil"), \(outputs) outputs")
            #expect(stop.status >= 400 || state == "Stopped", "a stop that succeeded leaves the event Stopped; state \(state ?? "nil")")
        }
    }

    // MARK: - Assets

    @Test func assetAnswersMatchTheSwagger() async throws {
        try await withAPI { api in
            let created = await api.createAsset("a1", ["description": "first", "alternateId": "alt"])
            #expect(created.status == 201)
            #expect(created.headers["Azure-AsyncOperation"] == nil, "assets are synchronous")
            try expectConforms(created.json, to: "Asset", in: SwaggerSchema.assets)
            try expectReadOnlyPresent(created.object, ["id", "name", "type", "systemData", "properties.assetId", "properties.created",
                                                       "properties.lastModified", "properties.storageEncryptionFormat"],
                                      definition: "Asset", in: SwaggerSchema.assets)
            let again = await api.createAsset("a1", ["description": "second"])
            #expect(again.status == 200)
            #expect(again.at("properties", "assetId") as? String == created.at("properties", "assetId") as? String)
            #expect(again.at("properties", "description") as? String == "second")
            let patched = await api.send("PATCH", "/assets/a1", body: ["properties": ["alternateId": "alt2"]], query: Self.metadata)
            #expect(patched.status == 200 && patched.at("properties", "alternateId") as? String == "alt2")
            try expectConforms(patched.json, to: "Asset", in: SwaggerSchema.assets)
            try expectARMError(await api.send("PATCH", "/assets/a1", body: ["properties": ["container": "other"]], query: Self.metadata),
                               status: 400, naming: "properties.container")
            try expectConforms((await api.send("GET", "/assets", query: Self.metadata)).json, to: "AssetCollection", in: SwaggerSchema.assets)
            try expectARMError(await api.send("POST", "/assets/a1/listContainerSas", body: ["permissions": "Read"], query: Self.metadata), status: 400)
            #expect(await api.send("DELETE", "/assets/a1", query: Self.metadata).status == 200)
            #expect(await api.send("DELETE", "/assets/a1", query: Self.metadata).status == 204)
        }
    }

    @Test func assetsFilterOrderAndPage() async throws {
        try await withAPI { api in
            for (name, alternate) in [("b", "x"), ("a", "y"), ("c", "x")] { await api.createAsset(name, ["alternateId": alternate]) }
            let ordered = await api.send("GET", "/assets", query: "api-version=2023-01-01&$orderby=name%20desc")
            #expect(ordered.names == ["c", "b", "a"])
            let filtered = await api.send("GET", "/assets", query: "api-version=2023-01-01&$filter=properties/alternateId%20eq%20'x'&$orderby=name")
            #expect(filtered.names == ["b", "c"])
            let top = await api.send("GET", "/assets", query: "api-version=2023-01-01&$orderby=name&$top=2")
            #expect(top.names == ["a", "b"] && top.at("@odata.nextLink") == nil)
            try expectConforms(top.json, to: "AssetCollection", in: SwaggerSchema.assets)
            try expectARMError(await api.send("GET", "/assets", query: "api-version=2023-01-01&$filter=nonsense%20eq"), status: 400)
        }
    }

    @Test func listsLongerThanAPageCarryANextLinkThatFollows() async throws {
        try await withAPI { api in
            let total = ODataQuery.defaultPageSize + 1
            for index in 0 ..< total { #expect(await api.createAsset(String(format: "asset%04d", index)).status == 201) }
            let first = await api.send("GET", "/assets", query: "api-version=2023-01-01&$orderby=name%20desc")
            #expect(first.values.count == ODataQuery.defaultPageSize)
            try expectConforms(first.json, to: "AssetCollection", in: SwaggerSchema.assets)
            let next = try #require(first.at("@odata.nextLink") as? String)
            #expect(next.contains("$orderby=name%20desc"), "the next link keeps the query: \(next)")
            let second = try await api.follow(next)
            #expect(second.status == 200 && second.names == ["asset0000"] && second.at("@odata.nextLink") == nil)
            #expect(Set(first.names + second.names).count == total)
        }
    }

    // MARK: - Streaming locators and policies

    @Test func locatorAnswersMatchTheSwagger() async throws {
        try await withAPI { api in
            await api.createEvent("news", autoStart: true)
            await api.createAsset("a1")
            await api.createOutput("news", "out1", asset: "a1", manifest: "show")
            let created = await api.createLocator("loc1", asset: "a1")
            #expect(created.status == 201)
            try expectConforms(created.json, to: "StreamingLocator", in: SwaggerSchema.locators)
            try expectReadOnlyPresent(created.object, ["id", "name", "type", "systemData", "properties.created"],
                                      definition: "StreamingLocator", in: SwaggerSchema.locators)
            let locatorId = try #require(created.at("properties", "streamingLocatorId") as? String)
            // 201 only: a second PUT is a conflict, never 200.
            try expectARMError(await api.createLocator("loc1", asset: "a1"), status: 409)

            let paths = await api.send("POST", "/streamingLocators/loc1/listPaths", query: Self.metadata)
            #expect(paths.status == 200)
            try expectConforms(paths.json, to: "ListPathsResponse", in: SwaggerSchema.locators)
            let streaming = try #require(paths.at("streamingPaths") as? [[String: Any]])
            let all = streaming.flatMap { $0["paths"] as? [String] ?? [] }
            #expect(Set(streaming.compactMap { $0["streamingProtocol"] as? String }) == ["Hls", "Dash", "SmoothStreaming"])
            #expect(!all.isEmpty && all.allSatisfy { $0.hasPrefix("/\(locatorId)/show.ism/manifest") }, "\(all)")

            let keys = await api.send("POST", "/streamingLocators/loc1/listContentKeys", query: Self.metadata)
            #expect(keys.status == 200)
            try expectConforms(keys.json, to: "ListContentKeysResponse", in: SwaggerSchema.locators)
            let byAsset = await api.send("POST", "/assets/a1/listStreamingLocators", query: Self.metadata)
            try expectConforms(byAsset.json, to: "ListStreamingLocatorsResponse", in: SwaggerSchema.assets)
            #expect((byAsset.at("streamingLocators") as? [[String: Any]])?.first?["name"] as? String == "loc1")

            try expectConforms((await api.send("GET", "/streamingLocators", query: Self.metadata)).json,
                               to: "StreamingLocatorCollection", in: SwaggerSchema.locators)
            #expect(await api.send("DELETE", "/streamingLocators/loc1", query: Self.metadata).status == 200)
            #expect(await api.send("DELETE", "/streamingLocators/loc1", query: Self.metadata).status == 204)
        }
    }

    @Test(arguments: [("assetName", "properties.assetName"), ("streamingPolicyName", "properties.streamingPolicyName")])
    func locatorCreateWithoutARequiredFieldIs400(missing: String, field: String) async throws {
        try await withAPI { api in
            await api.createAsset("a1")
            var properties: [String: Any] = ["assetName": "a1", "streamingPolicyName": "Predefined_ClearStreamingOnly"]
            properties[missing] = nil
            let response = await api.send("PUT", "/streamingLocators/loc1", body: ["properties": properties], query: Self.metadata)
            try expectARMError(response, status: 400, naming: field)
        }
    }

    @Test func locatorsFilterAndOrder() async throws {
        try await withAPI { api in
            await api.createAsset("a1")
            await api.createAsset("a2")
            #expect(await api.createLocator("l2", asset: "a1").status == 201)
            #expect(await api.createLocator("l1", asset: "a2").status == 201)
            #expect(await api.createLocator("l3", asset: "a1").status == 201)
            let filtered = await api.send("GET", "/streamingLocators", query: "api-version=2023-01-01&$filter=properties/assetName%20eq%20'a1'&$orderby=name%20desc")
            #expect(filtered.names == ["l3", "l2"])
            let page = await api.send("GET", "/streamingLocators", query: "api-version=2023-01-01&$orderby=name&$top=1")
            #expect(page.names == ["l1"])
            let next = await api.send("GET", "/streamingLocators", query: "api-version=2023-01-01&$orderby=name&$skiptoken=\(ODataQuery.encodeSkipToken(1))")
            #expect(next.names == ["l2", "l3"])
        }
    }

    @Test func policyAnswersMatchTheSwagger() async throws {
        try await withAPI { api in
            let list = await api.send("GET", "/streamingPolicies", query: Self.metadata)
            try expectConforms(list.json, to: "StreamingPolicyCollection", in: SwaggerSchema.locators)
            #expect(list.names.contains("Predefined_ClearStreamingOnly"))
            let body: [String: Any] = ["properties": ["noEncryption": ["enabledProtocols": ["download": false, "dash": true, "hls": true, "smoothStreaming": false]]]]
            let created = await api.send("PUT", "/streamingPolicies/clearHls", body: body, query: Self.metadata)
            #expect(created.status == 201, "\(created.text)")
            try expectConforms(created.json, to: "StreamingPolicy", in: SwaggerSchema.locators)
            try expectReadOnlyPresent(created.object, ["id", "name", "type", "systemData", "properties.created"],
                                      definition: "StreamingPolicy", in: SwaggerSchema.locators)
            try expectARMError(await api.send("PUT", "/streamingPolicies/clearHls", body: body, query: Self.metadata), status: 409)
            let got = await api.send("GET", "/streamingPolicies/clearHls", query: Self.metadata)
            try expectConforms(got.json, to: "StreamingPolicy", in: SwaggerSchema.locators)
            try expectARMError(await api.send("DELETE", "/streamingPolicies/Predefined_ClearStreamingOnly", query: Self.metadata), status: 400)
            #expect(await api.send("DELETE", "/streamingPolicies/clearHls", query: Self.metadata).status == 200)
            #expect(await api.send("DELETE", "/streamingPolicies/clearHls", query: Self.metadata).status == 204)
        }
    }

    // MARK: - Streaming endpoints

    @Test func endpointAnswersMatchTheSwagger() async throws {
        try await withAPI { api in
            let defaultEndpoint = await api.send("GET", "/streamingEndpoints/default")
            try expectConforms(defaultEndpoint.json, to: "StreamingEndpoint", in: Self.streaming)
            try expectReadOnlyPresent(defaultEndpoint.object, ["id", "name", "type", "systemData", "properties.hostName", "properties.created",
                                                               "properties.lastModified", "properties.provisioningState", "properties.resourceState"],
                                      definition: "StreamingEndpoint", in: Self.streaming)
            #expect(defaultEndpoint.at("properties", "hostName") as? String == "box.test:8080")

            let created = await api.send("PUT", "/streamingEndpoints/se2", body: ["location": "West US", "properties": ["scaleUnits": 0]])
            try await expectLRO(api, created, status: 201, operations: "streamingEndpointOperations", location: "streamingEndpoints/se2")
            try expectConforms(created.json, to: "StreamingEndpoint", in: Self.streaming)
            #expect(created.at("properties", "resourceState") as? String == "Stopped")
            let list = await api.send("GET", "/streamingEndpoints")
            try expectConforms(list.json, to: "StreamingEndpointListResult", in: Self.streaming)
            #expect(Set(list.names) == ["default", "se2"] && list.at("@odata.count") as? Int == 2)

            for action in ["start", "stop"] {
                try await expectLRO(api, await api.send("POST", "/streamingEndpoints/se2/\(action)"), status: 202,
                                    operations: "streamingEndpointOperations", location: "streamingEndpoints/se2")
                #expect(await api.send("GET", "/streamingEndpoints/se2").at("properties", "resourceState") as? String == (action == "start" ? "Running" : "Stopped"))
            }
            try await expectLRO(api, await api.send("POST", "/streamingEndpoints/se2/scale", body: ["scaleUnit": 2]), status: 202,
                                operations: "streamingEndpointOperations", location: "streamingEndpoints/se2")
            let scaled = await api.send("GET", "/streamingEndpoints/se2")
            #expect(scaled.at("properties", "scaleUnits") as? Int == 2 && scaled.at("sku", "name") as? String == "Premium")
            try expectConforms(scaled.json, to: "StreamingEndpoint", in: Self.streaming)

            let skus = await api.send("GET", "/streamingEndpoints/se2/skus")
            #expect(skus.status == 200)
            try expectConforms(skus.json, to: "StreamingEndpointSkuInfoListResult", in: Self.streaming)
            #expect(!skus.values.isEmpty)

            // A PATCH of scaleUnits scales (as the scale action does); out of range is refused naming the value.
            let rescaled = await api.send("PATCH", "/streamingEndpoints/se2", body: ["properties": ["scaleUnits": 5]])
            #expect(rescaled.status == 202 && rescaled.at("properties", "scaleUnits") as? Int == 5)
            try expectARMError(await api.send("PATCH", "/streamingEndpoints/se2", body: ["properties": ["scaleUnits": 99]]),
                               status: 400, naming: "scaleUnit")
            let patched = await api.send("PATCH", "/streamingEndpoints/se2", body: ["properties": ["description": "second"]])
            try await expectLRO(api, patched, status: 202, operations: "streamingEndpointOperations", location: "streamingEndpoints/se2")

            // A Running endpoint is stopped as part of its deletion; the origin then has no running endpoint.
            #expect(await api.send("GET", "/streamingEndpoints/default").at("properties", "resourceState") as? String == "Running")
            try await expectLRO(api, await api.send("DELETE", "/streamingEndpoints/default"), status: 202,
                                operations: "streamingEndpointOperations", location: "streamingEndpoints/default")
            #expect(await api.send("GET", "/streamingEndpoints/default").status == 404)
            try await expectLRO(api, await api.send("DELETE", "/streamingEndpoints/se2"), status: 202,
                                operations: "streamingEndpointOperations", location: "streamingEndpoints/se2")
            #expect(await api.send("DELETE", "/streamingEndpoints/se2").status == 204)
        }
    }

    @Test(arguments: [("location", "location"), ("scaleUnits", "properties.scaleUnits")])
    func endpointCreateWithoutARequiredFieldIs400(missing: String, field: String) async throws {
        try await withAPI { api in
            var body: [String: Any] = ["location": "West US", "properties": ["scaleUnits": 0, "description": "d"]]
            if missing == "location" { body["location"] = nil } else { body["properties"] = ["description": "d"] }
            try expectARMError(await api.send("PUT", "/streamingEndpoints/se2", body: body), status: 400, naming: field)
        }
    }

    // MARK: - Operations

    @Test func operationEndpointsAnswerForEachFamily() async throws {
        try await withAPI { api in
            let created = await api.createEvent("news")
            let operationURL = try #require(created.headers["Azure-AsyncOperation"])
            let id = try #require(operationURL.split(separator: "/").last?.split(separator: "?").first.map(String.init))
            let status = await api.send("GET", "/liveEventOperations/\(id)")
            #expect(status.status == 200 && status.at("name") as? String == id)
            try expectConforms(status.json, to: "AsyncOperationResult", in: Self.streaming)
            let location = await api.send("GET", "/liveEvents/news/operationLocations/\(id)")
            #expect(location.status == 200)
            try expectConforms(location.json, to: "LiveEvent", in: Self.streaming)
            // An operation belongs to its family only; unknown ids are 404.
            try expectARMError(await api.send("GET", "/streamingEndpointOperations/\(id)"), status: 404)
            try expectARMError(await api.send("GET", "/liveOutputOperations/\(UUID().uuidString)"), status: 404)
            // After the resource is gone the Location answers 204 (done, nothing to return).
            await api.send("DELETE", "/liveEvents/news")
            #expect(await api.send("GET", "/liveEvents/news/operationLocations/\(id)").status == 204)
        }
    }

    // MARK: - Pipeline: authentication, version, routing

    @Test func authenticationVersionAndRouting() async throws {
        try await withAPI { api in
            for authorization in [nil, "Bearer wrong-token-0000000000", "Basic \(APIHarness.token)", "Bearer "] as [String?] {
                let response = await api.send("GET", "/liveEvents", authorization: authorization)
                try expectARMError(response, status: 401, code: "AuthenticationFailed")
                #expect(response.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
            }
            try expectARMError(await api.send("GET", "/liveEvents", query: nil), status: 400, code: "MissingApiVersionParameter")
            try expectARMError(await api.send("GET", "/liveEvents", query: "api-version=1999-01-01"), status: 400, code: "InvalidApiVersionParameter")
            try expectARMError(await api.send("GET", "/liveEvents/news/nothingHere/x"), status: 404)
            try expectARMError(await api.send("GET", "/subscriptions/s/unknown"), status: 404)
            let wrongMethod = await api.send("POST", "/liveEvents/news")
            try expectARMError(wrongMethod, status: 405)
            #expect(wrongMethod.headers["Allow"] == "GET, PUT, PATCH, DELETE")
            let wrongAction = await api.send("GET", "/liveEvents/news/start")
            try expectARMError(wrongAction, status: 405)
            #expect(wrongAction.headers["Allow"] == "POST")
            try expectARMError(await api.send("PUT", "/liveEvents/news", raw: Array("{not json".utf8)), status: 400)
            try expectARMError(await api.send("PUT", "/liveEvents/news"), status: 400)
            // Bodies the handlers once force-unwrapped: whitespace only, or JSON that is not an object.
            let blank = await api.send("PUT", "/liveEvents/news", raw: Array(" \r\n\t".utf8))
            try expectARMError(blank, status: 400, code: "BadRequest")
            #expect(blank.errorMessage.contains("The request body is required"), "\(blank.text)")
            for body in ["null", "[]", "\"news\""] {
                let response = await api.send("PATCH", "/liveEvents/news", raw: Array(body.utf8))
                try expectARMError(response, status: 400, code: "BadRequest")
                #expect(response.errorMessage.contains("must be a JSON object"), "\(body): \(response.text)")
            }
            try expectARMError(await api.send("POST", "/streamingEndpoints/default/scale", raw: Array("null".utf8)), status: 400, code: "BadRequest")
        }
    }

    // MARK: - Persistence

    @Test func aSecondServiceOverTheSameStoreAnswersTheSameDocuments() async throws {
        let directory = NSTemporaryDirectory() + "edgelive-api-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let loop = try EventLoop(name: "api-persist")
        do {
            let store = try ControlStore(path: directory + "/edgelive.sqlite")
            let first = try await APIHarness.open(loop: loop, store: store, directory: directory)
            await first.createEvent("news", autoStart: true)
            await first.createEvent("idle")
            await first.createAsset("a1", ["description": "kept"])
            await first.createOutput("news", "out1", asset: "a1", manifest: "show")
            await first.createLocator("loc1", asset: "a1")
            await first.send("PUT", "/streamingPolicies/p1", body: ["properties": ["noEncryption": ["enabledProtocols": ["download": false, "dash": true, "hls": true, "smoothStreaming": true]]]], query: Self.metadata)
            await first.send("PUT", "/streamingEndpoints/se2", body: ["location": "West US", "properties": ["scaleUnits": 1]])
            let reads: [(String, String?)] = [
                ("/liveEvents/news", nil), ("/liveEvents/idle", nil), ("/liveEvents/news/liveOutputs/out1", nil),
                ("/assets/a1", Self.metadata), ("/streamingLocators/loc1", Self.metadata), ("/streamingPolicies/p1", Self.metadata),
                ("/streamingEndpoints/se2", nil), ("/streamingEndpoints/default", nil),
            ]
            var before: [String: NSDictionary] = [:]
            for (path, query) in reads {
                let response = await first.send("GET", path, query: query ?? "api-version=2022-11-01")
                #expect(response.status == 200, "\(path): \(response.status)")
                before[path] = response.object.map { NSDictionary(dictionary: $0) }
            }
            let paths = await first.send("POST", "/streamingLocators/loc1/listPaths", query: Self.metadata).text
            await first.services.shutdown()

            let second = try await APIHarness.open(loop: loop, store: store, directory: directory)
            for (path, query) in reads {
                let response = await second.send("GET", path, query: query ?? "api-version=2022-11-01")
                #expect(response.status == 200, "\(path) after reopening: \(response.status)")
                let after = response.object.map { NSDictionary(dictionary: $0) }
                #expect(after == before[path], "\(path) differs after reopening:\nbefore \(before[path].map { "\($0)" } ?? "nil")\nafter  \(after.map { "\($0)" } ?? "nil")")
            }
            #expect(await second.send("POST", "/streamingLocators/loc1/listPaths", query: Self.metadata).text == paths)
            #expect(await second.state(ofEvent: "news") == "Running")
            await second.services.shutdown()
        } catch {
            try? await loop.shutdownGracefully()
            throw error
        }
        try await loop.shutdownGracefully()
    }
}
