import Testing
import Media
@testable import Live

/// A synthetic encoder: 30 fps video with a keyframe every `gop` frames, 48 kHz AAC, interleaved by
/// time as RTMP delivers them, timestamps in milliseconds.
struct SyntheticEncoder {
    var fps = 30.0
    var gop = 60
    var bFrameDelayMs: Int32 = 0
    var videoFrame = 0
    var audioFrame = 0
    var startMs: Int64 = 0

    static let video = CodecConfiguration.avc(AVCConfiguration(
        record: [1, 0x64, 0, 0x1f, 0xff, 0xe1], profileIndication: 0x64, profileCompatibility: 0,
        levelIndication: 0x1f, nalUnitLengthSize: 4, sequenceParameterSets: [], pictureParameterSets: [],
        width: 1280, height: 720, frameRate: 30))
    static let audio = CodecConfiguration.aac(AudioSpecificConfig(bytes: [0x11, 0x90], objectType: 2,
                                                                  sampleRate: 48_000, channelCount: 2))

    /// Frames up to `untilMs` (exclusive), in timestamp order.
    mutating func frames(untilMs: Int64) -> [MediaFrame] {
        var out: [MediaFrame] = []
        while true {
            let v = startMs + Int64((Double(videoFrame) * 1000 / fps).rounded())
            let a = startMs + Int64((Double(audioFrame) * 1024 * 1000 / 48_000).rounded(.down))
            if min(v, a) >= untilMs { return out }
            if v <= a {
                out.append(MediaFrame(kind: .video, decodeTime: v, compositionOffset: bFrameDelayMs, timescale: 1000,
                                      isKeyframe: videoFrame % gop == 0, data: [0, 0, 0, 1, 0x65]))
                videoFrame += 1
            } else {
                out.append(MediaFrame(kind: .audio, decodeTime: a, timescale: 1000, isKeyframe: true, data: [0x21, 0x10]))
                audioFrame += 1
            }
        }
    }
}

let second = MediaTime.ticksPerSecond
let t0: Int64 = 1_763_700_000 * MediaTime.ticksPerSecond

func fragments(_ events: [PipelineEvent]) -> [ClosedFragment] {
    events.compactMap { if case .fragment(let f) = $0 { return f } else { return nil } }
}

func run(_ pipeline: inout ChannelPipeline, _ encoder: inout SyntheticEncoder, untilMs: Int64, now: Int64,
         stream: String = "s") -> [PipelineEvent] {
    var events: [PipelineEvent] = []
    for frame in encoder.frames(untilMs: untilMs) {
        events += pipeline.ingest(stream: stream, frame: frame, now: now)
    }
    return events
}

