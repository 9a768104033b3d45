// Dynamic filters applied to presentations: every track property and operation, AND/OR/intersection, language
// mapping, each presentation time range field live and on demand, timescale conversion, combinations, first quality,
// window duration, sequence numbers and TS segment alignment.

import Foundation
import Media
import Testing
@testable import Packaging

private enum F {
    static let second: Int64 = 10_000_000
    /// 2023-11-14T22:13:20Z in seconds.
    static let epoch: Int64 = 1_700_000_000
    /// Filter times are in 10 MHz ticks by default.
    static func at(_ seconds: Int64) -> Int64 { (epoch + seconds) * second }

    static func avc(_ width: Int, _ height: Int, profile: UInt8) -> CodecConfiguration {
        .avc(AVCConfiguration(record: [1, profile, 0, 0x1F, 0xFF, 0xE1], profileIndication: profile, profileCompatibility: 0,
                              levelIndication: 0x1F, nalUnitLengthSize: 4, sequenceParameterSets: [], pictureParameterSets: [],
                              width: width, height: height, frameRate: 30))
    }
    static let aac = CodecConfiguration.aac(AudioSpecificConfig(bytes: [0x11, 0x90], objectType: 2, sampleRate: 48_000, channelCount: 2))
    static let hevc = CodecConfiguration.hevc(HEVCConfiguration(
        record: [1], generalProfileSpace: 0, generalTierFlag: false, generalProfileIDC: 1, generalProfileCompatibilityFlags: 0x6000_0000,
        generalConstraintIndicatorFlags: 0x9000_0000_0000, generalLevelIDC: 93, nalUnitLengthSize: 4, width: 1920, height: 1080))

    // Video at 90 kHz, audio at 48 kHz: filters in 10 MHz ticks must be converted to each.
    static let v720 = TrackInfo(trackID: 1, kind: .video, name: "video", timescale: 90_000, codec: avc(1280, 720, profile: 0x64), bitrate: 3_000_000)
    static let v540 = TrackInfo(trackID: 2, kind: .video, name: "video", timescale: 90_000, codec: avc(960, 540, profile: 0x4D), bitrate: 1_800_000)
    static let v360 = TrackInfo(trackID: 3, kind: .video, name: "video", timescale: 90_000, codec: avc(640, 360, profile: 0x42), bitrate: 1_000_000)
    static let english = TrackInfo(trackID: 4, kind: .audio, name: "audio_eng", timescale: 48_000, codec: aac, bitrate: 128_000, language: "eng")
    static let french = TrackInfo(trackID: 5, kind: .audio, name: "audio_fra", timescale: 48_000, codec: aac, bitrate: 96_000, language: "fra")

    /// Ten 2 s fragments from the epoch, sequence numbers from `firstSequence`, discontinuities before the given indices.
    static func segments(_ track: TrackInfo, firstSequence: Int = 50, discontinuities: Set<Int> = [3, 7]) -> [TimelineSegment] {
        let scale = Int64(track.timescale)
        return (0..<10).map { index in
            TimelineSegment(startTime: (epoch + 2 * Int64(index)) * scale, duration: 2 * scale, sequenceNumber: firstSequence + index,
                            discontinuity: discontinuities.contains(index))
        }
    }

    /// Three video qualities and two audio languages, 0…20 s; live with a 30 s window, or on demand.
    static func presentation(live: Bool, firstSequence: Int = 50, discontinuities: Set<Int> = [3, 7]) -> Presentation {
        Presentation(tracks: [v360, v720, english, v540, french].map {
            TrackTimeline(track: $0, segments: segments($0, firstSequence: firstSequence, discontinuities: discontinuities), discontinuitySequence: 2)
        }, isLive: live, windowDuration: live ? 30 * second : nil, nominalFragmentDuration: 2)
    }

    static func condition(_ property: TrackCondition.Property, _ value: String, _ operation: TrackCondition.Operation = .equal) -> TrackCondition {
        TrackCondition(property: property, operation: operation, value: value)
    }

    static func tracks(_ filters: [PresentationFilter], _ presentation: Presentation = presentation(live: false)) -> [Int] {
        PresentationFiltering.apply(filters, to: presentation).tracks.map { Int($0.track.trackID) }
    }

    static func selecting(_ conditions: [TrackCondition]...) -> PresentationFilter {
        PresentationFilter(name: "f", trackSelections: conditions)
    }

    static func timed(_ range: FilterTimeRange, name: String = "t") -> PresentationFilter {
        PresentationFilter(name: name, timeRange: range)
    }

