/// One addressable segment (= one CMAF fragment) in a track's timeline.
public struct TimelineSegment: Sendable, Hashable {
    /// Start (the fragment's `tfdt`) in the track timescale; the `<t>` in `Fragments(<name>=<t>)`.
    public var startTime: Int64
    public var duration: Int64
    /// Monotonic per-track fragment number: HLS media sequence number, `mfhd` sequence number.
    public var sequenceNumber: Int
    /// A discontinuity (encoder reconnect, timestamp jump) precedes this segment.
    public var discontinuity: Bool

    public init(startTime: Int64, duration: Int64, sequenceNumber: Int, discontinuity: Bool = false) {
        self.startTime = startTime
        self.duration = duration
        self.sequenceNumber = sequenceNumber
        self.discontinuity = discontinuity
    }

    public var endTime: Int64 { startTime + duration }
}

/// A track and the segments currently available for it.
public struct TrackTimeline: Sendable, Hashable {
    public var track: TrackInfo
    public var segments: [TimelineSegment]
    /// Discontinuities that have slid out of the window before `segments.first`
    /// (HLS `EXT-X-DISCONTINUITY-SEQUENCE`).
    public var discontinuitySequence: Int

    public init(track: TrackInfo, segments: [TimelineSegment], discontinuitySequence: Int = 0) {
        self.track = track
        self.segments = segments
        self.discontinuitySequence = discontinuitySequence
    }
}

/// What the origin packages: a neutral description of a live or on-demand presentation.
/// Manifest builders are pure functions of this value plus request options and a clock.
public struct Presentation: Sendable, Hashable {
    public var tracks: [TrackTimeline]
    /// Live (dynamic MPD, no `EXT-X-ENDLIST`) or complete (on-demand).
    public var isLive: Bool
    /// Length of the seekable live window in ticks of ``MediaTime/ticksPerSecond`` (DASH `timeShiftBufferDepth`).
    public var windowDuration: Int64?
    /// Nominal fragment duration in seconds (the GOP; HLS `EXT-X-TARGETDURATION` is at least this).
    public var nominalFragmentDuration: Double
    /// Where the source's media time began, ticks of ``MediaTime/ticksPerSecond``: the earliest start of the first
    /// fragment of any of its tracks, kept while the listed window slides (a live channel's run, an asset's first
    /// fragment). Nil when the source does not know it; then the earliest listed segment stands in.
    public var timelineOrigin: Int64?

    public init(tracks: [TrackTimeline], isLive: Bool, windowDuration: Int64?, nominalFragmentDuration: Double,
                timelineOrigin: Int64? = nil) {
        self.tracks = tracks
        self.isLive = isLive
        self.windowDuration = windowDuration
        self.nominalFragmentDuration = nominalFragmentDuration
        self.timelineOrigin = timelineOrigin
    }
}
