// A live event's ingest endpoints with RTMPS on and off: the rtmps URL is listed after the rtmp one, both under
// protocol "RTMP" as the service listed them, and only while RTMPS listens.
import Foundation
import Testing
@testable import ControlPlane

@Suite struct RTMPSEndpointTests {
    @Test func rtmpsIsListedBesideRTMPOnlyWhileItListens() async throws {
        try await withAPI { api in
            _ = await api.createEvent("news")
            func ingest() async throws -> [[String: String]] {
                let got = await api.send("GET", "/liveEvents/news")
                return try #require(got.at("properties", "input", "endpoints") as? [[String: String]])
            }
            let plain = try await ingest()
            #expect(plain.count == 1 && plain.first?["url"]?.hasPrefix("rtmp://box.test:1935/live/") == true, "\(plain)")

            await api.services.setRTMPSPort(2935)
            let both = try await ingest()
            #expect(both.map { $0["protocol"] } == ["RTMP", "RTMP"], "\(both)")
            let rtmp = try #require(both.first?["url"])
            #expect(both.last?["url"] == rtmp.replacingOccurrences(of: "rtmp://box.test:1935/", with: "rtmps://box.test:2935/"))

            await api.services.setRTMPSPort(nil)
            #expect(try await ingest().count == 1)
        }
    }
}
