// `filter` verbs and `locator create --filter` against the fake ARM server.
import AMSModels
import HTTP
import Testing
@testable import Client

@Suite struct FilterVerbTests {
    @Test func createBuildsTheSwaggerBodyFromTheOptions() async throws {
        let fake = FakeARMServer()
        let stored = MediaFilter(name: "mobile", properties: MediaFilterProperties(
            presentationTimeRange: PresentationTimeRange(presentationWindowDuration: 1_200_000_000, liveBackoffDuration: 100_000_000),
            firstQuality: FirstQuality(bitrate: 800_000),
            tracks: [FilterTrackSelection(trackSelections: [
                FilterTrackPropertyCondition(property: "Type", value: "video", operation: "Equal"),
                FilterTrackPropertyCondition(property: "Bitrate", value: "0-3000000", operation: "Equal")]),
                     FilterTrackSelection(trackSelections: [
                FilterTrackPropertyCondition(property: "Language", value: "en", operation: "NotEqual")])]))
        fake.on("PUT", "/accountFilters/mobile", FakeARMServer.json(stored, status: 201))
        let result = try await withFakeARM(fake) { client in
            try await client.createFilter(FilterCreateOptions(name: "mobile", tracks: ["type=video, Bitrate=0-3000000", "Language!=en"],
                                                              firstQuality: 800_000, windowSeconds: 120, backoffSeconds: 10))
        }
        #expect(fake.calls == ["PUT /accountFilters/mobile?api-version=2023-01-01"])
        #expect(fake.requests[0].body == #"{"properties":{"firstQuality":{"bitrate":800000},"presentationTimeRange":{"liveBackoffDuration":100000000,"#
            + #""presentationWindowDuration":1200000000},"tracks":[{"trackSelections":[{"operation":"Equal","property":"Type","value":"video"},"#
            + #"{"operation":"Equal","property":"Bitrate","value":"0-3000000"}]},{"trackSelections":[{"operation":"NotEqual","property":"Language","value":"en"}]}]}}"#)
        #expect(result.standardOutput.contains("Tracks:"))
        #expect(result.standardOutput.contains("Type=video,Bitrate=0-3000000 | Language!=en"))
        #expect(result.standardOutput.contains("window=120s backoff=10s"))
        #expect(result.standardOutput.contains("800000 bps"))
        #expect(result.standardError.contains("filter=mobile"))
    }

    @Test func assetFiltersListShowAndDeleteUnderTheirAsset() async throws {
        let fake = FakeARMServer()
        let trim = MediaFilter(name: "trim", properties: MediaFilterProperties(
            presentationTimeRange: PresentationTimeRange(startTimestamp: 100, endTimestamp: 900, timescale: 10)))
        fake.on("GET", "/assets/show-1/assetFilters", FakeARMServer.json(ARMList(value: [trim])))
        fake.on("GET", "/assets/show-1/assetFilters/trim", FakeARMServer.json(trim))
        fake.on("DELETE", "/assets/show-1/assetFilters/trim", HTTPResponse(status: 200), HTTPResponse(status: 204))
        let (list, show, deleted, again) = try await withFakeARM(fake) { client in
            (try await client.listFilters(asset: "show-1"), try await client.showFilter("trim", asset: "show-1"),
             try await client.deleteFilter("trim", asset: "show-1"), try await client.deleteFilter("trim", asset: "show-1"))
        }
        #expect(list.standardOutput.contains("trim"))
        #expect(list.standardOutput.contains("start=100 end=900 timescale=10"))
        #expect(show.standardOutput.contains("asset filter of 'show-1'"))
        #expect(deleted.standardOutput == "deleted asset filter 'trim' of asset 'show-1'\n")
        #expect(again.standardOutput.isEmpty && again.standardError.contains("did not exist"))
    }

    @Test func badTrackSyntaxIsAUsageError() {
        for track in ["Type", "Colour=red", "=video", ",", "Type=video,Bitrate"] {
            #expect(throws: ClientError.self, "\(track)") { try FilterCreateOptions(name: "f", tracks: [track]).makeBody() }
        }
        #expect(throws: ClientError.self) { try FilterCreateOptions(name: "f", windowSeconds: -1).makeBody() }
    }

    @Test func locatorCreatePassesItsFilters() async throws {
        let fake = FakeARMServer()
        let locator = StreamingLocator(name: "l1", properties: StreamingLocatorProperties(assetName: "a", streamingLocatorId: "id",
                                                                                         streamingPolicyName: "Predefined_ClearStreamingOnly",
                                                                                         filters: ["mobile"]))
        fake.on("PUT", "/streamingLocators/l1", FakeARMServer.json(locator, status: 201))
        let result = try await withFakeARM(fake) { client in
            try await client.createLocator(LocatorCreateOptions(name: "l1", asset: "a", filters: ["mobile"]))
        }
        #expect(fake.requests[0].body.contains(#""filters":["mobile"]"#))
        #expect(result.standardOutput.contains("Filters:"))
    }
}
