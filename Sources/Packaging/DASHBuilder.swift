// DASH MPDs (ISO/IEC 23009-1) in the shapes the service produced for `format=mpd-time-cmaf` (CMAF profile) and
// `format=mpd-time-csf` (the legacy "Common Streaming Format" profile); both address the same CMAF fragments.

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Media

/// Builds a DASH MPD from a ``Presentation``, with the clock injected; pure function, no I/O.
///
/// Live media time counts from the Unix epoch and `S@t` keeps it (the `t` of each fragment URL). A live MPD puts
/// presentation time 0 at the source's first fragment (``Presentation/presentationOrigin``): `availabilityStartTime`
/// is that instant and each `SegmentTemplate` has the same instant as its `presentationTimeOffset`, so a segment's
/// wall-clock time is still `availabilityStartTime + (S@t − presentationTimeOffset)`, i.e. its media time. (AMS wrote
/// `availabilityStartTime="1970-01-01T00:00:00Z"` and no offset; GStreamer 1.22's `dashdemux`/`dashdemux2` then ask
/// for a segment at twice the current time, because their live seek adds the first segment's presentation time
/// again.) The URIs follow `options.format`.
///
/// - `mpd-time-cmaf`: profiles live + CMAF; each Representation has its own `SegmentTemplate`, because the track
///   name is part of the segment URL.
/// - `mpd-time-csf`: the DASH live profile only (`urn:mpeg:dash:profile:isoff-live:2011`) and AMS's CSF adaptation
///   sets (`group`, `profiles="ccff"`, `bitstreamSwitching="false"`, representation ids `<trackID>_V_<name>_1`). When
///   every representation of a set shares its track name and timeline (the usual ladder: one name, several
///   `QualityLevels`), one `SegmentTemplate` at the adaptation set serves them all through `$Bandwidth$`.
public enum DASHBuilder {
    /// The `profiles` attribute of `mpd-time-cmaf`: DASH live profile plus CMAF.
    public static let profiles = "urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019"
    /// The `profiles` attribute of `mpd-time-csf`: the DASH ISO BMFF live profile.
    public static let csfProfiles = "urn:mpeg:dash:profile:isoff-live:2011"

    /// One `<S>` of a `SegmentTimeline`: `t` only where it cannot be inferred, `r` extra repeats of `d`.
    struct TimelineRun: Hashable {
        var t: Int64?
        var d: Int64
        var r: Int
    }

    // MARK: - MPD

