// HLS-CMAF segments on the presentation's own timeline: the origin rewrites only their `tfdt`s; DASH, Smooth and the
// URLs keep the stored (wall-clock) time.

import Foundation
import HTTP
import ISOBMFF
import Live
import Media
import Testing
import Origin
import Packaging

@Suite struct OriginHLSTimelineTests {
    /// The fragment at `time` as the source stores it.
    func stored(_ source: any MediaSource, _ info: TrackInfo, _ time: Int64) async throws -> [UInt8] {
        guard case .found(let bytes) = await source.fragment(trackName: info.name, bitrate: info.bitrate, time: time) else {
            throw MediaParseError.invalid("no stored fragment at \(time)")
        }
        return bytes
    }

    @Test func liveSegmentsCountFromTheSourcesOriginAndDASHKeepsTheStoredBytes() async throws {
        try await withSources { _, channel, archive, _ in
            for source in [channel as any MediaSource, archive] {
                let responder = OriginResponder(resolver: TestResolver(sources: ["s": source]), logger: quietLogger)
                let presentation = await source.presentation()
                let info = try #require(presentation.tracks.first { $0.track.kind == .video }?.track)
                let segments = try #require(presentation.timeline(named: info.name, bitrate: info.bitrate)?.segments)
                let offset = try #require(presentation.presentationOrigin(timescale: info.timescale))
                let base = "/loc/s.ism/QualityLevels(\(info.bitrate))/"
                for segment in segments {
                    let bytes = try await stored(source, info, segment.startTime)
                    let hls = bodyBytes(await get(responder, base + "Fragments(video=\(segment.startTime),format=m3u8-cmaf).mp4"))
                    #expect(hls == FragmentDecodeTime.shifted(bytes, by: offset))
                    #expect(FragmentDecodeTime.firstDecodeTime(hls) == UInt64(segment.startTime - offset))
                    let dash = bodyBytes(await get(responder, base + "Fragments(video=\(segment.startTime),format=mpd-time-cmaf)"))
                    #expect(dash == bytes)
                }
                let iFrame = bodyBytes(await get(responder, base + "KeyFrames(video=\(segments[0].startTime),format=m3u8-cmaf).mp4"))
                #expect(FragmentDecodeTime.firstDecodeTime(iFrame) == UInt64(segments[0].startTime - offset))
            }
            // The archive lists only its 4 s rewind window, but its origin stays at its first fragment.
            let listed = await archive.presentation()
            let first = try #require(listed.tracks.first { $0.track.kind == .video }?.segments.first)
            let origin = try #require(listed.timelineOrigin)
            #expect(origin <= first.startTime - 4 * second)
        }
    }

    @Test func onDemandPlaybackStartsAtZero() async throws {
        try await withSources { loop, _, archive, root in
            await archive.stopRecording()
            let vod = try await AssetArchive.open(directory: root + "/assets/a1", loop: loop, logger: quietLogger, sourceDescription: "asset 'a1'")
            let responder = OriginResponder(resolver: TestResolver(sources: ["vod": vod]), logger: quietLogger)
            let presentation = await vod.presentation()
            for timeline in presentation.tracks {
                let info = timeline.track
                let first = try #require(timeline.segments.first)
                let path = "/loc/vod.ism/QualityLevels(\(info.bitrate))/Fragments(\(info.name)=\(first.startTime),format=m3u8-cmaf)"
                let decodeTime = try #require(FragmentDecodeTime.firstDecodeTime(bodyBytes(await get(responder, path))))
                // The earliest track starts at 0; the others within a fragment of it.
                #expect(Int64(decodeTime) == first.startTime - (presentation.presentationOrigin(timescale: info.timescale) ?? 0))
                #expect(Double(decodeTime) / Double(info.timescale) < 1)
            }
        }
    }
}
