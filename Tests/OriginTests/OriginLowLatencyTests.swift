// The origin over a low-latency channel: LL-HLS playlists and blocking reload (held, answered, refused, timed out),
// parts, the preload-hinted part, and the chunked transfer of the segment in progress.
import EventLoop
import Foundation
import HTTP
import ISOBMFF
import Live
import Media
import MediaDirectory
import Origin
import Packaging
import Testing

/// 30 fps video with a keyframe every second and 48 kHz audio, continuing where the last call stopped.
private struct Feeder {
    var video = 0, audio = 0

    mutating func feed(_ channel: LiveChannel, untilMs: Int64) async {
        while true {
            let v = Int64((Double(video) * 1000 / 30).rounded())
            let a = Int64(audio) * 1024 * 1000 / 48_000
            if min(v, a) >= untilMs { return }
            if v <= a {
                await channel.ingest(stream: "s", frame: MediaFrame(kind: .video, decodeTime: v, timescale: 1000,
                                                                    isKeyframe: video % 30 == 0, data: [0, 0, 0, 1, 0x65]))
                video += 1
            } else {
                await channel.ingest(stream: "s", frame: MediaFrame(kind: .audio, decodeTime: a, timescale: 1000, isKeyframe: true,
                                                                    data: [0x21, 0x10]))
                audio += 1
            }
        }
    }
}

private func lines(_ text: String, _ tag: String) -> [String] { text.split(separator: "\n").map(String.init).filter { $0.hasPrefix(tag) } }

private func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

@Suite(.serialized) struct OriginLowLatencyTests {
    @Test func blockingReloadPartsAndTheSegmentInProgress() async throws {
        let loop = try EventLoop(name: "origin-ll-test")
        let channel = LiveChannel(name: "news", executor: loop.unownedExecutor,
                                  configuration: ChannelConfiguration(partDuration: second / 2), clock: { t0 }, logger: quietLogger)
        let responder = OriginResponder(resolver: TestResolver(sources: ["news": channel]), logger: quietLogger)
        await channel.beginSession(stream: "s")
        await channel.declareBitrate(stream: "s", kind: .video, bitsPerSecond: 1_000_000)
        await channel.configure(stream: "s", codec: .avc(AVCConfiguration(
            record: [1, 0x64, 0, 0x1f, 0xff, 0xe1], profileIndication: 0x64, profileCompatibility: 0, levelIndication: 0x1f,
            nalUnitLengthSize: 4, sequenceParameterSets: [], pictureParameterSets: [], width: 1280, height: 720, frameRate: 30)))
        var feeder = Feeder()
        await feeder.feed(channel, untilMs: 3_600)  // segments 1-3 closed, segment 4 open with one part
        let base = "/loc/news.ism/QualityLevels(1000000)/"
        let playlist = base + "Manifest(video,format=m3u8-cmaf)"

        let text = bodyText(await get(responder, playlist))
        #expect(text.contains("#EXT-X-VERSION:9\n") && text.contains("#EXT-X-PART-INF:PART-TARGET=0.500\n"), "\(text)")
        #expect(lines(text, "#EXT-X-PRELOAD-HINT:").first?.contains("part=1)") == true, "\(text)")
        let openStart = t0 + 3 * second
        #expect(text.contains("URI=\"Fragments(video=\(openStart),format=m3u8-cmaf,part=0).mp4\",INDEPENDENT=YES"))

        // Refused at once: too far ahead, or a part without its segment.
        #expect(await get(responder, playlist + "?_HLS_msn=9").status == 400)
        #expect(await get(responder, playlist + "?_HLS_part=1").status == 400)
        // Ready at once.
        #expect(await get(responder, playlist + "?_HLS_msn=4&_HLS_part=0").status == 200)

        // Held until the part exists: the playlist, and the preload-hinted part itself.
        let started = ContinuousClock.now
        let blocked = Task { await get(responder, playlist + "?_HLS_msn=4&_HLS_part=1") }
        let hinted = Task { await get(responder, base + "Fragments(video=\(openStart),format=m3u8-cmaf,part=1).mp4") }
        let streamed = Task { await get(responder, base + "Fragments(video=\(openStart),format=mpd-time-cmaf)") }
        try await Task.sleep(for: .milliseconds(300))
        await feeder.feed(channel, untilMs: 4_100)  // part 1 of segment 4, then segment 4 closes at 4 s
        let reloaded = await blocked.value
        #expect(reloaded.status == 200)
        #expect(bodyText(reloaded).contains("Fragments(video=\(openStart),format=m3u8-cmaf,part=1).mp4"))
        let part = await hinted.value
        #expect(part.status == 200 && bodyBytes(part).count > 100)
        #expect(seconds(since: started) >= 0.25)

        // The segment in progress came over chunked transfer, the same bytes as the stored segment.
        let stream = await streamed.value
        guard case .stream(let body) = stream.body else { Issue.record("not streamed: \(stream.status)"); return }
        var streamedBytes: [UInt8] = []
        for await chunk in body { streamedBytes += chunk }
        let whole = await get(responder, base + "Fragments(video=\(openStart),format=mpd-time-cmaf)")
        #expect(bodyBytes(whole) == streamedBytes && !streamedBytes.isEmpty)
        // Part 1 is the second half of the stored segment, its `tfdt` on the HLS-CMAF timeline (which counts from the
        // channel's first fragment; DASH keeps the stored time).
        let presentation = await channel.presentation()
        let timescale = try #require(presentation.tracks.first?.track.timescale)
        let offset = try #require(presentation.presentationOrigin(timescale: timescale))
        #expect(FragmentDecodeTime.shifted(Array(streamedBytes.suffix(bodyBytes(part).count)), by: offset) == bodyBytes(part))

        // No segment starts there / the segment has no such part.
        #expect(await get(responder, base + "Fragments(video=\(openStart + 1),format=m3u8-cmaf,part=0).mp4").status == 404)
        #expect(await get(responder, base + "Fragments(video=\(openStart),format=m3u8-cmaf,part=7).mp4").status == 404)

        // Nothing more comes: a blocking request is answered 503 after three target durations (3 s here).
        let waited = ContinuousClock.now
        let timedOut = await get(responder, playlist + "?_HLS_msn=6")
        #expect(timedOut.status == 503, "\(bodyText(timedOut))")
        let took = seconds(since: waited)
        #expect(took >= 2.9 && took < 10, "\(took)")

        // The MPD is LL-DASH and lists the segment in progress.
        await feeder.feed(channel, untilMs: 4_600)
        let mpd = bodyText(await get(responder, "/loc/news.ism/manifest(format=mpd-time-cmaf)"))
        #expect(mpd.contains("availabilityTimeComplete=\"false\"") && mpd.contains("<ServiceDescription"), "\(mpd)")
        try await loop.shutdownGracefully()
    }

