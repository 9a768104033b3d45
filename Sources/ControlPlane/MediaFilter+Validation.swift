// The control plane's reading of a filter: every field checked against the service's limits, then the packager's
// `PresentationFilter` (the wire shape lives in AMSModels, which knows nothing of packaging).
import AMSModels
import Foundation
import Packaging

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
        let numbers = parts.compactMap { part in part.allSatisfy(\.isASCII) ? Int(part) : nil }.filter { $0 >= 0 }
        guard (1...2).contains(parts.count), numbers.count == parts.count else { return false }
        return numbers.count == 1 || numbers[0] <= numbers[1]
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
