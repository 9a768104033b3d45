import Media

/// The fragmenter of one track: accumulates samples on the canonical timeline and closes fragments.
struct TrackState: Sendable {
    let kind: MediaKind
    var codec: CodecConfiguration?
    var counters = TrackCounters()

    /// Samples of the open fragment, each with its final duration.
    var pending: [Sample] = []
    /// The newest video sample; its duration is known when the next one arrives.
    var lastVideo: Sample?
    /// Arrival (wall clock ticks) of `lastVideo`, and of the newest sample in `pending`.
    var lastVideoArrival: Int64?
    var pendingLastArrival: Int64?
    var lastDecodeTime: Int64?
    var lastDuration: Int64 = 0
    var nextSequence = 1
    var discontinuityPending = false
    var waitingForKeyframe = true
    /// Low latency: how many samples at the start of `pending` went out in chunks already, and the index in
    /// `pending` where each of those chunks starts.
    var chunkedCount = 0
    var chunkStarts: [Int] = []

    // Video: the composition delay of the session's first keyframe, so that keyframes are presented at
    // their decode time (tfdt = earliest presentation time) while B-frame offsets stay exact.
    var compositionDelay: Int64?
    /// Decode time of the first video keyframe of the session (audio before it is dropped).
    var videoStart: Int64?

    // Audio: times regenerated from sample counts since an anchor.
    var audioSampleRate = 48_000
    var samplesPerFrame = 1024
    var audioAnchor: Int64?
    var audioFramesSinceAnchor: Int64 = 0
    /// Presentation times at which the video of the same stream cut; audio cuts there too.
    var cutPoints: [Int64] = []

    /// Video timestamps at most this far behind the previous one (1 ms, RTMP's resolution) are kept.
    static let timestampCollisionTolerance: Int64 = 10_000

    init(kind: MediaKind) { self.kind = kind }

    var expectedNextDecodeTime: Int64? {
        if let v = lastVideo { return v.decodeTime + max(lastDuration, 1) }
        guard let last = lastDecodeTime else { return nil }
        return last + lastDuration
    }

    mutating func beginSession() {
        resetTiming()
    }

    /// Forget per-session timing (a new offset follows); keep sequence numbers and counters.
    mutating func resetTiming() {
        compositionDelay = nil
        videoStart = nil
        audioAnchor = nil
        audioFramesSinceAnchor = 0
        if kind == .video { waitingForKeyframe = true }
        cutPoints.removeAll()
    }

    // MARK: - Video

    mutating func ingestVideo(key: TrackKey, frame: MediaFrame, decodeTime dts: Int64, arrival: Int64,
                              configuration: ChannelConfiguration) -> [PipelineEvent] {
        counters.samplesIn += 1
        counters.bytesIn += frame.data.count
        if waitingForKeyframe {
            guard frame.isKeyframe else {
                counters.dropped += 1
                return [.dropped(key, reason: .waitingForKeyframe, count: 1)]
            }
            waitingForKeyframe = false
        }
        let cts = MediaTime.rescale(Int64(frame.compositionOffset), from: frame.timescale, to: MediaTime.ticksPerSecond)
        if compositionDelay == nil { compositionDelay = max(0, cts) }
        let delay = compositionDelay ?? 0
        var decodeTime = dts + delay
        var nudge: Int64 = 0
        if let last = lastVideo, decodeTime <= last.decodeTime {
            counters.nonIncreasing += 1
            // Millisecond timestamps collide when an encoder's clock jitters (GStreamer at start-up):
            // keep such a frame one tick after its predecessor, presented exactly as sent.
            guard last.decodeTime - decodeTime <= Self.timestampCollisionTolerance else {
                counters.dropped += 1
                return [.dropped(key, reason: .nonIncreasing, count: 1)]
            }
            nudge = last.decodeTime + 1 - decodeTime
            decodeTime += nudge
        }
        let sample = Sample(decodeTime: decodeTime, compositionOffset: Int32(clamping: cts - delay - nudge),
                            duration: 0, isSync: frame.isKeyframe, data: frame.data)
        if videoStart == nil { videoStart = decodeTime }
        var events: [PipelineEvent] = []
        if var previous = lastVideo {
            let duration = decodeTime - previous.decodeTime
            previous.duration = UInt32(clamping: duration)
            lastDuration = duration
            pending.append(previous)
            pendingLastArrival = lastVideoArrival
        }
        if let first = pending.first {
            let open = decodeTime - first.decodeTime
            if frame.isKeyframe && open >= configuration.minimumFragmentDuration {
                if let fragment = close(key: key) { events.append(.fragment(fragment)) }
            } else if open > configuration.maximumFragmentDuration {
                counters.dropped += pending.count
                events.append(.dropped(key, reason: .fragmentTooLong, count: pending.count))
                if chunkedCount > 0 { events.append(.chunksAbandoned(key)) }
                pending.removeAll()
                resetChunks()
                waitingForKeyframe = !frame.isKeyframe
                if waitingForKeyframe { lastVideo = nil; return events }
            }
        }
        lastVideo = sample
        lastVideoArrival = arrival
        lastDecodeTime = decodeTime
        counters.lastTimestamp = decodeTime
        return events
    }

