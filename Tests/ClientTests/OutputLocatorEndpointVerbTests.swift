// `output`, `asset`, `locator` and `endpoint` verbs against the fake ARM server.
import AMSModels
import HTTP
import Testing
@testable import Client

@Suite struct OutputLocatorEndpointVerbTests {
    static func output(_ name: String, asset: String) -> LiveOutput {
        LiveOutput(name: name, properties: LiveOutputProperties(assetName: asset, archiveWindowLength: "PT1H", rewindWindowLength: "PT30M",
                                                                manifestName: "show", provisioningState: "Succeeded", resourceState: .running))
    }

    @Test func outputCreateMakesTheMissingAssetThenPutsTheOutputAndPolls() async throws {
        let fake = FakeARMServer()
        fake.on("GET", "/assets/archive-1", FakeARMServer.error(404, "ResourceNotFound", "The asset 'archive-1' was not found."))
        fake.on("PUT", "/assets/archive-1", FakeARMServer.json(Asset(name: "archive-1"), status: 201))
        fake.on("PUT", "/liveEvents/news/liveOutputs/main",
                FakeARMServer.accepted(201, operation: "op1", family: "liveoutputoperations"))
        fake.on("GET", "/liveoutputoperations/op1", FakeARMServer.operation("op1", "InProgress"), FakeARMServer.operation("op1", "Succeeded"))
        fake.on("GET", "/liveEvents/news/liveOutputs/main", FakeARMServer.json(Self.output("main", asset: "archive-1")))
        let result = try await withFakeARM(fake) { client in
            try await client.createOutput(LiveOutputCreateOptions(event: "news", name: "main", asset: "archive-1", rewindWindow: "PT30M",
                                                                  manifestName: "show", fragmentsPerTsSegment: 1))
        }
        #expect(fake.calls == [
            "GET /assets/archive-1?api-version=2023-01-01",
            "PUT /assets/archive-1?api-version=2023-01-01",
            "PUT /liveEvents/news/liveOutputs/main?api-version=2022-11-01",
            "GET /liveoutputoperations/op1?api-version=2022-11-01",
            "GET /liveoutputoperations/op1?api-version=2022-11-01",
            "GET /liveEvents/news/liveOutputs/main?api-version=2022-11-01",
        ])
        #expect(fake.requests[1].body == #"{"properties":{}}"#)
        #expect(fake.requests[2].body == #"{"properties":{"archiveWindowLength":"PT1H","assetName":"archive-1","hls":{"fragmentsPerTsSegment":1},"#
            + #""manifestName":"show","rewindWindowLength":"PT30M"}}"#)
        #expect(result.standardError == "created asset 'archive-1'\n")
        #expect(result.standardOutput.contains("Manifest:        show.ism"))
    }

    @Test func outputCreateKeepsAnExistingAsset() async throws {
        let fake = FakeARMServer()
        fake.on("GET", "/assets/a", FakeARMServer.json(Asset(name: "a")))
        fake.on("PUT", "/liveEvents/news/liveOutputs/o", FakeARMServer.json(Self.output("o", asset: "a")))
        fake.on("GET", "/liveEvents/news/liveOutputs/o", FakeARMServer.json(Self.output("o", asset: "a")))
        let result = try await withFakeARM(fake) { client in
            try await client.createOutput(LiveOutputCreateOptions(event: "news", name: "o", asset: "a"))
        }
        #expect(fake.calls.map { $0.prefix(while: { $0 != "?" }) } == ["GET /assets/a", "PUT /liveEvents/news/liveOutputs/o", "GET /liveEvents/news/liveOutputs/o"])
        #expect(result.standardError.isEmpty)
    }

    @Test func outputListAndDelete() async throws {
        let fake = FakeARMServer()
        fake.on("GET", "/liveEvents/news/liveOutputs", FakeARMServer.json(ARMList(value: [Self.output("main", asset: "archive-1")], odataCount: 1)))
        fake.on("DELETE", "/liveEvents/news/liveOutputs/main", FakeARMServer.accepted(202, operation: "op2", family: "liveoutputoperations"))
        fake.on("GET", "/liveoutputoperations/op2", FakeARMServer.operation("op2", "Succeeded"))
        let (list, deleted) = try await withFakeARM(fake) { client in
            (try await client.listOutputs(event: "news"), try await client.deleteOutput(event: "news", name: "main"))
        }
        #expect(list.standardOutput == """
            NAME  STATE    ASSET      MANIFEST  ARCHIVE  REWIND
            main  Running  archive-1  show      PT1H     PT30M

            """)
        #expect(deleted.standardOutput == "deleted live output 'main' of live event 'news'\n")
        #expect(fake.calls.last == "GET /liveoutputoperations/op2?api-version=2022-11-01")
    }

    @Test func assetVerbsUseTheMetadataVersionAndEscapeNames() async throws {
        let asset = Asset(name: "my asset", properties: AssetProperties(assetId: "1b6c", container: "asset-1b6c"))
        let fake = FakeARMServer()
        fake.on("GET", "/assets", FakeARMServer.json(ARMList(value: [asset])))
        fake.on("GET", "/assets/my%20asset", FakeARMServer.json(asset))
        fake.on("DELETE", "/assets/my%20asset", HTTPResponse(status: 200))
        let (list, show, deleted) = try await withFakeARM(fake) { client in
            (try await client.listAssets(), try await client.showAsset("my asset"), try await client.deleteAsset("my asset"))
        }
        #expect(fake.calls == ["GET /assets?api-version=2023-01-01", "GET /assets/my%20asset?api-version=2023-01-01",
                               "DELETE /assets/my%20asset?api-version=2023-01-01"])
        #expect(list.standardOutput == "NAME      ASSET-ID  CONTAINER   CREATED\nmy asset  1b6c      asset-1b6c  -\n")
        #expect(show.standardOutput == "Name:       my asset\nAsset id:   1b6c\nContainer:  asset-1b6c\n")
        #expect(deleted.standardOutput == "deleted asset 'my asset'\n")
    }

    @Test func locatorCreateSendsTheLocatorBody() async throws {
        let options = LocatorCreateOptions(name: "loc", asset: "archive-1", start: "2024-01-31T12:00:00Z", end: "2024-02-01T12:00:00Z",
                                           locatorId: "6f3264f5-8b37-4a2c-9f3e-1c2d3e4f5a6b")
        let created = StreamingLocator(name: "loc", properties: StreamingLocatorProperties(
            assetName: "archive-1", streamingLocatorId: "6f3264f5-8b37-4a2c-9f3e-1c2d3e4f5a6b", streamingPolicyName: "Predefined_ClearStreamingOnly"))
        let fake = FakeARMServer()
        fake.on("PUT", "/streamingLocators/loc", FakeARMServer.json(created, status: 201))
        let output = try await withFakeARM(fake) { client in try await client.createLocator(options) }
        #expect(fake.calls == ["PUT /streamingLocators/loc?api-version=2023-01-01"])
        #expect(fake.requests.first?.body == #"{"properties":{"assetName":"archive-1","endTime":"2024-02-01T12:00:00.0000000Z","#
            + #""startTime":"2024-01-31T12:00:00.0000000Z","streamingLocatorId":"6f3264f5-8b37-4a2c-9f3e-1c2d3e4f5a6b","#
            + #""streamingPolicyName":"Predefined_ClearStreamingOnly"}}"#)
        #expect(output.standardOutput.contains("Locator id:  6f3264f5-8b37-4a2c-9f3e-1c2d3e4f5a6b"))
        #expect(LocatorCreateOptions(name: "l", asset: "a", start: "yesterday").makeBodyError == .usage)
        #expect(LocatorCreateOptions(name: "l", asset: "a", start: "2024-02-01T00:00:00Z", end: "2024-01-01T00:00:00Z").makeBodyError == .usage)
    }

    @Test func locatorPathsPrintsFullURLsWithTheCMAFVariants() async throws {
        let paths = ListPathsResponse(streamingPaths: [
            StreamingPath(streamingProtocol: .hls, encryptionScheme: .noEncryption, paths: ["/6f32/show.ism/manifest(format=m3u8-aapl)"]),
            StreamingPath(streamingProtocol: .dash, encryptionScheme: .noEncryption, paths: ["/6f32/show.ism/manifest(format=mpd-time-csf)"]),
            StreamingPath(streamingProtocol: .smoothStreaming, encryptionScheme: .noEncryption, paths: ["/6f32/show.ism/manifest"]),
        ], downloadPaths: [])
        let endpoint = StreamingEndpoint(name: "default", properties: StreamingEndpointProperties(hostName: "box.local:8080", resourceState: .stopped))
        let fake = FakeARMServer()
        fake.on("POST", "/streamingLocators/loc/listPaths", FakeARMServer.json(paths))
        fake.on("GET", "/streamingEndpoints/default", FakeARMServer.json(endpoint))
        let output = try await withFakeARM(fake) { client in try await client.locatorPaths("loc") }
        #expect(fake.calls == ["POST /streamingLocators/loc/listPaths?api-version=2023-01-01", "GET /streamingEndpoints/default?api-version=2022-11-01"])
        #expect(output.standardOutput == """
            FORMAT     ENCRYPTION    URL
            HLS        NoEncryption  http://box.local:8080/6f32/show.ism/manifest(format=m3u8-aapl)
            HLS-CMAF   NoEncryption  http://box.local:8080/6f32/show.ism/manifest(format=m3u8-cmaf)
            DASH       NoEncryption  http://box.local:8080/6f32/show.ism/manifest(format=mpd-time-csf)
            DASH-CMAF  NoEncryption  http://box.local:8080/6f32/show.ism/manifest(format=mpd-time-cmaf)
            SMOOTH     NoEncryption  http://box.local:8080/6f32/show.ism/manifest

            """)
        #expect(output.standardError.contains("streaming endpoint 'default' is Stopped"))
        let raw = try await withFakeARM(fake, json: true) { client in try await client.locatorPaths("loc") }
        #expect(raw.standardOutput == String(decoding: try ARMJSON.encode(paths), as: UTF8.self) + "\n")
    }

    @Test func locatorDeleteIsSynchronous() async throws {
        let fake = FakeARMServer()
        fake.on("DELETE", "/streamingLocators/loc", HTTPResponse(status: 200), HTTPResponse(status: 204))
        let (first, second) = try await withFakeARM(fake) { client in (try await client.deleteLocator("loc"), try await client.deleteLocator("loc")) }
        #expect(first.standardOutput == "deleted streaming locator 'loc'\n")
        #expect(second.standardOutput == "streaming locator 'loc' did not exist; nothing to delete\n")
    }

    @Test func endpointStartPollsThenShows() async throws {
        let running = StreamingEndpoint(name: "default", properties: StreamingEndpointProperties(scaleUnits: 0, hostName: "box.local:8080",
                                                                                               resourceState: .running))
        let fake = FakeARMServer()
        fake.on("POST", "/streamingEndpoints/default/start", FakeARMServer.accepted(202, operation: "op9", family: "streamingendpointoperations"))
        fake.on("GET", "/streamingendpointoperations/op9", FakeARMServer.operation("op9", "InProgress"), FakeARMServer.operation("op9", "Succeeded"))
        fake.on("GET", "/streamingEndpoints/default", FakeARMServer.json(running))
        let output = try await withFakeARM(fake) { client in try await client.startEndpoint() }
        #expect(fake.calls == [
            "POST /streamingEndpoints/default/start?api-version=2022-11-01",
            "GET /streamingendpointoperations/op9?api-version=2022-11-01",
            "GET /streamingendpointoperations/op9?api-version=2022-11-01",
            "GET /streamingEndpoints/default?api-version=2022-11-01",
        ])
        #expect(output.standardOutput == "Name:         default\nState:        Running\nHost name:    box.local:8080\nScale units:  0\n")
    }

    @Test func locationOnlyOperationsArePolledUntilTheyStopAnswering202() async throws {
        let fake = FakeARMServer()
        let headers: HTTPHeaders = ["Location": "http://elsewhere:1\(FakeARMServer.account)/streamingEndpoints/default/operationLocations/op7", "Retry-After": "0"]
        fake.on("POST", "/streamingEndpoints/default/stop", HTTPResponse(status: 202, headers: headers))
        fake.on("GET", "/streamingEndpoints/default/operationLocations/op7", HTTPResponse(status: 202, headers: ["Retry-After": "0"]), HTTPResponse(status: 200))
        fake.on("GET", "/streamingEndpoints/default", FakeARMServer.json(StreamingEndpoint(name: "default")))
        _ = try await withFakeARM(fake) { client in try await client.stopEndpoint() }
        #expect(fake.calls == [
            "POST /streamingEndpoints/default/stop?api-version=2022-11-01",
            "GET /streamingEndpoints/default/operationLocations/op7",
            "GET /streamingEndpoints/default/operationLocations/op7",
            "GET /streamingEndpoints/default?api-version=2022-11-01",
        ])
    }
}

extension LocatorCreateOptions {
    /// The exit code `makeBody()` fails with, or nil.
    var makeBodyError: ClientExitCode? {
        do { _ = try makeBody(); return nil } catch { return error.exitCode }
    }
}
