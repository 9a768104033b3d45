// Dynamic manifest filters through the origin: every format lists the same filtered tracks and fragments, unknown
// filters and filters that leave nothing answer 404, the locator's filters always apply with the URL's, media
// playlists are filtered, and every segment a filtered manifest lists is served and decodes (ffprobe).
import TestSupport
import Testing
import Foundation
import HTTP
import ISOBMFF
import Live
import Media
import MediaDirectory
import Origin
import Packaging

// MARK: - Real media in memory

/// A media source holding real fragments (encoded by ffmpeg, rewritten as canonical CMAF fragments) in memory:
/// three H.264 qualities and two AAC languages (English stereo, French mono), 12 s from `epoch`.
actor MemorySource: MediaSource {
    struct Stored {
        var info: TrackInfo
        var initSegment: [UInt8]
        var segments: [TimelineSegment]
        var bytes: [Int64: [UInt8]]
    }

    nonisolated let sourceDescription: String
    let tracks: [Stored]
    let isLive: Bool

    init(_ tracks: [Stored], live: Bool) {
        self.tracks = tracks
        self.isLive = live
        sourceDescription = live ? "live event 'filtered'" : "asset 'filtered'"
    }

    func presentation() -> Presentation {
        Presentation(tracks: tracks.map { TrackTimeline(track: $0.info, segments: $0.segments) }, isLive: isLive,
                     windowDuration: isLive ? 60 * MediaTime.ticksPerSecond : nil, nominalFragmentDuration: 2)
    }

    private func stored(_ name: String, _ bitrate: Int) -> Stored? {
        tracks.first { $0.info.name.lowercased() == name.lowercased() && $0.info.bitrate == bitrate }
    }

    func trackInfo(trackName: String, bitrate: Int) -> TrackInfo? { stored(trackName, bitrate)?.info }
    func initSegment(trackName: String, bitrate: Int) -> [UInt8]? { stored(trackName, bitrate)?.initSegment }

    func fragment(trackName: String, bitrate: Int, time: Int64) -> FragmentLookup {
        guard let track = stored(trackName, bitrate) else { return .unknownTrack }
        if let bytes = track.bytes[time] { return .found(bytes) }
        if let first = track.segments.first, time < first.startTime { return .outsideWindow }
        if let last = track.segments.last, time >= last.endTime { return .beyondLiveEdge }
        return .noSuchFragment
    }
}

enum FilterMedia {
    /// Media time of the first fragment: 2025-11-21 in seconds (live times count from the Unix epoch).
    static let epoch: Int64 = 1_763_700_000

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Encoded once per test run; every test builds its sources from it.
    static let tracks: Task<[MemorySource.Stored], any Error> = Task { try encode() }

    static func source(live: Bool) async throws -> MemorySource {
        MemorySource(try await tracks.value, live: live)
    }

