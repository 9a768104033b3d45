// Low-Latency HLS (draft-pantos-hls-rfc8216bis §4.4.3.7–4.4.5.2, §6.2.5–6.2.6) media playlists for `m3u8-cmaf` of
// low-latency live events: partial segments are the CMAF chunks the channel publishes as it builds each fragment.

import Media

/// Builds LL-HLS media playlists and answers the questions of blocking playlist reload; pure functions, no I/O.
///
/// Shape (contract):
/// - `#EXT-X-VERSION:9` (delta updates need 9); `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=<6×target>,
///   PART-HOLD-BACK=<3×part target>`; `#EXT-X-PART-INF:PART-TARGET=<s>`.
/// - `#EXT-X-PART:DURATION=…,URI="Fragments(<track>=<t>,format=m3u8-cmaf,part=<n>).mp4"[,INDEPENDENT=YES]` before each
///   segment that ends within the last three target durations, then those of the segment in progress, then
///   `#EXT-X-PRELOAD-HINT:TYPE=PART,URI=…` naming the next part (of the open segment, or part 0 of the segment that
///   starts where the last one ended).
/// - `_HLS_skip=YES`: the segments that end more than CAN-SKIP-UNTIL before the playlist's end are replaced by
///   `#EXT-X-SKIP:SKIPPED-SEGMENTS=<n>` (no tag, the full playlist, while none is that old).
/// - `#EXT-X-RENDITION-REPORT:URI="../QualityLevels(<b>)/Manifest(<track>,format=m3u8-cmaf)",LAST-MSN=…,LAST-PART=…` for
///   each other rendition of the same kind (the alternatives a player switches to), so a switch can block on the right
///   part at once.
public enum LowLatencyHLS {
    /// Where another rendition stands: its newest part (or segment).
    public struct RenditionReport: Sendable, Hashable {
        public var track: TrackInfo
        public var lastMSN: Int
        public var lastPart: Int?

        public init(track: TrackInfo, lastMSN: Int, lastPart: Int?) {
            self.track = track
            self.lastMSN = lastMSN
            self.lastPart = lastPart
        }

        /// The report of `timeline` with `parts`: the open segment's last part, else the last segment's last part.
        public init?(_ timeline: TrackTimeline, parts: TrackParts) {
            if let open = parts.open, !open.parts.isEmpty {
                self.init(track: timeline.track, lastMSN: open.sequenceNumber, lastPart: open.parts.count - 1)
            } else if let last = timeline.segments.last {
                self.init(track: timeline.track, lastMSN: last.sequenceNumber,
                          lastPart: parts.closed[last.startTime].map { $0.count - 1 })
            } else {
                return nil
            }
        }
    }

    /// `#EXT-X-VERSION` of LL-HLS media playlists (EXT-X-SKIP requires 9).
    public static let version = 9
    /// PART-HOLD-BACK in part targets: the draft requires at least 2, recommends 3.
    static let partHoldBackParts = 3
    /// CAN-SKIP-UNTIL in target durations: the draft requires at least 6.
    static let skipUntilTargets = 6
    /// Parts are listed for the segments within this many target durations of the playlist's end.
    static let partsListedTargets = 3

    /// A blocking playlist request (`_HLS_msn`, `_HLS_part`, `_HLS_skip` query parameters).
    public struct Directives: Sendable, Hashable {
        public var msn: Int?
        public var part: Int?
        public var skip: Bool

        public init(msn: Int? = nil, part: Int? = nil, skip: Bool = false) {
            self.msn = msn
            self.part = part
            self.skip = skip
        }

