// Table and block layout, timestamps, playback URL expansion, path escaping.
import AMSModels
import EventLoop
import Foundation
import Testing
@testable import Client

@Suite struct TextTableTests {
    @Test func tablesPadEveryColumnButTheLast() {
        let table = TextTable(columns: ["NAME", "STATE", "URL"], rows: [["a", "Running", "rtmp://x"], ["long-name", "", ""], ["short"]])
        #expect(table.render() == "NAME       STATE    URL\na          Running  rtmp://x\nlong-name\nshort\n")
    }

    @Test func blocksAlignValuesAndSkipEmptyOnes() {
        var block = KeyValueBlock()
        block.add("Name", "news")
        block.add("Description", nil)
        block.add("Ingest", list: ["rtmp://a", "rtmp://b"])
        block.add("Preview", list: [], empty: "(none)")
        block.add("Hidden", list: [])
        #expect(block.render() == "Name:     news\nIngest:   rtmp://a\n          rtmp://b\nPreview:  (none)\n")
    }

    @Test func timestampsDropFractionalSeconds() throws {
        let date = try #require(ARMDateTime.parse("2024-01-31T12:34:56.789Z"))
        #expect(ResourceText.timestamp(date) == "2024-01-31T12:34:56Z")
    }

    @Test func playbackURLsAddCMAFFormsOnceAndKeepEncryptionSchemes() {
        let paths = ListPathsResponse(streamingPaths: [
            StreamingPath(streamingProtocol: .hls, encryptionScheme: .commonEncryptionCbcs,
                          paths: ["/id/m.ism/manifest(format=m3u8-aapl-v4,encryption=cbcs-aapl)", "/id/m.ism/manifest(format=m3u8-cmaf)"]),
            StreamingPath(streamingProtocol: .dash, encryptionScheme: .noEncryption, paths: ["/id/m.ism/manifest(format=mpd-time-csf)"]),
        ], downloadPaths: ["/id/video.mp4"])
        let rows = paths.playbackURLs(hostName: nil)
        #expect(rows == [
            PlaybackURL(format: "HLS", encryption: "CommonEncryptionCbcs", url: "/id/m.ism/manifest(format=m3u8-aapl-v4,encryption=cbcs-aapl)"),
            PlaybackURL(format: "HLS-CMAF", encryption: "CommonEncryptionCbcs", url: "/id/m.ism/manifest(format=m3u8-cmaf,encryption=cbcs-aapl)"),
            PlaybackURL(format: "HLS-CMAF", encryption: "CommonEncryptionCbcs", url: "/id/m.ism/manifest(format=m3u8-cmaf)"),
            PlaybackURL(format: "DASH", encryption: "NoEncryption", url: "/id/m.ism/manifest(format=mpd-time-csf)"),
            PlaybackURL(format: "DASH-CMAF", encryption: "NoEncryption", url: "/id/m.ism/manifest(format=mpd-time-cmaf)"),
            PlaybackURL(format: "DOWNLOAD", encryption: "NoEncryption", url: "/id/video.mp4"),
        ])
        #expect(paths.playbackURLs(hostName: "http://h:1").first?.url.hasPrefix("http://h:1/id/") == true)
    }

    @Test func pathSegmentsArePercentEncoded() {
        #expect(ARMClient.escape("news-1_a.b~c") == "news-1_a.b~c")
        #expect(ARMClient.escape("a b/c?d") == "a%20b%2Fc%3Fd")
        #expect(ARMClient.escape("é") == "%C3%A9")
    }

    @Test func operationURLsAreRebasedOntoTheAPI() throws {
        let loop = try EventLoop(name: "rebase-test")
        defer { try? loop.shutdown() }
        let client = ARMClient(loop: loop, configuration: ClientConfiguration(apiURL: "http://127.0.0.1:8090", token: "t"))
        #expect(client.rebase("https://management.azure.com/subscriptions/s/ops/1?api-version=2022-11-01")
            == "http://127.0.0.1:8090/subscriptions/s/ops/1?api-version=2022-11-01")
        #expect(client.rebase("/subscriptions/s/ops/1") == "http://127.0.0.1:8090/subscriptions/s/ops/1")
        #expect(client.url("/liveEvents/a b", apiVersion: "2022-11-01", query: [("autoStart", "true")])
            == "http://127.0.0.1:8090\(FakeARMServer.account)/liveEvents/a b?api-version=2022-11-01&autoStart=true")
    }
}
