// How the canonical CMAF fragments of a track are grouped into HLS MPEG-TS segments (`hls.fragmentsPerTsSegment`).

import Media

/// One HLS MPEG-TS segment: a run of consecutive canonical fragments of one track.
public struct TSSegment: Sendable, Hashable {
    /// HLS media sequence number; consecutive segments have consecutive numbers.
    public var mediaSequence: Int
    /// Indices into the timeline's `segments`.
    public var fragments: Range<Int>
    public var startTime: Int64
    public var endTime: Int64
    /// How many `#EXT-X-DISCONTINUITY` tags precede it (one per marked fragment since the previous segment).
    public var discontinuities: Int

    public var duration: Int64 { endTime - startTime }
}

/// The TS segments a media playlist lists, and its `#EXT-X-DISCONTINUITY-SEQUENCE`.
public struct TSSegmentList: Sendable, Hashable {
    public var segments: [TSSegment]
    public var discontinuitySequence: Int

    /// The segment whose URL time is `time`.
    public func segment(startingAt time: Int64) -> TSSegment? {
        segments.first { $0.startTime == time }
    }
}

/// Groups fragments into TS segments from each fragment's own sequence number, so that any request, alone, finds the
/// same segment boundaries and media sequence numbers as every playlist before it; pure function.
///
/// With N fragments per segment, fragment sequence numbers `(m−1)·N+1 … m·N` form segment `m` (media sequence `m`;
/// with N = 1 the media sequence is the fragment's sequence number, as in the CMAF playlists). A discontinuity (or a
/// jump in sequence numbers) cannot fall inside a segment, so a segment ends before it, and the segment starting at
/// the discontinuity takes the next group's number and runs to the end of that group (up to 2N−1 fragments): numbers
/// stay consecutive and no boundary ever moves. Should two discontinuities fall within one group, the fragments between
/// them are not listed (a short gap in TS playlists only, after two encoder reconnects within N fragments).
///
/// Live: a trailing segment is listed only once complete (its last fragment exists), and a window that begins in the
/// middle of a group starts at the next group. On demand: the first fragment always starts a segment and the last
/// segment may be short.
public enum TSSegmentation {
    public static func segments(_ timeline: TrackTimeline, fragmentsPerSegment: Int, isLive: Bool) -> TSSegmentList {
        let n = max(1, fragmentsPerSegment)
        let fragments = timeline.segments
        func isBreak(_ index: Int) -> Bool {
            fragments[index].discontinuity
                || (index > 0 && fragments[index].sequenceNumber != fragments[index - 1].sequenceNumber &+ 1)
        }
        func mediaSequence(_ sequence: Int) -> Int { floorDivide(sequence - 2, n) + 2 }

        var starts: [(index: Int, sequence: Int)] = []
        for index in fragments.indices {
            let sequence = fragments[index].sequenceNumber
            let groupStart = floorModulo(sequence - 1, n) == 0
            guard groupStart || isBreak(index) || (index == 0 && !isLive) else { continue }
            // The first fragment of complete content starts the segment of its own group.
            let number = index == 0 && !isLive ? floorDivide(sequence - 1, n) + 1 : mediaSequence(sequence)
            if let last = starts.last, number <= last.sequence { continue }
            starts.append((index, number))
        }

        var segments: [TSSegment] = []
        var discontinuitySequence = timeline.discontinuitySequence
        var counted = 0  // fragments whose discontinuity flag is already accounted for
        for (position, start) in starts.enumerated() {
            let limit = position + 1 < starts.count ? starts[position + 1].index : fragments.count
            var end = start.index + 1
            while end < limit && !isBreak(end) { end += 1 }
            if isLive && end == fragments.count, let last = fragments.last, last.sequenceNumber < start.sequence * n {
                break  // the group is still filling
            }
            let flags = fragments[counted...start.index].filter(\.discontinuity).count
            let tags: Int
            if segments.isEmpty {
                discontinuitySequence += flags - (fragments[start.index].discontinuity ? 1 : 0)
                tags = fragments[start.index].discontinuity ? 1 : 0
            } else {
                tags = flags
            }
            segments.append(TSSegment(mediaSequence: start.sequence, fragments: start.index..<end,
                                      startTime: fragments[start.index].startTime, endTime: fragments[end - 1].endTime,
                                      discontinuities: tags))
            counted = end
        }
        return TSSegmentList(segments: segments, discontinuitySequence: discontinuitySequence)
    }

    private static func floorDivide(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return a % b < 0 ? q - 1 : q
    }

    private static func floorModulo(_ a: Int, _ b: Int) -> Int {
        let r = a % b
        return r < 0 ? r + b : r
    }
}
