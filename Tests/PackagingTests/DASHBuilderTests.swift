// Golden-text tests for the DASH CMAF MPD, plus XML well-formedness.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Media
import Testing
@testable import Packaging

@Suite struct DASHBuilderTests {
    let cmaf = ManifestOptions(format: .dashCMAF)
    /// 16.5 s after t0.
    let now = Date(timeIntervalSince1970: 1_700_000_016.5)

    @Test func liveMPD() {
        let text = DASHBuilder.mpd(Fixtures.live, options: cmaf, now: now, utcTimingURL: "https://box.local/time?iso&ms")
        #expect(text == """
            <?xml version="1.0" encoding="UTF-8"?>
            <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019" type="dynamic" availabilityStartTime="2023-11-14T22:13:20.000Z" publishTime="2023-11-14T22:13:36.500Z" minimumUpdatePeriod="PT2S" minBufferTime="PT4S" timeShiftBufferDepth="PT30S" suggestedPresentationDelay="PT6S" maxSegmentDuration="PT2.4S">
              <Period id="0" start="PT0S">
                <AdaptationSet id="1" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="1280" maxHeight="720" maxFrameRate="30">
                  <Representation id="video" bandwidth="3000000" codecs="avc1.64001f" width="1280" height="720" sar="1:1" frameRate="30">
                    <SegmentTemplate timescale="10000000" presentationTimeOffset="17000000000000000" media="QualityLevels($Bandwidth$)/Fragments(video=$Time$,format=mpd-time-cmaf)" initialization="QualityLevels($Bandwidth$)/Fragments(video=i,format=mpd-time-cmaf)">
                      <SegmentTimeline>
                        <S t="17000000000000000" d="20000000" r="2"/>
                        <S t="17000000100000000" d="20000000"/>
                        <S d="24000000"/>
                      </SegmentTimeline>
                    </SegmentTemplate>
                  </Representation>
                </AdaptationSet>
                <AdaptationSet id="2" contentType="audio" mimeType="audio/mp4" lang="eng" segmentAlignment="true" startWithSAP="1">
                  <Representation id="audio" bandwidth="128000" codecs="mp4a.40.2" audioSamplingRate="48000">
                    <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>
                    <SegmentTemplate timescale="10000000" presentationTimeOffset="17000000000000000" media="QualityLevels($Bandwidth$)/Fragments(audio=$Time$,format=mpd-time-cmaf)" initialization="QualityLevels($Bandwidth$)/Fragments(audio=i,format=mpd-time-cmaf)">
                      <SegmentTimeline>
                        <S t="17000000000000000" d="20000000" r="2"/>
                        <S t="17000000100000000" d="20000000" r="1"/>
                      </SegmentTimeline>
                    </SegmentTemplate>
                  </Representation>
                </AdaptationSet>
              </Period>
              <UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="https://box.local/time?iso&amp;ms"/>
            </MPD>

            """)
    }

    @Test func vodMPD() {
        let text = DASHBuilder.mpd(Fixtures.vod, options: cmaf, now: now, utcTimingURL: "https://box.local/time")
        #expect(text == """
            <?xml version="1.0" encoding="UTF-8"?>
            <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019" type="static" mediaPresentationDuration="PT5.6S" minBufferTime="PT4S" maxSegmentDuration="PT2S">
              <Period id="0" start="PT0S">
                <AdaptationSet id="1" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="1280" maxHeight="720" maxFrameRate="30">
                  <Representation id="video" bandwidth="3000000" codecs="avc1.64001f" width="1280" height="720" sar="1:1" frameRate="30">
                    <SegmentTemplate timescale="10000000" presentationTimeOffset="17000000000000000" media="QualityLevels($Bandwidth$)/Fragments(video=$Time$,format=mpd-time-cmaf)" initialization="QualityLevels($Bandwidth$)/Fragments(video=i,format=mpd-time-cmaf)">
                      <SegmentTimeline>
                        <S t="17000000000000000" d="20000000" r="1"/>
                        <S d="16000000"/>
                      </SegmentTimeline>
                    </SegmentTemplate>
                  </Representation>
                </AdaptationSet>
                <AdaptationSet id="2" contentType="audio" mimeType="audio/mp4" lang="eng" segmentAlignment="true" startWithSAP="1">
                  <Representation id="audio" bandwidth="128000" codecs="mp4a.40.2" audioSamplingRate="48000">
                    <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>
                    <SegmentTemplate timescale="10000000" presentationTimeOffset="17000000000000000" media="QualityLevels($Bandwidth$)/Fragments(audio=$Time$,format=mpd-time-cmaf)" initialization="QualityLevels($Bandwidth$)/Fragments(audio=i,format=mpd-time-cmaf)">
                      <SegmentTimeline>
                        <S t="17000000000200000" d="19800000"/>
                        <S d="20000000"/>
                        <S d="16000000"/>
                      </SegmentTimeline>
                    </SegmentTemplate>
                  </Representation>
                </AdaptationSet>
              </Period>
            </MPD>

            """)
    }

    @Test func directUTCTimingWithoutURLAndFiltersInTemplates() {
        let options = ManifestOptions(format: .dashCMAF, filters: ["a&b"])
        let text = DASHBuilder.mpd(Fixtures.live, options: options, now: now, utcTimingURL: nil)
        #expect(text.contains(#"<UTCTiming schemeIdUri="urn:mpeg:dash:utc:direct:2014" value="2023-11-14T22:13:36.500Z"/>"#))
        // `&` in a filter name is percent-encoded in the URL, so nothing needs XML escaping there.
        #expect(text.contains(#"media="QualityLevels($Bandwidth$)/Fragments(video=$Time$,format=mpd-time-cmaf,filter=a%26b)""#))
    }

    @Test func timelineRuns() {
        let second = Fixtures.second, t0 = Fixtures.t0
        let segments = [
            TimelineSegment(startTime: t0, duration: 2 * second, sequenceNumber: 1),
            TimelineSegment(startTime: t0 + 2 * second, duration: 2 * second, sequenceNumber: 2),
            // contiguous but flagged: explicit t
            TimelineSegment(startTime: t0 + 4 * second, duration: 2 * second, sequenceNumber: 3, discontinuity: true),
            // overlap (time went back): explicit t
            TimelineSegment(startTime: t0 + 5 * second, duration: 2 * second, sequenceNumber: 4),
            TimelineSegment(startTime: t0 + 7 * second, duration: 2 * second, sequenceNumber: 5),
        ]
        #expect(DASHBuilder.segmentTimeline(segments) == [
            .init(t: t0, d: 2 * second, r: 1),
            .init(t: t0 + 4 * second, d: 2 * second, r: 0),
            .init(t: t0 + 5 * second, d: 2 * second, r: 1),
        ])
        #expect(DASHBuilder.segmentTimeline([]) == [])
    }

    @Test func frameRates() {
        #expect(DASHBuilder.frameRate(25) == "25")
        #expect(DASHBuilder.frameRate(29.97002997) == "30000/1001")
        #expect(DASHBuilder.frameRate(59.94) == "60000/1001")
        #expect(DASHBuilder.frameRate(12.5) == "12500/1000")
    }

    @Test func mpdIsWellFormedXML() throws {
        // Names with XML-special characters must not break the document.
        var presentation = Fixtures.live
        presentation.tracks[0].track.name = #"vid<"&'>"#
        presentation.tracks[1].track.language = "en\"g"
        let texts = [
            DASHBuilder.mpd(presentation, options: cmaf, now: now, utcTimingURL: "http://x/?a=1&b=<2>"),
            DASHBuilder.mpd(Fixtures.vod, options: cmaf, now: now, utcTimingURL: nil),
        ]
        for text in texts {
            let document = try XMLDocument(xmlString: text, options: [])
            let root = try #require(document.rootElement())
            #expect(root.name == "MPD")
            let segments = try root.nodes(forXPath: "//*[local-name()='S']")
            #expect(segments.count >= 4)
            let representations = try root.nodes(forXPath: "//*[local-name()='Representation']")
            #expect(representations.count == 2)
        }
        let language = try XMLDocument(xmlString: texts[0], options: [])
            .nodes(forXPath: "//*[local-name()='AdaptationSet']/@lang").first?.stringValue
        #expect(language == "en\"g")
    }
}
