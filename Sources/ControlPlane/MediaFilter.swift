// `Microsoft.Media/mediaservices/accountFilters` and `…/assets/assetFilters` (ProxyResource), JSON names as Metadata
// 2023-01-01 (AccountFilters.json, AssetsAndAssetFilters.json): both share `MediaFilterProperties`.
import Foundation
import Packaging

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

extension MediaFilterProperties {
    /// The service's limits (spec/ams-live.md §8.2): the smallest sliding window and the largest live backoff, in seconds.
    static let minimumWindowSeconds: Int64 = 60
    static let maximumBackoffSeconds: Int64 = 300
    /// Filters per account and per asset.
    public static let maximumCount = 100

    /// The filter in the packager's terms, after checking every field; a 400 names the first bad one.
    public func validated(name: String) throws(ARMError) -> PresentationFilter {
        var selections: [[TrackCondition]] = []
        for (i, selection) in (tracks ?? []).enumerated() {
            let base = "properties.tracks[\(i)].trackSelections"
            guard let conditions = selection.trackSelections, !conditions.isEmpty else {
                throw .badRequest("'\(base)' is required and needs at least one condition.", target: base)
            }
            var parsed: [TrackCondition] = []
            for (j, condition) in conditions.enumerated() {
                parsed.append(try Self.condition(condition, field: "\(base)[\(j)]"))
            }
            selections.append(parsed)
        }
        var range: FilterTimeRange?
        if let time = presentationTimeRange {
            range = try Self.timeRange(time)
        }
        var first: Int?
        if let quality = firstQuality {
            guard let bitrate = quality.bitrate else {
                throw .badRequest("'properties.firstQuality.bitrate' is required.", target: "properties.firstQuality.bitrate")
            }
            guard bitrate > 0 else {
                throw .badRequest("'properties.firstQuality.bitrate' must be a positive bitrate in bits per second.", target: "properties.firstQuality.bitrate")
            }
            first = Int(bitrate)
        }
        return PresentationFilter(name: name, trackSelections: selections, timeRange: range, firstQualityBitrate: first)
    }

    private static func condition(_ condition: FilterTrackPropertyCondition, field: String) throws(ARMError) -> TrackCondition {
        guard let propertyText = condition.property else {
            throw .badRequest("'\(field).property' is required.", target: "\(field).property")
        }
        guard let property = TrackCondition.Property.allCases.first(where: { $0.rawValue.lowercased() == propertyText.lowercased() }),
              property != .unknown else {
            throw .badRequest("'\(field).property' is '\(propertyText)'; use Type, Name, Language, FourCC or Bitrate.", target: "\(field).property")
        }
        guard let operationText = condition.operation else {
            throw .badRequest("'\(field).operation' is required.", target: "\(field).operation")
        }
        guard let operation = TrackCondition.Operation.allCases.first(where: { $0.rawValue.lowercased() == operationText.lowercased() }) else {
            throw .badRequest("'\(field).operation' is '\(operationText)'; use Equal or NotEqual.", target: "\(field).operation")
        }
        guard let raw = condition.value, !raw.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .badRequest("'\(field).value' is required.", target: "\(field).value")
        }
        let value = raw.trimmingCharacters(in: .whitespaces)
        switch property {
        case .type:
            guard ["video", "audio", "text"].contains(value.lowercased()) else {
                throw .badRequest("'\(field).value' is '\(value)'; a Type is video, audio or text.", target: "\(field).value")
            }
        case .bitrate:
            guard Self.isBitrate(value) else {
                throw .badRequest("'\(field).value' is '\(value)'; a Bitrate is bits per second ('1500000') or a range ('0-2000000').", target: "\(field).value")
            }
        case .name, .language, .fourCC, .unknown:
            break
        }
        return TrackCondition(property: property, operation: operation, value: value)
    }

    /// `1500000` or `low-high` with low ≤ high, all digits.
    static func isBitrate(_ value: String) -> Bool {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && Int($0) != nil && Int($0)! >= 0 }) else {
            return false
        }
        return parts.count == 1 || Int(parts[0])! <= Int(parts[1])!
    }

    private static func timeRange(_ time: PresentationTimeRange) throws(ARMError) -> FilterTimeRange {
        let base = "properties.presentationTimeRange"
        if let scale = time.timescale, scale <= 0 {
            throw .badRequest("'\(base).timescale' must be positive (ticks per second; the default is 10000000).", target: "\(base).timescale")
        }
        let scale = time.timescale ?? FilterTimeRange.defaultTimescale
        for (field, value) in [("startTimestamp", time.startTimestamp), ("endTimestamp", time.endTimestamp),
                               ("presentationWindowDuration", time.presentationWindowDuration),
                               ("liveBackoffDuration", time.liveBackoffDuration)] {
            if let value, value < 0 {
                throw .badRequest("'\(base).\(field)' cannot be negative.", target: "\(base).\(field)")
            }
        }
        if let start = time.startTimestamp, let end = time.endTimestamp, end <= start {
            throw .badRequest("'\(base).endTimestamp' (\(end)) must be after 'startTimestamp' (\(start)).", target: "\(base).endTimestamp")
        }
        if let window = time.presentationWindowDuration, window < minimumWindowSeconds * scale {
            throw .badRequest("'\(base).presentationWindowDuration' is \(window) ticks at timescale \(scale); the smallest window is \(minimumWindowSeconds) s (\(minimumWindowSeconds * scale) ticks).",
                              target: "\(base).presentationWindowDuration")
        }
        if let backoff = time.liveBackoffDuration, backoff > maximumBackoffSeconds * scale {
            throw .badRequest("'\(base).liveBackoffDuration' is \(backoff) ticks at timescale \(scale); the largest backoff is \(maximumBackoffSeconds) s (\(maximumBackoffSeconds * scale) ticks).",
                              target: "\(base).liveBackoffDuration")
        }
        if time.forceEndTimestamp == true, time.endTimestamp == nil {
            throw .badRequest("'\(base).forceEndTimestamp' is true, so 'endTimestamp' is required.", target: "\(base).endTimestamp")
        }
        return FilterTimeRange(startTimestamp: time.startTimestamp, endTimestamp: time.endTimestamp,
                               presentationWindowDuration: time.presentationWindowDuration,
                               liveBackoffDuration: time.liveBackoffDuration, timescale: time.timescale,
                               forceEndTimestamp: time.forceEndTimestamp)
    }
}
