// HLS playlists (RFC 8216) in the shapes the service produced for `format=m3u8-cmaf` (fMP4/CMAF segments, v7),
// `m3u8-aapl` (MPEG-TS, v4, audio as a separate rendition) and `m3u8-aapl-v3` (MPEG-TS, v3, audio muxed into every
// video segment).

import Media

/// Builds HLS multivariant, media and I-frame playlists from a ``Presentation``; pure functions, no I/O.
///
/// - `m3u8-cmaf`: `#EXT-X-VERSION:7` (media playlists need at least 6 for `#EXT-X-MAP` outside I-frame playlists).
///   One segment per canonical fragment. The URIs and `#EXT-X-PROGRAM-DATE-TIME`s carry the stored (wall-clock) time;
///   the segments the origin serves carry `tfdt`s counted from ``Presentation/presentationOrigin``, so that players
///   which time segments by adding up `EXTINF`s from 0 (GStreamer's `hlsdemux`) agree with the media.
/// - `m3u8-aapl`: `#EXT-X-VERSION:4`. Video variants carry video-only TS segments; each audio track is an
///   `#EXT-X-MEDIA` rendition whose segments are audio-only TS (not packed audio: the same muxer, continuity rules and
///   timestamps for every segment, and every TS client — Safari, hls.js, ExoPlayer, ffmpeg — plays it).
/// - `m3u8-aapl-v3`: `#EXT-X-VERSION:3`. No renditions: each video variant's segments carry the default (first)
///   audio track muxed in; the audio-only variant plays the audio track's own audio-only TS segments.
///
/// TS segments group `options.fragmentsPerTSSegment` fragments (``TSSegmentation``). Every video variant of the CMAF
/// and v4 playlists is followed by its `#EXT-X-I-FRAME-STREAM-INF` (one key frame per fragment, `KeyFrames(…)` URIs);
/// v3 has none, as I-frame playlists need version 4.
public enum HLSBuilder {
    /// The version of `m3u8-cmaf` playlists.
    public static let version = 7

    /// The `GROUP-ID` of the audio renditions.
    static let audioGroup = "audio"

    /// `#EXT-X-VERSION` of a playlist in `format`; I-frame playlists need at least 4.
    public static func version(for format: OutputFormat, keyframesOnly: Bool = false) -> Int {
        switch format {
        case .hlsV3: return keyframesOnly ? 4 : 3
        case .hlsV4: return 4
        default: return version
        }
    }

    /// The version of an MPEG-TS media playlist with SAMPLE-AES key lines: at least 5, as RFC 8216 §7 asks of
    /// playlists using `KEYFORMAT` (`m3u8-aapl-v3` then declares 5 too: its segments stay version 3 TS).
    static func sampleAESVersion(_ format: OutputFormat) -> Int {
        max(5, version(for: format))
    }

    // MARK: - Multivariant playlist

