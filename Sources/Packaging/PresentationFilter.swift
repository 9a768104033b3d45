// Dynamic manifest filters (spec/ams-live.md §8): what an account or asset filter says, in the packager's terms.
// The control plane turns its `accountFilters`/`assetFilters` resources into these; the origin applies them to
// a presentation before any manifest builder sees it, so every format is filtered the same way.

/// One condition on a track: `property` compared with `value` (AMS `FilterTrackPropertyCondition`).
public struct TrackCondition: Sendable, Hashable {
    /// AMS `FilterTrackPropertyType`.
    public enum Property: String, Sendable, Hashable, CaseIterable {
        case unknown = "Unknown", type = "Type", name = "Name", language = "Language", fourCC = "FourCC", bitrate = "Bitrate"
    }

    /// AMS `FilterTrackPropertyCompareOperation`.
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        case equal = "Equal", notEqual = "NotEqual"
    }

    public var property: Property
    public var operation: Operation
    /// As sent: `video`/`audio`/`text` for Type, a track name, an RFC 5646 tag, a FourCC (`avc1`, `mp4a`, …), a
    /// bitrate in bits per second or a range `low-high`.
    public var value: String

    public init(property: Property, operation: Operation, value: String) {
        self.property = property
        self.operation = operation
        self.value = value
    }
}

/// AMS `PresentationTimeRange`: every field optional, times in `timescale` ticks per second.
public struct FilterTimeRange: Sendable, Hashable {
    /// Ticks per second of the other fields; the service's default is 10,000,000.
    public static let defaultTimescale: Int64 = 10_000_000

    public var startTimestamp: Int64?
    public var endTimestamp: Int64?
    public var presentationWindowDuration: Int64?
    public var liveBackoffDuration: Int64?
    public var timescale: Int64?
    public var forceEndTimestamp: Bool?

    public init(startTimestamp: Int64? = nil, endTimestamp: Int64? = nil, presentationWindowDuration: Int64? = nil,
                liveBackoffDuration: Int64? = nil, timescale: Int64? = nil, forceEndTimestamp: Bool? = nil) {
        self.startTimestamp = startTimestamp
        self.endTimestamp = endTimestamp
        self.presentationWindowDuration = presentationWindowDuration
        self.liveBackoffDuration = liveBackoffDuration
        self.timescale = timescale
        self.forceEndTimestamp = forceEndTimestamp
    }

    /// `timescale`, or the service default when absent or not positive.
    public var effectiveTimescale: Int64 { (timescale ?? 0) > 0 ? timescale! : Self.defaultTimescale }
}

/// A named filter: track selections, a presentation time range and a first quality, any of them absent.
public struct PresentationFilter: Sendable, Hashable {
    /// The resource name (what `filter=` names), kept for error messages.
    public var name: String
    /// `tracks`: a track is kept when it matches every condition of at least one selection (AND inside, OR across).
    /// Empty keeps every track.
    public var trackSelections: [[TrackCondition]]
    public var timeRange: FilterTimeRange?
    /// `firstQuality.bitrate`: the video quality listed first in the HLS multivariant playlist.
    public var firstQualityBitrate: Int?

    public init(name: String, trackSelections: [[TrackCondition]] = [], timeRange: FilterTimeRange? = nil,
                firstQualityBitrate: Int? = nil) {
        self.name = name
        self.trackSelections = trackSelections
        self.timeRange = timeRange
        self.firstQualityBitrate = firstQualityBitrate
    }
}

/// The filters a request may use: those its locator always applies, and those `filter=` may name.
public struct FilterSet: Sendable, Hashable {
    /// The locator's `filters`, always applied (in the locator's order).
    public var always: [PresentationFilter]
    /// What `filter=` may name, keyed by lower-cased name: the asset's filters over the account's (an asset filter wins
    /// a name clash).
    public var named: [String: PresentationFilter]

    public init(always: [PresentationFilter] = [], named: [String: PresentationFilter] = [:]) {
        self.always = always
        self.named = named
    }

    public static let none = FilterSet()

    /// The filter `filter=` names, matched case-insensitively.
    public func filter(named name: String) -> PresentationFilter? { named[name.lowercased()] }
}
