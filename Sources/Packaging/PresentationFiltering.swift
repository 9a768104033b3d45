// Applying dynamic manifest filters (spec/ams-live.md §8.2, §8.3) to a presentation: a pure function the origin runs
// before any builder, so HLS (TS, CMAF, v3, I-frame and media playlists), DASH (CMAF, CSF) and Smooth list the same
// tracks and the same fragments.

import Media

/// Applies ``PresentationFilter``s to a ``Presentation``; pure functions, no I/O.
///
/// - Tracks: a track is kept when, for every filter, it matches all conditions of at least one of that filter's
///   selections (AND inside a selection, OR across selections, intersection across filters).
/// - Time: fragments are kept whole (GOP accurate). `startTimestamp` keeps fragments ending after it; `endTimestamp`
///   keeps fragments starting before it (on demand, and live only with `forceEndTimestamp`); live,
///   the live edge is the newest end over the kept tracks: `liveBackoffDuration` drops fragments ending after the edge
///   minus the backoff and `presentationWindowDuration` keeps fragments ending after the edge minus the window (the
///   ranges intersect, as AMS documents: a backoff shortens the listed window rather than moving it back). Several
///   filters combine to the most restrictive value of each field (latest start, earliest end, shortest window, longest
///   backoff). Sequence numbers are kept; discontinuities trimmed off the front are counted into
///   `discontinuitySequence`. A live `windowDuration` shrinks to the filter's window and, with a start, to the time
///   from the start to the live edge.
/// - MPEG-TS media playlists (given `options`): whole TS segments, grouped on the unfiltered timeline exactly as the
///   origin groups them when it serves a segment, are kept or dropped by the same time rules, so every segment a
///   filtered playlist lists starts where an unfiltered request finds it.
public enum PresentationFiltering {
    /// `presentation` as `filters` (in order) let it be listed. With `options` of an MPEG-TS media playlist, time
    /// trimming keeps whole TS segments (see the type's documentation).
    public static func apply(_ filters: [PresentationFilter], to presentation: Presentation,
                             options: ManifestOptions? = nil) -> Presentation {
        guard !filters.isEmpty else { return presentation }
        var selected = presentation
        selected.tracks = presentation.tracks.filter { keeps($0.track, filters) }
        guard let range = TimeRange(filters), !selected.tracks.isEmpty else { return selected }

        let live = presentation.isLive
        var result = selected
        // The live edge both the window and the backoff count back from: the newest end over the kept tracks. The
        // ranges intersect (AMS: "intersections of multiple ranges"), so a window is not moved back by a backoff.
        let edge = selected.tracks.compactMap { timeline in timeline.segments.last.map { canonical($0.endTime, timeline.track) } }.max()
        var backoffEdge: Int64?
        var windowStart: Int64?
        if live, let edge {
            backoffEdge = range.backoff.map { edge.subtractingSaturated($0) }
            windowStart = range.window.map { edge.subtractingSaturated($0) }
        }

        for index in result.tracks.indices {
            let track = result.tracks[index].track
            let starts = [range.start.map { ticks($0, for: track, roundingUp: false) },
                          windowStart.map { rescale($0, from: MediaTime.ticksPerSecond, to: timescale(track), roundingUp: false) }]
            let bounds = Bounds(after: starts.compactMap { $0 }.max(),
                                before: range.end(live: live).map { ticks($0, for: track, roundingUp: true) },
                                endingBy: backoffEdge.map { rescale($0, from: MediaTime.ticksPerSecond, to: timescale(track), roundingUp: false) })
            result.tracks[index] = trim(selected.tracks[index], bounds, in: selected, options: options)
        }

        if live, let edge {
            var window = result.windowDuration
            if let duration = range.window { window = min(window ?? duration, duration) }
            if let start = range.start.map({ rescale($0.value, from: $0.timescale, to: MediaTime.ticksPerSecond, roundingUp: false) }) {
                let span = max(0, edge.subtractingSaturated(start))
                window = min(window ?? span, span)
            }
            result.windowDuration = window
        }
        return result
    }