    // MARK: - Audio

    mutating func ingestAudio(key: TrackKey, frame: MediaFrame, decodeTime incoming: Int64, hasVideo: Bool,
                              configuration: ChannelConfiguration) -> [PipelineEvent] {
        counters.samplesIn += 1
        counters.bytesIn += frame.data.count
        if hasVideo {
            // Start audio with the video so both tracks' first fragments begin together.
            guard let start = videoStart, incoming >= start - frameDuration(at: 0) / 2 else {
                counters.dropped += 1
                return [.dropped(key, reason: .beforeVideoStart, count: 1)]
            }
        }
        var time = regeneratedTime(frames: audioFramesSinceAnchor)
        if audioAnchor == nil || abs(incoming - time) > configuration.audioResyncThreshold {
            audioAnchor = incoming
            audioFramesSinceAnchor = 0
            time = incoming
        }
        if let last = lastDecodeTime, time < last + lastDuration - configuration.audioResyncThreshold {
            counters.nonIncreasing += 1
            counters.dropped += 1
            return [.dropped(key, reason: .nonIncreasing, count: 1)]
        }
        // Close a gap smaller than the resync threshold by stretching nothing: the next time is exact.
        let duration = frameDuration(at: audioFramesSinceAnchor)
        audioFramesSinceAnchor += 1
        let sample = Sample(decodeTime: time, duration: UInt32(clamping: duration), isSync: true, data: frame.data)
        lastDecodeTime = time
        lastDuration = duration
        counters.lastTimestamp = time
        pending.append(sample)

        var events = cutAtPendingPoints(key: key)
        if !hasVideo, let first = pending.first,
           time + duration - first.decodeTime >= configuration.audioOnlyFragmentDuration {
            if let fragment = close(key: key) { events.append(.fragment(fragment)) }
        }
        return events
    }

    /// Splits the pending audio at every video cut point it has reached.
    mutating func cutAtPendingPoints(key: TrackKey) -> [PipelineEvent] {
        var events: [PipelineEvent] = []
        while let cut = cutPoints.first {
            // The first sample that starts at or after the cut (nearest frame boundary) opens the next fragment.
            guard var index = pending.firstIndex(where: { $0.decodeTime + Int64($0.duration) / 2 >= cut }) else { break }
            cutPoints.removeFirst()
            // Samples published in chunks already belong to this fragment (the chunking horizon keeps them before
            // any cut, so this only guards the invariant that a fragment is the concatenation of its chunks).
            index = max(index, chunkedCount)
            guard index > 0 else { continue }
            let rest = Array(pending[index...])
            pending.removeSubrange(index...)
            if let fragment = close(key: key) { events.append(.fragment(fragment)) }
            pending = rest
        }
        return events
    }

