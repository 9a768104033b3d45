import Media

/// Identifies a track within a channel: the ingest stream name (one per quality in multi-bitrate
/// pass-through) and what it carries.
public struct TrackKey: Sendable, Hashable, CustomStringConvertible {
    public var stream: String
    public var kind: MediaKind
    public init(stream: String, kind: MediaKind) { self.stream = stream; self.kind = kind }
    public var description: String { "\(stream)/\(kind.rawValue)" }
}

/// A fragment the pipeline has closed: complete samples on the canonical timeline.
public struct ClosedFragment: Sendable {
    public var key: TrackKey
    public var segment: TimelineSegment
    public var samples: [Sample]
    /// Wall clock (ticks) when the last sample's bytes arrived, where known (video): the start of the
    /// ingest-to-playlist latency.
    public var lastSampleArrival: Int64?
    /// Index in `samples` where each CMAF chunk of the fragment starts: `[0]` (one chunk) unless the channel is low
    /// latency, where the chunks published before the close come first and the rest forms the last chunk.
    public var chunkStarts: [Int] = [0]
}

/// A CMAF chunk of a fragment still open (low latency): published as soon as it is complete.
public struct FragmentChunk: Sendable {
    public var key: TrackKey
    /// Decode time of the fragment's first sample (its `Fragments(<t>)` time).
    public var fragmentStart: Int64
    /// The sequence number the fragment will close with.
    public var sequenceNumber: Int
    /// 0 for the fragment's first chunk.
    public var index: Int
    /// The fragment follows a discontinuity.
    public var discontinuity: Bool
    public var samples: [Sample]
}

/// What the pipeline tells its owner about, in order.
public enum PipelineEvent: Sendable {
    /// A track's decoder configuration is new or changed (the owner writes a new init segment).
    case trackConfigured(TrackKey, CodecConfiguration, changed: Bool)
    case fragment(ClosedFragment)
    /// Low latency: a complete chunk of the track's open fragment.
    case chunk(FragmentChunk)
    /// Low latency: the open fragment of the track, whose chunks were published, was dropped (it grew too long
    /// without a keyframe); its chunks must be forgotten.
    case chunksAbandoned(TrackKey)
    /// The timeline was rebased: reconnect with a reset, or a jump inside a session.
    case discontinuity(stream: String, previousEnd: Int64, newStart: Int64, reason: String)
    /// Input that could not be used; counted and reported, never fatal.
    case dropped(TrackKey, reason: DropReason, count: Int)
}

public enum DropReason: String, Sendable {
    case beforeConfiguration = "sample before its codec configuration"
    case waitingForKeyframe = "video before the first keyframe"
    case nonIncreasing = "non-increasing timestamp"
    case beforeVideoStart = "audio before the video start"
    case fragmentTooLong = "no keyframe within the maximum fragment duration"
}

/// The live pipeline of one channel as a pure state machine: ingest frames (protocol timestamps) in,
/// fragments on one monotonic, Unix-epoch-based 10 MHz timeline out. No I/O: the clock is passed in.
///
/// Timeline rules: the first session of a channel is anchored to the wall clock; a reconnect continues
/// from `max(now, end of what was stored)`, so the timeline never moves backwards, and marks a
/// discontinuity. Video drives fragmentation (cut at keyframes); audio is cut at the same presentation
/// times. Audio sample times are regenerated from sample counts so AAC frames tile exactly.
public struct ChannelPipeline: Sendable {
    public let configuration: ChannelConfiguration
    private var tracks: [TrackKey: TrackState] = [:]
    private var sessions: [String: SessionState] = [:]
    /// End of everything emitted so far, across tracks (ticks).
    public private(set) var timelineEnd: Int64 = 0
    /// Shared ms → tick offset while at least one session is live, so qualities stay aligned.
    private var channelOffset: Int64?
    /// The offset each stream's last session ended with: a session whose timestamps continue where the last one
    /// stopped (a Smooth encoder reconnecting with absolute times) resumes on it, with no discontinuity.
    private var endedSessionOffsets: [String: Int64] = [:]
    /// How far a resumed session's first frame may lie from where its track stopped and still count as continuing
    /// (100 ms: a few frames of timestamp jitter). A larger gap is missing media: a discontinuity, even when the
    /// times go on (e.g. the ladder of a restarted encode worker).
    static let continuationTolerance: Int64 = MediaTime.ticksPerSecond / 10

    public init(configuration: ChannelConfiguration = .init()) {
        self.configuration = configuration
    }

    // MARK: - Sessions