@Suite struct ChannelPipelineTests {
    @Test func steadyStreamCutsAtKeyframesAndAlignsAudio() {
        var p = ChannelPipeline()
        var enc = SyntheticEncoder()
        p.beginSession(stream: "s")
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.video)
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.audio)
        let out = fragments(run(&p, &enc, untilMs: 10_050, now: t0))
        let video = out.filter { $0.key.kind == .video }
        let audio = out.filter { $0.key.kind == .audio }
        // Keyframes at 0, 2, 4, 6, 8, 10 s: five closed video fragments of exactly 2 s.
        #expect(video.count == 5)
        #expect(video.allSatisfy { $0.segment.duration == 2 * second })
        #expect(video.first?.segment.startTime == t0)
        #expect(video.map(\.segment.sequenceNumber) == [1, 2, 3, 4, 5])
        #expect(video.allSatisfy { $0.samples.first?.isSync == true && $0.samples.count == 60 })
        #expect(video.allSatisfy { $0.lastSampleArrival == t0 })
        // Contiguous timeline.
        for (a, b) in zip(video, video.dropFirst()) { #expect(a.segment.endTime == b.segment.startTime) }
        // Audio fragments start within one AAC frame of the matching video fragment and tile exactly.
        #expect(audio.count >= 4)
        for (a, v) in zip(audio, video) {
            #expect(abs(a.segment.startTime - v.segment.startTime) <= 213_334)
        }
        for (a, b) in zip(audio, audio.dropFirst()) { #expect(a.segment.endTime == b.segment.startTime) }
        let frameTicks = audio.flatMap(\.samples).map(\.duration)
        #expect(Set(frameTicks).isSubset(of: [213_333, 213_334]))
    }

    @Test func endOfSessionFlushesTheLastGop() {
        var p = ChannelPipeline()
        var enc = SyntheticEncoder()
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.video)
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.audio)
        var out = fragments(run(&p, &enc, untilMs: 5_000, now: t0))
        out += fragments(p.endSession(stream: "s"))
        let video = out.filter { $0.key.kind == .video }
        // 150 frames pushed, all of them out: 2 s + 2 s + 1 s.
        #expect(video.flatMap(\.samples).count == 150)
        #expect(video.map(\.samples.count) == [60, 60, 30])
        // The last frame inherits the previous frame's duration; RTMP times have 1 ms resolution.
        #expect(abs(video.last!.segment.endTime - (t0 + 5 * second)) <= 10_000)
    }

    @Test func reconnectWithTimestampResetContinuesAndMarksDiscontinuity() {
        var p = ChannelPipeline()
        var enc = SyntheticEncoder()
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.video)
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.audio)
        var first = fragments(run(&p, &enc, untilMs: 6_000, now: t0))
        first += fragments(p.endSession(stream: "s"))
        let end = p.timelineEnd
        // The encoder comes back 3 s later with timestamps from zero.
        p.beginSession(stream: "s")
        var enc2 = SyntheticEncoder()
        let now = t0 + 9 * second
        let events = run(&p, &enc2, untilMs: 4_050, now: now)
        #expect(events.contains { if case .discontinuity = $0 { true } else { false } })
        let second = fragments(events)
        let video2 = second.filter { $0.key.kind == .video }
        let audio2 = second.filter { $0.key.kind == .audio }
        #expect(video2.first?.segment.startTime == now)
        #expect(video2.first!.segment.startTime >= end)
        #expect(video2.first?.segment.discontinuity == true)
        #expect(audio2.first?.segment.discontinuity == true)
        #expect(video2.dropFirst().allSatisfy { !$0.segment.discontinuity })
        // Sequence numbers go on.
        let lastSeq = first.filter { $0.key.kind == .video }.last!.segment.sequenceNumber
        #expect(video2.first?.segment.sequenceNumber == lastSeq + 1)
    }

    @Test func reconnectWithContinuingTimestampsKeepsTheTimelineWithoutDiscontinuity() {
        var p = ChannelPipeline()
        // 25 fps: frame times exact in milliseconds, so the last frame's inherited duration is exact too.
        var enc = SyntheticEncoder(fps: 25, gop: 50)
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.video)
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.audio)
        var out = fragments(run(&p, &enc, untilMs: 6_000, now: t0))
        out += fragments(p.endSession(stream: "s"))
        // A Smooth encoder reconnects 2 s later and goes on with its own (absolute) times.
        p.beginSession(stream: "s")
        var enc2 = SyntheticEncoder(fps: 25, gop: 50, startMs: 6_000)
        let events = run(&p, &enc2, untilMs: 10_050, now: t0 + 8 * second)
        #expect(!events.contains { if case .discontinuity = $0 { true } else { false } })
        out += fragments(events)
        let video = out.filter { $0.key.kind == .video }
        #expect(video.allSatisfy { !$0.segment.discontinuity })
        for (a, b) in zip(video, video.dropFirst()) { #expect(b.segment.startTime == a.segment.endTime) }
        #expect(video.last?.segment.endTime == t0 + 10 * second)
    }

    @Test func quickReconnectNeverMovesBackwards() {
        var p = ChannelPipeline()
        var enc = SyntheticEncoder()
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.video)
        _ = fragments(run(&p, &enc, untilMs: 4_050, now: t0))
        _ = p.endSession(stream: "s")
        let end = p.timelineEnd
        // Wall clock says "t0 + 1 s" (clock skew / fast reconnect): the timeline must still go forward.
        p.beginSession(stream: "s")
        var enc2 = SyntheticEncoder()
        let out = fragments(run(&p, &enc2, untilMs: 2_050, now: t0 + second))
        #expect(out.first?.segment.startTime == end)
    }

    @Test func timestampJumpBackInsideSessionIsRebased() {
        var p = ChannelPipeline()
        var enc = SyntheticEncoder()
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.video)
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.audio)
        var events = run(&p, &enc, untilMs: 4_050, now: t0)
        // Same connection, encoder timestamps restart at 0 (e.g. an encoder restart behind a relay).
        var enc2 = SyntheticEncoder()
        events += run(&p, &enc2, untilMs: 4_050, now: t0 + 4 * second)
        let video = fragments(events).filter { $0.key.kind == .video }
        for (a, b) in zip(video, video.dropFirst()) { #expect(b.segment.startTime >= a.segment.endTime) }
        #expect(video.contains { $0.segment.discontinuity })
        #expect(events.contains { if case .discontinuity = $0 { true } else { false } })
    }

    @Test func audioBeforeVideoAndVideoBeforeKeyframeAreDropped() {
        var p = ChannelPipeline()
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.video)
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.audio)
        var events: [PipelineEvent] = []
        events += p.ingest(stream: "s", frame: MediaFrame(kind: .audio, decodeTime: 0, timescale: 1000, isKeyframe: true, data: [1]), now: t0)
        events += p.ingest(stream: "s", frame: MediaFrame(kind: .video, decodeTime: 10, timescale: 1000, isKeyframe: false, data: [1]), now: t0)
        let reasons = events.compactMap { if case .dropped(_, let r, _) = $0 { r } else { nil } }
        #expect(reasons == [.beforeVideoStart, .waitingForKeyframe])
        // A frame for a track with no configuration is dropped too.
        let e = p.ingest(stream: "other", frame: MediaFrame(kind: .video, decodeTime: 0, timescale: 1000, isKeyframe: true, data: [1]), now: t0)
        #expect(e.count == 1)
    }

    @Test func compositionOffsetsPresentKeyframesAtTheirDecodeTime() {
        var p = ChannelPipeline()
        var enc = SyntheticEncoder(bFrameDelayMs: 67)
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.video)
        let video = fragments(run(&p, &enc, untilMs: 4_050, now: t0))
        #expect(video.count == 2)
        for f in video {
            #expect(f.samples.first?.compositionOffset == 0)
            #expect(f.samples.first?.presentationTime == f.segment.startTime)
        }
    }

    @Test func collidingMillisecondTimestampsAreKeptAndLargerRegressionsDropped() {
        var p = ChannelPipeline()
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.video)
        func video(_ ms: Int64, key: Bool = false, cts: Int32 = 0) -> [PipelineEvent] {
            p.ingest(stream: "s", frame: MediaFrame(kind: .video, decodeTime: ms, compositionOffset: cts, timescale: 1000,
                                                    isKeyframe: key, data: [1]), now: t0)
        }
        _ = video(100, key: true)
        // Same millisecond: kept, one tick later, presented when the encoder said.
        #expect(video(100, cts: 40).isEmpty)
        // Far behind: dropped and counted.
        #expect(video(50).contains { if case .dropped(_, .nonIncreasing, _) = $0 { true } else { false } })
        _ = video(200)
        let out = fragments(video(2100, key: true)) + fragments(p.endSession(stream: "s"))
        let first = try! #require(out.first { $0.segment.startTime == t0 })
        #expect(first.samples.count == 3)
        #expect(first.samples[1].decodeTime == first.samples[0].decodeTime + 1)
        #expect(first.samples[1].presentationTime == t0 + 40 * 10_000)
        #expect(first.samples[0].duration == 1)
        #expect(p.trackCounters(TrackKey(stream: "s", kind: .video))?.nonIncreasing == 2)
        #expect(p.trackCounters(TrackKey(stream: "s", kind: .video))?.dropped == 1)
    }
}

