// The origin URL grammar (spec/ams-live.md §10.1–10.2): what a streaming path asks for.

/// A parsed streaming path: which locator and manifest, which sub-resource, with which options.
public struct OriginRequest: Sendable, Hashable {
    /// The sub-resource below `<manifestName>.ism/`.
    public enum Resource: Sendable, Hashable {
        /// `manifest(…)`: HLS multivariant playlist, DASH MPD or Smooth client manifest.
        case manifest
        /// `QualityLevels(<bitrate>)/Manifest(<track>,format=m3u8-…)`: an HLS media playlist.
        case mediaPlaylist(bitrate: Int, trackName: String)
        /// `QualityLevels(<bitrate>)/Fragments(<track>=i,…)`: the track's initialization segment.
        case initSegment(bitrate: Int, trackName: String)
        /// `QualityLevels(<bitrate>)/Fragments(<track>=<time>,…)`: the segment starting at `time` (track timescale).
        case fragment(bitrate: Int, trackName: String, time: Int64)
        /// `QualityLevels(<bitrate>)/KeyFrames(<track>=<time>,…)`: the key frame of the segment at `time`.
        case keyFrame(bitrate: Int, trackName: String, time: Int64)
    }

    /// The streaming locator id (first path segment).
    public var locatorID: String
    /// The manifest name without its `.ism` extension.
    public var manifestName: String
    /// The sub-resource asked for.
    public var resource: Resource
    /// The options of the last path segment (`format=`, `filter=`, …).
    public var options: ManifestOptions

    /// Creates a request from its parts.
    public init(locatorID: String, manifestName: String, resource: Resource, options: ManifestOptions) {
        self.locatorID = locatorID
        self.manifestName = manifestName
        self.resource = resource
        self.options = options
    }
}

extension OriginRequest.Resource {
    /// The `QualityLevels(<bitrate>)` of a per-track resource; nil for the manifest.
    public var bitrate: Int? {
        switch self {
        case .manifest: return nil
        case .mediaPlaylist(let bitrate, _), .initSegment(let bitrate, _),
             .fragment(let bitrate, _, _), .keyFrame(let bitrate, _, _):
            return bitrate
        }
    }

    /// The track name of a per-track resource; nil for the manifest.
    public var trackName: String? {
        switch self {
        case .manifest: return nil
        case .mediaPlaylist(_, let name), .initSegment(_, let name), .fragment(_, let name, _), .keyFrame(_, let name, _):
            return name
        }
    }
}

// MARK: - Parsing

