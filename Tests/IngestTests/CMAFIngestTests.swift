// DASH-IF CMAF ingest handled in process: object paths mapped to tracks, the pushed DASH manifest read for
// bandwidths, headers and segments in separate requests, refusals, and resends skipped.
import EventLoop
import HTTP
import ISOBMFF
import Live
import Logging
import Media
import MediaDirectory
import Testing
@testable import Ingest

@Suite(.serialized) struct CMAFIngestTests {
    /// What ffmpeg 5.1's `dash` muxer (`-streaming 1 -ldash 1 -use_template 1 -use_timeline 1`) PUTs as its manifest.
    static let ffmpegMPD = """
        <?xml version="1.0" encoding="utf-8"?>
        <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="dynamic"
        \tminimumUpdatePeriod="PT0S" maxSegmentDuration="PT2.0S" minBufferTime="PT0.0S">
        \t<Period id="0" start="PT0.0S">
        \t\t<AdaptationSet id="0" contentType="video" startWithSAP="1" segmentAlignment="true" frameRate="30/1">
        \t\t\t<Resync dT="33333" type="0"/>
        \t\t\t<Representation id="0" mimeType="video/mp4" codecs="avc1.64001f" bandwidth="2000000" width="1280" height="720">
        \t\t\t\t<SegmentTemplate timescale="15360" initialization="init-stream$RepresentationID$.m4s" media="chunk-stream$RepresentationID$-$Number%05d$.m4s" startNumber="1">
        \t\t\t\t\t<SegmentTimeline>
        \t\t\t\t\t\t<S t="0" d="30720" r="1" />
        \t\t\t\t\t</SegmentTimeline>
        \t\t\t\t</SegmentTemplate>
        \t\t\t</Representation>
        \t\t</AdaptationSet>
        \t\t<AdaptationSet id="1" contentType="audio" startWithSAP="1" segmentAlignment="true">
        \t\t\t<Representation id="1" mimeType="audio/mp4" codecs="mp4a.40.2" bandwidth="128000" audioSamplingRate="48000">
        \t\t\t\t<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2" />
        \t\t\t\t<SegmentTemplate timescale="48000" initialization="init-stream$RepresentationID$.m4s" media="chunk-stream$RepresentationID$-$Number%05d$.m4s" startNumber="1">
        \t\t\t\t</SegmentTemplate>
        \t\t\t</Representation>
        \t\t</AdaptationSet>
        \t</Period>
        </MPD>
        """

    @Test func objectPathsMapToTracks() throws {
        func parse(_ path: String) -> FragmentedMP4IngestPath? { FragmentedMP4IngestPath.parse(path) }
        // ffmpeg's dash muxer: one track per Representation, init and chunks share the track name.
        #expect(parse("/tok/ingest.isml/init-stream0.m4s") == FragmentedMP4IngestPath(token: "tok", stream: "stream0", object: .media(file: "init-stream0.m4s")))
        #expect(parse("/tok/ingest.isml/chunk-stream0-00001.m4s")?.stream == "stream0")
        #expect(parse("/tok/ingest.isml/chunk-stream1-00042.m4s")?.stream == "stream1")
        #expect(parse("/tok/ingest.isml/manifest.mpd")?.object == .manifest(file: "manifest.mpd"))
        #expect(parse("/tok/ingest.isml/index.m3u8")?.object == .playlist(file: "index.m3u8"))
        // DASH-IF keywords: Streams(name) names the track, Switching(id) is only grouping.
        #expect(parse("/tok/ingest.isml/Switching(ss1)/Streams(audio_128k)") == FragmentedMP4IngestPath(token: "tok", stream: "audio_128k"))
        #expect(parse("/tok/ingest.isml/Streams(v1)/init.cmfv")?.stream == "v1")
        #expect(parse("/tok/ingest.isml/Streams(v1)/segment-12.cmfv")?.stream == "v1")
        #expect(parse("/tok/ingest.isml/live/video_1000k_init.mp4")?.stream == "live/video-1000k")
        #expect(parse("/tok/ingest.isml/live/video_1000k_00012.mp4")?.stream == "live/video-1000k")
        #expect(parse("/tok/ingest.isml/1.m4s")?.stream == "default")
        #expect(parse("/My%20Token/ingest.isml/init-stream0.m4s")?.token == "My Token")
        // Not ingest paths.
        #expect(parse("/tok/ingest.isml/../x.m4s") == nil)
        #expect(parse("/tok/ingest.isml/QualityLevels(1)/Fragments(video=0)") == nil)
        #expect(parse("/tok/preview.ism/manifest.mpd") == nil)
    }

