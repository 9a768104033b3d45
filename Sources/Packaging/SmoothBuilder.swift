// Smooth Streaming client manifests ([MS-SSTR] §2.2.2) in the shapes the service produced with no `format=`
// (Smooth 2.2, `c` elements with `r` repeat counts) and with `format=fmp4-v20` (Smooth 2.0, one `c` per fragment).

import Media

/// Builds a Smooth Streaming client manifest (`SmoothStreamingMedia`) from a ``Presentation``; pure function.
///
/// One `StreamIndex` per track kind and name (a ladder of `video` tracks at several bitrates is one StreamIndex
/// with one `QualityLevel` per bitrate, sharing the first track's chunk list, as Smooth requires); highest bitrate
/// first. Chunk times are the fragments' absolute start times, so `Fragments(video=<t>)` addresses the same canonical
/// fragment as HLS-CMAF and DASH. Live manifests say `IsLive="TRUE"`, `Duration="0"`, the look-ahead count the
/// fragments' `tfrf` boxes honour, and the DVR window.
///
/// `r` follows Microsoft's definition, which VLC and dash.js read: the number of consecutive chunks of duration `d`
/// (written only when above 1), not DASH's count of extra repeats.
public enum SmoothBuilder {
    /// The manifest `TimeScale`: 100 ns ticks.
    public static let timescale: Int64 = 10_000_000
    /// Fragments announced ahead in each live fragment's `tfrf`.
    public static let lookAheadFragmentCount = 2

