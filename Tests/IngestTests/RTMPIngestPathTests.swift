import Testing
@testable import Ingest

@Suite struct RTMPIngestPathTests {
    @Test func ffmpegAndOBSForm() throws {
        let p = try RTMPIngestPath.parse(app: "live/0123abcd", streamName: "stream")
        #expect(p.accessToken == "0123abcd" && p.streamName == "stream" && p.parameters.isEmpty)
    }

    @Test func tokenInStreamName() throws {
        let p = try RTMPIngestPath.parse(app: "live", streamName: "tok-1/cam2")
        #expect(p.accessToken == "tok-1" && p.streamName == "cam2")
    }

    @Test func queryParametersFromEitherPart() throws {
        let p = try RTMPIngestPath.parse(app: "live/tok?videodatarate=3000", streamName: "s?audiodatarate=128")
        #expect(p.parameters == ["videodatarate": "3000", "audiodatarate": "128"])
        #expect(p.accessToken == "tok" && p.streamName == "s")
    }

    @Test(arguments: [("vod/tok", "s"), ("live/tok/extra", "s"), ("live/to k", "s"), ("live", "s"),
                      ("live/tok", ""), ("live/tok", "a/b"), ("", "s")])
    func malformedAddressesAreRefusedWithTheServiceCode(app: String, stream: String) {
        #expect(throws: RTMPIngestPath.Refusal.self) { try RTMPIngestPath.parse(app: app, streamName: stream) }
        do { _ = try RTMPIngestPath.parse(app: app, streamName: stream) } catch {
            #expect(error.code == "MPE_BAD_URL_SYNTAX")
            #expect(!error.description.isEmpty)
        }
    }
}