    @Test func manifestGivesBandwidthsByTemplate() {
        let manifest = DASHIngestManifest(text: Self.ffmpegMPD)
        #expect(manifest.representations.map(\.id) == ["0", "1"])
        #expect(manifest.representations.map(\.bandwidth) == [2_000_000, 128_000])
        #expect(!manifest.isStatic)
        #expect(manifest.representation(forFile: "init-stream0.m4s")?.id == "0")
        #expect(manifest.representation(forFile: "chunk-stream1-00042.m4s")?.id == "1")
        #expect(manifest.representation(forFile: "chunk-stream1-x.m4s") == nil)
        #expect(manifest.representation(forFile: "chunk-stream2-00001.m4s") == nil)
        let final = DASHIngestManifest(text: Self.ffmpegMPD.replacingOccurrences("type=\"dynamic\"", "type=\"static\""))
        #expect(final.isStatic)

        // Templates in the AdaptationSet, $Time$, an escaped dollar.
        let shared = DASHIngestManifest(text: """
            <MPD type="dynamic"><Period><AdaptationSet>
            <SegmentTemplate initialization="v/$RepresentationID$/init.mp4" media="v/$RepresentationID$/t$Time$$$.m4s"/>
            <Representation id="hd" bandwidth="5000000"/><Representation id="sd" bandwidth="800000"></Representation>
            </AdaptationSet></Period></MPD>
            """)
        #expect(shared.representation(forFile: "v/sd/t180000$.m4s")?.bandwidth == 800_000)
        #expect(shared.representation(forFile: "v/hd/init.mp4")?.bandwidth == 5_000_000)
        #expect(shared.representation(forFile: "v/hd/t.m4s") == nil)
    }

    func withServer(_ body: (FragmentedMP4IngestServer, LiveChannel) async throws -> Void) async throws {
        try await withFragmentedMP4IngestServer(loopName: "cmaf-test", body)
    }

    func send(_ server: FragmentedMP4IngestServer, _ object: String, _ bytes: [UInt8] = [], method: String = "PUT",
              token: String = "good") async -> HTTPResponse {
        let target = "/\(token)/ingest.isml/\(object)"
        let request = HTTPRequest(method: method, target: target, remoteAddress: "127.0.0.1")
        guard let path = FragmentedMP4IngestPath.parse(target) else { return .error(status: 404, message: "not an ingest path") }
        return await server.handle(request, body: HTTPRequestBody(bytes: bytes), path: path)
    }

    func text(_ response: HTTPResponse) -> String {
        if case .bytes(let b) = response.body { return String(decoding: b, as: UTF8.self) }
        return ""
    }

    static func header() -> [UInt8] { SmoothIngestTests.body(fragments: 0..<0) }
    static func segment(_ index: Int) -> [UInt8] { SmoothIngestTests.body(fragments: index..<(index + 1), header: false) }