    /// The bitrate the HLS multivariant playlist lists first: the last filter's `firstQuality` that names one.
    public static func firstQualityBitrate(_ filters: [PresentationFilter]) -> Int? {
        filters.last { $0.firstQualityBitrate != nil }?.firstQualityBitrate
    }

    /// `video` (already in playlist order) with the track at `bitrate`, else the nearest one, moved to the front.
    public static func placingFirst(_ bitrate: Int?, in video: [TrackInfo]) -> [TrackInfo] {
        guard let bitrate, let first = video.indices.min(by: { abs(video[$0].bitrate - bitrate) < abs(video[$1].bitrate - bitrate) })
        else { return video }
        var ordered = video
        ordered.insert(ordered.remove(at: first), at: 0)
        return ordered
    }

    // MARK: - Tracks

    /// Whether every filter keeps `track`.
    public static func keeps(_ track: TrackInfo, _ filters: [PresentationFilter]) -> Bool {
        filters.allSatisfy { keeps(track, $0) }
    }

    /// Whether `filter` keeps `track`: no selections, or all conditions of one selection hold.
    public static func keeps(_ track: TrackInfo, _ filter: PresentationFilter) -> Bool {
        filter.trackSelections.isEmpty || filter.trackSelections.contains { $0.allSatisfy { matches(track, $0) } }
    }

    /// Whether `track` satisfies `condition`. `Unknown` and values that cannot be read (a bitrate that is not a number
    /// or a range) never match, whatever the operation.
    public static func matches(_ track: TrackInfo, _ condition: TrackCondition) -> Bool {
        let value = trimmed(condition.value)
        let equal: Bool
        switch condition.property {
        case .unknown:
            return false
        case .type:
            equal = value.lowercased() == track.kind.rawValue
        case .name:
            equal = value.lowercased() == track.name.lowercased()
        case .language:
            equal = LanguageCode.primary(value) == LanguageCode.primary(track.language)
        case .fourCC:
            let lowered = value.lowercased()
            let first = track.codec.codecString.split(separator: ".").first.map { $0.lowercased() }
            equal = lowered == track.codec.fourCC.lowercased() || lowered == first
        case .bitrate:
            guard let range = bitrateRange(value) else { return false }
            equal = range.contains(track.bitrate)
        }
        return condition.operation == .equal ? equal : !equal
    }

    /// `1000000` (exact) or `0-2427000` (inclusive), in bits per second.
    static func bitrateRange(_ value: String) -> ClosedRange<Int>? {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
            .map { Int(trimmed(String($0))) }
        switch parts.count {
        case 1: return parts[0].map { $0...$0 }
        case 2:
            guard let low = parts[0], let high = parts[1], low <= high else { return nil }
            return low...high
        default: return nil
        }
    }

    private static func trimmed(_ text: String) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    // MARK: - Time

    /// The time fields of several filters, combined to the most restrictive of each.
    struct TimeRange {
        typealias Value = (value: Int64, timescale: Int64)
        /// Absolute start/end in their filter's timescale (filters may use different ones).
        var starts: [Value] = []
        var liveEnds: [Value] = []
        var onDemandEnds: [Value] = []
        /// Durations in ``MediaTime/ticksPerSecond``.
        var window: Int64?
        var backoff: Int64?

        init?(_ filters: [PresentationFilter]) {
            let ranges = filters.compactMap(\.timeRange)
            guard !ranges.isEmpty else { return nil }
            for range in ranges {
                let scale = range.effectiveTimescale
                if let start = range.startTimestamp { starts.append((start, scale)) }
                if let end = range.endTimestamp {
                    onDemandEnds.append((end, scale))
                    if range.forceEndTimestamp == true { liveEnds.append((end, scale)) }
                }
                if let duration = range.presentationWindowDuration {
                    let canonical = rescale(duration, from: scale, to: MediaTime.ticksPerSecond, roundingUp: false)
                    window = min(window ?? canonical, canonical)
                }
                if let duration = range.liveBackoffDuration {
                    let canonical = rescale(duration, from: scale, to: MediaTime.ticksPerSecond, roundingUp: true)
                    backoff = max(backoff ?? canonical, canonical)
                }
            }
        }

