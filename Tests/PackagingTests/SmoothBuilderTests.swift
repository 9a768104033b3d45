// Golden-text tests for the Smooth Streaming client manifests (no format: Smooth 2.2; `fmp4-v20`: Smooth 2.0).

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Media
import Testing
@testable import Packaging

@Suite struct SmoothBuilderTests {
    /// The live fixture with a real H.264 configuration, so CodecPrivateData carries SPS and PPS.
    func live() throws -> Presentation {
        var presentation = Fixtures.live
        presentation.tracks[0].track = try TSVectors.video()
        return presentation
    }

    /// Start code, the SPS, start code, the PPS of the avcC record, in upper-case hex.
    static let codecPrivateData = "00000001" + "6764001FACD9405005BB0110000003001000000303C0F1831960" + "00000001" + "68EBE3CB22C0"

    @Test func liveSmooth22() throws {
        let text = SmoothBuilder.manifest(try live(), options: ManifestOptions())
        #expect(text == """
            <?xml version="1.0" encoding="UTF-8"?>
            <SmoothStreamingMedia MajorVersion="2" MinorVersion="2" TimeScale="10000000" Duration="0" IsLive="TRUE" LookAheadFragmentCount="2" DVRWindowLength="300000000">
              <StreamIndex Type="video" Name="video" Chunks="5" QualityLevels="1" Url="QualityLevels({bitrate})/Fragments(video={start time})" MaxWidth="1280" MaxHeight="720" DisplayWidth="1280" DisplayHeight="720">
                <QualityLevel Index="0" Bitrate="3000000" FourCC="H264" MaxWidth="1280" MaxHeight="720" CodecPrivateData="\(Self.codecPrivateData)"/>
                <c t="17000000000000000" d="20000000" r="3"/>
                <c t="17000000100000000" d="20000000"/>
                <c d="24000000"/>
              </StreamIndex>
              <StreamIndex Type="audio" Name="audio" Language="eng" Chunks="5" QualityLevels="1" Url="QualityLevels({bitrate})/Fragments(audio={start time})">
                <QualityLevel Index="0" Bitrate="128000" FourCC="AACL" SamplingRate="48000" Channels="2" BitsPerSample="16" PacketSize="4" AudioTag="255" CodecPrivateData="1190"/>
                <c t="17000000000000000" d="20000000" r="3"/>
                <c t="17000000100000000" d="20000000" r="2"/>
              </StreamIndex>
            </SmoothStreamingMedia>

            """)
    }

    @Test func vodFMP4V20ListsEveryChunkAndCarriesFilters() throws {
        var presentation = Fixtures.vod
        presentation.tracks[0].track = try TSVectors.video()
        let text = SmoothBuilder.manifest(presentation, options: ManifestOptions(format: .fmp4v20, filters: ["trim"]))
        #expect(text == """
            <?xml version="1.0" encoding="UTF-8"?>
            <SmoothStreamingMedia MajorVersion="2" MinorVersion="0" TimeScale="10000000" Duration="56000000">
              <StreamIndex Type="video" Name="video" Chunks="3" QualityLevels="1" Url="QualityLevels({bitrate})/Fragments(video={start time},filter=trim)" MaxWidth="1280" MaxHeight="720" DisplayWidth="1280" DisplayHeight="720">
                <QualityLevel Index="0" Bitrate="3000000" FourCC="H264" MaxWidth="1280" MaxHeight="720" CodecPrivateData="\(Self.codecPrivateData)"/>
                <c t="17000000000000000" d="20000000"/>
                <c d="20000000"/>
                <c d="16000000"/>
              </StreamIndex>
              <StreamIndex Type="audio" Name="audio" Language="eng" Chunks="3" QualityLevels="1" Url="QualityLevels({bitrate})/Fragments(audio={start time},filter=trim)">
                <QualityLevel Index="0" Bitrate="128000" FourCC="AACL" SamplingRate="48000" Channels="2" BitsPerSample="16" PacketSize="4" AudioTag="255" CodecPrivateData="1190"/>
                <c t="17000000000200000" d="19800000"/>
                <c d="20000000"/>
                <c d="16000000"/>
              </StreamIndex>
            </SmoothStreamingMedia>

            """)
    }

    @Test func aLadderIsOneStreamIndexAndOtherTimescalesAreDeclared() throws {
        // Two `video` renditions and 90 kHz / 48 kHz tracks, as a live encoding event may produce.
        let second: Int64 = 90_000
        let segments = (0..<3).map { TimelineSegment(startTime: 1_000 * second + Int64($0) * 2 * second, duration: 2 * second, sequenceNumber: $0 + 1) }
        let high = try TSVectors.video(timescale: 90_000)
        var low = high
        low.trackID = 3
        low.bitrate = 800_000
        let audio = TSVectors.audio()
        let audioSegments = (0..<3).map { TimelineSegment(startTime: 48_000_000 + Int64($0) * 96_000, duration: 96_000, sequenceNumber: $0 + 1) }
        let presentation = Presentation(tracks: [TrackTimeline(track: low, segments: segments), TrackTimeline(track: high, segments: segments),
                                                 TrackTimeline(track: audio, segments: audioSegments)],
                                        isLive: false, windowDuration: nil, nominalFragmentDuration: 2)
        let text = SmoothBuilder.manifest(presentation, options: ManifestOptions())
        let document = try XMLDocument(xmlString: text, options: [])
        let indexes = try document.nodes(forXPath: "//StreamIndex").compactMap { $0 as? XMLElement }
        #expect(indexes.count == 2)
        #expect(indexes[0].attribute(forName: "QualityLevels")?.stringValue == "2")
        #expect(indexes[0].attribute(forName: "TimeScale")?.stringValue == "90000")
        #expect(indexes[1].attribute(forName: "TimeScale")?.stringValue == "48000")
        let bitrates = try indexes[0].nodes(forXPath: "QualityLevel/@Bitrate").compactMap(\.stringValue)
        #expect(bitrates == ["3000000", "800000"])
        #expect(try indexes[0].nodes(forXPath: "c").count == 1)  // one run of three
        #expect(try indexes[0].nodes(forXPath: "c/@r").first?.stringValue == "3")
        // Duration in the manifest timescale: 6 s of content.
        #expect(document.rootElement()?.attribute(forName: "Duration")?.stringValue == "60000000")
    }

    @Test func chunkRunsCountChunksNotExtraRepeats() {
        let second = Fixtures.second, t0 = Fixtures.t0
        let segments = [
            TimelineSegment(startTime: t0, duration: 2 * second, sequenceNumber: 1),
            TimelineSegment(startTime: t0 + 2 * second, duration: 2 * second, sequenceNumber: 2),
            TimelineSegment(startTime: t0 + 6 * second, duration: 2 * second, sequenceNumber: 3),
        ]
        #expect(SmoothBuilder.chunks(segments, repeats: true) == [.init(t: t0, d: 2 * second, count: 2),
                                                                  .init(t: t0 + 6 * second, d: 2 * second, count: 1)])
        #expect(SmoothBuilder.chunks(segments, repeats: false) == [.init(t: t0, d: 2 * second, count: 1),
                                                                   .init(t: nil, d: 2 * second, count: 1),
                                                                   .init(t: t0 + 6 * second, d: 2 * second, count: 1)])
    }
}
