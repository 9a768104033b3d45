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
