// `Microsoft.Media/mediaservices/accountFilters` and `…/assets/assetFilters` (ProxyResource), JSON names as Metadata
// 2023-01-01 (AccountFilters.json, AssetsAndAssetFilters.json): both share `MediaFilterProperties`.
import Foundation

/// An account filter or an asset filter: which tracks, which time range and which first quality a manifest gets.
public struct MediaFilter: Codable, Sendable, Equatable {
    /// ARM id (read-only).
    public var id: String?
    /// Resource name (read-only).
    public var name: String?
    /// `Microsoft.Media/mediaservices/accountFilters` or `…/assets/assetFilters` (read-only).
    public var type: String?
    /// Creation/modification metadata (read-only).
    public var systemData: SystemData?
    /// The filter itself.
    public var properties: MediaFilterProperties?

    /// Creates a filter.
    public init(id: String? = nil, name: String? = nil, type: String? = nil, systemData: SystemData? = nil,
                properties: MediaFilterProperties? = nil) {
        self.id = id
        self.name = name
        self.type = type
        self.systemData = systemData
        self.properties = properties
    }
}

/// `MediaFilterProperties`: every part optional.
public struct MediaFilterProperties: Codable, Sendable, Equatable {
    public var presentationTimeRange: PresentationTimeRange?
    public var firstQuality: FirstQuality?
    public var tracks: [FilterTrackSelection]?

    public init(presentationTimeRange: PresentationTimeRange? = nil, firstQuality: FirstQuality? = nil,
                tracks: [FilterTrackSelection]? = nil) {
        self.presentationTimeRange = presentationTimeRange
        self.firstQuality = firstQuality
        self.tracks = tracks
    }
}

/// `PresentationTimeRange`, in `timescale` ticks (default 10,000,000).
public struct PresentationTimeRange: Codable, Sendable, Equatable {
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
}

/// `FirstQuality`: the bitrate (bps) of the quality HLS lists first.
public struct FirstQuality: Codable, Sendable, Equatable {
    public var bitrate: Int32?
    public init(bitrate: Int32?) { self.bitrate = bitrate }
}

/// `FilterTrackSelection`: conditions ANDed together.
public struct FilterTrackSelection: Codable, Sendable, Equatable {
    public var trackSelections: [FilterTrackPropertyCondition]?
    public init(trackSelections: [FilterTrackPropertyCondition]?) { self.trackSelections = trackSelections }
}

/// `FilterTrackPropertyCondition`. Property and operation are kept as strings (the swagger models them as
/// extensible strings) and checked by ``MediaFilterProperties/validated(field:)``.
public struct FilterTrackPropertyCondition: Codable, Sendable, Equatable {
    public var property: String?
    public var value: String?
    public var operation: String?
    public init(property: String?, value: String?, operation: String?) {
        self.property = property
        self.value = value
        self.operation = operation
    }
}