    private static func encode() throws -> [MemorySource.Stored] {
        let directory = NSTemporaryDirectory() + "edgelive-filters-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fragmented = ["-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4"]
        func video(_ bitrate: String, _ size: String, _ file: String) -> [String] {
            ["-map", "0:v", "-t", "12", "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
             "-b:v", bitrate, "-s", size, "-video_track_timescale", "90000"] + fragmented + [directory + "/" + file]
        }
        func audio(_ input: Int, _ bitrate: String, _ channels: String, _ file: String) -> [String] {
            ["-map", "\(input):a", "-t", "12", "-c:a", "aac", "-b:a", bitrate, "-ac", channels, "-frag_duration", "2000000",
             "-movflags", "+empty_moov+default_base_moof", "-f", "mp4", directory + "/" + file]
        }
        try run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
                           "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                           "-f", "lavfi", "-i", "sine=frequency=880:sample_rate=48000"]
            + video("3000k", "640x360", "v3000.mp4") + video("1500k", "480x270", "v1500.mp4") + video("800k", "320x180", "v800.mp4")
            + audio(1, "128k", "2", "eng.mp4") + audio(2, "96k", "1", "fra.mp4"))
        let plan: [(file: String, id: UInt32, name: String, bitrate: Int, language: String)] = [
            ("v3000.mp4", 1, "video", 3_000_000, "und"), ("v1500.mp4", 2, "video", 1_500_000, "und"),
            ("v800.mp4", 3, "video", 800_000, "und"), ("eng.mp4", 4, "audio_eng", 128_000, "eng"),
            ("fra.mp4", 5, "audio_fra", 96_000, "fra"),
        ]
        return try plan.map { entry in
            guard let data = FileManager.default.contents(atPath: directory + "/" + entry.file) else {
                throw Failure(description: "ffmpeg wrote no \(entry.file)")
            }
            var parser = FragmentedMP4IngestParser()
            var description: IngestTrackDescription?
            var fragments: [IngestFragment] = []
            for event in try parser.receive(Array(data)) {
                switch event {
                case .tracks(let list): description = list.first
                case .fragment(let fragment): fragments.append(fragment)
                case .lastSegment: break
                }
            }
            guard let description, !fragments.isEmpty else { throw Failure(description: "\(entry.file) has no track or no fragment") }
            let info = TrackInfo(trackID: entry.id, kind: description.kind, name: entry.name, timescale: description.timescale,
                                 codec: description.codec, bitrate: entry.bitrate, language: entry.language)
            let offset = epoch * Int64(description.timescale)
            var stored = MemorySource.Stored(info: info, initSegment: CMAFWriter.initSegment(for: info), segments: [], bytes: [:])
            for (index, fragment) in fragments.enumerated() {
                let samples = fragment.frames.enumerated().map { position, frame in
                    let end = position + 1 < fragment.frames.count ? fragment.frames[position + 1].decodeTime : fragment.endTime
                    return Sample(decodeTime: frame.decodeTime + offset, compositionOffset: frame.compositionOffset,
                                  duration: UInt32(end - frame.decodeTime), isSync: frame.isKeyframe, data: frame.data)
                }
                let segment = TimelineSegment(startTime: fragment.startTime + offset, duration: fragment.endTime - fragment.startTime,
                                              sequenceNumber: index + 1)
                stored.segments.append(segment)
                stored.bytes[segment.startTime] = CMAFWriter.mediaSegment(track: info, sequenceNumber: UInt32(index + 1), samples: samples)
            }
            return stored
        }
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> Data {
        try ExternalTool.run(tool, arguments, rejectingErrorOutput: true)
    }

    /// Decodes every frame of `bytes` with ffprobe (any error output fails): per stream type, the codec, the frames
    /// decoded and the audio channel count.
    static func decode(_ bytes: [UInt8], suffix: String) throws -> [String: (codec: String, frames: Int, channels: Int)] {
        let path = NSTemporaryDirectory() + "edgelive-filtered-\(UUID().uuidString)" + suffix
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw Failure(description: "cannot write \(path)") }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let data = try run("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "stream=codec_type,codec_name,nb_read_frames,channels",
                                       "-of", "json", path])
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        var out: [String: (String, Int, Int)] = [:]
        for stream in json?["streams"] as? [[String: Any]] ?? [] {
            guard let type = stream["codec_type"] as? String else { continue }
            out[type] = (stream["codec_name"] as? String ?? "", Int(stream["nb_read_frames"] as? String ?? "") ?? -1,
                         stream["channels"] as? Int ?? 0)
        }
        return out
    }
}

// MARK: - Filters and resolver

private func condition(_ property: TrackCondition.Property, _ value: String, _ operation: TrackCondition.Operation = .equal) -> TrackCondition {
    TrackCondition(property: property, operation: operation, value: value)
}

/// Seconds after the epoch in 10 MHz ticks (the filters' default timescale).
private func at(_ seconds: Int64) -> Int64 { (FilterMedia.epoch + seconds) * MediaTime.ticksPerSecond }

