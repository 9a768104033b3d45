// The `format=` values of the origin URL grammar (spec/ams-live.md §10.1).

/// A packaging output the origin can be asked for with `format=`; `.smooth` when the URL names none.
public enum OutputFormat: String, Sendable, Hashable, CaseIterable {
    /// Smooth Streaming 2.x (no `format=` option in the URL).
    case smooth
    /// Smooth 2.0 legacy manifest without `r` repeat attributes.
    case fmp4v20 = "fmp4-v20"
    /// HLS v7 with fMP4/CMAF segments.
    case hlsCMAF = "m3u8-cmaf"
    /// HLS v4 with MPEG-2 TS segments and a separate audio rendition (`m3u8-aapl-v4` is an alias).
    case hlsV4 = "m3u8-aapl"
    /// HLS v3 with muxed MPEG-2 TS segments.
    case hlsV3 = "m3u8-aapl-v3"
    /// DASH, CMAF profile, `SegmentTimeline` with `$Time$`.
    case dashCMAF = "mpd-time-cmaf"
    /// DASH "Common Streaming Format" (legacy `ccff` adaptation sets).
    case dashCSF = "mpd-time-csf"

    /// Formats spelled in URLs, in the order error messages list them.
    public static let urlValues: [String] = allCases.filter { $0 != .smooth }.map(\.rawValue) + ["m3u8-aapl-v4"]

    /// The format a `format=` value names (case-insensitive), or nil when it names none.
    public init?(urlValue: String) {
        let value = urlValue.lowercased()
        if value == "m3u8-aapl-v4" { self = .hlsV4; return }
        // `smooth` is the absence of the option, not a value a URL can spell.
        guard value != OutputFormat.smooth.rawValue, let format = OutputFormat(rawValue: value) else { return nil }
        self = format
    }

    /// An HLS output (`.m3u8` playlists).
    public var isHLS: Bool { self == .hlsCMAF || self == .hlsV4 || self == .hlsV3 }

    /// A DASH output (`.mpd` manifests).
    public var isDASH: Bool { self == .dashCMAF || self == .dashCSF }

    /// A Smooth Streaming output.
    public var isSmooth: Bool { self == .smooth || self == .fmp4v20 }

    /// Segments are fragmented MP4 (every output except the MPEG-2 TS flavours of HLS).
    public var usesFragmentedMP4: Bool { self != .hlsV4 && self != .hlsV3 }
}
