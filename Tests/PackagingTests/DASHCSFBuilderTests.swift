// Golden-text tests for the DASH CSF MPD (`mpd-time-csf`): live profile, AMS adaptation-set attributes, shared
// SegmentTemplate for a ladder.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Media
import Testing
@testable import Packaging

@Suite struct DASHCSFBuilderTests {
    let csf = ManifestOptions(format: .dashCSF)
    let now = Date(timeIntervalSince1970: 1_700_000_016.5)

    @Test func liveCSF() {
        let text = DASHBuilder.mpd(Fixtures.live, options: csf, now: now, utcTimingURL: nil)
        #expect(text == """
            <?xml version="1.0" encoding="UTF-8"?>
            <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="dynamic" availabilityStartTime="2023-11-14T22:13:20.000Z" publishTime="2023-11-14T22:13:36.500Z" minimumUpdatePeriod="PT2S" minBufferTime="PT4S" timeShiftBufferDepth="PT30S" suggestedPresentationDelay="PT6S" maxSegmentDuration="PT2.4S">
              <Period id="0" start="PT0S">
                <AdaptationSet id="1" group="1" profiles="ccff" bitstreamSwitching="false" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="1280" maxHeight="720" maxFrameRate="30">
                  <SegmentTemplate timescale="10000000" presentationTimeOffset="17000000000000000" media="QualityLevels($Bandwidth$)/Fragments(video=$Time$,format=mpd-time-csf)" initialization="QualityLevels($Bandwidth$)/Fragments(video=i,format=mpd-time-csf)">
                    <SegmentTimeline>
                      <S t="17000000000000000" d="20000000" r="2"/>
                      <S t="17000000100000000" d="20000000"/>
                      <S d="24000000"/>
                    </SegmentTimeline>
                  </SegmentTemplate>
                  <Representation id="1_V_video_1" bandwidth="3000000" codecs="avc1.64001f" width="1280" height="720" sar="1:1" frameRate="30"/>
                </AdaptationSet>
                <AdaptationSet id="2" group="2" profiles="ccff" bitstreamSwitching="false" contentType="audio" mimeType="audio/mp4" lang="eng" segmentAlignment="true" startWithSAP="1">
                  <SegmentTemplate timescale="10000000" presentationTimeOffset="17000000000000000" media="QualityLevels($Bandwidth$)/Fragments(audio=$Time$,format=mpd-time-csf)" initialization="QualityLevels($Bandwidth$)/Fragments(audio=i,format=mpd-time-csf)">
                    <SegmentTimeline>
                      <S t="17000000000000000" d="20000000" r="2"/>
                      <S t="17000000100000000" d="20000000" r="1"/>
                    </SegmentTimeline>
                  </SegmentTemplate>
                  <Representation id="2_A_audio_1" bandwidth="128000" codecs="mp4a.40.2" audioSamplingRate="48000">
                    <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>
                  </Representation>
                </AdaptationSet>
              </Period>
              <UTCTiming schemeIdUri="urn:mpeg:dash:utc:direct:2014" value="2023-11-14T22:13:36.500Z"/>
            </MPD>

            """)
    }

    @Test func vodCSFWithALadderSharingOneTemplate() throws {
        // Two video renditions named `video` (QualityLevels tell them apart) with the same timeline: one template.
        var presentation = Fixtures.vod
        var low = Fixtures.video360
        low.name = "video"
        presentation.tracks.insert(TrackTimeline(track: low, segments: presentation.tracks[0].segments), at: 1)
        let text = DASHBuilder.mpd(presentation, options: csf, now: now, utcTimingURL: nil)
        #expect(text == """
            <?xml version="1.0" encoding="UTF-8"?>
            <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" mediaPresentationDuration="PT5.6S" minBufferTime="PT4S" maxSegmentDuration="PT2S">
              <Period id="0" start="PT0S">
                <AdaptationSet id="1" group="1" profiles="ccff" bitstreamSwitching="false" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="1280" maxHeight="720" maxFrameRate="30">
                  <SegmentTemplate timescale="10000000" presentationTimeOffset="17000000000000000" media="QualityLevels($Bandwidth$)/Fragments(video=$Time$,format=mpd-time-csf)" initialization="QualityLevels($Bandwidth$)/Fragments(video=i,format=mpd-time-csf)">
                    <SegmentTimeline>
                      <S t="17000000000000000" d="20000000" r="1"/>
                      <S d="16000000"/>
                    </SegmentTimeline>
                  </SegmentTemplate>
                  <Representation id="1_V_video_1" bandwidth="3000000" codecs="avc1.64001f" width="1280" height="720" sar="1:1" frameRate="30"/>
                  <Representation id="3_V_video_1" bandwidth="1000000" codecs="avc1.4d401e" width="640" height="360" sar="1:1" frameRate="30"/>
                </AdaptationSet>
                <AdaptationSet id="2" group="2" profiles="ccff" bitstreamSwitching="false" contentType="audio" mimeType="audio/mp4" lang="eng" segmentAlignment="true" startWithSAP="1">
                  <SegmentTemplate timescale="10000000" presentationTimeOffset="17000000000000000" media="QualityLevels($Bandwidth$)/Fragments(audio=$Time$,format=mpd-time-csf)" initialization="QualityLevels($Bandwidth$)/Fragments(audio=i,format=mpd-time-csf)">
                    <SegmentTimeline>
                      <S t="17000000000200000" d="19800000"/>
                      <S d="20000000"/>
                      <S d="16000000"/>
                    </SegmentTimeline>
                  </SegmentTemplate>
                  <Representation id="2_A_audio_1" bandwidth="128000" codecs="mp4a.40.2" audioSamplingRate="48000">
                    <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>
                  </Representation>
                </AdaptationSet>
              </Period>
            </MPD>

            """)
        let document = try XMLDocument(xmlString: text, options: [])
        #expect(try document.nodes(forXPath: "//*[local-name()='Representation']").count == 3)
    }

    @Test func renditionsWithDifferentNamesKeepTheirOwnTemplates() {
        var presentation = Fixtures.live
        presentation.tracks.insert(TrackTimeline(track: Fixtures.video360, segments: Fixtures.liveVideoSegments), at: 0)
        let text = DASHBuilder.mpd(presentation, options: csf, now: now, utcTimingURL: nil)
        #expect(text.contains(#"<Representation id="3_V_video_360_1" bandwidth="1000000""#))
        #expect(text.contains(#"media="QualityLevels($Bandwidth$)/Fragments(video_360=$Time$,format=mpd-time-csf)""#))
        #expect(text.components(separatedBy: "<SegmentTemplate").count - 1 == 3)
        // The CMAF MPD is unchanged by the CSF work: per-representation templates, CMAF profile.
        let cmaf = DASHBuilder.mpd(presentation, options: ManifestOptions(format: .dashCMAF), now: now, utcTimingURL: nil)
        #expect(cmaf.contains("profiles=\"\(DASHBuilder.profiles)\"") && !cmaf.contains("ccff"))
    }
}