    /// An encoder started publishing `stream`.
    public mutating func beginSession(stream: String) {
        // Track timing is reset when the session's first frame shows whether it continues the last one.
        sessions[stream] = SessionState()
    }

    /// The encoder of `stream` went away: flush what it sent.
    public mutating func endSession(stream: String) -> [PipelineEvent] {
        guard let ended = sessions.removeValue(forKey: stream) else { return [] }
        if let offset = ended.offset { endedSessionOffsets[stream] = offset }
        var events: [PipelineEvent] = []
        for kind in [MediaKind.video, .audio, .text] {
            let key = TrackKey(stream: stream, kind: kind)
            guard var state = tracks[key] else { continue }
            if let fragment = state.flush(key: key) { events.append(.fragment(fragment)); note(fragment) }
            tracks[key] = state
        }
        if sessions.isEmpty { channelOffset = nil }
        return events
    }

    public var activeStreams: [String] { Array(sessions.keys) }

    // MARK: - Input

    /// A codec configuration (sequence header) for `stream`.
    public mutating func configure(stream: String, configuration codec: CodecConfiguration) -> [PipelineEvent] {
        let key = TrackKey(stream: stream, kind: codec.kind)
        var state = tracks[key] ?? TrackState(kind: codec.kind)
        var events: [PipelineEvent] = []
        let changed = state.codec != nil && state.codec != codec
        if state.codec != codec {
            // A new configuration cannot share fragments with the old one: close what is pending.
            if let fragment = state.flush(key: key) { events.append(.fragment(fragment)); note(fragment) }
            state.codec = codec
            if case .aac(let asc) = codec { state.audioSampleRate = asc.sampleRate; state.samplesPerFrame = asc.samplesPerFrame }
            if changed { state.discontinuityPending = true; state.waitingForKeyframe = codec.kind == .video }
            events.append(.trackConfigured(key, codec, changed: changed))
        }
        tracks[key] = state
        return events
    }

    /// One coded frame from `stream`. `now` is the wall clock in ticks since 1970.
    public mutating func ingest(stream: String, frame: MediaFrame, now: Int64) -> [PipelineEvent] {
        let key = TrackKey(stream: stream, kind: frame.kind)
        guard var state = tracks[key], state.codec != nil else {
            return [.dropped(key, reason: .beforeConfiguration, count: 1)]
        }
        if sessions[stream] == nil { beginSession(stream: stream); state = tracks[key] ?? state }
        let dtsTicks = MediaTime.rescale(frame.decodeTime, from: frame.timescale, to: MediaTime.ticksPerSecond)
        var events: [PipelineEvent] = []

        // Anchor the session's timestamps on the channel timeline.
        if sessions[stream]?.offset == nil {
            let offset: Int64
            if let previous = endedSessionOffsets[stream], let expected = state.expectedNextDecodeTime,
               abs(previous + dtsTicks - expected) <= Self.continuationTolerance,
               channelOffset == nil || channelOffset == previous {
                // The encoder's timestamps go on from where this stream stopped: same timeline, no discontinuity,
                // and the tracks' timing (composition delay, audio anchor, video start) carries on.
                offset = previous
                channelOffset = previous
            } else if let shared = channelOffset {
                resetTiming(stream: stream)
                state = tracks[key] ?? state
                offset = shared
                // A stream that published before and now joins the running timeline (a rung of a restarted
                // encode worker, a quality that reconnected) resumes after a gap of its own: mark it.
                if tracks.contains(where: { $0.key.stream == stream && $0.value.nextSequence > 1 }) {
                    markDiscontinuity(stream: stream)
                    state = tracks[key] ?? state
                }
            } else {
                resetTiming(stream: stream)
                state = tracks[key] ?? state
                let base = max(now, timelineEnd)
                offset = base - dtsTicks
                if timelineEnd > 0 {
                    events.append(.discontinuity(stream: stream, previousEnd: timelineEnd, newStart: base,
                                                 reason: "encoder reconnected"))
                    markDiscontinuity(stream: stream)
                    state = tracks[key] ?? state
                }
                channelOffset = offset
            }
            sessions[stream]?.offset = offset
        }
        guard let offset = sessions[stream]?.offset else { return events }
        var mapped = offset + dtsTicks

        // Timestamp jumps inside a session: video decides, audio follows the new offset.
        if frame.kind == .video, state.compositionDelay != nil, let last = state.lastDecodeTime {
            let backwards = last - mapped
            let forwards = mapped - last
            if backwards > configuration.backwardJumpThreshold || forwards > configuration.forwardJumpThreshold {
                let continueAt = state.expectedNextDecodeTime ?? (last + 1)
                let newOffset = continueAt - dtsTicks
                events.append(.discontinuity(stream: stream, previousEnd: continueAt, newStart: continueAt,
                                             reason: backwards > 0 ? "timestamps jumped back \(ms(backwards)) ms"
                                                                   : "timestamps jumped forward \(ms(forwards)) ms"))
                sessions[stream]?.offset = newOffset
                if channelOffset != nil, sessions.count == 1 { channelOffset = newOffset }
                if let fragment = state.flush(key: key) { events.append(.fragment(fragment)) }
                tracks[key] = state
                markDiscontinuity(stream: stream)
                state = tracks[key] ?? state
                state.waitingForKeyframe = true
                mapped = newOffset + dtsTicks
            }
        }

        switch frame.kind {
        case .video:
            events += state.ingestVideo(key: key, frame: frame, decodeTime: mapped, arrival: now, configuration: configuration)
            tracks[key] = state
            // Video cut points become audio cut points for the same stream.
            for case .fragment(let f) in events where f.key == key {
                if var audio = tracks[TrackKey(stream: stream, kind: .audio)] {
                    audio.cutPoints.append(f.segment.endTime)
                    let audioKey = TrackKey(stream: stream, kind: .audio)
                    events += audio.cutAtPendingPoints(key: audioKey)
                    tracks[audioKey] = audio
                }
            }
            if state.videoStart != nil, var audio = tracks[TrackKey(stream: stream, kind: .audio)], audio.videoStart == nil {
                audio.videoStart = state.videoStart
                tracks[TrackKey(stream: stream, kind: .audio)] = audio
            }
        case .audio:
            let hasVideo = tracks[TrackKey(stream: stream, kind: .video)]?.codec != nil
            events += state.ingestAudio(key: key, frame: frame, decodeTime: mapped, hasVideo: hasVideo, configuration: configuration)
            tracks[key] = state
        case .text:
            events.append(.dropped(key, reason: .beforeConfiguration, count: 1))
        }
        // Every fragment closed by this frame (flushes on a jump, video and audio cuts) moves the end.
        for case .fragment(let f) in events { note(f) }
        if let partDuration = configuration.partDuration { events += takeChunks(stream: stream, partDuration: partDuration) }
        return events
    }