    /// Start times in seconds after the epoch of every track's kept fragments (one list when all tracks agree).
    static func starts(_ presentation: Presentation) -> [Int64] {
        let lists = presentation.tracks.map { timeline in
            timeline.segments.map { $0.startTime / Int64(timeline.track.timescale) - epoch }
        }
        #expect(Set(lists).count == 1, "tracks disagree: \(lists)")
        return lists.first ?? []
    }
}

@Suite struct PresentationFilteringTests {
    // MARK: - Track properties

    @Test func typeAndNameAreCaseInsensitive() {
        #expect(F.tracks([F.selecting([F.condition(.type, "Audio")])]) == [4, 5])
        #expect(F.tracks([F.selecting([F.condition(.type, "VIDEO")])]) == [3, 1, 2])
        #expect(F.tracks([F.selecting([F.condition(.type, "video", .notEqual)])]) == [4, 5])
        #expect(F.tracks([F.selecting([F.condition(.type, "text")])]) == [])
        #expect(F.tracks([F.selecting([F.condition(.name, "AUDIO_FRA")])]) == [5])
        #expect(F.tracks([F.selecting([F.condition(.name, "audio_fra", .notEqual)])]) == [3, 1, 4, 2])
        #expect(F.tracks([F.selecting([F.condition(.name, "audio")])]) == [])
    }

