import Media

/// The in-memory live window: per track, its init segment and the newest fragments' bytes, evicted by
/// age. The origin reads it; ingest appends to it; neither waits for the other.
public struct LiveWindow: Sendable {
    struct Stored: Sendable {
        var segment: TimelineSegment
        var bytes: [UInt8]
    }

    struct TrackWindow: Sendable {
        var info: TrackInfo
        var initSegment: [UInt8]
        var fragments: [Stored] = []
        /// Index of the first live entry in `fragments` (evicted entries are compacted lazily).
        var head = 0
        var discontinuitySequence = 0
        /// A fragment has been appended since the track was declared (its first one set or lowered the origin).
        var started = false

        var live: ArraySlice<Stored> { fragments[head...] }
    }

    public let duration: Int64
    private var tracks: [TrackKey: TrackWindow] = [:]
    private var order: [TrackKey] = []
    /// The earliest first-fragment start of any track, ticks of ``MediaTime/ticksPerSecond``; kept while the window
    /// slides, so that timelines presented relative to it (``Presentation/timelineOrigin``) do not move.
    public private(set) var origin: Int64?

    public init(duration: Int64) { self.duration = duration }

    /// Declares or replaces a track. A changed codec configuration starts the track's window afresh,
    /// because its old fragments no longer match the init segment.
    public mutating func setTrack(_ key: TrackKey, info: TrackInfo, initSegment: [UInt8]) {
        if var existing = tracks[key] {
            if existing.info.codec != info.codec {
                existing.fragments.removeAll()
                existing.head = 0
            }
            existing.info = info
            existing.initSegment = initSegment
            tracks[key] = existing
        } else {
            tracks[key] = TrackWindow(info: info, initSegment: initSegment)
            order.append(key)
        }
    }

    public func info(for key: TrackKey) -> TrackInfo? { tracks[key]?.info }

    public mutating func append(_ key: TrackKey, segment: TimelineSegment, bytes: [UInt8]) {
        guard var track = tracks[key] else { return }
        if !track.started {
            track.started = true
            let start = MediaTime.rescale(segment.startTime, from: Int64(track.info.timescale), to: MediaTime.ticksPerSecond)
            origin = min(origin ?? start, start)
        }
        track.fragments.append(Stored(segment: segment, bytes: bytes))
        let horizon = segment.endTime - duration
        while track.head < track.fragments.count - 1, track.fragments[track.head].segment.endTime <= horizon {
            // EXT-X-DISCONTINUITY-SEQUENCE counts the tags no longer listed: the evicted fragment's own, if it had one.
            if track.fragments[track.head].segment.discontinuity { track.discontinuitySequence += 1 }
            track.fragments[track.head].bytes = []
            track.head += 1
        }
        if track.head > 64 && track.head * 2 > track.fragments.count {
            track.fragments.removeFirst(track.head)
            track.head = 0
        }
        tracks[key] = track
    }

    /// A snapshot for the manifest builders: tracks in the order they appeared, those with content only.
    public func presentation(isLive: Bool, nominalFragmentDuration: Double) -> Presentation {
        let timelines = order.compactMap { key -> TrackTimeline? in
            guard let track = tracks[key], !track.live.isEmpty else { return nil }
            return TrackTimeline(track: track.info, segments: track.live.map(\.segment),
                                 discontinuitySequence: track.discontinuitySequence)
        }
        return Presentation(tracks: timelines, isLive: isLive, windowDuration: duration,
                            nominalFragmentDuration: nominalFragmentDuration, timelineOrigin: origin)
    }

    /// The track a URL names: `QualityLevels(<bitrate>)/…(<name>=…)`.
    public func key(trackName: String, bitrate: Int) -> TrackKey? {
        order.first { key in
            guard let info = tracks[key]?.info else { return false }
            return info.bitrate == bitrate && info.name.lowercased() == trackName.lowercased()
        }
    }

    public func initSegment(for key: TrackKey) -> [UInt8]? { tracks[key]?.initSegment }

    public func initSegment(trackName: String, bitrate: Int) -> [UInt8]? {
        key(trackName: trackName, bitrate: bitrate).flatMap { tracks[$0]?.initSegment }
    }

    /// Kept for callers written before ``FragmentLookup`` was shared with archives.
    public typealias Lookup = FragmentLookup

    public func fragment(trackName: String, bitrate: Int, time: Int64) -> Lookup {
        guard let key = key(trackName: trackName, bitrate: bitrate), let track = tracks[key] else { return .unknownTrack }
        let live = track.live
        guard let first = live.first, let last = live.last else { return .beyondLiveEdge }
        if time < first.segment.startTime { return .outsideWindow }
        if time >= last.segment.endTime { return .beyondLiveEdge }
        // Binary search by start time.
        var lo = live.startIndex, hi = live.endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if live[mid].segment.startTime < time { lo = mid + 1 } else { hi = mid }
        }
        if lo < live.endIndex, live[lo].segment.startTime == time { return .found(live[lo].bytes) }
        return .noSuchFragment
    }
}