private let namedFilters: [PresentationFilter] = [
    // Video up to 2 Mbit/s, English audio.
    PresentationFilter(name: "mobile", trackSelections: [[condition(.type, "video"), condition(.bitrate, "0-2000000")],
                                                         [condition(.type, "Audio"), condition(.language, "en")]]),
    PresentationFilter(name: "French", trackSelections: [[condition(.type, "video")], [condition(.language, "fr-FR")]]),
    PresentationFilter(name: "audioonly", trackSelections: [[condition(.fourCC, "mp4a")]]),
    PresentationFilter(name: "hd", trackSelections: [[condition(.fourCC, "AVC1"), condition(.bitrate, "2500000-4000000")]]),
    PresentationFilter(name: "nothing", trackSelections: [[condition(.type, "text")]]),
    PresentationFilter(name: "trim", timeRange: FilterTimeRange(startTimestamp: at(3), endTimestamp: at(9))),
    // In milliseconds: fragment-accurate at 7 s, in the middle of a two-fragment TS segment.
    PresentationFilter(name: "late", timeRange: FilterTimeRange(startTimestamp: (FilterMedia.epoch + 7) * 1000, timescale: 1000)),
    PresentationFilter(name: "after", timeRange: FilterTimeRange(startTimestamp: at(60))),
    PresentationFilter(name: "window", timeRange: FilterTimeRange(presentationWindowDuration: 5 * MediaTime.ticksPerSecond)),
    PresentationFilter(name: "backoff", timeRange: FilterTimeRange(liveBackoffDuration: 3 * MediaTime.ticksPerSecond)),
    PresentationFilter(name: "first1500", firstQualityBitrate: 1_500_000),
]

/// Publishes one source under locator "loc", with the named filters and the locator's `always` filters.
private struct FilteringResolver: LocatorResolver {
    let source: any MediaSource
    var always: [PresentationFilter] = []
    var fragmentsPerTSSegment = 1

    func resolve(locatorID: String, manifestName: String, request: HTTPRequest) async -> LocatorResolution {
        let named = Dictionary(uniqueKeysWithValues: namedFilters.map { ($0.name.lowercased(), $0) })
        return .source(source, fragmentsPerTSSegment: fragmentsPerTSSegment, filters: FilterSet(always: always, named: named))
    }
}

// MARK: - Reading manifests

/// Every `(pattern) group 1` match of `pattern` in `text`.
private func matches(_ pattern: String, _ text: String) -> [String] {
    guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
    return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
        Range($0.range(at: 1), in: text).map { String(text[$0]) }
    }
}

