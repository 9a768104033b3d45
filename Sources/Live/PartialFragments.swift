import Media

/// The low-latency state of a live channel, as a plain value: per track, the chunks of the open fragment (bytes kept
/// until it closes) and the chunk layout of the newest closed fragments (byte ranges into the fragment the live window
/// stores, which is the concatenation of its chunks).
struct PartialFragments: Sendable {
    struct ClosedLayout: Sendable {
        var startTime: Int64
        var sequenceNumber: Int
        var parts: [PartialSegment]
        var ranges: [Range<Int>]
    }

    struct OpenFragment: Sendable {
        var startTime: Int64
        var sequenceNumber: Int
        var discontinuity: Bool
        var parts: [PartialSegment] = []
        var chunks: [[UInt8]] = []
    }

    struct Track: Sendable {
        var closed: [ClosedLayout] = []
        var open: OpenFragment?
        /// Sequence number and end of the newest closed fragment.
        var lastSequence: Int?
        var lastEnd: Int64?
    }

    /// Closed layouts kept per track: enough for the parts an LL-HLS playlist lists (the last three target
    /// durations) and for players a little behind.
    static let closedLayoutsKept = 12

    let partTarget: Int64
    private(set) var tracks: [TrackKey: Track] = [:]

    init(partTarget: Int64) { self.partTarget = partTarget }

    /// A chunk of the open fragment of `key`. A chunk of a new fragment replaces whatever was open.
    mutating func addChunk(_ chunk: FragmentChunk, bytes: [UInt8]) {
        var track = tracks[chunk.key] ?? Track()
        if track.open?.startTime != chunk.fragmentStart || chunk.index == 0 {
            track.open = OpenFragment(startTime: chunk.fragmentStart, sequenceNumber: chunk.sequenceNumber,
                                      discontinuity: chunk.discontinuity)
        }
        guard var open = track.open, open.parts.count == chunk.index else {
            // A gap in the chunk indices can only follow a dropped first chunk (the track was not published yet):
            // the fragment is served whole once it closes.
            track.open = nil
            tracks[chunk.key] = track
            return
        }
        open.parts.append(Self.part(chunk.samples[...]))
        open.chunks.append(bytes)
        track.open = open
        tracks[chunk.key] = track
    }

    /// The fragment of `key` closed with these chunk byte ranges (`samples` split at `chunkStarts`).
    mutating func close(_ key: TrackKey, segment: TimelineSegment, samples: [Sample], chunkStarts: [Int], ranges: [Range<Int>]) {
        var track = tracks[key] ?? Track()
        var parts: [PartialSegment] = []
        for (index, start) in chunkStarts.enumerated() {
            let end = index + 1 < chunkStarts.count ? chunkStarts[index + 1] : samples.count
            parts.append(Self.part(samples[start..<end]))
        }
        track.closed.append(ClosedLayout(startTime: segment.startTime, sequenceNumber: segment.sequenceNumber,
                                         parts: parts, ranges: ranges))
        if track.closed.count > Self.closedLayoutsKept { track.closed.removeFirst(track.closed.count - Self.closedLayoutsKept) }
        if track.open?.startTime == segment.startTime || (track.open?.startTime ?? Int64.min) < segment.endTime {
            track.open = nil
        }
        track.lastSequence = segment.sequenceNumber
        track.lastEnd = segment.endTime
        tracks[key] = track
    }

    mutating func abandon(_ key: TrackKey) {
        tracks[key]?.open = nil
    }

    /// Forgets a track whose window restarted (codec change): its layouts no longer match the stored fragments.
    mutating func reset(_ key: TrackKey) {
        tracks[key] = nil
    }

    private static func part(_ samples: ArraySlice<Sample>) -> PartialSegment {
        PartialSegment(duration: samples.reduce(0) { $0 + Int64($1.duration) }, independent: samples.first?.isSync ?? false)
    }

    // MARK: - Queries

    /// The neutral view for manifest builders.
    func trackParts(_ key: TrackKey) -> TrackParts {
        guard let track = tracks[key] else { return TrackParts(partTarget: partTarget) }
        var closed: [Int64: [PartialSegment]] = [:]
        for layout in track.closed { closed[layout.startTime] = layout.parts }
        let open = track.open.map {
            OpenSegment(startTime: $0.startTime, sequenceNumber: $0.sequenceNumber, parts: $0.parts, discontinuity: $0.discontinuity)
        }
        return TrackParts(partTarget: partTarget, closed: closed, open: open)
    }

    /// Where part `index` of the segment starting at `startTime` stands.
    func part(_ key: TrackKey, startTime: Int64, index: Int) -> PartLocation {
        guard let track = tracks[key] else { return .notYet }
        if let open = track.open, open.startTime == startTime {
            return index < open.chunks.count ? .open(open.chunks[index]) : .notYet
        }
        if let layout = track.closed.last(where: { $0.startTime == startTime }) {
            return index < layout.ranges.count ? .closed(layout.ranges[index]) : .pastEnd
        }
        // The next segment starts where the last one ended (a discontinuity may move it: then it never comes).
        if let lastEnd = track.lastEnd, startTime == lastEnd, track.open == nil { return .notYet }
        if track.lastEnd == nil, track.open == nil { return .notYet }
        return .none
    }

    /// Whether an LL-HLS blocking playlist request for `msn` (and part `part` of it) can be answered.
    func playlistReady(_ key: TrackKey, msn: Int, part: Int?) -> Bool {
        guard let track = tracks[key] else { return false }
        if let last = track.lastSequence, last >= msn { return true }
        guard let part, let open = track.open else { return false }
        return open.sequenceNumber > msn || (open.sequenceNumber == msn && open.parts.count > part)
    }

    enum PartLocation: Sendable {
        /// A chunk of the open fragment.
        case open([UInt8])
        /// A byte range of the stored (closed) fragment.
        case closed(Range<Int>)
        /// Not produced yet; it may come.
        case notYet
        /// The segment closed with fewer parts.
        case pastEnd
        /// No such segment, and none will start there.
        case none
    }
}
