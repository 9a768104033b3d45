// Builders for the relative URIs manifests write: the inverse of `OriginRequest.parse(path:)`.
//
// Manifest URIs are relative. The multivariant playlist / MPD / Smooth manifest lives at `…/<name>.ism/manifest(…)`,
// so it refers to `QualityLevels(<b>)/…`; a media playlist lives at `…/<name>.ism/QualityLevels(<b>)/Manifest(…)`,
// so it refers to its segments as bare `Fragments(…)`.
//
// Filters and the encryption scheme are carried into every child URI: a media playlist must apply the same
// filters as its multivariant playlist, and the origin needs the scheme to encrypt each segment.
//
// Track and filter names are percent-encoded except for unreserved characters, so `$` cannot clash with DASH
// template identifiers and `"` or `<` cannot break the manifest syntax. A `,` or `;` in a name cannot round-trip
// (the parser decodes the path before splitting options); the live pipeline should give tracks plain names.

/// Relative URIs of origin sub-resources, as written into manifests.
public enum OriginPaths {
    /// `manifest(format=…,filter=…,…)` relative to `<name>.ism/`; plain `manifest` for Smooth without options.
    public static func manifest(options: ManifestOptions) -> String {
        var items = childOptions(options, keyframesOnly: options.keyframesOnly)
        if !options.audioOnly { items.append("audio-only=false") }
        return items.isEmpty ? "manifest" : "manifest(" + items.joined(separator: ",") + ")"
    }

    /// `QualityLevels(<bitrate>)`: the directory of one rendition.
    public static func qualityLevels(_ bitrate: Int) -> String {
        qualityLevels(String(bitrate))
    }

    private static func qualityLevels(_ bitrate: String) -> String {
        "QualityLevels(" + bitrate + ")"
    }

    /// HLS media playlist URI relative to `<name>.ism/`: `QualityLevels(<b>)/Manifest(<track>,format=…)`.
    public static func mediaPlaylist(bitrate: Int, track: String, options: ManifestOptions,
                                     keyframesOnly: Bool = false) -> String {
        let uri = call("Manifest", encode(track), options)
        return qualityLevels(bitrate) + "/" + (keyframesOnly ? uri.dropLast() + ",type=keyframes)" : uri)
    }

    /// HLS media playlist URI with only a format: `QualityLevels(<b>)/Manifest(<track>,format=<format>)`.
    public static func mediaPlaylist(bitrate: Int, track: String, format: OutputFormat) -> String {
        mediaPlaylist(bitrate: bitrate, track: track, options: ManifestOptions(format: format))
    }

    /// Segment URI relative to `QualityLevels(<b>)/`: `Fragments(<track>=<time>,format=…)`.
    public static func fragment(track: String, time: Int64, options: ManifestOptions) -> String {
        call("Fragments", encode(track) + "=" + String(time), options)
    }

    /// LL-HLS partial segment URI relative to `QualityLevels(<b>)/`: `Fragments(<track>=<time>,format=…,part=<n>)`,
    /// part `index` (from 0) of the segment starting at `time`.
    public static func part(track: String, time: Int64, index: Int, options: ManifestOptions) -> String {
        let uri = fragment(track: track, time: time, options: options)
        return uri.dropLast() + ",part=\(index))"
    }

    /// Media extensions a fragment or init segment URL may end with (ignored when parsing).
    public static let segmentSuffixes: Set<String> = [".mp4", ".m4s", ".m4v", ".m4a", ".cmfv", ".cmfa", ".ts", ".aac", ".vtt"]

    /// The extension HLS playlists put after segment URIs of `format`, so that players which check
    /// extensions against the container (libavformat's HLS demuxer) accept them; empty for other formats.
    public static func hlsSegmentSuffix(for format: OutputFormat) -> String {
        switch format {
        case .hlsCMAF: return ".mp4"
        case .hlsV4, .hlsV3: return ".ts"
        default: return ""
        }
    }

    /// Initialization segment URI relative to `QualityLevels(<b>)/`: `Fragments(<track>=i,format=…)`.
    public static func initSegment(track: String, options: ManifestOptions) -> String {
        call("Fragments", encode(track) + "=i", options)
    }

    /// Key-frame URI relative to `QualityLevels(<b>)/` (HLS I-frame playlists): `KeyFrames(<track>=<time>,format=…)`.
    public static func keyFrame(track: String, time: Int64, options: ManifestOptions) -> String {
        call("KeyFrames", encode(track) + "=" + String(time), options)
    }

