// The low-latency view of a live track: the CMAF chunks ("parts") its recent segments are made of, and those of the
// segment still being produced. Neutral: LL-HLS playlists and LL-DASH MPDs are built from it; live channels fill it.

/// One CMAF chunk (`moof` + `mdat`) of a segment: an LL-HLS partial segment.
public struct PartialSegment: Sendable, Hashable {
    /// Duration in the track timescale.
    public var duration: Int64
    /// Starts with a sync sample (LL-HLS `INDEPENDENT=YES`).
    public var independent: Bool

    public init(duration: Int64, independent: Bool) {
        self.duration = duration
        self.independent = independent
    }
}

/// The segment a live track is producing now: its start and the chunks it has so far.
public struct OpenSegment: Sendable, Hashable {
    public var startTime: Int64
    /// The media sequence number it will have when it closes.
    public var sequenceNumber: Int
    public var parts: [PartialSegment]
    /// The segment follows a discontinuity.
    public var discontinuity: Bool

    public init(startTime: Int64, sequenceNumber: Int, parts: [PartialSegment], discontinuity: Bool = false) {
        self.startTime = startTime
        self.sequenceNumber = sequenceNumber
        self.parts = parts
        self.discontinuity = discontinuity
    }

    public var duration: Int64 { parts.reduce(0) { $0 + $1.duration } }
}

/// The chunks of a live track's newest segments (closed ones by start time) and of its open segment.
public struct TrackParts: Sendable, Hashable {
    /// The part target duration in the track timescale: no part is longer.
    public var partTarget: Int64
    /// Parts of recently closed segments, keyed by segment start time.
    public var closed: [Int64: [PartialSegment]]
    public var open: OpenSegment?

    public init(partTarget: Int64, closed: [Int64: [PartialSegment]] = [:], open: OpenSegment? = nil) {
        self.partTarget = partTarget
        self.closed = closed
        self.open = open
    }
}