        /// Reads the query items; a malformed value is an error naming it (400).
        public static func parse(_ items: [(String, String)]) throws(PackagingError) -> Directives {
            var directives = Directives()
            for (name, value) in items {
                switch name {
                case "_HLS_msn":
                    guard let number = Int(value), number >= 0 else {
                        throw PackagingError(.invalidRequest, "_HLS_msn=\(value): expected a media sequence number (a whole number ≥ 0)")
                    }
                    directives.msn = number
                case "_HLS_part":
                    guard let number = Int(value), number >= 0 else {
                        throw PackagingError(.invalidRequest, "_HLS_part=\(value): expected a part index (a whole number ≥ 0)")
                    }
                    directives.part = number
                case "_HLS_skip":
                    guard value == "YES" || value == "v2" else {
                        throw PackagingError(.invalidRequest, "_HLS_skip=\(value): expected YES (or v2)")
                    }
                    directives.skip = true
                default:
                    continue
                }
            }
            if directives.part != nil && directives.msn == nil {
                throw PackagingError(.invalidRequest, "_HLS_part needs _HLS_msn (the draft: a request with _HLS_part alone is a Bad Request)")
            }
            return directives
        }
    }

    /// What to do with a blocking request now.
    public enum Blocking: Sendable, Hashable {
        /// Answer with the playlist as it is.
        case ready
        /// Hold the request until the playlist holds the segment / part (then answer), at most the timeout.
        case wait
        /// Too far in the future: 400 at once, with the reason.
        case tooFarAhead(String)
    }

    // MARK: - Blocking reload

    /// Whether a request for segment `msn` (part `part`) can be answered now, must wait, or is refused.
    /// The draft: more than two segments beyond the last, or a part more than the Advance Part Limit beyond the last
    /// part, is a Bad Request.
    public static func blocking(_ directives: Directives, track timeline: TrackTimeline, parts: TrackParts) -> Blocking {
        guard let msn = directives.msn else { return .ready }
        let lastSequence = timeline.segments.last?.sequenceNumber ?? (parts.open.map { $0.sequenceNumber - 1 } ?? -1)
        if msn <= lastSequence { return .ready }
        if msn > lastSequence + 2 {
            return .tooFarAhead("_HLS_msn=\(msn) is more than two segments beyond the last segment of the playlist (\(lastSequence))")
        }
        guard let part = directives.part else { return .wait }
        if let open = parts.open, open.sequenceNumber == msn {
            if part < open.parts.count { return .ready }
            let limit = advancePartLimit(parts, timescale: timeline.track.timescale)
            if part >= open.parts.count + limit {
                return .tooFarAhead("_HLS_part=\(part) of segment \(msn) is more than \(limit) parts beyond the last part (\(open.parts.count - 1))")
            }
        } else if let open = parts.open, open.sequenceNumber > msn {
            return .ready
        }
        return .wait
    }

    /// The draft's Advance Part Limit: three seconds' worth of parts when parts are shorter than a second, else three.
    static func advancePartLimit(_ parts: TrackParts, timescale: UInt32) -> Int {
        let target = max(parts.partTarget, 1)
        return target < Int64(timescale) ? Int(3 * Int64(timescale) / target) : 3
    }

    /// How long a blocking request may be held: three target durations (the draft's 503 bound).
    public static func blockingTimeout(_ presentation: Presentation, track timeline: TrackTimeline) -> Int64 {
        3 * HLSBuilder.targetDuration(presentation, timeline)
    }

    // MARK: - Playlist