        /// The latest start (exactly compared: the latest in seconds).
        var start: Value? { latest(starts) }

        func end(live: Bool) -> [Value]? {
            let ends = live ? liveEnds : onDemandEnds
            return ends.isEmpty ? nil : ends
        }

        private func latest(_ values: [Value]) -> Value? {
            values.max { rescale($0.value, from: $0.timescale, to: MediaTime.ticksPerSecond, roundingUp: false)
                < rescale($1.value, from: $1.timescale, to: MediaTime.ticksPerSecond, roundingUp: false) }
        }
    }

    /// What a track keeps, in its own timescale: fragments ending after `after`, starting before `before` and ending
    /// at or before `endingBy`.
    struct Bounds {
        var after: Int64?
        var before: Int64?
        var endingBy: Int64?

        func keeps(_ start: Int64, _ end: Int64) -> Bool {
            (after.map { end > $0 } ?? true) && (before.map { start < $0 } ?? true) && (endingBy.map { end <= $0 } ?? true)
        }
    }

    /// `value` of a filter field in the track's timescale, rounded so that comparing whole track ticks with it gives
    /// the exact answer (`end > start` rounds the start down, `start < end` rounds the end up).
    private static func ticks(_ value: TimeRange.Value, for track: TrackInfo, roundingUp: Bool) -> Int64 {
        rescale(value.value, from: value.timescale, to: timescale(track), roundingUp: roundingUp)
    }

    /// The earliest of several ends, in the track's timescale.
    private static func ticks(_ values: [TimeRange.Value], for track: TrackInfo, roundingUp: Bool) -> Int64 {
        values.map { ticks($0, for: track, roundingUp: roundingUp) }.min() ?? .max
    }

    private static func timescale(_ track: TrackInfo) -> Int64 { Int64(max(1, track.timescale)) }

    private static func canonical(_ time: Int64, _ track: TrackInfo) -> Int64 {
        rescale(time, from: timescale(track), to: MediaTime.ticksPerSecond, roundingUp: false)
    }

    /// `value × to / from`, rounded down or up, exact for any magnitude; saturates at the Int64 limits (a window of
    /// Int64.max means "unbounded").
    static func rescale(_ value: Int64, from: Int64, to: Int64, roundingUp: Bool) -> Int64 {
        guard from != to, from > 0, to > 0 else { return value }
        let estimate = Double(value) * Double(to) / Double(from)
        if estimate >= 9.2e18 { return .max }
        if estimate <= -9.2e18 { return .min }
        let product = value.multipliedFullWidth(by: to)
        let (quotient, remainder) = from.dividingFullWidth(product)
        if remainder == 0 { return quotient }
        // Truncated toward zero: adjust to floor or ceiling.
        if roundingUp { return value > 0 ? quotient + 1 : quotient }
        return value < 0 ? quotient - 1 : quotient
    }

    /// The segments of `timeline` that `bounds` keeps; for MPEG-TS media playlists whole TS segments of the unfiltered
    /// grouping. Discontinuities trimmed off the front are counted in `discontinuitySequence`.
    private static func trim(_ timeline: TrackTimeline, _ bounds: Bounds, in presentation: Presentation,
                             options: ManifestOptions?) -> TrackTimeline {
        let segments = timeline.segments
        var kept: Range<Int>
        if let options, options.format.isHLS, !options.format.usesFragmentedMP4, !options.keyframesOnly {
            let groups = HLSBuilder.tsSegments(presentation, track: timeline, options: options).segments
                .filter { bounds.keeps($0.startTime, $0.endTime) }
            if let first = groups.first, let last = groups.last {
                kept = first.fragments.lowerBound..<last.fragments.upperBound
            } else {
                kept = segments.count..<segments.count
            }
        } else {
            let first = segments.firstIndex { bounds.keeps($0.startTime, $0.endTime) } ?? segments.count
            let end = segments[first...].firstIndex { !bounds.keeps($0.startTime, $0.endTime) } ?? segments.count
            kept = first..<end
        }
        var result = timeline
        result.segments = Array(segments[kept])
        result.discontinuitySequence += segments[..<kept.lowerBound].filter(\.discontinuity).count
        return result
    }
}

