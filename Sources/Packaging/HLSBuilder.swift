// HLS playlists (RFC 8216) for CMAF segments, in the shape the service produced for `format=m3u8-cmaf`.

import Media

/// Builds HLS multivariant and media playlists from a ``Presentation``; pure functions, no I/O.
///
/// Both playlists are `#EXT-X-VERSION:7`, the version AMS announced for `m3u8-cmaf`; media playlists need at
/// least 6 for `#EXT-X-MAP` outside I-frame playlists, so 7 is valid for both. The URIs follow `options.format`;
/// segment packaging for the MPEG-2 TS formats (`m3u8-aapl`, `m3u8-aapl-v3`) is not modelled here, so callers
/// should hand this builder `.hlsCMAF` options.
public enum HLSBuilder {
    /// The version written in every playlist.
    public static let version = 7

    /// The `GROUP-ID` of the audio renditions.
    static let audioGroup = "audio"

    // MARK: - Multivariant playlist

    /// The multivariant (master) playlist, served at `…/<name>.ism/manifest(format=m3u8-cmaf…)`.
    ///
    /// Audio tracks become `#EXT-X-MEDIA` renditions (the first is the default); each video track becomes a
    /// variant, highest bitrate first; an audio-only variant follows unless `options.audioOnly` is false (it is
    /// kept anyway when there is no video, since the playlist would otherwise offer nothing to play).
    public static func multivariantPlaylist(_ presentation: Presentation, options: ManifestOptions) -> String {
        let tracks = presentation.tracks.map(\.track)
        let audio = tracks.filter { $0.kind == .audio }
        // Highest bitrate first, as AMS listed them; equal bitrates keep presentation order.
        let video = tracks.enumerated().filter { $0.element.kind == .video }
            .sorted { $0.element.bitrate != $1.element.bitrate ? $0.element.bitrate > $1.element.bitrate : $0.offset < $1.offset }
            .map(\.element)

        var lines = ["#EXTM3U", "#EXT-X-VERSION:\(version)", "#EXT-X-INDEPENDENT-SEGMENTS"]

        for (index, track) in audio.enumerated() {
            var attributes = ["TYPE=AUDIO", "GROUP-ID=\"\(audioGroup)\"", "NAME=" + ManifestText.hlsQuoted(track.name)]
            if let language = track.knownLanguage { attributes.append("LANGUAGE=" + ManifestText.hlsQuoted(language)) }
            attributes.append("DEFAULT=" + (index == 0 ? "YES" : "NO"))
            attributes.append("AUTOSELECT=YES")
            if let channels = track.channelCount { attributes.append("CHANNELS=\"\(channels)\"") }
            attributes.append("URI=" + ManifestText.hlsQuoted(
                OriginPaths.mediaPlaylist(bitrate: track.bitrate, track: track.name, options: options)))
            lines.append("#EXT-X-MEDIA:" + attributes.joined(separator: ","))
        }

        let audioCodecs = unique(audio.map(\.codec.codecString))
        let defaultAudioBitrate = audio.first?.bitrate ?? 0
        let peakAudioBitrate = audio.map(\.bitrate).max() ?? 0

        for track in video {
            var attributes = [
                "BANDWIDTH=\(peakBandwidth(track.bitrate + peakAudioBitrate))",
                "AVERAGE-BANDWIDTH=\(track.bitrate + defaultAudioBitrate)",
            ]
            if let size = track.pictureSize { attributes.append("RESOLUTION=\(size.width)x\(size.height)") }
            attributes.append("CODECS=" + ManifestText.hlsQuoted(([track.codec.codecString] + audioCodecs).joined(separator: ",")))
            if let rate = track.frameRate { attributes.append("FRAME-RATE=" + ManifestText.decimal(rate, places: 3)) }
            if !audio.isEmpty { attributes.append("AUDIO=\"\(audioGroup)\"") }
            lines.append("#EXT-X-STREAM-INF:" + attributes.joined(separator: ","))
            lines.append(OriginPaths.mediaPlaylist(bitrate: track.bitrate, track: track.name, options: options))
        }

        if let defaultAudio = audio.first, options.audioOnly || video.isEmpty {
            let attributes = [
                "BANDWIDTH=\(peakBandwidth(peakAudioBitrate))",
                "AVERAGE-BANDWIDTH=\(defaultAudioBitrate)",
                "CODECS=" + ManifestText.hlsQuoted(audioCodecs.joined(separator: ",")),
                "AUDIO=\"\(audioGroup)\"",
            ]
            lines.append("#EXT-X-STREAM-INF:" + attributes.joined(separator: ","))
            lines.append(OriginPaths.mediaPlaylist(bitrate: defaultAudio.bitrate, track: defaultAudio.name, options: options))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Media playlist

    /// The media playlist of one track, served at `…/QualityLevels(<bitrate>)/Manifest(<track>,format=m3u8-cmaf…)`.
    ///
    /// Live media time counts from the Unix epoch, so every segment gets an `#EXT-X-PROGRAM-DATE-TIME` derived from
    /// its start time. A live track with no segments yet yields a valid playlist with no segments; the origin may
    /// prefer to answer 404 until the first fragment exists. With `options.keyframesOnly` it is an I-frame playlist
    /// (`#EXT-X-I-FRAMES-ONLY`) whose URIs are `KeyFrames(…)`: every canonical fragment starts with a key frame.
    public static func mediaPlaylist(_ presentation: Presentation, track timeline: TrackTimeline,
                                     options: ManifestOptions) -> String {
        let track = timeline.track
        let segments = timeline.segments
        let timescale = track.timescale

        var lines = ["#EXTM3U", "#EXT-X-VERSION:\(version)", "#EXT-X-TARGETDURATION:\(targetDuration(presentation, timeline))"]
        lines.append("#EXT-X-MEDIA-SEQUENCE:\(segments.first?.sequenceNumber ?? 0)")
        lines.append("#EXT-X-DISCONTINUITY-SEQUENCE:\(timeline.discontinuitySequence)")
        if !presentation.isLive { lines.append("#EXT-X-PLAYLIST-TYPE:VOD") }
        if options.keyframesOnly { lines.append("#EXT-X-I-FRAMES-ONLY") }
        lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
        lines.append("#EXT-X-MAP:URI=" + ManifestText.hlsQuoted(OriginPaths.initSegment(track: track.name, options: options) + OriginPaths.hlsSegmentSuffix(for: options.format)))

        for segment in segments {
            if segment.discontinuity { lines.append("#EXT-X-DISCONTINUITY") }
            lines.append("#EXT-X-PROGRAM-DATE-TIME:" + ManifestText.dateTime(ticks: segment.startTime, timescale: timescale))
            lines.append("#EXTINF:" + ManifestText.decimal(ticks: segment.duration, timescale: timescale, places: 6) + ",no-desc")
            lines.append(options.keyframesOnly
                ? OriginPaths.keyFrame(track: track.name, time: segment.startTime, options: options)
                : OriginPaths.fragment(track: track.name, time: segment.startTime, options: options) + OriginPaths.hlsSegmentSuffix(for: options.format))
        }
        if !presentation.isLive { lines.append("#EXT-X-ENDLIST") }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Helpers

    /// RFC 8216 §4.3.3.1: every `EXTINF` rounded to the nearest integer must not exceed the target duration.
    /// Rounding (not ceiling) keeps a 2.002 s segment at a 2 s target, which keeps players' live delay low;
    /// the nominal fragment duration is the floor so a short first segment does not shrink it.
    static func targetDuration(_ presentation: Presentation, _ timeline: TrackTimeline) -> Int64 {
        let longest = timeline.segments.map(\.duration).max() ?? 0
        let measured = ManifestText.roundedSeconds(ticks: longest, timescale: timeline.track.timescale)
        let nominal = Int64(presentation.nominalFragmentDuration.rounded())
        return max(1, measured, nominal)
    }

    /// Declared bitrates are averages; BANDWIDTH must be the peak, so allow 10 % for VBR peaks and CMAF overhead.
    static func peakBandwidth(_ average: Int) -> Int {
        (average * 11 + 9) / 10
    }

    private static func unique(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }
}
