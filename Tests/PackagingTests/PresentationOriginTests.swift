// The zero of the timeline HLS-CMAF and live DASH present (Presentation.presentationOrigin).

import Foundation
import Media
import Testing
@testable import Packaging

@Suite struct PresentationOriginTests {
    typealias F = Fixtures

    @Test func liveStartsAtTheSourcesFirstFragmentAndStaysThereWhileTheWindowSlides() {
        var live = F.live
        #expect(live.presentationOrigin == F.t0)  // no origin known: the earliest listed segment
        // The window has slid 60 s past where the channel began: the origin does not follow it.
        live.timelineOrigin = F.t0 - 60 * F.second
        #expect(live.presentationOrigin == F.t0 - 60 * F.second)
        #expect(live.presentationOrigin(timescale: 90_000) == (F.t0 - 60 * F.second) / 10_000_000 * 90_000)
        // Never after the first listed segment (a segment before 0 would get a negative tfdt).
        live.timelineOrigin = F.t0 + F.second
        #expect(live.presentationOrigin == F.t0)
    }

    @Test func onDemandStartsAtTheFirstListedSegmentFlooredToAMillisecond() {
        var vod = F.vod
        vod.timelineOrigin = F.t0 - 600 * F.second  // ignored: on demand plays from what is listed
        #expect(vod.presentationOrigin == F.t0)
        vod.tracks = vod.tracks.map { timeline in
            var shifted = timeline
            shifted.segments = timeline.segments.map { var s = $0; s.startTime += 12_345; return s }
            return shifted
        }
        #expect(vod.presentationOrigin == F.t0 + 10_000)
        #expect(Presentation(tracks: [], isLive: true, windowDuration: nil, nominalFragmentDuration: 2).presentationOrigin == nil)
    }

    /// Live DASH: presentation time 0 is the origin (availabilityStartTime = its wall-clock time, presentationTimeOffset
    /// = its media time), so `S@t` and the fragment URLs keep the stored time and wall clock = AST + (t − PTO).
    @Test func liveMPDPutsPresentationTimeZeroAtTheOrigin() throws {
        var live = F.live
        live.timelineOrigin = F.t0 - 60 * F.second - 4_321
        let text = DASHBuilder.mpd(live, options: ManifestOptions(format: .dashCMAF), now: Date(timeIntervalSince1970: 1_700_000_016.5),
                                   utcTimingURL: nil)
        #expect(text.contains("availabilityStartTime=\"2023-11-14T22:12:19.999Z\""))
        #expect(text.components(separatedBy: "presentationTimeOffset=\"16999999399990000\"").count == 3)
        #expect(text.contains("<S t=\"17000000000000000\" d=\"20000000\" r=\"2\"/>"))
        #expect(text.contains("Fragments(video=$Time$,format=mpd-time-cmaf)"))
    }
}