/// RFC 5646 tags and ISO 639-2 codes reduced to one comparable primary language code.
enum LanguageCode {
    /// The ISO 639-2/T code of the tag's primary language subtag (`en-US` → `eng`, `fre` → `fra`), lower-cased; other
    /// subtags are ignored.
    static func primary(_ tag: String) -> String {
        let primary = tag.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map { $0.lowercased() } ?? ""
        if primary.count == 2 { return twoLetter[primary] ?? primary }
        return bibliographic[primary] ?? primary
    }

    /// ISO 639-1 → ISO 639-2/T for the languages streams commonly carry.
    static let twoLetter: [String: String] = [
        "aa": "aar", "ab": "abk", "af": "afr", "ak": "aka", "am": "amh", "ar": "ara", "as": "asm", "az": "aze",
        "be": "bel", "bg": "bul", "bn": "ben", "bo": "bod", "bs": "bos", "ca": "cat", "cs": "ces", "cy": "cym",
        "da": "dan", "de": "deu", "el": "ell", "en": "eng", "eo": "epo", "es": "spa", "et": "est", "eu": "eus",
        "fa": "fas", "fi": "fin", "fo": "fao", "fr": "fra", "ga": "gle", "gd": "gla", "gl": "glg", "gu": "guj",
        "ha": "hau", "he": "heb", "hi": "hin", "hr": "hrv", "ht": "hat", "hu": "hun", "hy": "hye", "id": "ind",
        "ig": "ibo", "is": "isl", "it": "ita", "iu": "iku", "ja": "jpn", "jv": "jav", "ka": "kat", "kk": "kaz",
        "km": "khm", "kn": "kan", "ko": "kor", "ku": "kur", "ky": "kir", "la": "lat", "lb": "ltz", "lo": "lao",
        "lt": "lit", "lv": "lav", "mg": "mlg", "mi": "mri", "mk": "mkd", "ml": "mal", "mn": "mon", "mr": "mar",
        "ms": "msa", "mt": "mlt", "my": "mya", "nb": "nob", "ne": "nep", "nl": "nld", "nn": "nno", "no": "nor",
        "pa": "pan", "pl": "pol", "ps": "pus", "pt": "por", "qu": "que", "ro": "ron", "ru": "rus", "rw": "kin",
        "sd": "snd", "si": "sin", "sk": "slk", "sl": "slv", "so": "som", "sq": "sqi", "sr": "srp", "su": "sun",
        "sv": "swe", "sw": "swa", "ta": "tam", "te": "tel", "tg": "tgk", "th": "tha", "tk": "tuk", "tl": "tgl",
        "tr": "tur", "tt": "tat", "ug": "uig", "uk": "ukr", "ur": "urd", "uz": "uzb", "vi": "vie", "xh": "xho",
        "yi": "yid", "yo": "yor", "zh": "zho", "zu": "zul",
    ]

    /// ISO 639-2/B codes that differ from their /T code.
    static let bibliographic: [String: String] = [
        "alb": "sqi", "arm": "hye", "baq": "eus", "bur": "mya", "chi": "zho", "cze": "ces", "dut": "nld", "fre": "fra",
        "geo": "kat", "ger": "deu", "gre": "ell", "ice": "isl", "mac": "mkd", "mao": "mri", "may": "msa", "per": "fas",
        "rum": "ron", "slo": "slk", "tib": "bod", "wel": "cym",
    ]
}

extension Int64 {
    /// `self - other`, clamped to the Int64 range.
    fileprivate func subtractingSaturated(_ other: Int64) -> Int64 {
        let (result, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other > 0 ? .min : .max) : result
    }
}