    @Test func headerAndSegmentsInSeparateRequestsFeedOneTrack() async throws {
        try await withServer { server, channel in
            #expect(await send(server, "init-stream0.m4s", Self.header()).status == 200)
            #expect(await channel.activeStreams == ["stream0"])
            #expect(await send(server, "manifest.mpd", Array(Self.ffmpegMPD.utf8)).status == 200)
            for index in 0..<4 {
                let response = await send(server, "chunk-stream0-\(index + 1).m4s", Self.segment(index))
                #expect(response.status == 200, "\(text(response))")
            }
            #expect(await channel.stats.framesIn == 200)
            // A resent segment is skipped.
            #expect(await send(server, "chunk-stream0-4.m4s", Self.segment(3)).status == 200)
            #expect(await channel.stats.framesIn == 200)
            // ffmpeg removes old segments: answered, ignored; the track goes on.
            #expect(await send(server, "chunk-stream0-1.m4s", method: "DELETE").status == 200)
            #expect(await channel.activeStreams == ["stream0"])
            // The MPD's bandwidth names the track (no btrt in these headers).
            #expect(await channel.presentation().tracks.first { $0.track.kind == .video }?.track.bitrate == 2_000_000)
            // Deleting the header ends the track once its requests are done (the sweep, within a second or two).
            #expect(await send(server, "init-stream0.m4s", method: "DELETE").status == 200)
            for _ in 0..<50 where await !channel.activeStreams.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            #expect(await channel.activeStreams.isEmpty)
            #expect(await server.activeRequestCount == 0)
        }
    }

    @Test func refusalsAndErrorsEndOnlyTheirRequest() async throws {
        try await withServer { server, channel in
            let unknown = await send(server, "init-stream0.m4s", Self.header(), token: "nope")
            #expect(unknown.status == 404 && text(unknown).contains(IngestRefusalCode.unknownAccessToken))
            let denied = await send(server, "init-stream0.m4s", Self.header(), token: "denied")
            #expect(denied.status == 403 && text(denied).contains(IngestRefusalCode.connectionDenied))
            let stopped = await send(server, "init-stream0.m4s", Self.header(), token: "stopped")
            #expect(stopped.status == 410 && text(stopped).contains(IngestRefusalCode.eventNotRunning))
            let get = await send(server, "init-stream0.m4s", method: "GET")
            #expect(get.status == 405)

            // A segment of a track whose header never came: 412, the header is asked for.
            let headless = await send(server, "chunk-stream5-00001.m4s", Self.segment(0))
            #expect(headless.status == 412 && text(headless).contains("header"), "\(text(headless))")
            #expect(await channel.stats.framesIn == 0)

            #expect(await send(server, "init-stream0.m4s", Self.header()).status == 200)
            #expect(await send(server, "chunk-stream0-00001.m4s", Self.segment(0)).status == 200)
            // A malformed segment: 400, the connection closes, the track and the server go on.
            var garbage = Self.segment(1)
            garbage.replaceSubrange(40..<80, with: [UInt8](repeating: 0xFF, count: 40))
            let malformed = await send(server, "chunk-stream0-00002.m4s", garbage)
            #expect(malformed.status == 400 && text(malformed).contains("MPE_INGEST_PROTOCOL_ERROR"), "\(text(malformed))")
            #expect(malformed.headers["Connection"] == "close")
            #expect(await send(server, "chunk-stream0-00003.m4s", Self.segment(2)).status == 200)
            #expect(await channel.stats.framesIn == 100)
            #expect(await channel.activeStreams == ["stream0"])
            #expect(await server.disconnect(accessToken: "GOOD") == 1)
            #expect(await channel.activeStreams.isEmpty)
        }
    }