    /// The MPD served at `…/<name>.ism/manifest(format=mpd-time-cmaf…)` or `…(format=mpd-time-csf…)`.
    ///
    /// - Parameters:
    ///   - now: the clock, for `publishTime` (and the `direct` UTCTiming value when no URL is given).
    ///   - utcTimingURL: an `http-iso` time source for live clients; nil writes the time inline (`direct`).
    /// Tracks without segments are left out (an MPD refresh picks them up once they have some). A static MPD gets
    /// `presentationTimeOffset` = the earliest segment start of the whole presentation, so playback starts at 0
    /// and audio and video stay aligned even when their first fragments start at slightly different times.
    ///   - lowLatency: LL-DASH attributes (``LowLatencyDASH``) for `mpd-time-cmaf` of a low-latency live event.
    public static func mpd(_ presentation: Presentation, options: ManifestOptions, now: Date,
                           utcTimingURL: String?, lowLatency: LowLatencyDASH.Settings? = nil) -> String {
        let live = presentation.isLive
        let lowLatency = live && options.format == .dashCMAF ? lowLatency : nil
        let timelines = presentation.tracks.filter { !$0.segments.isEmpty && $0.track.kind != .text }
        let nominal = max(0, presentation.nominalFragmentDuration)
        let nowMilliseconds = Int64((now.timeIntervalSince1970 * 1000).rounded())
        let liveOrigin = live ? presentation.presentationOrigin ?? 0 : 0

        // Longest segment and presentation extent, compared in milliseconds across timescales.
        var longestMilliseconds: Int64 = 0
        var earliest: (ticks: Int64, timescale: UInt32)?
        var earliestMilliseconds = Int64.max, latestMilliseconds = Int64.min
        for timeline in timelines {
            let timescale = Int64(timeline.track.timescale)
            for segment in timeline.segments {
                longestMilliseconds = max(longestMilliseconds, MediaTime.rescale(segment.duration, from: timescale, to: 1000))
                latestMilliseconds = max(latestMilliseconds, MediaTime.rescale(segment.endTime, from: timescale, to: 1000))
            }
            if let first = timeline.segments.first {
                let start = MediaTime.rescale(first.startTime, from: timescale, to: 1000)
                if start < earliestMilliseconds {
                    earliestMilliseconds = start
                    earliest = (first.startTime, timeline.track.timescale)
                }
            }
        }
        let maxSegmentDuration = longestMilliseconds > 0
            ? ManifestText.duration(ticks: longestMilliseconds, timescale: 1000)
            : ManifestText.duration(seconds: nominal)

        let profiles = options.format == .dashCSF ? Self.csfProfiles : Self.profiles
        var mpd = ["xmlns=\"urn:mpeg:dash:schema:mpd:2011\"", "profiles=\"\(profiles)\""]
        if options.protection != nil { mpd += TrackProtectionSignal.dashNamespaces }
        if live {
            mpd += [
                "type=\"dynamic\"",
                "availabilityStartTime=\"\(ManifestText.dateTime(ticks: liveOrigin, timescale: UInt32(MediaTime.ticksPerSecond)))\"",
                "publishTime=\"\(ManifestText.dateTime(millisecondsSince1970: nowMilliseconds))\"",
                // Each new fragment extends the SegmentTimeline, so clients must refresh once per fragment.
                "minimumUpdatePeriod=\"\(ManifestText.duration(seconds: nominal))\"",
                // Two fragments buffered before starting, as with HLS.
                "minBufferTime=\"\(ManifestText.duration(seconds: 2 * nominal))\"",
            ]
            if let window = presentation.windowDuration {
                mpd.append("timeShiftBufferDepth=\"\(ManifestText.duration(ticks: window, timescale: UInt32(MediaTime.ticksPerSecond)))\"")
            }
            if let lowLatency {
                mpd.append("suggestedPresentationDelay=\"\(ManifestText.duration(ticks: lowLatency.targetLatencyMilliseconds, timescale: 1000))\"")
            } else {
                // Three fragments behind the edge: the distance HLS players keep (three target durations).
                mpd.append("suggestedPresentationDelay=\"\(ManifestText.duration(seconds: 3 * nominal))\"")
            }
        } else {
            let extent = earliest == nil ? 0 : latestMilliseconds - earliestMilliseconds
            mpd += [
                "type=\"static\"",
                "mediaPresentationDuration=\"\(ManifestText.duration(ticks: extent, timescale: 1000))\"",
                "minBufferTime=\"\(ManifestText.duration(seconds: 2 * nominal))\"",
            ]
        }
        mpd.append("maxSegmentDuration=\"\(maxSegmentDuration)\"")

        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<MPD " + mpd.joined(separator: " ") + ">"]
        let utcTiming: String
        if let utcTimingURL {
            utcTiming = "<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-iso:2014\" value=\"\(ManifestText.xmlAttribute(utcTimingURL))\"/>"
        } else {
            utcTiming = "<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:direct:2014\" value=\""
                + ManifestText.dateTime(millisecondsSince1970: nowMilliseconds) + "\"/>"
        }
        var lowLatencyContext: LowLatencyContext?
        if let lowLatency {
            let target = lowLatency.targetLatencyMilliseconds
            lines.append("  <ServiceDescription id=\"0\">")
            lines.append("    <Latency referenceId=\"0\" target=\"\(target)\" min=\"\(target / 2)\" max=\"\(target * 2)\"/>")
            lines.append("    <PlaybackRate min=\"0.96\" max=\"1.04\"/>")
            lines.append("  </ServiceDescription>")
            lowLatencyContext = LowLatencyContext(
                availabilityTimeOffset: LowLatencyDASH.availabilityTimeOffset(lowLatency, nominalSeconds: nominal), utcTiming: utcTiming)
        }
        lines.append("  <Period id=\"0\" start=\"PT0S\">")
        for (index, group) in adaptationSets(timelines).enumerated() {
            let offset: (UInt32) -> Int64? = { timescale in
                if live { return MediaTime.rescale(liveOrigin, from: MediaTime.ticksPerSecond, to: Int64(timescale)) }
                guard let earliest else { return nil }
                return MediaTime.rescale(earliest.ticks, from: Int64(earliest.timescale), to: Int64(timescale))
            }
            lines += adaptationSet(id: index + 1, group, options: options, presentationTimeOffset: offset,
                                   lowLatency: lowLatencyContext)
        }
        lines.append("  </Period>")
        if live { lines.append("  " + utcTiming) }
        lines.append("</MPD>")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Adaptation sets

    /// Groups tracks into adaptation sets: video by codec family, audio by codec family and language
    /// (players switch bitrates only within a set, and languages are a user choice, not a bitrate).
    private static func adaptationSets(_ timelines: [TrackTimeline]) -> [[TrackTimeline]] {
        var keys: [String] = []
        var groups: [String: [TrackTimeline]] = [:]
        for kind in [MediaKind.video, .audio] {
            for timeline in timelines where timeline.track.kind == kind {
                let track = timeline.track
                let key = kind.rawValue + "/" + track.codec.fourCC + (kind == .audio ? "/" + track.language : "")
                if groups[key] == nil { keys.append(key) }
                groups[key, default: []].append(timeline)
            }
        }
        return keys.compactMap { groups[$0] }
    }

    /// What a low-latency MPD adds to each Representation and SegmentTemplate.
    struct LowLatencyContext {
        var availabilityTimeOffset: Double
        /// The MPD's UTCTiming element, repeated in each ProducerReferenceTime.
        var utcTiming: String
    }

    private static func adaptationSet(id: Int, _ timelines: [TrackTimeline], options: ManifestOptions,
                                      presentationTimeOffset: (UInt32) -> Int64?,
                                      lowLatency: LowLatencyContext? = nil) -> [String] {
        guard let first = timelines.first?.track else { return [] }
        let isVideo = first.kind == .video
        let csf = options.format == .dashCSF
        var attributes = ["id=\"\(id)\""]
        if csf { attributes += ["group=\"\(id)\"", "profiles=\"ccff\"", "bitstreamSwitching=\"false\""] }
        attributes += ["contentType=\"\(first.kind.rawValue)\"", "mimeType=\"\(isVideo ? "video/mp4" : "audio/mp4")\""]
        if !isVideo, let language = first.knownLanguage {
            attributes.append("lang=\"\(ManifestText.xmlAttribute(language))\"")
        }
        attributes += ["segmentAlignment=\"true\"", "startWithSAP=\"1\""]
        if isVideo {
            let sizes = timelines.compactMap(\.track.pictureSize)
            if let width = sizes.map(\.width).max() { attributes.append("maxWidth=\"\(width)\"") }
            if let height = sizes.map(\.height).max() { attributes.append("maxHeight=\"\(height)\"") }
            let rates = timelines.compactMap(\.track.frameRate)
            if rates.count == timelines.count, let rate = rates.max() {
                attributes.append("maxFrameRate=\"\(frameRate(rate))\"")
            }
        }
        var lines = ["    <AdaptationSet " + attributes.joined(separator: " ") + ">"]
        lines += options.protection?.signal(for: first)?.dashContentProtection(indent: "      ") ?? []
        // One template for the whole set when the URL differs only by $Bandwidth$ and the timelines agree.
        let shared = csf && timelines.allSatisfy {
            $0.track.name == first.name && $0.track.timescale == first.timescale && $0.segments == timelines[0].segments
        }
        if shared {
            lines += segmentTemplate(timelines[0], options: options,
                                     presentationTimeOffset: presentationTimeOffset(first.timescale), indent: "      ")
        }
        // Highest bitrate first, as in the HLS multivariant playlist.
        let ordered = timelines.enumerated().sorted {
            $0.element.track.bitrate != $1.element.track.bitrate
                ? $0.element.track.bitrate > $1.element.track.bitrate : $0.offset < $1.offset
        }.map(\.element)
        for timeline in ordered {
            lines += representation(timeline, options: options, withTemplate: !shared,
                                    presentationTimeOffset: presentationTimeOffset(timeline.track.timescale),
                                    lowLatency: shared ? nil : lowLatency)
        }
        lines.append("    </AdaptationSet>")
        return lines
    }

    private static func representation(_ timeline: TrackTimeline, options: ManifestOptions, withTemplate: Bool,
                                       presentationTimeOffset: Int64?, lowLatency: LowLatencyContext? = nil) -> [String] {
        let track = timeline.track
        // The id must not contain white space; the URL-encoded name is unique and has none. CSF ids follow AMS:
        // `<n>_<V|A>_<track name>_1`, with the track id as `n` so that renditions sharing a name stay distinct.
        let encodedName = OriginPaths.encode(track.name)
        let id = options.format == .dashCSF ? "\(track.trackID)_\(track.kind == .video ? "V" : "A")_\(encodedName)_1" : encodedName
        var attributes = ["id=\"\(ManifestText.xmlAttribute(id))\"",
                          "bandwidth=\"\(track.bitrate)\"",
                          "codecs=\"\(ManifestText.xmlAttribute(track.codec.codecString))\""]
        if let size = track.pictureSize {
            let sar = track.sampleAspectRatio
            attributes += ["width=\"\(size.width)\"", "height=\"\(size.height)\"", "sar=\"\(sar.0):\(sar.1)\""]
        }
        if let rate = track.frameRate { attributes.append("frameRate=\"\(frameRate(rate))\"") }
        if let sampleRate = track.sampleRate { attributes.append("audioSamplingRate=\"\(sampleRate)\"") }

        var children: [String] = []
        if let channels = track.channelCount {
            children.append("        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"\(channels)\"/>")
        }
        if let lowLatency, let first = timeline.segments.first {
            // Live media time is wall-clock time since 1970: the first segment's start is its own wall-clock time.
            let wallClock = ManifestText.dateTime(ticks: first.startTime, timescale: track.timescale)
            children.append("        <ProducerReferenceTime id=\"0\" type=\"encoder\" wallClockTime=\"\(wallClock)\" presentationTime=\"\(first.startTime)\">")
            children.append("          " + lowLatency.utcTiming)
            children.append("        </ProducerReferenceTime>")
        }
        if withTemplate {
            children += segmentTemplate(timeline, options: options, presentationTimeOffset: presentationTimeOffset, indent: "        ",
                                        lowLatency: lowLatency)
        }
        guard !children.isEmpty else { return ["      <Representation " + attributes.joined(separator: " ") + "/>"] }
        return ["      <Representation " + attributes.joined(separator: " ") + ">"] + children + ["      </Representation>"]
    }

    private static func segmentTemplate(_ timeline: TrackTimeline, options: ManifestOptions, presentationTimeOffset: Int64?,
                                        indent: String, lowLatency: LowLatencyContext? = nil) -> [String] {
        let track = timeline.track
        var template = ["timescale=\"\(track.timescale)\""]
        if let presentationTimeOffset { template.append("presentationTimeOffset=\"\(presentationTimeOffset)\"") }
        template.append("media=\"\(ManifestText.xmlAttribute(OriginPaths.fragmentTemplate(track: track.name, options: options)))\"")
        template.append("initialization=\"\(ManifestText.xmlAttribute(OriginPaths.initSegmentTemplate(track: track.name, options: options)))\"")
        if let lowLatency {
            let offset = ManifestText.decimal(ticks: Int64((lowLatency.availabilityTimeOffset * 1000).rounded()), timescale: 1000, places: 3)
            template += ["availabilityTimeOffset=\"\(offset)\"", "availabilityTimeComplete=\"false\""]
        }
        var lines = [indent + "<SegmentTemplate " + template.joined(separator: " ") + ">"]
        lines.append(indent + "  <SegmentTimeline>")
        for run in segmentTimeline(timeline.segments) {
            var s: [String] = []
            if let t = run.t { s.append("t=\"\(t)\"") }
            s.append("d=\"\(run.d)\"")
            if run.r > 0 { s.append("r=\"\(run.r)\"") }
            lines.append(indent + "    <S " + s.joined(separator: " ") + "/>")
        }
        lines.append(indent + "  </SegmentTimeline>")
        lines.append(indent + "</SegmentTemplate>")
        return lines
    }

    // MARK: - Helpers

    /// Run-length `<S>` entries: consecutive contiguous segments of equal duration share one `S` with `r`;
    /// `t` is written on the first entry and wherever the start cannot be inferred (a gap, an overlap or a
    /// marked discontinuity).
    static func segmentTimeline(_ segments: [TimelineSegment]) -> [TimelineRun] {
        var runs: [TimelineRun] = []
        var expectedStart: Int64?
        for segment in segments {
            let contiguous = segment.startTime == expectedStart && !segment.discontinuity
            if contiguous, let last = runs.last, last.d == segment.duration {
                runs[runs.count - 1].r += 1
            } else {
                runs.append(TimelineRun(t: contiguous ? nil : segment.startTime, d: segment.duration, r: 0))
            }
            expectedStart = segment.endTime
        }
        return runs
    }

    /// DASH FrameRateType: an integer, or `n/1001` for NTSC rates, else thousandths.
    static func frameRate(_ rate: Double) -> String {
        let whole = rate.rounded()
        if abs(rate - whole) < 0.0005 { return String(Int(whole)) }
        let ntsc = (rate * 1.001).rounded()
        if abs(rate - ntsc / 1.001) < 0.0005 { return "\(Int(ntsc) * 1000)/1001" }
        return "\(Int((rate * 1000).rounded()))/1000"
    }
}
