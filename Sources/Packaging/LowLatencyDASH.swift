// Low-latency DASH (DASH-IF IOP "Low-latency Modes for DASH", ISO/IEC 23009-1 5th ed.) for `mpd-time-cmaf` of
// low-latency live events: chunked CMAF over chunked transfer.

import Media

/// LL-DASH settings for ``DASHBuilder/mpd(_:options:now:utcTimingURL:lowLatency:)`` and the timeline it lists.
///
/// Contract: each `SegmentTemplate` gets `availabilityTimeOffset` = nominal segment duration − chunk duration and
/// `availabilityTimeComplete="false"` (a segment may be requested as soon as its first chunk exists and is then
/// delivered chunk by chunk); each Representation a `ProducerReferenceTime` (media time ↔ wall clock: live media time
/// is wall-clock time since 1970, so the mapping is the identity); the MPD a `ServiceDescription` with the target
/// latency. The segment in progress is listed at the end of each timeline with a predicted duration (the previous
/// segment's), so that players can request it; the next MPD update corrects the prediction.
public enum LowLatencyDASH {
    public struct Settings: Sendable, Hashable {
        /// Chunk (part) duration, ticks of ``MediaTime/ticksPerSecond``.
        public var chunkDuration: Int64
        /// The latency players should aim for, milliseconds.
        public var targetLatencyMilliseconds: Int64

        public init(chunkDuration: Int64, targetLatencyMilliseconds: Int64? = nil) {
            self.chunkDuration = chunkDuration
            // Six chunks: a chunk being produced, one in transfer, and a few of buffer against jitter.
            self.targetLatencyMilliseconds = targetLatencyMilliseconds
                ?? max(2000, 6 * MediaTime.rescale(chunkDuration, from: MediaTime.ticksPerSecond, to: 1000))
        }
    }

    /// `presentation` with each track's open segment appended (predicted duration: the track's last segment, or the
    /// nominal fragment duration). `open` gives the open segment of the track at the same index, if any.
    public static func presentationWithOpenSegments(_ presentation: Presentation, open: [OpenSegment?]) -> Presentation {
        var result = presentation
        for index in result.tracks.indices where index < open.count {
            guard let segment = open[index], !segment.parts.isEmpty else { continue }
            var timeline = result.tracks[index]
            if let last = timeline.segments.last, segment.startTime < last.endTime { continue }
            let timescale = Int64(timeline.track.timescale)
            let nominal = Int64(presentation.nominalFragmentDuration * Double(timescale))
            let predicted = max(timeline.segments.last?.duration ?? nominal, segment.duration, 1)
            timeline.segments.append(TimelineSegment(startTime: segment.startTime, duration: predicted,
                                                     sequenceNumber: segment.sequenceNumber, discontinuity: segment.discontinuity))
            result.tracks[index] = timeline
        }
        return result
    }

    /// `availabilityTimeOffset` in seconds: how long before its end a segment can be requested.
    static func availabilityTimeOffset(_ settings: Settings, nominalSeconds: Double) -> Double {
        max(0, nominalSeconds - Double(settings.chunkDuration) / Double(MediaTime.ticksPerSecond))
    }
}