    /// Filters that only select tracks keep low latency; a time range (here a live backoff) gives the ordinary
    /// filtered playlist; an excluded track or an unknown filter is a 404, as without low latency.
    @Test func trackFiltersKeepLowLatencyAndTimeRangesDoNot() async throws {
        struct FilteringResolver: LocatorResolver {
            let channel: LiveChannel
            func resolve(locatorID: String, manifestName: String, request: HTTPRequest) async -> LocatorResolution {
                let video = PresentationFilter(name: "videoonly", trackSelections: [[TrackCondition(property: .type, operation: .equal, value: "video")]])
                let audio = PresentationFilter(name: "audioonly", trackSelections: [[TrackCondition(property: .type, operation: .equal, value: "audio")]])
                let late = PresentationFilter(name: "late", timeRange: FilterTimeRange(liveBackoffDuration: 10_000_000))
                return .source(channel, filters: FilterSet(named: ["videoonly": video, "audioonly": audio, "late": late]))
            }
        }
        let loop = try EventLoop(name: "origin-ll-filter-test")
        let channel = LiveChannel(name: "news", executor: loop.unownedExecutor,
                                  configuration: ChannelConfiguration(partDuration: second / 2), clock: { t0 }, logger: quietLogger)
        let responder = OriginResponder(resolver: FilteringResolver(channel: channel), logger: quietLogger)
        await channel.beginSession(stream: "s")
        await channel.declareBitrate(stream: "s", kind: .video, bitsPerSecond: 1_000_000)
        await channel.configure(stream: "s", codec: .avc(AVCConfiguration(
            record: [1, 0x64, 0, 0x1f, 0xff, 0xe1], profileIndication: 0x64, profileCompatibility: 0, levelIndication: 0x1f,
            nalUnitLengthSize: 4, sequenceParameterSets: [], pictureParameterSets: [], width: 1280, height: 720, frameRate: 30)))
        var feeder = Feeder()
        await feeder.feed(channel, untilMs: 3_600)
        let playlist = "/loc/news.ism/QualityLevels(1000000)/Manifest(video,format=m3u8-cmaf"

        let selected = await get(responder, playlist + ",filter=videoonly)")
        #expect(selected.status == 200 && bodyText(selected).contains("#EXT-X-PART-INF:"), "\(bodyText(selected))")
        #expect(await get(responder, playlist + ",filter=videoonly)?_HLS_msn=4&_HLS_part=0").status == 200)
        let backedOff = await get(responder, playlist + ",filter=late)")
        #expect(backedOff.status == 200 && !bodyText(backedOff).contains("#EXT-X-PART"), "\(bodyText(backedOff))")
        #expect(await get(responder, playlist + ",filter=audioonly)").status == 404)
        #expect(await get(responder, playlist + ",filter=nosuch)").status == 404)
        let mpd = bodyText(await get(responder, "/loc/news.ism/manifest(format=mpd-time-cmaf,filter=videoonly)"))
        #expect(mpd.contains("availabilityTimeComplete=\"false\""), "\(mpd)")
        let lateMPD = bodyText(await get(responder, "/loc/news.ism/manifest(format=mpd-time-cmaf,filter=late)"))
        #expect(lateMPD.contains("type=\"dynamic\"") && !lateMPD.contains("availabilityTimeComplete"), "\(lateMPD)")
        try await loop.shutdownGracefully()
    }
}