    /// The LL-HLS media playlist of `timeline`, with the parts of `parts`; `skip` makes it a delta update.
    public static func mediaPlaylist(_ presentation: Presentation, track timeline: TrackTimeline, parts: TrackParts,
                                     options: ManifestOptions, skip: Bool = false,
                                     renditionReports: [RenditionReport] = []) -> String {
        let track = timeline.track
        let segments = timeline.segments
        let timescale = track.timescale
        let suffix = OriginPaths.hlsSegmentSuffix(for: options.format)
        let target = HLSBuilder.targetDuration(presentation, timeline)
        let ticksPerSecond = Int64(timescale)
        let skipUntil = Int64(skipUntilTargets) * target * ticksPerSecond

        var lines = ["#EXTM3U", "#EXT-X-VERSION:\(version)", "#EXT-X-TARGETDURATION:\(target)"]
        lines.append("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL="
                     + ManifestText.decimal(ticks: skipUntil, timescale: timescale, places: 1)
                     + ",PART-HOLD-BACK=" + ManifestText.decimal(ticks: Int64(partHoldBackParts) * parts.partTarget,
                                                                 timescale: timescale, places: 3))
        lines.append("#EXT-X-PART-INF:PART-TARGET=" + ManifestText.decimal(ticks: parts.partTarget, timescale: timescale, places: 3))
        lines.append("#EXT-X-MEDIA-SEQUENCE:\(segments.first?.sequenceNumber ?? parts.open?.sequenceNumber ?? 0)")
        lines.append("#EXT-X-DISCONTINUITY-SEQUENCE:\(timeline.discontinuitySequence)")
        lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
        let map = HLSBuilder.mapLine(track: track, options: options)
        lines.append(map)

        let end = segments.last?.endTime ?? parts.open?.startTime ?? 0
        var skipped = 0
        if skip {
            // Skip only whole segments that end before the skip boundary.
            while skipped < segments.count, segments[skipped].endTime <= end - skipUntil { skipped += 1 }
            // Nothing old enough yet: the full playlist is the answer.
            if skipped > 0 { lines.append("#EXT-X-SKIP:SKIPPED-SEGMENTS=\(skipped)") }
        }
        let partsFrom = end - Int64(partsListedTargets) * target * ticksPerSecond
        for segment in segments[skipped...] {
            if segment.discontinuity { lines += ["#EXT-X-DISCONTINUITY", map] }
            lines.append("#EXT-X-PROGRAM-DATE-TIME:" + ManifestText.dateTime(ticks: segment.startTime, timescale: timescale))
            if segment.endTime > partsFrom, let list = parts.closed[segment.startTime] {
                lines += partLines(list, start: segment.startTime, track: track, options: options, suffix: suffix)
            }
            lines.append("#EXTINF:" + ManifestText.decimal(ticks: segment.duration, timescale: timescale, places: 6) + ",no-desc")
            lines.append(OriginPaths.fragment(track: track.name, time: segment.startTime, options: options) + suffix)
        }
        let hint: (start: Int64, index: Int)?
        if let open = parts.open, open.startTime >= end {
            if open.discontinuity && !(segments.last.map { open.startTime == $0.endTime } ?? false) {
                lines += ["#EXT-X-DISCONTINUITY", map]
            }
            lines += partLines(open.parts, start: open.startTime, track: track, options: options, suffix: suffix)
            hint = (open.startTime, open.parts.count)
        } else if let last = segments.last {
            hint = (last.endTime, 0)
        } else {
            hint = nil
        }
        if let hint {
            lines.append("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=" + ManifestText.hlsQuoted(
                OriginPaths.part(track: track.name, time: hint.start, index: hint.index, options: options) + suffix))
        }
        for report in renditionReports {
            var attributes = ["URI=" + ManifestText.hlsQuoted("../" + OriginPaths.mediaPlaylist(
                bitrate: report.track.bitrate, track: report.track.name, options: options)), "LAST-MSN=\(report.lastMSN)"]
            if let part = report.lastPart { attributes.append("LAST-PART=\(part)") }
            lines.append("#EXT-X-RENDITION-REPORT:" + attributes.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func partLines(_ list: [PartialSegment], start: Int64, track: TrackInfo, options: ManifestOptions,
                                  suffix: String) -> [String] {
        list.enumerated().map { index, part in
            var attributes = ["DURATION=" + ManifestText.decimal(ticks: part.duration, timescale: track.timescale, places: 5),
                              "URI=" + ManifestText.hlsQuoted(OriginPaths.part(track: track.name, time: start, index: index,
                                                                               options: options) + suffix)]
            if part.independent { attributes.append("INDEPENDENT=YES") }
            return "#EXT-X-PART:" + attributes.joined(separator: ",")
        }
    }
}