    private func regeneratedTime(frames: Int64) -> Int64 {
        guard let anchor = audioAnchor else { return 0 }
        return anchor + frames * Int64(samplesPerFrame) * MediaTime.ticksPerSecond / Int64(max(audioSampleRate, 1))
    }

    private func frameDuration(at frames: Int64) -> Int64 {
        let rate = Int64(max(audioSampleRate, 1)), spf = Int64(samplesPerFrame)
        return (frames + 1) * spf * MediaTime.ticksPerSecond / rate - frames * spf * MediaTime.ticksPerSecond / rate
    }

    // MARK: - Closing

    /// Closes the open fragment (everything in `pending`).
    mutating func close(key: TrackKey) -> ClosedFragment? {
        guard let first = pending.first, let last = pending.last else { return nil }
        let segment = TimelineSegment(startTime: first.decodeTime,
                                      duration: last.decodeTime + Int64(last.duration) - first.decodeTime,
                                      sequenceNumber: nextSequence, discontinuity: discontinuityPending)
        nextSequence += 1
        discontinuityPending = false
        counters.fragmentsOut += 1
        if segment.discontinuity { counters.discontinuities += 1 }
        var starts = chunkStarts
        if chunkedCount < pending.count { starts.append(chunkedCount) }
        let fragment = ClosedFragment(key: key, segment: segment, samples: pending, lastSampleArrival: pendingLastArrival,
                                      chunkStarts: starts)
        pending.removeAll(keepingCapacity: true)
        pendingLastArrival = nil
        resetChunks()
        return fragment
    }

    private mutating func resetChunks() {
        chunkedCount = 0
        chunkStarts.removeAll(keepingCapacity: true)
    }

    // MARK: - Chunks (low latency)

    /// The chunks of the open fragment that are complete now: samples not yet published, in runs of at most
    /// `partDuration` (a single longer sample makes a chunk of its own). A run is complete when the next sample would
    /// not fit; the open fragment's last run is published when the fragment closes.
    ///
    /// - Parameter horizon: audio of a stream with video is chunked only before the newest video sample's decode
    ///   time: the next video cut (where this audio fragment will end) cannot lie before it, so no published sample
    ///   can end up in the next fragment.
    mutating func takeChunks(key: TrackKey, partDuration: Int64, horizon: Int64?) -> [FragmentChunk] {
        var chunks: [FragmentChunk] = []
        while chunkedCount < pending.count {
            var end = chunkedCount
            var span: Int64 = 0
            var complete = false
            while end < pending.count {
                let sample = pending[end]
                if let horizon, sample.decodeTime + Int64(sample.duration) / 2 >= horizon { break }
                let duration = Int64(sample.duration)
                if end > chunkedCount && span + duration > partDuration { complete = true; break }
                span += duration
                end += 1
            }
            // The run reached the samples available so far: complete only if one more sample would overflow it. The
            // next duration is estimated from the last one, less an eighth: millisecond timestamps make 30 fps frames
            // 33 or 34 ms, and a run of exactly the part duration must not be cut a frame short.
            if !complete, end > chunkedCount {
                let next = Int64(pending[end - 1].duration)
                complete = span + next - next / 8 > partDuration
            }
            guard complete, end > chunkedCount, let first = pending.first else { break }
            let index = chunkStarts.count
            chunks.append(FragmentChunk(key: key, fragmentStart: first.decodeTime, sequenceNumber: nextSequence,
                                        index: index, discontinuity: discontinuityPending,
                                        samples: Array(pending[chunkedCount..<end])))
            chunkStarts.append(chunkedCount)
            chunkedCount = end
        }
        return chunks
    }

    /// End of input: the newest video sample gets the previous duration; everything pending is closed.
    mutating func flush(key: TrackKey) -> ClosedFragment? {
        if var last = lastVideo {
            last.duration = UInt32(clamping: max(lastDuration, 1))
            pending.append(last)
            pendingLastArrival = lastVideoArrival
            lastVideo = nil
        }
        cutPoints.removeAll()
        return close(key: key)
    }
}