@Suite struct LiveWindowTests {
    static let info = TrackInfo(trackID: 1, kind: .video, name: "video", timescale: 10_000_000,
                                codec: SyntheticEncoder.video, bitrate: 3_000_000)

    @Test func evictsByAgeAndCountsDiscontinuities() {
        var w = LiveWindow(duration: 6 * second)
        let key = TrackKey(stream: "s", kind: .video)
        w.setTrack(key, info: Self.info, initSegment: [9])
        for i in 0..<10 {
            w.append(key, segment: TimelineSegment(startTime: t0 + Int64(i) * 2 * second, duration: 2 * second,
                                                   sequenceNumber: i + 1, discontinuity: i == 2),
                     bytes: [UInt8(i)])
        }
        let p = w.presentation(isLive: true, nominalFragmentDuration: 2)
        let segments = p.tracks[0].segments
        #expect(segments.map(\.sequenceNumber) == [8, 9, 10])
        #expect(p.tracks[0].discontinuitySequence == 1)
        #expect(w.fragment(trackName: "video", bitrate: 3_000_000, time: t0 + 18 * second) == .found([9]))
        #expect(w.fragment(trackName: "VIDEO", bitrate: 3_000_000, time: t0 + 14 * second) == .found([7]))
        #expect(w.fragment(trackName: "video", bitrate: 3_000_000, time: t0) == .outsideWindow)
        #expect(w.fragment(trackName: "video", bitrate: 3_000_000, time: t0 + 20 * second) == .beyondLiveEdge)
        #expect(w.fragment(trackName: "video", bitrate: 3_000_000, time: t0 + 15 * second) == .noSuchFragment)
        #expect(w.fragment(trackName: "video", bitrate: 1, time: t0) == .unknownTrack)
        #expect(w.initSegment(trackName: "video", bitrate: 3_000_000) == [9])
    }

