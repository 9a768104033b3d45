// `edgelive filter create` options and the MediaFilter body they become.
import AMSModels
import Foundation

/// What `filter create` was asked for; `makeBody()` checks the syntax and builds the PUT body (the daemon checks the
/// rest, as the service does).
public struct FilterCreateOptions: Sendable, Equatable {
    /// Filter name.
    public var name: String
    /// `--asset`: an asset filter of that asset; nil makes an account filter.
    public var asset: String?
    /// `--track`, repeatable: one track selection each, conditions separated by commas, `Property=Value` or
    /// `Property!=Value` (e.g. `Type=video,Bitrate=0-2000000`). Selections are ORed, conditions ANDed.
    public var tracks: [String]
    /// `--first-quality`: bitrate (bits per second) listed first in HLS.
    public var firstQuality: Int?
    /// `--start`/`--end`: absolute timestamps in `timescale` ticks.
    public var start: Int64?
    public var end: Int64?
    /// `--window`/`--backoff`: seconds (sliding DVR window, live edge held back).
    public var windowSeconds: Double?
    public var backoffSeconds: Double?
    /// `--timescale`: ticks per second of `--start`/`--end` (default 10000000).
    public var timescale: Int64?
    /// `--force-end`: `forceEndTimestamp`.
    public var forceEnd: Bool

    public init(name: String, asset: String? = nil, tracks: [String] = [], firstQuality: Int? = nil, start: Int64? = nil,
                end: Int64? = nil, windowSeconds: Double? = nil, backoffSeconds: Double? = nil, timescale: Int64? = nil,
                forceEnd: Bool = false) {
        self.name = name
        self.asset = asset
        self.tracks = tracks
        self.firstQuality = firstQuality
        self.start = start
        self.end = end
        self.windowSeconds = windowSeconds
        self.backoffSeconds = backoffSeconds
        self.timescale = timescale
        self.forceEnd = forceEnd
    }

    /// The properties names the service uses, matched without case.
    static let properties = ["Type", "Name", "Language", "FourCC", "Bitrate"]

    /// One `--track` value as a selection.
    static func selection(_ text: String) throws(ClientError) -> FilterTrackSelection {
        var conditions: [FilterTrackPropertyCondition] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let notEqual = part.contains("!=")
            let pieces = part.components(separatedBy: notEqual ? "!=" : "=")
            guard pieces.count == 2, !pieces[0].isEmpty, !pieces[1].isEmpty else {
                throw .usage("--track '\(text)': '\(part)' is not Property=Value or Property!=Value",
                             hint: "e.g. --track Type=video,Bitrate=0-2000000 --track Type=audio,Language=en")
            }
            guard let property = properties.first(where: { $0.lowercased() == pieces[0].trimmingCharacters(in: .whitespaces).lowercased() }) else {
                throw .usage("--track '\(text)': unknown property '\(pieces[0])'", hint: "use \(properties.joined(separator: ", "))")
            }
            conditions.append(FilterTrackPropertyCondition(property: property, value: pieces[1].trimmingCharacters(in: .whitespaces),
                                                           operation: notEqual ? "NotEqual" : "Equal"))
        }
        guard !conditions.isEmpty else { throw .usage("--track needs at least one Property=Value condition") }
        return FilterTrackSelection(trackSelections: conditions)
    }

    /// The MediaFilter to PUT.
    public func makeBody() throws(ClientError) -> MediaFilter {
        var properties = MediaFilterProperties()
        if !tracks.isEmpty {
            var selections: [FilterTrackSelection] = []
            for track in tracks { selections.append(try Self.selection(track)) }
            properties.tracks = selections
        }
        if let firstQuality {
            guard firstQuality > 0, firstQuality <= Int(Int32.max) else { throw .usage("--first-quality must be a bitrate in bits per second") }
            properties.firstQuality = FirstQuality(bitrate: Int32(firstQuality))
        }
        let ticks = Double(timescale ?? 10_000_000)
        func seconds(_ value: Double?, _ option: String) throws(ClientError) -> Int64? {
            guard let value else { return nil }
            guard value >= 0, value.isFinite else { throw .usage("\(option) must be a number of seconds") }
            return Int64((value * ticks).rounded())
        }
        let window = try seconds(windowSeconds, "--window")
        let backoff = try seconds(backoffSeconds, "--backoff")
        if start != nil || end != nil || window != nil || backoff != nil || timescale != nil || forceEnd {
            properties.presentationTimeRange = PresentationTimeRange(
                startTimestamp: start, endTimestamp: end, presentationWindowDuration: window, liveBackoffDuration: backoff,
                timescale: timescale, forceEndTimestamp: forceEnd ? true : nil)
        }
        return MediaFilter(properties: properties)
    }
}