/// The bitrates a manifest lists: HLS `QualityLevels(…)` URIs, DASH `bandwidth`, Smooth `Bitrate`.
private func listedBitrates(_ text: String) -> Set<Int> {
    Set((matches(#"QualityLevels\((\d+)\)"#, text) + matches(#"bandwidth="(\d+)""#, text) + matches(#"Bitrate="(\d+)""#, text)).compactMap { Int($0) })
}

/// A segment a manifest lists: absolute path, and the init segment it needs (nil for TS).
private struct Listed {
    var path: String
    var initPath: String?
    var bitrate: Int
}

/// Times of a DASH `SegmentTimeline` / Smooth chunk list: `<S t d r>` (r = extra repeats) or `<c t d r>` (r = count).
private func timelineTimes(_ lines: [Substring], element: String, repeatsAreCounts: Bool) -> [Int64] {
    var times: [Int64] = []
    var next: Int64 = 0
    for line in lines where line.contains("<\(element) ") {
        let text = String(line)
        if let t = matches(#" t="(\d+)""#, text).first.flatMap({ Int64($0) }) { next = t }
        guard let d = matches(#" d="(\d+)""#, text).first.flatMap({ Int64($0) }) else { continue }
        let r = matches(#" r="(\d+)""#, text).first.flatMap { Int($0) } ?? (repeatsAreCounts ? 1 : 0)
        for _ in 0..<(repeatsAreCounts ? r : r + 1) {
            times.append(next)
            next += d
        }
    }
    return times
}

/// Every media segment of a DASH MPD, per representation (templates per representation or shared by a set).
private func dashSegments(_ mpd: String, base: String) -> [Listed] {
    var out: [Listed] = []
    let lines = mpd.split(separator: "\n")
    var index = 0
    var setTemplate: (media: String, initialization: String, times: [Int64])?
    while index < lines.count {
        let line = String(lines[index])
        if line.contains("<AdaptationSet") { setTemplate = nil }
        if line.contains("<SegmentTemplate"), let media = matches(#"media="([^"]+)""#, line).first,
           let initialization = matches(#"initialization="([^"]+)""#, line).first {
            var end = index
            while end < lines.count && !lines[end].contains("</SegmentTemplate>") { end += 1 }
            let times = timelineTimes(Array(lines[index..<end]), element: "S", repeatsAreCounts: false)
            let template = (media.replacingOccurrences(of: "&amp;", with: "&"), initialization.replacingOccurrences(of: "&amp;", with: "&"), times)
            if let bitrate = lastRepresentationBitrate(lines[..<index]), !setLevel(lines[..<index]) {
                out += expand(template, bitrate: bitrate, base: base)
            } else {
                setTemplate = template
            }
            index = end
        } else if line.contains("<Representation"), let template = setTemplate, let bitrate = matches(#"bandwidth="(\d+)""#, line).first.flatMap({ Int($0) }) {
            out += expand(template, bitrate: bitrate, base: base)
        }
        index += 1
    }
    return out
}

/// Whether the innermost open element before a template is the AdaptationSet (a template shared by the set).
private func setLevel(_ lines: ArraySlice<Substring>) -> Bool {
    for line in lines.reversed() {
        if line.contains("<Representation") { return line.hasSuffix("/>") }
        if line.contains("<AdaptationSet") { return true }
    }
    return true
}

private func lastRepresentationBitrate(_ lines: ArraySlice<Substring>) -> Int? {
    lines.last { $0.contains("<Representation") }.flatMap { matches(#"bandwidth="(\d+)""#, String($0)).first }.flatMap { Int($0) }
}

private func expand(_ template: (media: String, initialization: String, times: [Int64]), bitrate: Int, base: String) -> [Listed] {
    template.times.map { time in
        Listed(path: base + template.media.replacingOccurrences(of: "$Bandwidth$", with: String(bitrate))
                .replacingOccurrences(of: "$Time$", with: String(time)),
               initPath: base + template.initialization.replacingOccurrences(of: "$Bandwidth$", with: String(bitrate)), bitrate: bitrate)
    }
}

/// Every fragment of a Smooth manifest, per quality level.
private func smoothSegments(_ manifest: String, base: String) -> [Listed] {
    var out: [Listed] = []
    let lines = manifest.split(separator: "\n")
    var index = 0
    while index < lines.count {
        let line = String(lines[index])
        if line.contains("<StreamIndex"), let url = matches(#"Url="([^"]+)""#, line).first {
            var end = index
            while end < lines.count && !lines[end].contains("</StreamIndex>") { end += 1 }
            let block = Array(lines[index..<end])
            let times = timelineTimes(block, element: "c", repeatsAreCounts: true)
            let bitrates = block.compactMap { matches(#"<QualityLevel [^>]*Bitrate="(\d+)""#, String($0)).first.flatMap { Int($0) } }
            for bitrate in bitrates {
                let directory = url.replacingOccurrences(of: "{bitrate}", with: String(bitrate))
                let initPath = base + directory.replacingOccurrences(of: #"={start time}"#, with: "=i")
                out += times.map { Listed(path: base + directory.replacingOccurrences(of: "{start time}", with: String($0)),
                                          initPath: initPath, bitrate: bitrate) }
            }
            index = end
        }
        index += 1
    }
    return out
}

/// Segment URIs of a media playlist (relative to `QualityLevels(<b>)/`) and its `#EXT-X-MAP`, as absolute paths.
private func hlsSegments(_ playlist: String, directory: String, bitrate: Int) -> [Listed] {
    let map = matches(#"#EXT-X-MAP:URI="([^"]+)""#, playlist).first.map { directory + $0 }
    return segmentURIs(playlist).map { Listed(path: directory + $0, initPath: map, bitrate: bitrate) }
}

/// Media playlist URIs (relative to `<name>.ism/`) of a multivariant playlist, with their bitrates.
private func mediaPlaylists(_ master: String) -> [(uri: String, bitrate: Int)] {
    let uris = segmentURIs(master) + matches(#"URI="([^"]+)""#, master)
    return uris.compactMap { uri in matches(#"QualityLevels\((\d+)\)"#, uri).first.flatMap { Int($0) }.map { (uri, $0) } }
}

/// Start times (track ticks) of the fragments a path list names.
private func times(_ listed: [Listed]) -> [Int64] {
    listed.compactMap { matches(#"=(\d+)[,)]"#, $0.path).first.flatMap { Int64($0) } }
}

// MARK: - Tests

@Suite(.serialized) struct OriginFilterTests {
    static let manifestFormats = ["m3u8-aapl", "m3u8-aapl-v3", "m3u8-cmaf", "mpd-time-cmaf", "mpd-time-csf", "smooth", "fmp4-v20"]

    static func manifestPath(_ format: String, filter: String?) -> String {
        var options: [String] = format == "smooth" ? [] : ["format=" + format]
        if let filter { options.append("filter=" + filter) }
        return "/loc/show.ism/" + (options.isEmpty ? "manifest" : "manifest(" + options.joined(separator: ",") + ")")
    }

    @Test func everyFormatListsTheSameFilteredTracks() async throws {
        for live in [false, true] {
            let responder = OriginResponder(resolver: FilteringResolver(source: try await FilterMedia.source(live: live)), logger: quietLogger)
            let cases: [(filter: String?, video: Set<Int>, audio: [Int])] = [
                (nil, [3_000_000, 1_500_000, 800_000], [128_000, 96_000]),
                ("mobile", [1_500_000, 800_000], [128_000]),
                ("french", [3_000_000, 1_500_000, 800_000], [96_000]),   // names match case-insensitively
                ("audioonly", [], [128_000, 96_000]),
                ("hd", [3_000_000], []),
                ("mobile;hd", [], []),                                    // intersection: nothing left
                ("mobile;french", [1_500_000, 800_000], []),
            ]
            for (filter, video, audio) in cases {
                for format in Self.manifestFormats {
                    let response = await get(responder, Self.manifestPath(format, filter: filter))
                    if video.isEmpty && audio.isEmpty {
                        #expect(response.status == 404 && bodyText(response).contains("leave no track"), "\(format) \(filter ?? "-")")
                        continue
                    }
                    #expect(response.status == 200, "\(format) \(filter ?? "-"): \(bodyText(response))")
                    // v3 muxes the default (first kept) audio and lists no renditions.
                    let expectedAudio = format == "m3u8-aapl-v3" ? Array(audio.prefix(1)) : audio
                    #expect(listedBitrates(bodyText(response)) == video.union(expectedAudio), "\(format) \(filter ?? "-") live: \(live)")
                    if let filter, format.hasPrefix("m3u8") {
                        // Child URIs carry the filter so that media playlists apply it too.
                        #expect(mediaPlaylists(bodyText(response)).allSatisfy { $0.uri.contains("filter=" + filter) })
                    }
                }
            }
        }
    }

    @Test func timeRangesTrimEveryFormatAlike() async throws {
        for (live, filter) in [(false, "trim"), (false, "late"), (true, "window"), (true, "backoff"), (true, "trim")] {
            let source = try await FilterMedia.source(live: live)
            let responder = OriginResponder(resolver: FilteringResolver(source: source), logger: quietLogger)
            let unfiltered = await source.presentation()
            let kept = PresentationFiltering.apply(namedFilters.filter { $0.name == filter }, to: unfiltered)
            for track in [kept.tracks[2], kept.tracks[3]] {  // 800 kbit/s video, English audio
                let expected = track.segments.map(\.startTime)
                let all = unfiltered.tracks.first { $0.track == track.track }!.segments.map(\.startTime)
                #expect(!expected.isEmpty && expected.count < all.count, "\(filter) trims \(track.track.name)")
                // HLS CMAF and one-fragment TS media playlists.
                for format in ["m3u8-cmaf", "m3u8-aapl"] {
                    let directory = "/loc/show.ism/QualityLevels(\(track.track.bitrate))/"
                    let playlist = bodyText(await get(responder, directory + "Manifest(\(track.track.name),format=\(format),filter=\(filter))"))
                    #expect(times(hlsSegments(playlist, directory: directory, bitrate: track.track.bitrate)) == expected, "\(format) \(filter)")
                    // Live, the first kept segment's number; on demand 0 (nothing reloads it).
                    let sequence = live ? track.segments[0].sequenceNumber : 0
                    #expect(playlist.contains("#EXT-X-MEDIA-SEQUENCE:\(sequence)\n"), "\(format) \(filter)")
                }
                // DASH (CMAF and CSF) and Smooth (both versions) templates.
                for format in ["mpd-time-cmaf", "mpd-time-csf"] {
                    let mpd = bodyText(await get(responder, Self.manifestPath(format, filter: filter)))
                    let listed = dashSegments(mpd, base: "/loc/show.ism/").filter { $0.bitrate == track.track.bitrate }
                    #expect(times(listed) == expected, "\(format) \(filter)")
                }
                for format in ["smooth", "fmp4-v20"] {
                    let manifest = bodyText(await get(responder, Self.manifestPath(format, filter: filter)))
                    let listed = smoothSegments(manifest, base: "/loc/show.ism/").filter { $0.bitrate == track.track.bitrate }
                    #expect(times(listed) == expected, "\(format) \(filter)")
                }
            }
            if live && filter == "window" {
                let mpd = bodyText(await get(responder, Self.manifestPath("mpd-time-cmaf", filter: filter)))
                #expect(mpd.contains("timeShiftBufferDepth=\"PT5S\""))
                let smooth = bodyText(await get(responder, Self.manifestPath("smooth", filter: filter)))
                #expect(smooth.contains("DVRWindowLength=\"\(5 * MediaTime.ticksPerSecond)\""))
            }
        }
    }

    @Test func unknownFiltersAndFiltersLeavingNothingAnswer404() async throws {
        let responder = OriginResponder(resolver: FilteringResolver(source: try await FilterMedia.source(live: false)), logger: quietLogger)
        for path in ["/loc/show.ism/manifest(format=m3u8-cmaf,filter=mobile;nosuch)", "/loc/show.ism/manifest(filter=nosuch)",
                     "/loc/show.ism/QualityLevels(800000)/Manifest(video,format=m3u8-aapl,filter=nosuch)",
                     "/loc/show.ism/QualityLevels(800000)/Fragments(video=\(FilterMedia.epoch * 90_000),format=m3u8-aapl-v3,filter=nosuch).ts"] {
            let response = await get(responder, path)
            #expect(response.status == 404, "\(path)")
            #expect(bodyText(response).contains("no filter named 'nosuch'"), "\(path): \(bodyText(response))")
        }
        // More than three filters is a bad request before any lookup.
        #expect(await get(responder, "/loc/show.ism/manifest(filter=a;b;c;d)").status == 400)
        let nothing = await get(responder, "/loc/show.ism/manifest(format=mpd-time-cmaf,filter=nothing)")
        #expect(nothing.status == 404 && bodyText(nothing).contains("leave no track of asset 'filtered'"))
        let after = await get(responder, "/loc/show.ism/manifest(format=m3u8-cmaf,filter=after)")
        #expect(after.status == 404 && bodyText(after).contains("leaves no fragment"))
        // A media playlist of a track the filters exclude.
        let excluded = await get(responder, "/loc/show.ism/QualityLevels(3000000)/Manifest(video,format=m3u8-cmaf,filter=mobile)")
        #expect(excluded.status == 404 && bodyText(excluded).contains("excluded by the filters 'mobile'"))
        // Fragments are not filtered: the excluded track's fragments are still served (shared, cacheable).
        let fragment = await get(responder, "/loc/show.ism/QualityLevels(3000000)/Fragments(video=\(FilterMedia.epoch * 90_000),format=m3u8-cmaf,filter=mobile).mp4")
        #expect(fragment.status == 200)
        let audio = await get(responder, "/loc/show.ism/QualityLevels(128000)/Fragments(audio_eng=\(FilterMedia.epoch * 48_000),format=m3u8-aapl-v3,filter=french).ts")
        #expect(audio.status == 200, "\(bodyText(audio))")
    }

    @Test func locatorFiltersAlwaysApplyAndCombineWithURLFilters() async throws {
        let no3000 = PresentationFilter(name: "locator-no-3000", trackSelections: [[condition(.bitrate, "3000000", .notEqual)]])
        let resolver = FilteringResolver(source: try await FilterMedia.source(live: true), always: [no3000])
        let responder = OriginResponder(resolver: resolver, logger: quietLogger)
        for format in Self.manifestFormats {
            let plain = bodyText(await get(responder, Self.manifestPath(format, filter: nil)))
            let expectedAudio = format == "m3u8-aapl-v3" ? [128_000] : [128_000, 96_000]
            #expect(listedBitrates(plain) == Set([1_500_000, 800_000] + expectedAudio), "\(format)")
            let french = bodyText(await get(responder, Self.manifestPath(format, filter: "french")))
            #expect(listedBitrates(french) == [1_500_000, 800_000, 96_000], "\(format)")
        }
        // The URL's filters cannot bring back what the locator's filters remove.
        let hd = await get(responder, Self.manifestPath("m3u8-cmaf", filter: "hd"))
        #expect(hd.status == 404 && bodyText(hd).contains("'locator-no-3000', 'hd'"))
        let media = await get(responder, "/loc/show.ism/QualityLevels(3000000)/Manifest(video,format=m3u8-cmaf)")
        #expect(media.status == 404 && bodyText(media).contains("excluded"))
        // Time ranges of locator and URL filters intersect too: backoff from the locator, window from the URL.
        let held = FilteringResolver(source: try await FilterMedia.source(live: true), always: namedFilters.filter { $0.name == "backoff" })
        let both = OriginResponder(resolver: held, logger: quietLogger)
        let playlist = bodyText(await get(both, "/loc/show.ism/QualityLevels(800000)/Manifest(video,format=m3u8-cmaf,filter=window)"))
        let presentation = await held.source.presentation()
        let expected = PresentationFiltering.apply(namedFilters.filter { $0.name == "backoff" || $0.name == "window" }, to: presentation)
        #expect(times(hlsSegments(playlist, directory: "", bitrate: 800_000)) == expected.tracks[2].segments.map(\.startTime))
        // 12 s: the window keeps fragments ending after 7 s, the backoff those ending by 9 s.
        #expect(segmentURIs(playlist).count == 1)
    }

    @Test func firstQualityLeadsTheMultivariantPlaylist() async throws {
        let responder = OriginResponder(resolver: FilteringResolver(source: try await FilterMedia.source(live: false)), logger: quietLogger)
        for format in ["m3u8-aapl", "m3u8-aapl-v3", "m3u8-cmaf"] {
            let master = bodyText(await get(responder, Self.manifestPath(format, filter: "first1500")))
            let variants = segmentURIs(master).compactMap { matches(#"QualityLevels\((\d+)\)"#, $0).first }
            #expect(variants.prefix(3) == ["1500000", "3000000", "800000"], "\(format)")
            // Combined with a filter that removes it, the nearest quality leads.
            let nearest = bodyText(await get(responder, Self.manifestPath(format, filter: "hd;first1500")))
            #expect(segmentURIs(nearest).first?.hasPrefix("QualityLevels(3000000)") == true, "\(format)")
        }
    }

    @Test func everySegmentAFilteredManifestListsIsServedAndDecodes() async throws {
        let source = try await FilterMedia.source(live: false)
        // Two fragments per TS segment: "late" starts in the middle of the 4…8 s TS segment.
        let responder = OriginResponder(resolver: FilteringResolver(source: source, fragmentsPerTSSegment: 2), logger: quietLogger)
        let base = "/loc/show.ism/"
        for (format, filter) in [("m3u8-aapl", "mobile;late"), ("m3u8-aapl-v3", "french;late"), ("m3u8-cmaf", "mobile;trim")] {
            let master = bodyText(await get(responder, Self.manifestPath(format, filter: filter)))
            let playlists = mediaPlaylists(master)
            #expect(!playlists.isEmpty)
            for (uri, bitrate) in playlists {
                let playlist = await get(responder, base + uri)
                #expect(playlist.status == 200, "\(uri): \(bodyText(playlist))")
                let directory = base + "QualityLevels(\(bitrate))/"
                let listed = hlsSegments(bodyText(playlist), directory: directory, bitrate: bitrate)
                #expect(!listed.isEmpty, "\(uri)")
                var bytes: [UInt8] = []
                if let map = listed.first?.initPath {
                    let initSegment = await get(responder, map)
                    #expect(initSegment.status == 200, "\(map)")
                    bytes += bodyBytes(initSegment)
                }
                for segment in listed {
                    let response = await get(responder, segment.path)
                    #expect(response.status == 200, "\(segment.path): \(bodyText(response))")
                    bytes += bodyBytes(response)
                }
                let seconds = matches(#"#EXTINF:([0-9.]+),"#, bodyText(playlist)).compactMap(Double.init).reduce(0, +)
                let keyframesOnly = uri.contains("type=keyframes")
                let streams = try FilterMedia.decode(bytes, suffix: format == "m3u8-cmaf" ? ".mp4" : ".ts")
                if keyframesOnly {
                    #expect(streams["video"]?.frames == listed.count, "\(uri)")
                } else if let video = streams["video"] {
                    #expect(video.codec == "h264" && abs(Double(video.frames) - seconds * 30) <= 1, "\(uri): \(video.frames) frames in \(seconds) s")
                }
                if uri.contains("Manifest(video") && format == "m3u8-aapl" && !keyframesOnly {
                    // "late" keeps the whole TS segment 4…8 s although its first fragment ends before 7 s.
                    #expect(times(listed).first == (FilterMedia.epoch + 4) * 90_000, "\(uri)")
                    #expect(streams["audio"] == nil)
                }
                if format == "m3u8-aapl-v3" && !keyframesOnly {
                    // The muxed (or audio-only) audio is the French mono track the filter kept.
                    #expect(streams["audio"]?.codec == "aac" && streams["audio"]?.channels == 1, "\(uri)")
                }
                if format == "m3u8-aapl" && uri.contains("audio_eng") {
                    #expect(streams["audio"]?.channels == 2 && streams["video"] == nil)
                }
            }
        }
        // DASH and Smooth: every template expansion is served; per representation, init + fragments decode.
        for (format, filter) in [("mpd-time-cmaf", "mobile;trim"), ("mpd-time-csf", "french;late"), ("smooth", "mobile;trim"), ("fmp4-v20", "audioonly;late")] {
            let manifest = bodyText(await get(responder, Self.manifestPath(format, filter: filter)))
            let listed = format.hasPrefix("mpd") ? dashSegments(manifest, base: base) : smoothSegments(manifest, base: base)
            let bitrates = Set(listed.map(\.bitrate))
            #expect(bitrates == listedBitrates(manifest), "\(format)")
            for bitrate in bitrates {
                let segments = listed.filter { $0.bitrate == bitrate }
                let initSegment = await get(responder, try #require(segments.first?.initPath))
                #expect(initSegment.status == 200)
                var bytes = bodyBytes(initSegment)
                for segment in segments {
                    let response = await get(responder, segment.path)
                    #expect(response.status == 200, "\(segment.path): \(bodyText(response))")
                    bytes += bodyBytes(response)
                }
                let streams = try FilterMedia.decode(bytes, suffix: ".mp4")
                let frames = streams["video"]?.frames ?? streams["audio"]?.frames ?? 0
                if streams["video"] != nil {
                    #expect(frames == 30 * 2 * segments.count, "\(format) \(bitrate)")
                } else {
                    #expect(streams["audio"]?.codec == "aac" && frames >= 90 * segments.count, "\(format) \(bitrate)")
                }
            }
        }
    }
}