    @Test func aListedDiscontinuityIsNotCountedInTheSequence() {
        var w = LiveWindow(duration: 6 * second)
        let key = TrackKey(stream: "s", kind: .video)
        w.setTrack(key, info: Self.info, initSegment: [9])
        var sequences: [(first: Int, flagged: Bool, count: Int)] = []
        for i in 0..<7 {
            w.append(key, segment: TimelineSegment(startTime: t0 + Int64(i) * 2 * second, duration: 2 * second,
                                                   sequenceNumber: i + 1, discontinuity: i == 2),
                     bytes: [UInt8(i)])
            let timeline = w.presentation(isLive: true, nominalFragmentDuration: 2).tracks[0]
            sequences.append((timeline.segments[0].sequenceNumber, timeline.segments[0].discontinuity, timeline.discontinuitySequence))
        }
        // While the flagged fragment (3) is listed its tag is in the playlist: the sequence stays 0; once it is gone, 1.
        #expect(sequences.map(\.first) == [1, 1, 1, 2, 3, 4, 5])
        #expect(sequences.map(\.count) == [0, 0, 0, 0, 0, 1, 1])
        #expect(sequences[4].flagged)
    }

    /// HLS-CMAF and live DASH count presentation time from the window's origin: the earliest first fragment of any
    /// track, which stays put while the window slides (a segment's rebased `tfdt` never changes).
    @Test func theOriginIsTheEarliestFirstFragmentAndSurvivesEviction() {
        var w = LiveWindow(duration: 6 * second)
        let video = TrackKey(stream: "s", kind: .video), audio = TrackKey(stream: "s", kind: .audio)
        let audioInfo = TrackInfo(trackID: 2, kind: .audio, name: "audio", timescale: 48_000, codec: Self.info.codec, bitrate: 128_000)
        w.setTrack(video, info: Self.info, initSegment: [9])
        w.setTrack(audio, info: audioInfo, initSegment: [8])
        #expect(w.origin == nil)
        w.append(video, segment: TimelineSegment(startTime: t0, duration: 2 * second, sequenceNumber: 1), bytes: [0])
        // Audio's first fragment starts 10 ms earlier (in its own timescale): it lowers the origin.
        let audioStart = MediaTime.rescale(t0 - 100_000, from: MediaTime.ticksPerSecond, to: 48_000)
        w.append(audio, segment: TimelineSegment(startTime: audioStart, duration: 96_000, sequenceNumber: 1), bytes: [0])
        #expect(w.origin == t0 - 100_000)
        for i in 1..<10 {
            w.append(video, segment: TimelineSegment(startTime: t0 + Int64(i) * 2 * second, duration: 2 * second, sequenceNumber: i + 1),
                     bytes: [UInt8(i)])
        }
        let p = w.presentation(isLive: true, nominalFragmentDuration: 2)
        #expect(p.tracks[0].segments.first?.startTime == t0 + 14 * second)
        #expect(p.timelineOrigin == t0 - 100_000)
    }
}
