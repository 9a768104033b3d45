// MediaServices as the channel directory's writer: every API change that affects admission or resolution is what the
// directory answers right after (event create/update/start/stop/delete, live output create/delete, locators, filters,
// the streaming endpoint), and a stopped event's encoder sessions are ended through the directory's session owners.
import EventLoop
import Foundation
import Live
import MediaDirectory
import Testing
@testable import ControlPlane

private actor RecordingSessionOwner: EncoderSessionOwner {
    var ended: [String] = []
    func endSessions(accessToken: String, reason: String) async { ended.append(accessToken) }
}

@Suite struct DirectoryPublishingTests {
    static let metadata = "api-version=2023-01-01"

    func admission(_ api: APIHarness, _ token: String, from address: String) async throws -> IngestAdmission {
        let directory = api.services.directory
        return try await api.loop.submit { directory.admit(accessToken: token, remoteAddress: address) }
    }

    func refusal(_ admission: IngestAdmission) -> (code: String, reason: String)? {
        if case let .refuse(code, reason) = admission { return (code, reason) }
        return nil
    }

    func status(_ resolution: LocatorResolution) -> Int {
        if case let .refused(status, _) = resolution { return status }
        return 200
    }

    @Test func everyChangeIsPublished() async throws {
        try await withAPI { api in
            let directory = api.services.directory
            let owner = RecordingSessionOwner()
            directory.addSessionOwner(owner)

            await api.createEvent("news")
            let event = await api.send("GET", "/liveEvents/news")
            let token = try #require(event.at("properties", "input", "accessToken") as? String)
            let preview = try #require(event.at("properties", "preview", "previewLocator") as? String)
            #expect(refusal(try await admission(api, token, from: "10.1.1.1"))?.reason == "live event 'news' is Stopped; start it to accept encoders")
            #expect(status(await directory.resolve(locatorID: preview, manifestName: "preview", remoteAddress: "10.1.1.1")) == 404)

            // Start: admitted, the preview serves the channel.
            #expect(await api.send("POST", "/liveEvents/news/start").status == 202)
            guard case .accept = try await admission(api, token.uppercased(), from: "10.1.1.1") else {
                Issue.record("a running event's encoder was refused"); return
            }
            #expect(status(await directory.resolve(locatorID: preview, manifestName: "preview", remoteAddress: "10.1.1.1")) == 200)

            // A new input allow list applies to the next connection.
            let allowLAN: [String: Any] = ["ip": ["allow": [["name": "lan", "address": "10.0.0.0", "subnetPrefixLength": 8]]]]
            #expect(await api.send("PATCH", "/liveEvents/news", body: ["properties": ["input": ["accessControl": allowLAN]]]).status < 300)
            #expect(refusal(try await admission(api, token, from: "192.168.1.9"))?.code == IngestRefusalCode.connectionDenied)

            // Output, asset, locator: the locator serves the recording archive under the output's manifest name.
            await api.createAsset("a1")
            #expect(await api.createOutput("news", "o1", asset: "a1", manifest: "show").status < 300)
            #expect(await api.createLocator("loc1", asset: "a1").status == 201)
            let locatorID = try #require(await api.send("GET", "/streamingLocators/loc1", query: Self.metadata)
                .at("properties", "streamingLocatorId") as? String)
            #expect(status(await directory.resolve(locatorID: locatorID, manifestName: "show", remoteAddress: "10.1.1.1")) == 200)
            #expect(directory.contents.locators[locatorID]?.asset?.archive != nil)

            // Filters: an account filter may be named on the preview and the locator.
            let filter: [String: Any] = ["properties": ["firstQuality": ["bitrate": 128_000]]]
            #expect(await api.send("PUT", "/accountFilters/f1", body: filter, query: Self.metadata).status == 201)
            #expect(directory.contents.locators[locatorID]?.filters.filter(named: "F1") != nil)
            #expect(directory.contents.channels.first?.previewFilters.filter(named: "f1") != nil)

            // The streaming endpoint: 503 while stopped.
            #expect(await api.send("POST", "/streamingEndpoints/default/stop").status < 300)
            #expect(status(await directory.resolve(locatorID: locatorID, manifestName: "show", remoteAddress: "10.1.1.1")) == 503)
            #expect(await api.send("POST", "/streamingEndpoints/default/start").status < 300)
            #expect(status(await directory.resolve(locatorID: locatorID, manifestName: "show", remoteAddress: "10.1.1.1")) == 200)

            // Stop: the token's sessions are ended through the directory; encoders are refused again.
            #expect(await api.send("DELETE", "/liveEvents/news/liveOutputs/o1").status < 300)
            #expect(await api.send("POST", "/liveEvents/news/stop").status == 202)
            #expect(await owner.ended == [token])
            #expect(refusal(try await admission(api, token, from: "10.1.1.1"))?.code == IngestRefusalCode.eventNotRunning)
            // The recording stays on demand.
            #expect(status(await directory.resolve(locatorID: locatorID, manifestName: "show", remoteAddress: "10.1.1.1")) == 200)

            // Deletes.
            #expect(await api.send("DELETE", "/streamingLocators/loc1", query: Self.metadata).status == 200)
            #expect(status(await directory.resolve(locatorID: locatorID, manifestName: "show", remoteAddress: "10.1.1.1")) == 404)
            #expect(await api.send("DELETE", "/liveEvents/news").status < 300)
            #expect(refusal(try await admission(api, token, from: "10.1.1.1"))?.code == IngestRefusalCode.unknownAccessToken)
            #expect(directory.contents.channels.isEmpty)
        }
    }
}
