// The zero of the timeline that HLS-CMAF segments and live DASH present to players.

import Media

extension Presentation {
    /// Where presentation time 0 is, ticks of ``MediaTime/ticksPerSecond``, floored to a whole millisecond (so that a
    /// live MPD's `availabilityStartTime` states it exactly); nil when no track has a segment.
    ///
    /// Stored media time is wall-clock time since 1970 (the `t` of every fragment URL, Smooth's `c@t`, DASH's `S@t`).
    /// Players that start their own clock at 0 need a timeline that starts near 0 instead: GStreamer's `hlsdemux` (the
    /// one `playbin` uses) gives each HLS segment the sum of the `EXTINF`s before it while `qtdemux` stamps buffers with
    /// the `tfdt`, and its DASH seek (1.22) is wrong by the first listed segment's presentation time. So:
    /// - live, the source's ``Presentation/timelineOrigin`` (the start of its first fragment, which stays put while the
    ///   window slides, so every segment keeps one `tfdt` for its whole life);
    /// - on demand, the earliest segment listed (after filters), so that playback starts at 0.
    public var presentationOrigin: Int64? {
        let earliest = tracks.compactMap { timeline in
            timeline.segments.first.map { MediaTime.rescale($0.startTime, from: Int64(timeline.track.timescale), to: MediaTime.ticksPerSecond) }
        }.min()
        guard let earliest else { return nil }
        let origin = isLive ? min(timelineOrigin ?? earliest, earliest) : earliest
        let perMillisecond = MediaTime.ticksPerSecond / 1000
        let (milliseconds, remainder) = origin.quotientAndRemainder(dividingBy: perMillisecond)
        return (remainder < 0 ? milliseconds - 1 : milliseconds) * perMillisecond
    }

    /// ``presentationOrigin`` in a track's timescale: what HLS-CMAF subtracts from that track's `tfdt`s and what a
    /// live MPD states as its `presentationTimeOffset`.
    public func presentationOrigin(timescale: UInt32) -> Int64? {
        presentationOrigin.map { MediaTime.rescale($0, from: MediaTime.ticksPerSecond, to: Int64(timescale)) }
    }
}