    /// Low latency: the chunks of `stream`'s open fragments that are complete after this frame, video first.
    private mutating func takeChunks(stream: String, partDuration: Int64) -> [PipelineEvent] {
        let videoKey = TrackKey(stream: stream, kind: .video), audioKey = TrackKey(stream: stream, kind: .audio)
        var events: [PipelineEvent] = []
        var videoHorizon: Int64?
        if var video = tracks[videoKey], video.codec != nil {
            events += video.takeChunks(key: videoKey, partDuration: partDuration, horizon: nil).map(PipelineEvent.chunk)
            // Nothing can be cut before the newest video sample; before the first one, audio waits.
            videoHorizon = video.lastVideo?.decodeTime ?? Int64.min
            tracks[videoKey] = video
        }
        if var audio = tracks[audioKey], audio.codec != nil {
            events += audio.takeChunks(key: audioKey, partDuration: partDuration, horizon: videoHorizon).map(PipelineEvent.chunk)
            tracks[audioKey] = audio
        }
        return events
    }

    private mutating func note(_ fragment: ClosedFragment) {
        timelineEnd = max(timelineEnd, fragment.segment.endTime)
    }

    private mutating func resetTiming(stream: String) {
        for key in tracks.keys where key.stream == stream {
            tracks[key]?.beginSession()
        }
    }

    private mutating func markDiscontinuity(stream: String) {
        for key in tracks.keys where key.stream == stream {
            tracks[key]?.discontinuityPending = true
            tracks[key]?.resetTiming()
        }
    }

    /// Diagnostic view of a track for status reporting.
    public func trackCounters(_ key: TrackKey) -> TrackCounters? { tracks[key]?.counters }
    public func codec(for key: TrackKey) -> CodecConfiguration? { tracks[key]?.codec }
}

/// Per-track figures the status API reports.
public struct TrackCounters: Sendable, Hashable {
    public var samplesIn = 0
    public var bytesIn = 0
    public var fragmentsOut = 0
    public var dropped = 0
    public var nonIncreasing = 0
    public var discontinuities = 0
    public var lastTimestamp: Int64 = 0
}

private struct SessionState: Sendable {
    var offset: Int64?
}

private func ms(_ ticks: Int64) -> Int64 { ticks / 10_000 }
