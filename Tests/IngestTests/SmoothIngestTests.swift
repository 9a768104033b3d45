// Smooth (fMP4) ingest POSTs handled in process: path grammar, admission, frames into the channel, resent
// fragments skipped on reconnect, malformed bodies refused without harm.
import EventLoop
import HTTP
import ISOBMFF
import Live
import Logging
import Media
import MediaDirectory
import Testing
@testable import Ingest

@Suite(.serialized) struct SmoothIngestTests {
    static let track = TrackInfo(trackID: 1, kind: .video, name: "video", timescale: 25_000,
                                 codec: .avc(try! AVCConfiguration(record: PublisherBytes.avcRecord)), bitrate: 1_000_000)

    /// ftyp + moov, then 2 s fragments (50 frames at 25 fps, keyframe first) `first..<end`.
    static func body(fragments range: Range<Int>, header: Bool = true) -> [UInt8] {
        var bytes = header ? CMAFWriter.initSegment(for: track) : []
        for index in range {
            let samples = (0..<50).map { i in
                Sample(decodeTime: Int64(index * 50 + i) * 1_000, duration: 1_000, isSync: i == 0,
                       data: [0, 0, 0, 4, i == 0 ? 0x65 : 0x41, 1, 2, 3])
            }
            bytes += CMAFWriter.mediaSegment(track: track, sequenceNumber: UInt32(index + 1), samples: samples)
        }
        return bytes
    }

    func withServer(_ body: (FragmentedMP4IngestServer, LiveChannel) async throws -> Void) async throws {
        try await withFragmentedMP4IngestServer(loopName: "smooth-test", body)
    }

    func post(_ server: FragmentedMP4IngestServer, token: String = "good", _ bytes: [UInt8]) async -> HTTPResponse {
        let target = "/\(token)/ingest.isml/Streams(video)"
        let request = HTTPRequest(method: "POST", target: target, remoteAddress: "127.0.0.1")
        return await server.handle(request, body: HTTPRequestBody(bytes: bytes), path: FragmentedMP4IngestPath.parse(target)!)
    }

    func text(_ response: HTTPResponse) -> String {
        if case .bytes(let b) = response.body { return String(decoding: b, as: UTF8.self) }
        return ""
    }

    @Test func pathGrammar() {
        func parse(_ path: String) -> (String, String)? {
            FragmentedMP4IngestPath.parse(path).map { ($0.token, $0.stream) }
        }
        #expect(parse("/tok/ingest.isml/Streams(video)")! == ("tok", "video"))
        #expect(parse("/tok/ingest.isml/streams(cam%201)")! == ("tok", "cam 1"))
        #expect(parse("/tok/ingest.isml")! == ("tok", "default"))
        #expect(FragmentedMP4IngestPath.parse("/tok/ingest.isml/Streams(video)")?.object == FragmentedMP4IngestPath.Object.none)
        #expect(parse("/tok/preview.ism/manifest") == nil)
        #expect(parse("/tok/ingest.isml/Streams()") == nil)
        #expect(parse("/tok/ingest.isml/Other(x)") == nil)
    }

    @Test func postFeedsTheChannelAndAResendIsSkipped() async throws {
        try await withServer { server, channel in
            #expect(await post(server, []).status == 200)  // probe
            #expect(await channel.stats.sessionsStarted == 0)
            #expect(await post(server, Self.body(fragments: 0..<3)).status == 200)
            #expect(await channel.stats.framesIn == 150)
            #expect(await channel.activeStreams.isEmpty)
            // Reconnect resending the last two fragments, then two new ones: only the new ones are ingested.
            #expect(await post(server, Self.body(fragments: 1..<5)).status == 200)
            #expect(await channel.stats.framesIn == 250)
            #expect(await channel.stats.discontinuities == 0)
        }
    }

    @Test func refusalsAndMalformedBodies() async throws {
        try await withServer { server, channel in
            let unknown = await post(server, token: "nope", Self.body(fragments: 0..<1))
            #expect(unknown.status == 404 && text(unknown).contains(IngestRefusalCode.unknownAccessToken))
            let denied = await post(server, token: "denied", Self.body(fragments: 0..<1))
            #expect(denied.status == 403 && text(denied).contains(IngestRefusalCode.connectionDenied))

            let malformed = await post(server, Self.body(fragments: 0..<0) + Array("garbage, not boxes".utf8))
            #expect(malformed.status == 400 && text(malformed).contains("MPE_INGEST_PROTOCOL_ERROR"))
            #expect(await channel.activeStreams.isEmpty)
            // The server goes on: a good POST still works.
            #expect(await post(server, Self.body(fragments: 0..<2)).status == 200)
            #expect(await channel.stats.framesIn == 100)
        }
    }
}

/// A loop, a channel and a fragmented-MP4 ingest server feeding it; the loop must close cleanly after `body`.
func withFragmentedMP4IngestServer(loopName: String, _ body: (FragmentedMP4IngestServer, LiveChannel) async throws -> Void) async throws {
    let loop = try EventLoop(name: loopName)
    let logger = Logger(label: "test")
    let channel = LiveChannel(name: "news", executor: loop.unownedExecutor, logger: logger)
    let server = FragmentedMP4IngestServer(loop: loop, resolver: TestResolver(channel: channel), logger: logger)
    do {
        try await body(server, channel)
    } catch {
        try? loop.shutdown()
        throw error
    }
    try await loop.shutdownGracefully()
}
