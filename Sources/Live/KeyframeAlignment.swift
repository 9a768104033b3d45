import Media

/// Checks that the qualities of a multi-bitrate channel cut their fragments (start their GOPs) at the same
/// presentation times, which players need to switch between them seamlessly. Pure: fed each video fragment as it
/// closes, it answers which other qualities have no fragment starting there.
///
/// A quality is judged against another only over the span the other has closed fragments for, so one that starts
/// later or runs ahead is not misaligned for that.
struct KeyframeAlignment: Sendable {
    /// Fragment starts this close count as the same keyframe (ticks); aligned encoders give identical times.
    var tolerance: Int64 = 20_000
    /// Fragment boundaries kept per video track, oldest first.
    var memory = 32
    /// Per track: the starts of its recent fragments and the end of the last one (where the next starts).
    private var boundaries: [TrackKey: [Int64]] = [:]

    /// A video fragment of `key` spanning `start ..< end` closed. Returns every other video track whose closed
    /// fragments cover `start` without a boundary there, with its nearest boundary.
    mutating func fragmentClosed(_ key: TrackKey, start: Int64, end: Int64) -> [(track: TrackKey, nearest: Int64)] {
        var unaligned: [(track: TrackKey, nearest: Int64)] = []
        for (other, times) in boundaries where other.stream != key.stream && other.kind == .video {
            guard let first = times.first, let last = times.last, first <= start, start <= last else { continue }
            let nearest = times.min { abs($0 - start) < abs($1 - start) } ?? first
            if abs(nearest - start) > tolerance { unaligned.append((other, nearest)) }
        }
        var own = boundaries[key] ?? []
        if let previousEnd = own.last, abs(previousEnd - start) <= tolerance { own.removeLast() }
        own += [start, end]
        if own.count > memory { own.removeFirst(own.count - memory) }
        boundaries[key] = own
        return unaligned.sorted { $0.track.stream < $1.track.stream }
    }

    /// The track's timeline restarted (reconnect, discontinuity): its old boundaries say nothing about the new ones.
    mutating func forget(_ key: TrackKey) { boundaries[key] = nil }
}

/// The alignment check with its reporting rule: at most one report per quality every 30 s, so an encoder that
/// is misaligned for hours fills neither the log nor `getStreamEvents`. Pure: the clock is passed in.
struct UnalignedKeyframeReports: Sendable {
    /// The shortest time between two reports for one quality (ticks).
    var interval: Int64 = 30 * MediaTime.ticksPerSecond
    private var alignment = KeyframeAlignment()
    private var lastReport: [TrackKey: Int64] = [:]

    /// A report: `key`'s fragment starting at `start` has no counterpart in `other`, whose nearest start is `otherStart`.
    struct Report: Equatable, Sendable {
        var other: TrackKey
        var otherStart: Int64
    }

    /// The track's timeline restarted: its old fragment starts say nothing about the new ones.
    mutating func forget(_ key: TrackKey) { alignment.forget(key) }

    /// A video fragment of `key` closed at `now`; returns the report to make, if one is due.
    mutating func fragmentClosed(_ key: TrackKey, segment: TimelineSegment, now: Int64) -> Report? {
        if segment.discontinuity { alignment.forget(key) }
        guard let miss = alignment.fragmentClosed(key, start: segment.startTime, end: segment.endTime).first else { return nil }
        if let last = lastReport[key], now - last < interval { return nil }
        lastReport[key] = now
        return Report(other: miss.track, otherStart: miss.nearest)
    }
}
