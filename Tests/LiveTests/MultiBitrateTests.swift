// Multi-bitrate pass-through: several streams (one per quality) into one channel, their keyframes checked for
// alignment, the audio every quality repeats published once.
import Testing
import EventLoop
import Media
@testable import Live

@Suite struct KeyframeAlignmentTests {
    private let a = TrackKey(stream: "q1", kind: .video), b = TrackKey(stream: "q2", kind: .video)

    @Test func alignedQualitiesPassWhateverOrderTheirFragmentsCloseIn() {
        var check = KeyframeAlignment()
        for gop in 0..<5 {
            let start = Int64(gop) * 20_000_000
            #expect(check.fragmentClosed(a, start: start, end: start + 20_000_000).isEmpty)
            #expect(check.fragmentClosed(b, start: start + 10_000, end: start + 20_000_000).isEmpty)   // 1 ms apart: same keyframe
        }
    }

    @Test func aQualityWhoseGOPsStartElsewhereIsNamedWithTheNearestBoundary() {
        var check = KeyframeAlignment()
        _ = check.fragmentClosed(a, start: 0, end: 20_000_000)
        _ = check.fragmentClosed(a, start: 20_000_000, end: 40_000_000)
        // q2 cuts every 1.667 s (a 50-frame GOP at 30 fps) against q1's 2 s.
        #expect(check.fragmentClosed(b, start: 0, end: 16_670_000).isEmpty)
        let miss = check.fragmentClosed(b, start: 16_670_000, end: 33_340_000)
        #expect(miss.map(\.track) == [a] && miss.first?.nearest == 20_000_000)
        // Not judged where q1 has not been yet.
        #expect(check.fragmentClosed(b, start: 50_000_000, end: 66_670_000).isEmpty)
        // A restarted timeline forgets the old boundaries.
        check.forget(a)
        #expect(check.fragmentClosed(b, start: 33_340_000, end: 50_000_000).isEmpty)
    }
}

extension LiveChannel {
    /// Three qualities pushed with one encoder's clock, as a multi-bitrate encoder does; `gops` per quality.
    func pushQualities(gops: [Int], seconds: Int64) {
        var encoders = gops.map { SyntheticEncoder(gop: $0) }
        for index in gops.indices {
            let stream = "q\(index + 1)"
            beginSession(stream: stream)
            declareBitrate(stream: stream, kind: .video, bitsPerSecond: 3_000_000 / (index + 1))
            declareBitrate(stream: stream, kind: .audio, bitsPerSecond: 128_000)
            configure(stream: stream, codec: SyntheticEncoder.video)
            configure(stream: stream, codec: SyntheticEncoder.audio)
        }
        for ms in stride(from: Int64(100), through: seconds * 1000, by: 100) {
            for index in encoders.indices {
                for frame in encoders[index].frames(untilMs: ms) { ingest(stream: "q\(index + 1)", frame: frame) }
            }
        }
    }
}

@Suite struct MultiBitrateChannelTests {
    @Test func alignedQualitiesAreListedWithOneAudioAndNoWarning() async throws {
        try await withArchiveLoop { loop, _ in
            let channel = makeChannel(loop)
            await channel.pushQualities(gops: [60, 60, 60], seconds: 10)
            let presentation = await channel.presentation()
            #expect(presentation.tracks.filter { $0.track.kind == .video }.map(\.track.bitrate).sorted() == [1_000_000, 1_500_000, 3_000_000])
            #expect(presentation.tracks.filter { $0.track.kind == .audio }.count == 1)
            let events = await channel.telemetry().events
            #expect(!events.contains { $0.kind == .unalignedKeyFrames })
        }
    }

    @Test func misalignedQualityRaisesOneUnalignedKeyFramesEvent() async throws {
        try await withArchiveLoop { loop, _ in
            let channel = makeChannel(loop)
            await channel.pushQualities(gops: [60, 60, 50], seconds: 12)
            let unaligned = await channel.telemetry().events.filter { $0.kind == .unalignedKeyFrames }
            // At most one per track per 30 s (the clock stands still here), and every one involves q3: the two
            // aligned qualities are never reported against each other.
            #expect((1...3).contains(unaligned.count), "\(unaligned.count) events")
            for event in unaligned {
                #expect(event.streamName == "q3" || event.resultMessage?.contains("'q3'") == true, "\(event)")
                #expect(event.resultCode == "MPE_INGEST_KEYFRAMES_UNALIGNED" && event.level == .warning)
            }
        }
    }
}