    /// The manifest served at `…/<name>.ism/manifest` (Smooth 2.2) or `…/manifest(format=fmp4-v20)` (Smooth 2.0).
    public static func manifest(_ presentation: Presentation, options: ManifestOptions) -> String {
        let repeats = options.format != .fmp4v20
        let timelines = presentation.tracks.filter { !$0.segments.isEmpty && $0.track.kind != .text }

        var root = ["MajorVersion=\"2\"", "MinorVersion=\"\(repeats ? 2 : 0)\"", "TimeScale=\"\(timescale)\""]
        if presentation.isLive {
            root += ["Duration=\"0\"", "IsLive=\"TRUE\"", "LookAheadFragmentCount=\"\(lookAheadFragmentCount)\"",
                     "DVRWindowLength=\"\(max(0, presentation.windowDuration ?? 0))\""]
        } else {
            var earliest = Int64.max, latest = Int64.min
            for timeline in timelines {
                let scale = Int64(timeline.track.timescale)
                if let first = timeline.segments.first {
                    earliest = min(earliest, MediaTime.rescale(first.startTime, from: scale, to: timescale))
                }
                if let last = timeline.segments.last {
                    latest = max(latest, MediaTime.rescale(last.endTime, from: scale, to: timescale))
                }
            }
            root.append("Duration=\"\(timelines.isEmpty ? 0 : max(0, latest - earliest))\"")
        }

        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<SmoothStreamingMedia " + root.joined(separator: " ") + ">"]
        // [MS-SSTR] 2.2.2.1: the Protection element comes before the stream indexes; one header for the presentation.
        lines += options.protection?.defaultSignal.smoothProtection ?? []
        for group in streamIndexes(timelines) {
            lines += streamIndex(group, options: options, repeats: repeats)
        }
        lines.append("</SmoothStreamingMedia>")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - StreamIndex

    /// Video first, then audio; within a kind, one group per track name in order of appearance.
    private static func streamIndexes(_ timelines: [TrackTimeline]) -> [[TrackTimeline]] {
        var groups: [[TrackTimeline]] = []
        for kind in [MediaKind.video, .audio] {
            var names: [String] = []
            var byName: [String: [TrackTimeline]] = [:]
            for timeline in timelines where timeline.track.kind == kind {
                if byName[timeline.track.name] == nil { names.append(timeline.track.name) }
                byName[timeline.track.name, default: []].append(timeline)
            }
            groups += names.compactMap { byName[$0] }
        }
        return groups
    }

    private static func streamIndex(_ timelines: [TrackTimeline], options: ManifestOptions, repeats: Bool) -> [String] {
        guard let first = timelines.first else { return [] }
        let track = first.track
        let isVideo = track.kind == .video
        let ordered = timelines.enumerated().sorted {
            $0.element.track.bitrate != $1.element.track.bitrate
                ? $0.element.track.bitrate > $1.element.track.bitrate : $0.offset < $1.offset
        }.map(\.element)
        let runs = chunks(first.segments, repeats: repeats)

        var attributes = ["Type=\"\(track.kind.rawValue)\"", "Name=\"\(ManifestText.xmlAttribute(track.name))\""]
        if !isVideo, let language = track.knownLanguage { attributes.append("Language=\"\(ManifestText.xmlAttribute(language))\"") }
        attributes += ["Chunks=\"\(first.segments.count)\"", "QualityLevels=\"\(ordered.count)\""]
        if Int64(track.timescale) != timescale { attributes.append("TimeScale=\"\(track.timescale)\"") }
        attributes.append("Url=\"\(ManifestText.xmlAttribute(OriginPaths.smoothFragmentTemplate(track: track.name, options: options)))\"")
        if isVideo {
            let sizes = ordered.compactMap(\.track.pictureSize)
            if let width = sizes.map(\.width).max(), let height = sizes.map(\.height).max() {
                attributes += ["MaxWidth=\"\(width)\"", "MaxHeight=\"\(height)\"",
                               "DisplayWidth=\"\(width)\"", "DisplayHeight=\"\(height)\""]
            }
        }
        var lines = ["  <StreamIndex " + attributes.joined(separator: " ") + ">"]
        for (index, timeline) in ordered.enumerated() {
            lines.append("    <QualityLevel " + qualityLevel(timeline.track, index: index).joined(separator: " ") + "/>")
        }
        for run in runs {
            var c: [String] = []
            if let t = run.t { c.append("t=\"\(t)\"") }
            c.append("d=\"\(run.d)\"")
            if run.count > 1 { c.append("r=\"\(run.count)\"") }
            lines.append("    <c " + c.joined(separator: " ") + "/>")
        }
        lines.append("  </StreamIndex>")
        return lines
    }

    /// `QualityLevel` attributes: the codec as FourCC and CodecPrivateData, the size or the audio format.
    private static func qualityLevel(_ track: TrackInfo, index: Int) -> [String] {
        var attributes = ["Index=\"\(index)\"", "Bitrate=\"\(track.bitrate)\""]
        switch track.codec {
        case .avc(let c):
            attributes += ["FourCC=\"H264\"", "MaxWidth=\"\(c.width)\"", "MaxHeight=\"\(c.height)\""]
            let sets = c.sequenceParameterSets + c.pictureParameterSets
            if !sets.isEmpty { attributes.append("CodecPrivateData=\"\(annexBHex(sets))\"") }
        case .hevc(let c):
            attributes += ["FourCC=\"HVC1\"", "MaxWidth=\"\(c.width)\"", "MaxHeight=\"\(c.height)\""]
            if let sets = try? TransportStreamCodec.hevcParameterSets(c.record, track: track) {
                attributes.append("CodecPrivateData=\"\(annexBHex(sets))\"")
            }
        case .aac(let c):
            let fourCC = c.objectType == 5 || c.objectType == 29 ? "AACH" : "AACL"
            attributes += ["FourCC=\"\(fourCC)\"", "SamplingRate=\"\(c.sampleRate)\"", "Channels=\"\(c.channelCount)\"",
                           "BitsPerSample=\"16\"", "PacketSize=\"\(2 * c.channelCount)\"", "AudioTag=\"255\"",
                           "CodecPrivateData=\"\(hex(c.bytes[...]))\""]
        }
        return attributes
    }

    // MARK: - Chunks

    /// A run of chunks: `t` where it cannot be inferred, duration, and how many consecutive chunks share it.
    struct ChunkRun: Hashable {
        var t: Int64?
        var d: Int64
        var count: Int
    }

    /// Run-length chunks (Smooth 2.2) or one per fragment (2.0); `t` on the first and after any gap or discontinuity.
    static func chunks(_ segments: [TimelineSegment], repeats: Bool) -> [ChunkRun] {
        if repeats {
            return DASHBuilder.segmentTimeline(segments).map { ChunkRun(t: $0.t, d: $0.d, count: $0.r + 1) }
        }
        var runs: [ChunkRun] = []
        var expected: Int64?
        for segment in segments {
            let contiguous = segment.startTime == expected && !segment.discontinuity
            runs.append(ChunkRun(t: contiguous ? nil : segment.startTime, d: segment.duration, count: 1))
            expected = segment.endTime
        }
        return runs
    }

    // MARK: - Hex

    /// NAL units behind 4-byte start codes, as upper-case hex (H.264/H.265 CodecPrivateData).
    static func annexBHex(_ units: [[UInt8]]) -> String {
        units.map { "00000001" + hex($0[...]) }.joined()
    }

    static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
