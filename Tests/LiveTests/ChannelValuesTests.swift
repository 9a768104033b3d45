// The values LiveChannel owns beside its pipeline and window: track naming and the unaligned-keyframe reports.
import Testing
import Media
@testable import Live

@Suite struct TrackNamingTests {
    static let aac = CodecConfiguration.aac(AudioSpecificConfig(bytes: [0x11, 0x90], objectType: 2, sampleRate: 48_000, channelCount: 2))
    let second = MediaTime.ticksPerSecond

    @Test func declaredBitrateWinsAndIDsFollowFirstPublication() {
        var naming = TrackNaming()
        let q1 = TrackKey(stream: "q1", kind: .video), audio = TrackKey(stream: "q1", kind: .audio)
        naming.declareBitrate(q1, bitsPerSecond: 3_000_000)
        naming.declareBitrate(audio, bitsPerSecond: 0)   // ignored: measured instead
        let video = naming.trackInfo(q1, codec: SyntheticEncoder.video, firstFragmentBytes: 1, duration: 2 * second)
        #expect(video.trackID == 1 && video.bitrate == 3_000_000 && video.name == "video" && video.language == "und")
        // 32,000 bytes over 2 s = 128 kbit/s, rounded to whole kbit/s.
        let sound = naming.trackInfo(audio, codec: Self.aac, firstFragmentBytes: 32_000, duration: 2 * second)
        #expect(sound.trackID == 2 && sound.bitrate == 128_000 && sound.name == "audio")
        // A track published again (after a reconnect) keeps its ID.
        #expect(naming.trackInfo(q1, codec: SyntheticEncoder.video, firstFragmentBytes: 1, duration: second).trackID == 1)
    }

    @Test func aLanguageNamesAudioTracksApart() {
        var naming = TrackNaming()
        let en = TrackKey(stream: "en", kind: .audio), fr = TrackKey(stream: "fr", kind: .audio)
        naming.declareLanguage(en, language: "ENG")
        naming.declareLanguage(fr, language: "fra")
        let a = naming.trackInfo(en, codec: Self.aac, firstFragmentBytes: 100, duration: second)
        let b = naming.trackInfo(fr, codec: Self.aac, firstFragmentBytes: 100, duration: second)
        #expect(a.name == "audio_eng" && a.language == "eng")
        #expect(b.name == "audio_fra")
    }

    @Test func measuredBitrateHasAFloor() {
        #expect(TrackNaming.measuredBitrate(bytes: 0, duration: 0) == 1000)
        #expect(TrackNaming.measuredBitrate(bytes: 375_000, duration: MediaTime.ticksPerSecond) == 3_000_000)
    }
}

@Suite struct UnalignedKeyframeReportsTests {
    let second = MediaTime.ticksPerSecond

    @Test func reportsAMissAtMostEveryThirtySecondsAndForgetsAtADiscontinuity() {
        var reports = UnalignedKeyframeReports()
        let q1 = TrackKey(stream: "q1", kind: .video), q2 = TrackKey(stream: "q2", kind: .video)
        func segment(_ start: Int64, _ discontinuity: Bool = false) -> TimelineSegment {
            TimelineSegment(startTime: start, duration: 2 * second, sequenceNumber: 0, discontinuity: discontinuity)
        }
        // q1 cuts at 0, 2, 4 s; q2 at 1, 3 s: its fragments start where q1 has none.
        for t in [0, 2, 4] { _ = reports.fragmentClosed(q1, segment: segment(Int64(t) * second), now: 0) }
        let first = reports.fragmentClosed(q2, segment: segment(1 * second), now: 100 * second)
        #expect(first == .init(other: q1, otherStart: 0) || first == .init(other: q1, otherStart: 2 * second))
        #expect(reports.fragmentClosed(q2, segment: segment(3 * second), now: 110 * second) == nil)   // within 30 s
        #expect(reports.fragmentClosed(q2, segment: segment(3 * second), now: 131 * second) != nil)
        // Aligned fragments are never reported.
        #expect(reports.fragmentClosed(q2, segment: segment(4 * second, true), now: 200 * second) == nil)
    }
}
