// LL-HLS media playlists (golden, clock-free: live media time is the clock), blocking-reload decisions, the part URL
// form, and the LL-DASH attributes.

import Foundation
import Media
import Testing
@testable import Packaging

@Suite struct LowLatencyHLSTests {
    let cmaf = ManifestOptions(format: .hlsCMAF)
    static let t0 = Fixtures.t0
    static let second = Fixtures.second
    static let half = Fixtures.second / 2

    /// Seven closed 1 s segments (sequence 10…16), two 0.5 s parts each, and segment 17 in progress with one part.
    static func live(skipDiscontinuity: Bool = false) -> (Presentation, TrackTimeline, TrackParts) {
        let segments = (0..<7).map { i in
            TimelineSegment(startTime: t0 + Int64(i) * second, duration: second, sequenceNumber: 10 + i)
        }
        let timeline = TrackTimeline(track: Fixtures.video, segments: segments, discontinuitySequence: 0)
        let presentation = Presentation(tracks: [timeline], isLive: true, windowDuration: 30 * second, nominalFragmentDuration: 1)
        var closed: [Int64: [PartialSegment]] = [:]
        for segment in segments {
            closed[segment.startTime] = [PartialSegment(duration: half, independent: true), PartialSegment(duration: half, independent: false)]
        }
        let open = OpenSegment(startTime: t0 + 7 * second, sequenceNumber: 17, parts: [PartialSegment(duration: half, independent: true)])
        return (presentation, timeline, TrackParts(partTarget: half, closed: closed, open: open))
    }