    @Test func theEditListMovesTfdtTimesBack() throws {
        // ffmpeg's CMAF header: an edit list whose media time is the composition delay (or the AAC priming).
        var header = Self.header()
        let elst: [UInt8] = [0, 0, 0, 28] + Array("elst".utf8) + [0, 0, 0, 0, 0, 0, 0, 1]
            + [0, 0, 0, 0] + [0, 0, 0x07, 0xD0] + [0, 1, 0, 0]  // duration 0, media time 2000, rate 1.0
        let edts: [UInt8] = [0, 0, 0, 36] + Array("edts".utf8) + elst
        func offset(of type: String) throws -> Int {
            let pattern = Array(type.utf8)
            return try #require((0..<(header.count - 4)).first { Array(header[$0..<($0 + 4)]) == pattern }) - 4
        }
        let moov = try offset(of: "moov"), trak = try offset(of: "trak")
        header.insert(contentsOf: edts, at: trak + 8)
        for start in [moov, trak] {
            let size = header[start..<(start + 4)].reduce(0) { $0 << 8 | Int($1) } + edts.count
            header.replaceSubrange(start..<(start + 4), with: (0..<4).map { UInt8(truncatingIfNeeded: size >> (24 - 8 * $0)) })
        }
        var parser = FragmentedMP4IngestParser()
        let events = try parser.receive(header + Self.segment(0))
        guard case .tracks(let tracks) = events.first, case .fragment(let fragment) = events.last else {
            Issue.record("expected tracks then a fragment, got \(events)")
            return
        }
        #expect(tracks.first?.editMediaTime == 2000)
        #expect(fragment.startTime == -2000 && fragment.frames.first?.decodeTime == -2000)
        #expect(fragment.endTime == 50 * 1_000 - 2000)
    }

    @Test func anLmsgSegmentEndsTheTrackAtOnce() async throws {
        try await withServer { server, channel in
            #expect(await send(server, "Streams(cam)", Self.header(), method: "POST").status == 200)
            #expect(await send(server, "Streams(cam)", Self.segment(0), method: "POST").status == 200)
            // Header and segments in separate POSTs: the track stays open between them.
            #expect(await channel.activeStreams == ["cam"])
            let styp: [UInt8] = [0, 0, 0, 24] + Array("stypmsdh".utf8) + [0, 0, 0, 0] + Array("msdhlmsg".utf8)
            let last = styp + SmoothIngestTests.body(fragments: 1..<2, header: false)
            #expect(await send(server, "Streams(cam)", last, method: "POST").status == 200)
            #expect(await channel.activeStreams.isEmpty)
            #expect(await channel.stats.framesIn == 100)
        }
    }

    @Test func oneTokenFeedsAtMost64StreamsAtOnce() async throws {
        try await withServer { server, channel in
            for index in 0..<64 {
                #expect(await send(server, "init-cam\(index).m4s", Self.header()).status == 200)
            }
            let refused = await send(server, "init-cam64.m4s", Self.header())
            #expect(refused.status == 403 && text(refused).contains(IngestRefusalCode.qualitiesExceeded))
            // A stream already fed goes on.
            #expect(await send(server, "chunk-cam3-00001.m4s", Self.segment(0)).status == 200)
            #expect(await channel.stats.framesIn == 50)
        }
    }

    @Test func aRedundantCopyOfAStreamIsSkippedFrameByFrame() async throws {
        try await withServer { server, channel in
            // One encoder's fragments 0..<3, then its twin's, offset by half a fragment (25 frames): only the frames
            // after what was ingested go in, and the timeline has no seam.
            let target = "/good/ingest.isml/Streams(video)"
            let request = HTTPRequest(method: "POST", target: target, remoteAddress: "127.0.0.1")
            let path = try #require(FragmentedMP4IngestPath.parse(target))
            let first = SmoothIngestTests.body(fragments: 0..<3)
            #expect(await server.handle(request, body: HTTPRequestBody(bytes: first), path: path).status == 200)
            var twin = Self.header()
            for start in stride(from: 25, to: 225, by: 50) {
                var samples: [Sample] = []
                for i in start..<(start + 50) {
                    let sync = i % 25 == 0
                    let nalType: UInt8 = sync ? 0x65 : 0x41
                    samples.append(Sample(decodeTime: Int64(i) * 1_000, duration: 1_000, isSync: sync,
                                          data: [0, 0, 0, 4, nalType, 1, 2, 3]))
                }
                twin += CMAFWriter.mediaSegment(track: SmoothIngestTests.track, sequenceNumber: UInt32(start), samples: samples)
            }
            #expect(await server.handle(request, body: HTTPRequestBody(bytes: twin), path: path).status == 200)
            #expect(await channel.stats.framesIn == 225)
            #expect(await channel.stats.discontinuities == 0)
        }
    }
}

private extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