    @Test func languageComparesPrimarySubtagsAcrossRFC5646AndISO639() {
        for tag in ["en", "EN", "en-US", "en_GB", "eng", "ENG-latn"] {
            #expect(F.tracks([F.selecting([F.condition(.language, tag)])]) == [4], "\(tag)")
        }
        #expect(F.tracks([F.selecting([F.condition(.language, "fr-CA")])]) == [5])
        #expect(F.tracks([F.selecting([F.condition(.language, "fre")])]) == [5])  // ISO 639-2/B
        #expect(F.tracks([F.selecting([F.condition(.language, "de")])]) == [])
        // Video has no language (und): NotEqual en keeps it with the French audio.
        #expect(F.tracks([F.selecting([F.condition(.language, "en", .notEqual)])]) == [3, 1, 2, 5])
        #expect(F.tracks([F.selecting([F.condition(.language, "und")])]) == [3, 1, 2])
        #expect(LanguageCode.primary("zh-Hans-CN") == "zho" && LanguageCode.primary("ger") == "deu"
                && LanguageCode.primary("pt-BR") == "por" && LanguageCode.primary("ja") == "jpn")
    }

    @Test func fourCCIsTheSampleEntryOrTheFirstCodecsElement() {
        #expect(F.tracks([F.selecting([F.condition(.fourCC, "avc1")])]) == [3, 1, 2])
        #expect(F.tracks([F.selecting([F.condition(.fourCC, "MP4A")])]) == [4, 5])
        #expect(F.tracks([F.selecting([F.condition(.fourCC, "avc1", .notEqual)])]) == [4, 5])
        #expect(F.tracks([F.selecting([F.condition(.fourCC, "ec-3")])]) == [])
        var presentation = F.presentation(live: false)
        let hevc = TrackInfo(trackID: 9, kind: .video, name: "hevc", timescale: 90_000, codec: F.hevc, bitrate: 4_000_000)
        presentation.tracks.append(TrackTimeline(track: hevc, segments: F.segments(hevc)))
        #expect(F.tracks([F.selecting([F.condition(.fourCC, "hvc1")])], presentation) == [9])
        #expect(F.tracks([F.selecting([F.condition(.fourCC, "hev1")])], presentation) == [])  // another sample entry
    }

    @Test func bitrateIsExactOrAnInclusiveRange() {
        #expect(F.tracks([F.selecting([F.condition(.bitrate, "1800000")])]) == [2])
        #expect(F.tracks([F.selecting([F.condition(.bitrate, "0-1500000")])]) == [3, 4, 5])
        #expect(F.tracks([F.selecting([F.condition(.bitrate, "1000000-1800000")])]) == [3, 2])  // both ends inclusive
        #expect(F.tracks([F.selecting([F.condition(.bitrate, " 96000 - 128000 ")])]) == [4, 5])
        #expect(F.tracks([F.selecting([F.condition(.bitrate, "0-1500000", .notEqual)])]) == [1, 2])
        // Unreadable values and Unknown never match, whatever the operation.
        for value in ["abc", "3000000-1000000", "1-2-3", "", "-5"] {
            #expect(F.tracks([F.selecting([F.condition(.bitrate, value)])]) == [], "\(value)")
            #expect(F.tracks([F.selecting([F.condition(.bitrate, value, .notEqual)])]) == [], "\(value)")
        }
        #expect(F.tracks([F.selecting([F.condition(.unknown, "video")])]) == [])
        #expect(F.tracks([F.selecting([F.condition(.unknown, "video", .notEqual)])]) == [])
    }

    @Test func conditionsAreAndedSelectionsOredFiltersIntersected() {
        // (video AND ≤ 2 Mbit/s) OR (audio AND English).
        let device = F.selecting([F.condition(.type, "video"), F.condition(.bitrate, "0-2000000")],
                                 [F.condition(.type, "audio"), F.condition(.language, "en")])
        #expect(F.tracks([device]) == [3, 4, 2])
        // Intersection with a second filter keeping video only.
        #expect(F.tracks([device, F.selecting([F.condition(.type, "video")])]) == [3, 2])
        // A filter without selections keeps every track; one that matches nothing leaves none.
        #expect(F.tracks([PresentationFilter(name: "empty")]) == [3, 1, 4, 2, 5])
        #expect(F.tracks([device, F.selecting([F.condition(.type, "text")])]) == [])
        // Order of filters does not matter for tracks.
        #expect(F.tracks([F.selecting([F.condition(.type, "video")]), device]) == [3, 2])
    }

    // MARK: - Time range, on demand

    @Test func onDemandStartKeepsTheStraddlingFragmentWhole() {
        let vod = F.presentation(live: false)
        // 5 s falls inside the 4…6 s fragment: it is kept whole.
        var kept = PresentationFiltering.apply([F.timed(FilterTimeRange(startTimestamp: F.at(5)))], to: vod)
        #expect(F.starts(kept) == [4, 6, 8, 10, 12, 14, 16, 18])
        #expect(kept.tracks.allSatisfy { $0.segments.first?.sequenceNumber == 52 && $0.discontinuitySequence == 2 })
        // Exactly on a boundary: the fragment ending there is not after it.
        kept = PresentationFiltering.apply([F.timed(FilterTimeRange(startTimestamp: F.at(6)))], to: vod)
        #expect(F.starts(kept) == [6, 8, 10, 12, 14, 16, 18])
        // The first kept fragment keeps its own discontinuity; the one trimmed off before 8 s is counted.
        #expect(kept.tracks[0].segments[0].discontinuity && kept.tracks[0].discontinuitySequence == 2)
        kept = PresentationFiltering.apply([F.timed(FilterTimeRange(startTimestamp: F.at(9)))], to: vod)
        #expect(F.starts(kept) == [8, 10, 12, 14, 16, 18])
        #expect(kept.tracks.allSatisfy { $0.discontinuitySequence == 3 && $0.segments.first?.sequenceNumber == 54 })
        #expect(kept.windowDuration == nil && !kept.isLive)
    }

    @Test func onDemandEndKeepsFragmentsStartingBeforeIt() {
        let vod = F.presentation(live: false)
        #expect(F.starts(PresentationFiltering.apply([F.timed(FilterTimeRange(endTimestamp: F.at(7)))], to: vod)) == [0, 2, 4, 6])
        #expect(F.starts(PresentationFiltering.apply([F.timed(FilterTimeRange(endTimestamp: F.at(8)))], to: vod)) == [0, 2, 4, 6])
        let clip = PresentationFiltering.apply([F.timed(FilterTimeRange(startTimestamp: F.at(5), endTimestamp: F.at(11)))], to: vod)
        #expect(F.starts(clip) == [4, 6, 8, 10])
        // forceEndTimestamp changes nothing on demand; live-only fields are ignored.
        let ignored = FilterTimeRange(endTimestamp: F.at(7), presentationWindowDuration: 2 * F.second, liveBackoffDuration: 10 * F.second,
                                      forceEndTimestamp: false)
        #expect(F.starts(PresentationFiltering.apply([F.timed(ignored)], to: vod)) == [0, 2, 4, 6])
        // A range outside the content leaves tracks without fragments.
        let none = PresentationFiltering.apply([F.timed(FilterTimeRange(startTimestamp: F.at(100)))], to: vod)
        #expect(none.tracks.count == 5 && none.tracks.allSatisfy(\.segments.isEmpty))
    }

    // MARK: - Time range, live

    @Test func liveEndAppliesOnlyWhenForced() {
        let live = F.presentation(live: true)
        #expect(F.starts(PresentationFiltering.apply([F.timed(FilterTimeRange(endTimestamp: F.at(7)))], to: live)).count == 10)
        let forced = FilterTimeRange(endTimestamp: F.at(7), forceEndTimestamp: true)
        #expect(F.starts(PresentationFiltering.apply([F.timed(forced)], to: live)) == [0, 2, 4, 6])
        // Start applies live too.
        #expect(F.starts(PresentationFiltering.apply([F.timed(FilterTimeRange(startTimestamp: F.at(15)))], to: live)) == [14, 16, 18])
    }

    @Test func liveWindowCountsBackFromTheNewestEnd() {
        let live = F.presentation(live: true)
        // Edge 20 s, 5 s window: fragments ending after 15 s.
        let kept = PresentationFiltering.apply([F.timed(FilterTimeRange(presentationWindowDuration: 5 * F.second))], to: live)
        #expect(F.starts(kept) == [14, 16, 18])
        #expect(kept.windowDuration == 5 * F.second)
        #expect(kept.tracks.allSatisfy { $0.segments.first?.sequenceNumber == 57 && $0.discontinuitySequence == 3 })
        // A window longer than the source's keeps the source's window length.
        let wide = PresentationFiltering.apply([F.timed(FilterTimeRange(presentationWindowDuration: 60 * F.second))], to: live)
        #expect(F.starts(wide).count == 10 && wide.windowDuration == 30 * F.second)
        // Int64.max means unbounded, whatever the timescale.
        let unbounded = FilterTimeRange(presentationWindowDuration: .max, liveBackoffDuration: 0, timescale: 1000)
        #expect(F.starts(PresentationFiltering.apply([F.timed(unbounded)], to: live)).count == 10)
        // A live start shrinks the advertised window to what is left.
        let started = PresentationFiltering.apply([F.timed(FilterTimeRange(startTimestamp: F.at(12)))], to: live)
        #expect(started.windowDuration == 8 * F.second && F.starts(started) == [12, 14, 16, 18])
    }

    @Test func liveBackoffHoldsTheEdgeBackAndIntersectsTheWindow() {
        let live = F.presentation(live: true)
        // 3 s backoff: fragments ending after 17 s are held back.
        let held = PresentationFiltering.apply([F.timed(FilterTimeRange(liveBackoffDuration: 3 * F.second))], to: live)
        #expect(F.starts(held) == [0, 2, 4, 6, 8, 10, 12, 14])
        #expect(held.windowDuration == 30 * F.second)
        // The ranges intersect: a 5 s window from the edge (ending after 15 s) and the 3 s backoff (ending by 17 s).
        let both = FilterTimeRange(presentationWindowDuration: 5 * F.second, liveBackoffDuration: 3 * F.second)
        #expect(F.starts(PresentationFiltering.apply([F.timed(both)], to: live)) == [14])
        let wider = FilterTimeRange(presentationWindowDuration: 9 * F.second, liveBackoffDuration: 3 * F.second)
        #expect(F.starts(PresentationFiltering.apply([F.timed(wider)], to: live)) == [10, 12, 14])
        // The newest end is over all kept tracks: audio running 1 s ahead moves the edge for video too.
        var ahead = live
        for index in ahead.tracks.indices where ahead.tracks[index].track.kind == .audio {
            ahead.tracks[index].segments.append(TimelineSegment(startTime: (F.epoch + 20) * 48_000, duration: 48_000, sequenceNumber: 60))
        }
        let video = PresentationFiltering.apply([F.timed(FilterTimeRange(liveBackoffDuration: 3 * F.second))], to: ahead).tracks[0]
        #expect(video.segments.last?.startTime == (F.epoch + 16) * 90_000)
    }

    // MARK: - Timescales and combinations

    @Test func timesAreConvertedExactlyToEachTrackTimescale() {
        let vod = F.presentation(live: false)
        // 5 s in milliseconds and in 90 kHz ticks give what 5 s in 10 MHz ticks gives.
        for (value, scale) in [((F.epoch + 5) * 1000, Int64(1000)), ((F.epoch + 5) * 90_000, 90_000)] {
            let range = FilterTimeRange(startTimestamp: value, timescale: scale)
            #expect(F.starts(PresentationFiltering.apply([F.timed(range)], to: vod)) == [4, 6, 8, 10, 12, 14, 16, 18])
        }
        // 100 ns after 4 s is less than half a 48 kHz tick: nearest rounding would lose the fragment starting at 4 s.
        let end = FilterTimeRange(endTimestamp: F.at(4) + 1)
        #expect(F.starts(PresentationFiltering.apply([F.timed(end)], to: vod)) == [0, 2, 4])
        // 100 ns before 4 s: the fragment ending at 4 s ends after it.
        let start = FilterTimeRange(startTimestamp: F.at(4) - 1)
        #expect(F.starts(PresentationFiltering.apply([F.timed(start)], to: vod)).first == 2)
        // A non-positive timescale falls back to 10 MHz.
        #expect(FilterTimeRange(timescale: 0).effectiveTimescale == 10_000_000)
        #expect(PresentationFiltering.rescale(-7, from: 2, to: 1, roundingUp: false) == -4)
        #expect(PresentationFiltering.rescale(-7, from: 2, to: 1, roundingUp: true) == -3)
        #expect(PresentationFiltering.rescale(.max, from: 1000, to: 10_000_000, roundingUp: false) == .max)
    }

    @Test func severalFiltersCombineToTheMostRestrictive() {
        let vod = F.presentation(live: false)
        // Latest start and earliest end, whatever their timescales.
        let a = F.timed(FilterTimeRange(startTimestamp: (F.epoch + 3) * 1000, endTimestamp: (F.epoch + 15) * 1000, timescale: 1000), name: "a")
        let b = F.timed(FilterTimeRange(startTimestamp: F.at(5), endTimestamp: F.at(11)), name: "b")
        #expect(F.starts(PresentationFiltering.apply([a, b], to: vod)) == [4, 6, 8, 10])
        #expect(F.starts(PresentationFiltering.apply([b, a], to: vod)) == [4, 6, 8, 10])
        // Live: the smallest window and the largest backoff.
        let live = F.presentation(live: true)
        let c = F.timed(FilterTimeRange(presentationWindowDuration: 11_000, liveBackoffDuration: 1000, timescale: 1000), name: "c")
        let d = F.timed(FilterTimeRange(presentationWindowDuration: 9 * F.second, liveBackoffDuration: 3 * F.second), name: "d")
        let kept = PresentationFiltering.apply([c, d], to: live)
        #expect(F.starts(kept) == [10, 12, 14])
        #expect(kept.windowDuration == 9 * F.second)
        // Tracks and time combine: English audio only, from 15 s.
        let english = F.selecting([F.condition(.language, "en")])
        let both = PresentationFiltering.apply([english, F.timed(FilterTimeRange(startTimestamp: F.at(15)))], to: live)
        #expect(both.tracks.map(\.track.trackID) == [4] && F.starts(both) == [14, 16, 18])
    }

    @Test func playlistsKeepSequenceNumbersAndCountTrimmedDiscontinuities() {
        let live = F.presentation(live: true)
        let kept = PresentationFiltering.apply([F.timed(FilterTimeRange(presentationWindowDuration: 3 * F.second))], to: live)
        let timeline = kept.tracks[0]
        let playlist = HLSBuilder.mediaPlaylist(kept, track: timeline, options: ManifestOptions(format: .hlsCMAF, filters: ["t"]))
        // Two discontinuities before 16 s were trimmed off a window that had counted two already.
        #expect(playlist.contains("#EXT-X-MEDIA-SEQUENCE:58\n"))
        #expect(playlist.contains("#EXT-X-DISCONTINUITY-SEQUENCE:4\n"))
        #expect(!playlist.contains("#EXT-X-DISCONTINUITY\n"))
        #expect(playlist.components(separatedBy: "#EXTINF:").count - 1 == 2)
        #expect(playlist.contains("Fragments(video=\((F.epoch + 16) * 90_000),format=m3u8-cmaf,filter=t).mp4"))
        let mpd = DASHBuilder.mpd(kept, options: ManifestOptions(format: .dashCMAF), now: Date(timeIntervalSince1970: Double(F.epoch + 20)),
                                  utcTimingURL: nil)
        #expect(mpd.contains("timeShiftBufferDepth=\"PT3S\""))
        let smooth = SmoothBuilder.manifest(kept, options: ManifestOptions())
        #expect(smooth.contains("DVRWindowLength=\"\(3 * F.second)\""))
    }

    // MARK: - First quality

    @Test func firstQualityMovesTheNearestVideoToTheFrontOfTheMultivariantPlaylist() {
        let video = [F.v720, F.v540, F.v360]
        #expect(PresentationFiltering.placingFirst(1_800_000, in: video).map(\.bitrate) == [1_800_000, 3_000_000, 1_000_000])
        #expect(PresentationFiltering.placingFirst(1_100_000, in: video).map(\.bitrate) == [1_000_000, 3_000_000, 1_800_000])
        #expect(PresentationFiltering.placingFirst(nil, in: video) == video)
        #expect(PresentationFiltering.placingFirst(5, in: []) == [])
        let filters = [PresentationFilter(name: "a", firstQualityBitrate: 1_000_000), PresentationFilter(name: "b"),
                       PresentationFilter(name: "c", firstQualityBitrate: 1_800_000), PresentationFilter(name: "d")]
        #expect(PresentationFiltering.firstQualityBitrate(filters) == 1_800_000)
        #expect(PresentationFiltering.firstQualityBitrate([PresentationFilter(name: "x")]) == nil)

        let presentation = F.presentation(live: true)
        func variants(_ first: Int?) -> [String] {
            var options = ManifestOptions(format: .hlsV4)
            options.firstQualityBitrate = first
            return HLSBuilder.multivariantPlaylist(presentation, options: options).split(separator: "\n")
                .filter { $0.hasPrefix("QualityLevels(") }.map { String($0.prefix { $0 != "/" }) }
        }
        // Highest first by default; the first quality then leads, the rest keep their order; audio-only stays last.
        #expect(variants(nil) == ["QualityLevels(3000000)", "QualityLevels(1800000)", "QualityLevels(1000000)", "QualityLevels(128000)"])
        #expect(variants(1_000_000) == ["QualityLevels(1000000)", "QualityLevels(3000000)", "QualityLevels(1800000)", "QualityLevels(128000)"])
        #expect(variants(2_000_000) == ["QualityLevels(1800000)", "QualityLevels(3000000)", "QualityLevels(1000000)", "QualityLevels(128000)"])
    }

    // MARK: - MPEG-TS segments

    @Test func transportStreamPlaylistsKeepWholeSegmentsOfTheUnfilteredGrouping() {
        // Sequence numbers 1…10, three fragments per TS segment: groups 1–3, 4–6, 7–9, 10.
        let vod = F.presentation(live: false, firstSequence: 1, discontinuities: [])
        let options = ManifestOptions(format: .hlsV4, filters: ["t"], fragmentsPerTSSegment: 3)
        let range = F.timed(FilterTimeRange(startTimestamp: F.at(9), endTimestamp: F.at(13)))
        let unfiltered = HLSBuilder.tsSegments(vod, track: vod.tracks[0], options: options).segments
        let kept = PresentationFiltering.apply([range], to: vod, options: options)
        let listed = HLSBuilder.tsSegments(kept, track: kept.tracks[0], options: options).segments
        // 9 s is inside 6…12 s and 13 s inside 12…18 s: both kept whole, exactly as the unfiltered origin groups them.
        #expect(listed.map { $0.startTime / 90_000 - F.epoch } == [6, 12])
        for segment in listed {
            #expect(unfiltered.contains { $0.startTime == segment.startTime && $0.endTime == segment.endTime
                                          && $0.mediaSequence == segment.mediaSequence })
        }
        // CMAF keeps fragments: 8…12 s.
        #expect(F.starts(PresentationFiltering.apply([range], to: vod, options: ManifestOptions(format: .hlsCMAF))) == [8, 10, 12])

        // Live: a backoff never lists a TS segment that ends inside the held-back time.
        let live = F.presentation(live: true, firstSequence: 1, discontinuities: [])
        let held = PresentationFiltering.apply([F.timed(FilterTimeRange(liveBackoffDuration: 3 * F.second))], to: live, options: options)
        let heldSegments = HLSBuilder.tsSegments(held, track: held.tracks[0], options: options).segments
        #expect(heldSegments.map { $0.startTime / 90_000 - F.epoch } == [0, 6])
        #expect(heldSegments.map(\.mediaSequence) == [1, 2])
        // A window starting mid-segment keeps that segment whole.
        let window = PresentationFiltering.apply([F.timed(FilterTimeRange(presentationWindowDuration: 9 * F.second))], to: live, options: options)
        #expect(HLSBuilder.tsSegments(window, track: window.tracks[0], options: options).segments.map { $0.startTime / 90_000 - F.epoch } == [6, 12])
    }

    @Test func noFiltersChangeNothing() {
        let live = F.presentation(live: true)
        #expect(PresentationFiltering.apply([], to: live) == live)
        #expect(PresentationFiltering.apply([PresentationFilter(name: "noop")], to: live) == live)
        #expect(PresentationFiltering.apply([F.timed(FilterTimeRange())], to: live) == live)
    }
}