    /// DASH `SegmentTemplate@media` relative to `<name>.ism/`: `QualityLevels($Bandwidth$)/Fragments(<track>=$Time$,…)`.
    public static func fragmentTemplate(track: String, options: ManifestOptions) -> String {
        qualityLevels(bandwidthIdentifier) + "/" + call("Fragments", encode(track) + "=$Time$", options)
    }

    /// DASH `SegmentTemplate@initialization` relative to `<name>.ism/`: `QualityLevels($Bandwidth$)/Fragments(<track>=i,…)`.
    public static func initSegmentTemplate(track: String, options: ManifestOptions) -> String {
        qualityLevels(bandwidthIdentifier) + "/" + initSegment(track: track, options: options)
    }

    /// Smooth `StreamIndex@Url` relative to `<name>.ism/`: `QualityLevels({bitrate})/Fragments(<track>={start time})`.
    /// No `format=`: both Smooth manifests (`fmp4-v20` too) address the same fragments, so caches share them;
    /// filters and the encryption scheme are carried as in every other child URI.
    public static func smoothFragmentTemplate(track: String, options: ManifestOptions) -> String {
        var plain = options
        plain.format = .smooth
        return qualityLevels("{bitrate}") + "/" + call("Fragments", encode(track) + "={start time}", plain)
    }

    /// The absolute path of a request, `/<locatorId>/<name>.ism/…`; `OriginRequest.parse(path:)` gives it back.
    public static func path(for request: OriginRequest) -> String {
        let base = "/" + encode(request.locatorID) + "/" + encode(request.manifestName) + ".ism/"
        let options = request.options
        switch request.resource {
        case .manifest:
            return base + manifest(options: options)
        case .mediaPlaylist(let bitrate, let trackName):
            return base + qualityLevels(bitrate) + "/" + withRequestOnlyOptions(call("Manifest", encode(trackName), options), options)
        case .initSegment(let bitrate, let trackName):
            return base + qualityLevels(bitrate) + "/" + withRequestOnlyOptions(initSegment(track: trackName, options: options), options)
        case .fragment(let bitrate, let trackName, let time):
            return base + qualityLevels(bitrate) + "/"
                + withRequestOnlyOptions(fragment(track: trackName, time: time, options: options), options)
        case .keyFrame(let bitrate, let trackName, let time):
            return base + qualityLevels(bitrate) + "/"
                + withRequestOnlyOptions(keyFrame(track: trackName, time: time, options: options), options)
        }
    }

    // MARK: - Helpers

    /// DASH template identifier for `Representation@bandwidth`, which the builders set to the track bitrate.
    private static let bandwidthIdentifier = "$Bandwidth$"

    /// Options a child URI inherits: format (absent for Smooth), filters, encryption, and `type=keyframes` if asked.
    private static func childOptions(_ options: ManifestOptions, keyframesOnly: Bool) -> [String] {
        var items: [String] = []
        if options.format != .smooth { items.append("format=" + options.format.rawValue) }
        if !options.filters.isEmpty { items.append("filter=" + options.filters.map(encode).joined(separator: ";")) }
        if let encryption = options.encryption { items.append("encryption=" + encode(encryption)) }
        if keyframesOnly { items.append("type=keyframes") }
        return items
    }

    private static func call(_ keyword: String, _ first: String, _ options: ManifestOptions) -> String {
        let items = [first] + childOptions(options, keyframesOnly: false)
        return keyword + "(" + items.joined(separator: ",") + ")"
    }

    /// Segment URIs in manifests never carry `type=keyframes` or `audio-only=false` (they change nothing there);
    /// only `path(for:)` adds them, so that any parsed request round-trips exactly.
    private static func withRequestOnlyOptions(_ uri: String, _ options: ManifestOptions) -> String {
        var extra = ""
        if options.keyframesOnly { extra += ",type=keyframes" }
        if !options.audioOnly { extra += ",audio-only=false" }
        if let part = options.part { extra += ",part=\(part)" }
        guard !extra.isEmpty, uri.last == ")" else { return uri }
        return uri.dropLast() + extra + ")"
    }

    /// Percent-encodes everything except ASCII letters, digits and `-._~`.
    static func encode(_ name: String) -> String {
        let isPlain: (UInt8) -> Bool = { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                return true
            default:
                return false
            }
        }
        guard !name.utf8.allSatisfy(isPlain) else { return name }
        let digits = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(name.utf8.count * 3)
        for byte in name.utf8 {
            if isPlain(byte) {
                bytes.append(byte)
            } else {
                bytes += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