    /// The multivariant (master) playlist, served at `…/<name>.ism/manifest(format=m3u8-…)`.
    ///
    /// Audio tracks become `#EXT-X-MEDIA` renditions (the first is the default) except in v3; each video track becomes a
    /// variant, highest bitrate first; an audio-only variant follows unless `options.audioOnly` is false (it is kept
    /// anyway when there is no video, since the playlist would otherwise offer nothing to play).
    public static func multivariantPlaylist(_ presentation: Presentation, options: ManifestOptions) -> String {
        let format = options.format
        let tracks = presentation.tracks.map(\.track)
        let audio = tracks.filter { $0.kind == .audio }
        // Highest bitrate first, as AMS listed them; equal bitrates keep presentation order.
        // A filter's `firstQuality` then moves one to the front.
        let video = PresentationFiltering.placingFirst(options.firstQualityBitrate, in: tracks.enumerated().filter { $0.element.kind == .video }
            .sorted { $0.element.bitrate != $1.element.bitrate ? $0.element.bitrate > $1.element.bitrate : $0.offset < $1.offset }
            .map(\.element))
        let muxed = format == .hlsV3
        let iFrames = !muxed
        let transportStream = !format.usesFragmentedMP4

        var lines = ["#EXTM3U", "#EXT-X-VERSION:\(version(for: format))", "#EXT-X-INDEPENDENT-SEGMENTS"]

        if !muxed {
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
        }

        let defaultAudio = audio.first
        // Muxed variants carry the default audio only; with renditions any of them may play.
        let audioCodecs = muxed ? defaultAudio.map { [$0.codec.codecString] } ?? [] : unique(audio.map(\.codec.codecString))
        let defaultAudioBitrate = defaultAudio?.bitrate ?? 0
        let peakAudioBitrate = muxed ? defaultAudioBitrate : audio.map(\.bitrate).max() ?? 0

        for track in video {
            var attributes = [
                "BANDWIDTH=\(peakBandwidth(track.bitrate + peakAudioBitrate, transportStream: transportStream))",
                "AVERAGE-BANDWIDTH=\(averageBandwidth(track.bitrate + defaultAudioBitrate, transportStream: transportStream))",
            ]
            if let size = track.pictureSize { attributes.append("RESOLUTION=\(size.width)x\(size.height)") }
            attributes.append("CODECS=" + ManifestText.hlsQuoted(([track.codec.codecString] + audioCodecs).joined(separator: ",")))
            if let rate = track.frameRate { attributes.append("FRAME-RATE=" + ManifestText.decimal(rate, places: 3)) }
            if !muxed && !audio.isEmpty { attributes.append("AUDIO=\"\(audioGroup)\"") }
            lines.append("#EXT-X-STREAM-INF:" + attributes.joined(separator: ","))
            lines.append(OriginPaths.mediaPlaylist(bitrate: track.bitrate, track: track.name, options: options))
            if iFrames {
                // The key frames are at most the whole of the video: its peak bounds theirs.
                var iFrame = ["BANDWIDTH=\(peakBandwidth(track.bitrate, transportStream: transportStream))"]
                if let size = track.pictureSize { iFrame.append("RESOLUTION=\(size.width)x\(size.height)") }
                iFrame.append("CODECS=" + ManifestText.hlsQuoted(track.codec.codecString))
                iFrame.append("URI=" + ManifestText.hlsQuoted(
                    OriginPaths.mediaPlaylist(bitrate: track.bitrate, track: track.name, options: options, keyframesOnly: true)))
                lines.append("#EXT-X-I-FRAME-STREAM-INF:" + iFrame.joined(separator: ","))
            }
        }

        if let defaultAudio, options.audioOnly || video.isEmpty {
            var attributes = [
                "BANDWIDTH=\(peakBandwidth(peakAudioBitrate, transportStream: transportStream))",
                "AVERAGE-BANDWIDTH=\(averageBandwidth(defaultAudioBitrate, transportStream: transportStream))",
                "CODECS=" + ManifestText.hlsQuoted(audioCodecs.joined(separator: ",")),
            ]
            if !muxed { attributes.append("AUDIO=\"\(audioGroup)\"") }
            lines.append("#EXT-X-STREAM-INF:" + attributes.joined(separator: ","))
            lines.append(OriginPaths.mediaPlaylist(bitrate: defaultAudio.bitrate, track: defaultAudio.name, options: options))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Media playlists

    /// The media playlist of one track, served at `…/QualityLevels(<bitrate>)/Manifest(<track>,format=m3u8-…)`.
    ///
    /// Live media time counts from the Unix epoch, so every segment gets an `#EXT-X-PROGRAM-DATE-TIME` derived from
    /// its start time. A live track with no segments yet yields a valid playlist with no segments; the origin may
    /// prefer to answer 404 until the first fragment exists. With `options.keyframesOnly` it is an I-frame playlist.
    public static func mediaPlaylist(_ presentation: Presentation, track timeline: TrackTimeline,
                                     options: ManifestOptions) -> String {
        if options.keyframesOnly { return iFramePlaylist(presentation, track: timeline, options: options) }
        if !options.format.usesFragmentedMP4 { return transportStreamPlaylist(presentation, track: timeline, options: options) }

        let track = timeline.track
        let segments = timeline.segments
        let timescale = track.timescale
        var lines = ["#EXTM3U", "#EXT-X-VERSION:\(version)", "#EXT-X-TARGETDURATION:\(targetDuration(presentation, timeline))"]
        lines.append("#EXT-X-MEDIA-SEQUENCE:\(mediaSequence(presentation, first: segments.first?.sequenceNumber))")
        lines.append("#EXT-X-DISCONTINUITY-SEQUENCE:\(timeline.discontinuitySequence)")
        if !presentation.isLive { lines.append("#EXT-X-PLAYLIST-TYPE:VOD") }
        lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
        let map = mapLine(track: track, options: options)
        let protection = options.protection?.signal(for: track)
        lines.append(map)
        lines += protection?.hlsKeyLines ?? []
        for segment in segments {
            if segment.discontinuity { lines += ["#EXT-X-DISCONTINUITY"] + mapLines(map, after: protection) }
            if let key = protection?.hlsEnvelopeKeyLine(segmentTime: segment.startTime) { lines.append(key) }
            lines.append("#EXT-X-PROGRAM-DATE-TIME:" + ManifestText.dateTime(ticks: segment.startTime, timescale: timescale))
            lines.append("#EXTINF:" + ManifestText.decimal(ticks: segment.duration, timescale: timescale, places: 6) + ",no-desc")
            lines.append(OriginPaths.fragment(track: track.name, time: segment.startTime, options: options)
                         + OriginPaths.hlsSegmentSuffix(for: options.format))
        }
        if !presentation.isLive { lines.append("#EXT-X-ENDLIST") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `#EXT-X-MEDIA-SEQUENCE`: live, the first listed segment's number (players track the window by it); on demand
    /// 0, as RFC 8216's default, since nothing reloads the playlist, and some clients (yt-dlp's native HLS downloader)
    /// take any other number for a live stream.
    static func mediaSequence(_ presentation: Presentation, first: Int?) -> Int {
        presentation.isLive ? first ?? 0 : 0
    }

    /// The track's `#EXT-X-MAP`. Written at the top and again after every `#EXT-X-DISCONTINUITY` (RFC 8216 §4.3.2.5
    /// allows it), since some players (streamlink) forget the map at a discontinuity and then output nothing.
    static func mapLine(track: TrackInfo, options: ManifestOptions) -> String {
        "#EXT-X-MAP:URI=" + ManifestText.hlsQuoted(OriginPaths.initSegment(track: track.name, options: options)
                                                   + OriginPaths.hlsSegmentSuffix(for: options.format))
    }

    /// The map repeated after a discontinuity. Under the envelope a key line precedes every segment, and RFC 8216 §4.3.2.4
    /// applies a key to the maps after it too: `METHOD=NONE` first keeps the initialization segment clear, as at the top.
    static func mapLines(_ map: String, after protection: TrackProtectionSignal?) -> [String] {
        protection?.method == .envelope ? ["#EXT-X-KEY:METHOD=NONE", map] : [map]
    }

    /// A TS media playlist: segments from ``tsSegments(_:track:options:)``, no `#EXT-X-MAP`.
    static func transportStreamPlaylist(_ presentation: Presentation, track timeline: TrackTimeline,
                                        options: ManifestOptions) -> String {
        let track = timeline.track
        let timescale = track.timescale
        let list = tsSegments(presentation, track: timeline, options: options)
        let longest = list.segments.map(\.duration).max() ?? 0
        let nominal = Int64((presentation.nominalFragmentDuration * Double(options.fragmentsPerTSSegment)).rounded())
        let target = max(1, ManifestText.roundedSeconds(ticks: longest, timescale: timescale), nominal)

        let protection = options.protection?.signal(for: track)
        let keyLines = protection?.hlsTransportStreamKeyLines ?? []
        var lines = ["#EXTM3U", "#EXT-X-VERSION:\(keyLines.isEmpty ? version(for: options.format) : sampleAESVersion(options.format))",
                     "#EXT-X-TARGETDURATION:\(target)"]
        lines.append("#EXT-X-MEDIA-SEQUENCE:\(mediaSequence(presentation, first: list.segments.first?.mediaSequence))")
        lines.append("#EXT-X-DISCONTINUITY-SEQUENCE:\(list.discontinuitySequence)")
        if !presentation.isLive { lines.append("#EXT-X-PLAYLIST-TYPE:VOD") }
        lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
        lines += keyLines
        for segment in list.segments {
            for _ in 0..<segment.discontinuities { lines.append("#EXT-X-DISCONTINUITY") }
            if let key = protection?.hlsEnvelopeKeyLine(segmentTime: segment.startTime) { lines.append(key) }
            lines.append("#EXT-X-PROGRAM-DATE-TIME:" + ManifestText.dateTime(ticks: segment.startTime, timescale: timescale))
            lines.append("#EXTINF:" + ManifestText.decimal(ticks: segment.duration, timescale: timescale, places: 6) + ",no-desc")
            lines.append(OriginPaths.fragment(track: track.name, time: segment.startTime, options: options)
                         + OriginPaths.hlsSegmentSuffix(for: options.format))
        }
        if !presentation.isLive { lines.append("#EXT-X-ENDLIST") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// An I-frame playlist (`#EXT-X-I-FRAMES-ONLY`): the key frame that starts each canonical fragment, as its own
    /// small segment at `KeyFrames(<track>=<t>,…)`, lasting until the next one.
    static func iFramePlaylist(_ presentation: Presentation, track timeline: TrackTimeline, options: ManifestOptions) -> String {
        let track = timeline.track
        let segments = timeline.segments
        let timescale = track.timescale
        let suffix = OriginPaths.hlsSegmentSuffix(for: options.format)
        let map = options.format.usesFragmentedMP4 ? mapLine(track: track, options: options) : nil
        let protection = options.protection?.signal(for: track)
        let keyLines = (map != nil ? protection?.hlsKeyLines : protection?.hlsTransportStreamKeyLines) ?? []
        let playlistVersion = version(for: options.format, keyframesOnly: true)
        var lines = ["#EXTM3U", "#EXT-X-VERSION:\(map == nil && !keyLines.isEmpty ? sampleAESVersion(options.format) : playlistVersion)",
                     "#EXT-X-TARGETDURATION:\(targetDuration(presentation, timeline))"]
        lines.append("#EXT-X-MEDIA-SEQUENCE:\(mediaSequence(presentation, first: segments.first?.sequenceNumber))")
        lines.append("#EXT-X-DISCONTINUITY-SEQUENCE:\(timeline.discontinuitySequence)")
        if !presentation.isLive { lines.append("#EXT-X-PLAYLIST-TYPE:VOD") }
        lines.append("#EXT-X-I-FRAMES-ONLY")
        lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
        if let map { lines.append(map) }
        lines += keyLines
        for segment in segments {
            if segment.discontinuity { lines += ["#EXT-X-DISCONTINUITY"] + (map.map { mapLines($0, after: protection) } ?? []) }
            if let key = protection?.hlsEnvelopeKeyLine(segmentTime: segment.startTime) { lines.append(key) }
            lines.append("#EXT-X-PROGRAM-DATE-TIME:" + ManifestText.dateTime(ticks: segment.startTime, timescale: timescale))
            lines.append("#EXTINF:" + ManifestText.decimal(ticks: segment.duration, timescale: timescale, places: 6) + ",no-desc")
            lines.append(OriginPaths.keyFrame(track: track.name, time: segment.startTime, options: options) + suffix)
        }
        if !presentation.isLive { lines.append("#EXT-X-ENDLIST") }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - TS segments

    /// The TS segments of a track exactly as its playlist lists them (the origin serves the same list): grouped by
    /// ``TSSegmentation``; for v3 video in a live presentation, only segments whose muxed audio has arrived, so that a
    /// segment's bytes never change once listed (unless the audio is more than three fragments behind: then it has
    /// stopped, and the video goes on without it).
    public static func tsSegments(_ presentation: Presentation, track timeline: TrackTimeline,
                                  options: ManifestOptions) -> TSSegmentList {
        var list = TSSegmentation.segments(timeline, fragmentsPerSegment: options.fragmentsPerTSSegment,
                                           isLive: presentation.isLive)
        if presentation.isLive, let audio = muxedAudio(presentation, for: timeline, options: options),
           let audioEnd = audio.segments.last?.endTime, let videoEnd = list.segments.last?.endTime {
            let timescale = Int64(timeline.track.timescale)
            let end = MediaTime.rescale(audioEnd, from: Int64(audio.track.timescale), to: timescale)
            // Audio normally closes its fragment just after the video's; far behind, it has stopped (a video-only
            // reconnect), and waiting would freeze the playlist.
            let patience = Int64(3 * max(1, presentation.nominalFragmentDuration) * Double(timescale))
            if videoEnd - end <= patience {
                while let last = list.segments.last, last.endTime > end { list.segments.removeLast() }
            }
        }
        return list
    }

    /// The audio muxed into the TS segments of `timeline`: the first audio track with segments, for video in
    /// `m3u8-aapl-v3`; nil otherwise.
    public static func muxedAudio(_ presentation: Presentation, for timeline: TrackTimeline,
                                  options: ManifestOptions) -> TrackTimeline? {
        guard options.format == .hlsV3, timeline.track.kind == .video else { return nil }
        return presentation.tracks.first { $0.track.kind == .audio && !$0.segments.isEmpty }
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

    /// Declared bitrates are averages; BANDWIDTH must be the peak. CMAF: 10 % for VBR peaks and box overhead.
    /// MPEG-TS: 25 %, for the 4-byte packet headers, PES headers, ADTS headers and the stuffing that keeps continuity
    /// counters whole (about 10 % on 128 kbit/s audio, 3 % on video).
    static func peakBandwidth(_ average: Int, transportStream: Bool = false) -> Int {
        transportStream ? (average * 5 + 3) / 4 : (average * 11 + 9) / 10
    }

    /// AVERAGE-BANDWIDTH: the declared average, plus the TS overhead for MPEG-TS.
    static func averageBandwidth(_ average: Int, transportStream: Bool) -> Int {
        transportStream ? (average * 11 + 9) / 10 : average
    }

    private static func unique(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }
}