    @Test func playlistListsPartsOfTheLastThreeTargetDurationsAndThePreloadHint() {
        let (presentation, timeline, parts) = Self.live()
        let text = LowLatencyHLS.mediaPlaylist(presentation, track: timeline, parts: parts, options: cmaf)
        #expect(text == """
            #EXTM3U
            #EXT-X-VERSION:9
            #EXT-X-TARGETDURATION:1
            #EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6.0,PART-HOLD-BACK=1.500
            #EXT-X-PART-INF:PART-TARGET=0.500
            #EXT-X-MEDIA-SEQUENCE:10
            #EXT-X-DISCONTINUITY-SEQUENCE:0
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-MAP:URI="Fragments(video=i,format=m3u8-cmaf).mp4"
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:20.000Z
            #EXTINF:1.000000,no-desc
            Fragments(video=17000000000000000,format=m3u8-cmaf).mp4
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:21.000Z
            #EXTINF:1.000000,no-desc
            Fragments(video=17000000010000000,format=m3u8-cmaf).mp4
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:22.000Z
            #EXTINF:1.000000,no-desc
            Fragments(video=17000000020000000,format=m3u8-cmaf).mp4
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:23.000Z
            #EXTINF:1.000000,no-desc
            Fragments(video=17000000030000000,format=m3u8-cmaf).mp4
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:24.000Z
            #EXT-X-PART:DURATION=0.50000,URI="Fragments(video=17000000040000000,format=m3u8-cmaf,part=0).mp4",INDEPENDENT=YES
            #EXT-X-PART:DURATION=0.50000,URI="Fragments(video=17000000040000000,format=m3u8-cmaf,part=1).mp4"
            #EXTINF:1.000000,no-desc
            Fragments(video=17000000040000000,format=m3u8-cmaf).mp4
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:25.000Z
            #EXT-X-PART:DURATION=0.50000,URI="Fragments(video=17000000050000000,format=m3u8-cmaf,part=0).mp4",INDEPENDENT=YES
            #EXT-X-PART:DURATION=0.50000,URI="Fragments(video=17000000050000000,format=m3u8-cmaf,part=1).mp4"
            #EXTINF:1.000000,no-desc
            Fragments(video=17000000050000000,format=m3u8-cmaf).mp4
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:26.000Z
            #EXT-X-PART:DURATION=0.50000,URI="Fragments(video=17000000060000000,format=m3u8-cmaf,part=0).mp4",INDEPENDENT=YES
            #EXT-X-PART:DURATION=0.50000,URI="Fragments(video=17000000060000000,format=m3u8-cmaf,part=1).mp4"
            #EXTINF:1.000000,no-desc
            Fragments(video=17000000060000000,format=m3u8-cmaf).mp4
            #EXT-X-PART:DURATION=0.50000,URI="Fragments(video=17000000070000000,format=m3u8-cmaf,part=0).mp4",INDEPENDENT=YES
            #EXT-X-PRELOAD-HINT:TYPE=PART,URI="Fragments(video=17000000070000000,format=m3u8-cmaf,part=1).mp4"

            """)
    }

    @Test func deltaUpdateSkipsSegmentsOlderThanCanSkipUntil() {
        let (presentation, timeline, parts) = Self.live()
        let text = LowLatencyHLS.mediaPlaylist(presentation, track: timeline, parts: parts, options: cmaf, skip: true)
        // The playlist ends at t0 + 7 s and may skip what ends 6 s before: the first segment only.
        #expect(text.contains("#EXT-X-MEDIA-SEQUENCE:10\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n"))
        #expect(text.contains("#EXT-X-SKIP:SKIPPED-SEGMENTS=1\n#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:21.000Z\n"))
        #expect(!text.contains("Fragments(video=17000000000000000,format=m3u8-cmaf).mp4"))
        #expect(text.components(separatedBy: "#EXTINF").count - 1 == 6)
        // A playlist shorter than CAN-SKIP-UNTIL has nothing to skip: the full playlist comes back.
        var (short, shortTimeline, shortParts) = Self.live()
        shortTimeline.segments = Array(shortTimeline.segments.suffix(5))
        short.tracks = [shortTimeline]
        shortParts.closed = shortParts.closed.filter { $0.key >= shortTimeline.segments[0].startTime }
        let full = LowLatencyHLS.mediaPlaylist(short, track: shortTimeline, parts: shortParts, options: cmaf)
        #expect(LowLatencyHLS.mediaPlaylist(short, track: shortTimeline, parts: shortParts, options: cmaf, skip: true) == full)
    }

    @Test func withoutAnOpenSegmentTheHintIsTheNextSegmentsFirstPart() {
        var (presentation, timeline, parts) = Self.live()
        parts.open = nil
        let text = LowLatencyHLS.mediaPlaylist(presentation, track: timeline, parts: parts, options: cmaf)
        #expect(text.hasSuffix("""
            Fragments(video=17000000060000000,format=m3u8-cmaf).mp4
            #EXT-X-PRELOAD-HINT:TYPE=PART,URI="Fragments(video=17000000070000000,format=m3u8-cmaf,part=0).mp4"

            """))
        _ = presentation
    }

    @Test func renditionReportsNameTheOtherRenditionsNewestPart() throws {
        let (presentation, timeline, parts) = Self.live()
        var other = timeline
        other.track = Fixtures.video360
        let report = try #require(LowLatencyHLS.RenditionReport(other, parts: parts))
        #expect(report.lastMSN == 17 && report.lastPart == 0)
        var closedOnly = parts
        closedOnly.open = nil
        #expect(LowLatencyHLS.RenditionReport(other, parts: closedOnly)?.lastPart == 1)
        let text = LowLatencyHLS.mediaPlaylist(presentation, track: timeline, parts: parts, options: cmaf, renditionReports: [report])
        #expect(text.hasSuffix("""
            #EXT-X-PRELOAD-HINT:TYPE=PART,URI="Fragments(video=17000000070000000,format=m3u8-cmaf,part=1).mp4"
            #EXT-X-RENDITION-REPORT:URI="../QualityLevels(1000000)/Manifest(video_360,format=m3u8-cmaf)",LAST-MSN=17,LAST-PART=0

            """))
    }

    @Test func blockingDecisions() {
        let (_, timeline, parts) = Self.live()
        typealias D = LowLatencyHLS.Directives
        // Last complete segment 16; 17 is open with part 0.
        #expect(LowLatencyHLS.blocking(D(), track: timeline, parts: parts) == .ready)
        #expect(LowLatencyHLS.blocking(D(msn: 16), track: timeline, parts: parts) == .ready)
        #expect(LowLatencyHLS.blocking(D(msn: 17), track: timeline, parts: parts) == .wait)
        #expect(LowLatencyHLS.blocking(D(msn: 17, part: 0), track: timeline, parts: parts) == .ready)
        #expect(LowLatencyHLS.blocking(D(msn: 17, part: 1), track: timeline, parts: parts) == .wait)
        #expect(LowLatencyHLS.blocking(D(msn: 18, part: 0), track: timeline, parts: parts) == .wait)
        #expect(LowLatencyHLS.blocking(D(msn: 18), track: timeline, parts: parts) == .wait)
        // Advance Part Limit: 3 s of 0.5 s parts beyond the last part (0).
        #expect(LowLatencyHLS.blocking(D(msn: 17, part: 6), track: timeline, parts: parts) == .wait)
        #expect(LowLatencyHLS.blocking(D(msn: 17, part: 7), track: timeline, parts: parts) != .wait)
        guard case .tooFarAhead = LowLatencyHLS.blocking(D(msn: 19), track: timeline, parts: parts) else {
            Issue.record("msn 19 is three segments ahead"); return
        }
        guard case .tooFarAhead = LowLatencyHLS.blocking(D(msn: 17, part: 9), track: timeline, parts: parts) else {
            Issue.record("part 9 is far beyond the last part"); return
        }
    }

    @Test func directivesParseAndRefuseNonsense() throws {
        let d = try LowLatencyHLS.Directives.parse([("_HLS_msn", "17"), ("_HLS_part", "2"), ("_HLS_skip", "YES"), ("x", "y")])
        #expect(d == LowLatencyHLS.Directives(msn: 17, part: 2, skip: true))
        #expect(throws: PackagingError.self) { try LowLatencyHLS.Directives.parse([("_HLS_msn", "-1")]) }
        #expect(throws: PackagingError.self) { try LowLatencyHLS.Directives.parse([("_HLS_msn", "x")]) }
        #expect(throws: PackagingError.self) { try LowLatencyHLS.Directives.parse([("_HLS_part", "1")]) }
        #expect(throws: PackagingError.self) { try LowLatencyHLS.Directives.parse([("_HLS_skip", "maybe")]) }
    }

    @Test func partURLsParseAndRoundTrip() throws {
        let path = "/loc/news.ism/QualityLevels(1000000)/Fragments(video=17000000070000000,format=m3u8-cmaf,part=3).mp4"
        let request = try OriginRequest.parse(path: path)
        #expect(request.resource == .fragment(bitrate: 1_000_000, trackName: "video", time: 17_000_000_070_000_000))
        #expect(request.options.part == 3)
        #expect(OriginPaths.path(for: request) + ".mp4" == path)
        #expect(OriginPaths.part(track: "video", time: 5, index: 2, options: cmaf) == "Fragments(video=5,format=m3u8-cmaf,part=2)")
        for bad in ["/loc/news.ism/QualityLevels(1)/Fragments(video=i,format=m3u8-cmaf,part=0)",
                    "/loc/news.ism/QualityLevels(1)/KeyFrames(video=5,format=m3u8-cmaf,part=0)",
                    "/loc/news.ism/QualityLevels(1)/Fragments(video=5,format=m3u8-aapl,part=0)",
                    "/loc/news.ism/QualityLevels(1)/Fragments(video=5,part=0)",
                    "/loc/news.ism/QualityLevels(1)/Fragments(video=5,format=m3u8-cmaf,part=-1)",
                    "/loc/news.ism/QualityLevels(1)/Manifest(video,format=m3u8-cmaf,part=0)",
                    "/loc/news.ism/manifest(format=m3u8-cmaf,part=0)"] {
            #expect(throws: OriginRequestError.self, "\(bad)") { try OriginRequest.parse(path: bad) }
        }
    }
}

@Suite struct LowLatencyDASHTests {
    @Test func mpdCarriesAvailabilityTimeOffsetServiceDescriptionAndProducerReferenceTime() throws {
        let (presentation, _, parts) = LowLatencyHLSTests.live()
        let listed = LowLatencyDASH.presentationWithOpenSegments(presentation, open: [parts.open])
        // The open segment is listed with the previous segment's duration.
        #expect(listed.tracks[0].segments.last == TimelineSegment(startTime: Fixtures.t0 + 7 * Fixtures.second,
                                                                  duration: Fixtures.second, sequenceNumber: 17))
        let now = Date(timeIntervalSince1970: 1_700_000_008)
        let options = ManifestOptions(format: .dashCMAF)
        let mpd = DASHBuilder.mpd(listed, options: options, now: now, utcTimingURL: nil,
                                  lowLatency: LowLatencyDASH.Settings(chunkDuration: Fixtures.second / 2))
        #expect(mpd.contains("""
              <ServiceDescription id="0">
                <Latency referenceId="0" target="3000" min="1500" max="6000"/>
                <PlaybackRate min="0.96" max="1.04"/>
              </ServiceDescription>
              <Period id="0" start="PT0S">
            """))
        #expect(mpd.contains("""
                    <ProducerReferenceTime id="0" type="encoder" wallClockTime="2023-11-14T22:13:20.000Z" presentationTime="17000000000000000">
                      <UTCTiming schemeIdUri="urn:mpeg:dash:utc:direct:2014" value="2023-11-14T22:13:28.000Z"/>
                    </ProducerReferenceTime>
                    <SegmentTemplate timescale="10000000" presentationTimeOffset="17000000000000000" media="QualityLevels($Bandwidth$)/Fragments(video=$Time$,format=mpd-time-cmaf)" initialization="QualityLevels($Bandwidth$)/Fragments(video=i,format=mpd-time-cmaf)" availabilityTimeOffset="0.500" availabilityTimeComplete="false">
                      <SegmentTimeline>
                        <S t="17000000000000000" d="10000000" r="7"/>
            """))
        #expect(mpd.contains("suggestedPresentationDelay=\"PT3S\""))
        // Not for CSF, nor without the settings.
        let csf = DASHBuilder.mpd(listed, options: ManifestOptions(format: .dashCSF), now: now, utcTimingURL: nil,
                                  lowLatency: LowLatencyDASH.Settings(chunkDuration: Fixtures.second / 2))
        #expect(!csf.contains("availabilityTimeOffset") && !csf.contains("ServiceDescription"))
        let plain = DASHBuilder.mpd(presentation, options: options, now: now, utcTimingURL: nil)
        #expect(!plain.contains("availabilityTimeOffset") && !plain.contains("ProducerReferenceTime"))
    }
}