extension OriginRequest {
    /// Parses the path of a streaming URL (everything after the host; a query string is ignored).
    public static func parse(path rawPath: String) throws(OriginRequestError) -> OriginRequest {
        var path = Substring(rawPath)
        if let end = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<end] }
        if path.first == "/" { path = path.dropFirst() }
        // Split before percent-decoding so an encoded `/` inside a name stays part of that name.
        let rawSegments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard rawSegments.count == 3 || rawSegments.count == 4 else {
            throw OriginRequestError(.notAStreamingPath,
                "'\(rawPath)' is not a streaming path: expected /<locatorId>/<manifestName>.ism/manifest(…) "
                + "or /<locatorId>/<manifestName>.ism/QualityLevels(<bitrate>)/<Manifest|Fragments|KeyFrames>(…)")
        }
        var segments: [String] = []
        for raw in rawSegments {
            guard !raw.isEmpty else {
                throw OriginRequestError(.notAStreamingPath, "'\(rawPath)' has an empty path segment")
            }
            segments.append(try percentDecode(raw))
        }

        let locatorID = segments[0]
        let ismSegment = segments[1]
        guard ismSegment.count > 4, ismSegment.lowercased().hasSuffix(".ism") else {
            throw OriginRequestError(.notAStreamingPath,
                "'\(ismSegment)' in '\(rawPath)' does not name a manifest: the second path segment must be "
                + "'<manifestName>.ism'")
        }
        let manifestName = String(ismSegment.dropLast(4))

        if segments.count == 3 {
            let call = try Call(segments[2])
            guard call.keyword.lowercased() == "manifest" else {
                throw OriginRequestError(.unknownResource,
                    "'\(segments[2])' is not a streaming resource: expected manifest(…) or QualityLevels(<bitrate>)/…")
            }
            let options = try parseOptions(call.arguments[...], in: segments[2])
            try checkSuffix(call.suffix, format: options.format, in: segments[2])
            try refusePart(options, in: segments[2])
            return OriginRequest(locatorID: locatorID, manifestName: manifestName, resource: .manifest, options: options)
        }

        let bitrate = try parseQualityLevels(segments[2])
        let call = try Call(segments[3])
        let keyword = call.keyword.lowercased()
        guard keyword == "manifest" || keyword == "fragments" || keyword == "keyframes" else {
            throw OriginRequestError(.unknownResource,
                "'\(segments[3])' is not a streaming resource: expected Manifest(…), Fragments(…) or KeyFrames(…) "
                + "after QualityLevels(\(bitrate))")
        }
        guard let trackArgument = call.arguments.first, call.hasParentheses else {
            throw OriginRequestError(.malformedPath,
                "'\(segments[3])' names no track: expected Manifest(<track>,…), Fragments(<track>=<time>,…) "
                + "or KeyFrames(<track>=<time>,…)")
        }
        let options = try parseOptions(call.arguments.dropFirst(), in: segments[3])

        if keyword == "manifest" {
            try refusePart(options, in: segments[3])
            guard !trackArgument.isEmpty else {
                throw OriginRequestError(.malformedPath, "'\(segments[3])' has an empty track name")
            }
            guard options.format.isHLS else {
                throw OriginRequestError(.invalidOption,
                    "'\(segments[3])' is a media playlist and needs an HLS format "
                    + "(format=m3u8-cmaf, m3u8-aapl or m3u8-aapl-v3)")
            }
            try checkSuffix(call.suffix, format: options.format, in: segments[3])
            return OriginRequest(locatorID: locatorID, manifestName: manifestName,
                                 resource: .mediaPlaylist(bitrate: bitrate, trackName: trackArgument), options: options)
        }

        let isKeyFrame = keyword == "keyframes"
        // Segment URIs in HLS playlists carry a media extension (libavformat-based players refuse
        // segment URLs whose extension does not match the container); any of these is accepted.
        guard call.suffix.isEmpty || OriginPaths.segmentSuffixes.contains(call.suffix.lowercased()) else {
            throw OriginRequestError(.malformedPath, "'\(segments[3])' has unexpected '\(call.suffix)' after ')': only a media extension ("
                + OriginPaths.segmentSuffixes.sorted().joined(separator: ", ") + ") may follow")
        }
        let (trackName, time) = try parseTrackTime(trackArgument, in: segments[3], allowInit: !isKeyFrame)
        if options.part != nil {
            guard !isKeyFrame, time != nil, options.format.usesFragmentedMP4, !options.format.isSmooth else {
                throw OriginRequestError(.invalidOption,
                    "'\(segments[3])': part=<n> names a part of a CMAF media segment, as in "
                    + "Fragments(<track>=<time>,format=m3u8-cmaf,part=<n>); it cannot go on init segments, key frames, "
                    + "MPEG-TS or Smooth fragments")
            }
        }
        let resource: Resource
        if let time {
            resource = isKeyFrame ? .keyFrame(bitrate: bitrate, trackName: trackName, time: time)
                                  : .fragment(bitrate: bitrate, trackName: trackName, time: time)
        } else {
            resource = .initSegment(bitrate: bitrate, trackName: trackName)
        }
        return OriginRequest(locatorID: locatorID, manifestName: manifestName, resource: resource, options: options)
    }

    private static func refusePart(_ options: ManifestOptions, in segment: String) throws(OriginRequestError) {
        guard options.part == nil else {
            throw OriginRequestError(.invalidOption,
                "'\(segment)': part=<n> names a part of a media segment (Fragments(<track>=<time>,…,part=<n>)), not of a manifest")
        }
    }

    // MARK: - Pieces of the grammar

    /// `Keyword(arg,arg,…)suffix`, split at the first `(` and the last `)` so names may contain parentheses.
    private struct Call {
        var keyword: String
        var hasParentheses: Bool
        var arguments: [String]
        var suffix: String

        init(_ segment: String) throws(OriginRequestError) {
            guard let open = segment.firstIndex(of: "(") else {
                keyword = segment
                hasParentheses = false
                arguments = []
                suffix = ""
                // `manifest.m3u8` without options: keep the suffix so it can be reported as needing a format.
                let lower = segment.lowercased()
                for candidate in [".m3u8", ".mpd"] where lower.hasSuffix(candidate) {
                    keyword = String(segment.dropLast(candidate.count))
                    suffix = String(segment.suffix(candidate.count))
                }
                return
            }
            guard let close = segment.lastIndex(of: ")"), close > open else {
                throw OriginRequestError(.malformedPath, "'\(segment)' has '(' without a closing ')'")
            }
            keyword = String(segment[..<open])
            hasParentheses = true
            let inside = segment[segment.index(after: open)..<close]
            arguments = inside.isEmpty ? [] : inside.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            suffix = String(segment[segment.index(after: close)...])
        }
    }

    private static func parseQualityLevels(_ segment: String) throws(OriginRequestError) -> Int {
        let call = try Call(segment)
        guard call.keyword.lowercased() == "qualitylevels", call.hasParentheses else {
            throw OriginRequestError(.unknownResource,
                "'\(segment)' is not a streaming resource: expected QualityLevels(<bitrate>)")
        }
        guard call.suffix.isEmpty else {
            throw OriginRequestError(.malformedPath, "'\(segment)' has unexpected '\(call.suffix)' after ')'")
        }
        let text = call.arguments.joined(separator: ",")
        guard let bitrate = parseDecimal(text).flatMap({ Int(exactly: $0) }) else {
            throw OriginRequestError(.malformedPath,
                "bad bitrate '\(text)' in '\(segment)': expected a whole number of bits per second")
        }
        return bitrate
    }

    /// `<track>=<time>` or `<track>=i`; split at the last `=` so a track name may contain one. A nil time means `i`.
    private static func parseTrackTime(_ argument: String, in segment: String, allowInit: Bool)
        throws(OriginRequestError) -> (String, Int64?)
    {
        guard let equals = argument.lastIndex(of: "=") else {
            throw OriginRequestError(.malformedPath,
                "'\(segment)' has no '<track>=<time>': expected e.g. Fragments(video=\(17_000_000_000_000_000 as Int64))")
        }
        let trackName = String(argument[..<equals])
        let timeText = String(argument[argument.index(after: equals)...])
        guard !trackName.isEmpty else {
            throw OriginRequestError(.malformedPath, "'\(segment)' has an empty track name")
        }
        if allowInit, timeText.lowercased() == "i" { return (trackName, nil) }
        guard let time = parseDecimal(timeText) else {
            throw OriginRequestError(.malformedPath,
                "bad time '\(timeText)' in '\(segment)': expected a whole number of ticks"
                + (allowInit ? " or 'i' for the initialization segment" : ""))
        }
        return (trackName, time)
    }

    /// A non-negative decimal that fits `Int64`; digits only (no sign, no spaces).
    private static func parseDecimal(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return Int64(text)
    }

    private static func parseOptions(_ items: ArraySlice<String>, in segment: String)
        throws(OriginRequestError) -> ManifestOptions
    {
        var options = ManifestOptions()
        var seen: Set<String> = []
        for item in items {
            guard let equals = item.firstIndex(of: "=") else {
                throw OriginRequestError(.invalidOption,
                    "option '\(item)' in '\(segment)' is not key=value (known options: format, filter, audio-only, "
                    + "encryption, type)")
            }
            let key = item[..<equals].lowercased()
            let value = String(item[item.index(after: equals)...])
            guard seen.insert(key).inserted else {
                throw OriginRequestError(.invalidOption, "option '\(key)' appears twice in '\(segment)'")
            }
            switch key {
            case "format":
                guard let format = OutputFormat(urlValue: value) else {
                    throw OriginRequestError(.unsupportedFormat,
                        "unsupported format '\(value)' in '\(segment)'; supported formats: "
                        + OutputFormat.urlValues.joined(separator: ", ") + " (or no format for Smooth Streaming)")
                }
                options.format = format
            case "filter":
                let names = value.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
                guard !names.contains(where: \.isEmpty) else {
                    throw OriginRequestError(.invalidOption,
                        "filter list '\(value)' in '\(segment)' has an empty filter name")
                }
                guard names.count <= ManifestOptions.maximumFilterCount else {
                    throw OriginRequestError(.invalidOption,
                        "filter list '\(value)' in '\(segment)' names \(names.count) filters; "
                        + "at most \(ManifestOptions.maximumFilterCount) can be combined")
                }
                options.filters = names
            case "audio-only":
                switch value.lowercased() {
                case "true": options.audioOnly = true
                case "false": options.audioOnly = false
                default:
                    throw OriginRequestError(.invalidOption,
                        "audio-only='\(value)' in '\(segment)': expected true or false")
                }
            case "type":
                guard value.lowercased() == "keyframes" else {
                    throw OriginRequestError(.invalidOption,
                        "type='\(value)' in '\(segment)': the only supported type is keyframes")
                }
                options.keyframesOnly = true
            case "encryption":
                let scheme = value.lowercased()
                guard ManifestOptions.encryptionSchemes.contains(scheme) else {
                    throw OriginRequestError(.invalidOption,
                        "unsupported encryption '\(value)' in '\(segment)'; supported: "
                        + ManifestOptions.encryptionSchemes.joined(separator: ", "))
                }
                options.encryption = scheme
            case "part":
                guard let part = parseDecimal(value).flatMap({ Int(exactly: $0) }), part < 1_000_000 else {
                    throw OriginRequestError(.invalidOption,
                        "part='\(value)' in '\(segment)': expected the part's index in its segment, from 0")
                }
                options.part = part
            default:
                throw OriginRequestError(.invalidOption,
                    "unknown option '\(key)' in '\(segment)' (known options: format, filter, audio-only, "
                    + "encryption, type, part)")
            }
        }
        return options
    }

    /// The optional `.m3u8` / `.mpd` after `)` must agree with the format.
    private static func checkSuffix(_ suffix: String, format: OutputFormat, in segment: String)
        throws(OriginRequestError)
    {
        switch suffix.lowercased() {
        case "":
            return
        case ".m3u8" where format.isHLS, ".mpd" where format.isDASH:
            return
        case ".m3u8", ".mpd":
            throw OriginRequestError(.invalidOption,
                "'\(segment)' ends in '\(suffix)' but asks for "
                + (format == .smooth ? "no format (Smooth Streaming)" : "format=\(format.rawValue)")
                + "; '.m3u8' goes with m3u8-* formats and '.mpd' with mpd-* formats")
        default:
            throw OriginRequestError(.malformedPath,
                "'\(segment)' has unexpected '\(suffix)' after ')': only '.m3u8' or '.mpd' may follow")
        }
    }

    /// Decodes `%XX` escapes; the result must be valid UTF-8.
    private static func percentDecode(_ raw: Substring) throws(OriginRequestError) -> String {
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return String(raw) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.utf8.count)
        var iterator = raw.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw OriginRequestError(.malformedPath,
                    "bad percent-encoding in '\(raw)': '%' must be followed by two hex digits")
            }
            bytes.append(high << 4 | low)
        }
        var decoder = UTF8()
        var input = bytes.makeIterator()
        var text = ""
        text.unicodeScalars.reserveCapacity(bytes.count)
        loop: while true {
            switch decoder.decode(&input) {
            case .scalarValue(let scalar): text.unicodeScalars.append(scalar)
            case .emptyInput: break loop
            case .error:
                throw OriginRequestError(.malformedPath, "'\(raw)' decodes to bytes that are not valid UTF-8")
            }
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
