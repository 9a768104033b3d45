// Golden-text tests for the HLS CMAF playlists.

import Media
import Testing
@testable import Packaging

@Suite struct HLSBuilderTests {
    let cmaf = ManifestOptions(format: .hlsCMAF)

    @Test func multivariantWithAudioOnlyVariant() {
        let text = HLSBuilder.multivariantPlaylist(Fixtures.live, options: cmaf)
        #expect(text == """
            #EXTM3U
            #EXT-X-VERSION:7
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",LANGUAGE="eng",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="QualityLevels(128000)/Manifest(audio,format=m3u8-cmaf)"
            #EXT-X-STREAM-INF:BANDWIDTH=3440800,AVERAGE-BANDWIDTH=3128000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",FRAME-RATE=30.000,AUDIO="audio"
            QualityLevels(3000000)/Manifest(video,format=m3u8-cmaf)
            #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=3300000,RESOLUTION=1280x720,CODECS="avc1.64001f",URI="QualityLevels(3000000)/Manifest(video,format=m3u8-cmaf,type=keyframes)"
            #EXT-X-STREAM-INF:BANDWIDTH=140800,AVERAGE-BANDWIDTH=128000,CODECS="mp4a.40.2",AUDIO="audio"
            QualityLevels(128000)/Manifest(audio,format=m3u8-cmaf)

            """)
    }

    @Test func multivariantWithoutAudioOnlyVariantSortsByBitrateAndKeepsFilters() {
        // The 360p track comes first in the presentation but must be listed after the 720p one.
        var presentation = Fixtures.live
        presentation.tracks.insert(TrackTimeline(track: Fixtures.video360, segments: Fixtures.liveVideoSegments), at: 0)
        let options = ManifestOptions(format: .hlsCMAF, filters: ["mobile", "last60"], audioOnly: false)
        let text = HLSBuilder.multivariantPlaylist(presentation, options: options)
        #expect(text == """
            #EXTM3U
            #EXT-X-VERSION:7
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",LANGUAGE="eng",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="QualityLevels(128000)/Manifest(audio,format=m3u8-cmaf,filter=mobile;last60)"
            #EXT-X-STREAM-INF:BANDWIDTH=3440800,AVERAGE-BANDWIDTH=3128000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",FRAME-RATE=30.000,AUDIO="audio"
            QualityLevels(3000000)/Manifest(video,format=m3u8-cmaf,filter=mobile;last60)
            #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=3300000,RESOLUTION=1280x720,CODECS="avc1.64001f",URI="QualityLevels(3000000)/Manifest(video,format=m3u8-cmaf,filter=mobile;last60,type=keyframes)"
            #EXT-X-STREAM-INF:BANDWIDTH=1240800,AVERAGE-BANDWIDTH=1128000,RESOLUTION=640x360,CODECS="avc1.4d401e,mp4a.40.2",FRAME-RATE=30.000,AUDIO="audio"
            QualityLevels(1000000)/Manifest(video_360,format=m3u8-cmaf,filter=mobile;last60)
            #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1100000,RESOLUTION=640x360,CODECS="avc1.4d401e",URI="QualityLevels(1000000)/Manifest(video_360,format=m3u8-cmaf,filter=mobile;last60,type=keyframes)"

            """)
    }

    @Test func secondAudioTrackIsNotDefaultAndAudioOnlyFallbackWithoutVideo() {
        let french = TrackInfo(trackID: 4, kind: .audio, name: "audio_fr", timescale: 10_000_000,
                               codec: .aac(Fixtures.aacStereo), bitrate: 96_000, language: "fra")
        let presentation = Presentation(
            tracks: [TrackTimeline(track: Fixtures.audio, segments: []), TrackTimeline(track: french, segments: [])],
            isLive: true, windowDuration: nil, nominalFragmentDuration: 2)
        // No video: the audio-only variant stays even with audio-only=false, or nothing would be playable.
        let text = HLSBuilder.multivariantPlaylist(presentation, options: ManifestOptions(format: .hlsCMAF, audioOnly: false))
        #expect(text == """
            #EXTM3U
            #EXT-X-VERSION:7
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",LANGUAGE="eng",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="QualityLevels(128000)/Manifest(audio,format=m3u8-cmaf)"
            #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio_fr",LANGUAGE="fra",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="QualityLevels(96000)/Manifest(audio_fr,format=m3u8-cmaf)"
            #EXT-X-STREAM-INF:BANDWIDTH=140800,AVERAGE-BANDWIDTH=128000,CODECS="mp4a.40.2",AUDIO="audio"
            QualityLevels(128000)/Manifest(audio,format=m3u8-cmaf)

            """)
    }

    @Test func liveMediaPlaylistWithDiscontinuity() throws {
        let presentation = Fixtures.live
        let video = try #require(presentation.tracks.first)
        let text = HLSBuilder.mediaPlaylist(presentation, track: video, options: cmaf)
        #expect(text == """
            #EXTM3U
            #EXT-X-VERSION:7
            #EXT-X-TARGETDURATION:2
            #EXT-X-MEDIA-SEQUENCE:100
            #EXT-X-DISCONTINUITY-SEQUENCE:3
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-MAP:URI="Fragments(video=i,format=m3u8-cmaf).mp4"
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:20.000Z
            #EXTINF:2.000000,no-desc
            Fragments(video=17000000000000000,format=m3u8-cmaf).mp4
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:22.000Z
            #EXTINF:2.000000,no-desc
            Fragments(video=17000000020000000,format=m3u8-cmaf).mp4
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:24.000Z
            #EXTINF:2.000000,no-desc
            Fragments(video=17000000040000000,format=m3u8-cmaf).mp4
            #EXT-X-DISCONTINUITY
            #EXT-X-MAP:URI="Fragments(video=i,format=m3u8-cmaf).mp4"
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:30.000Z
            #EXTINF:2.000000,no-desc
            Fragments(video=17000000100000000,format=m3u8-cmaf).mp4
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:32.000Z
            #EXTINF:2.400000,no-desc
            Fragments(video=17000000120000000,format=m3u8-cmaf).mp4

            """)
    }

    @Test func vodMediaPlaylistEndsAndCarriesFiltersIntoSegments() throws {
        let presentation = Fixtures.vod
        let audio = try #require(presentation.tracks.last)
        var options = ManifestOptions(format: .hlsCMAF, filters: ["trim"], encryption: "cbcs-aapl")
        options.protection = ManifestProtectionTests.cbcs
        let text = HLSBuilder.mediaPlaylist(presentation, track: audio, options: options)
        #expect(text == """
            #EXTM3U
            #EXT-X-VERSION:7
            #EXT-X-TARGETDURATION:2
            #EXT-X-MEDIA-SEQUENCE:0
            #EXT-X-DISCONTINUITY-SEQUENCE:0
            #EXT-X-PLAYLIST-TYPE:VOD
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-MAP:URI="Fragments(audio=i,format=m3u8-cmaf,filter=trim,encryption=cbcs-aapl).mp4"
            #EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://box:8080/keydelivery/FairPlay/?kid=0b9fbb66-8c0e-4b46-a3a4-0e7e4c61e5d1",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"
            #EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:text/plain;base64,AAAAMnBzc2g=",KEYID=0x0b9fbb668c0e4b46a3a40e7e4c61e5d1,KEYFORMAT="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",KEYFORMATVERSIONS="1"
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:20.020Z
            #EXTINF:1.980000,no-desc
            Fragments(audio=17000000000200000,format=m3u8-cmaf,filter=trim,encryption=cbcs-aapl).mp4
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:22.000Z
            #EXTINF:2.000000,no-desc
            Fragments(audio=17000000020000000,format=m3u8-cmaf,filter=trim,encryption=cbcs-aapl).mp4
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:24.000Z
            #EXTINF:1.600000,no-desc
            Fragments(audio=17000000040000000,format=m3u8-cmaf,filter=trim,encryption=cbcs-aapl).mp4
            #EXT-X-ENDLIST

            """)
    }

    @Test func emptyLiveTrackIsAValidPlaylistWithoutSegments() throws {
        var presentation = Fixtures.live
        presentation.tracks[0].segments = []
        presentation.tracks[0].discontinuitySequence = 0
        let text = HLSBuilder.mediaPlaylist(presentation, track: try #require(presentation.tracks.first), options: cmaf)
        #expect(text == """
            #EXTM3U
            #EXT-X-VERSION:7
            #EXT-X-TARGETDURATION:2
            #EXT-X-MEDIA-SEQUENCE:0
            #EXT-X-DISCONTINUITY-SEQUENCE:0
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-MAP:URI="Fragments(video=i,format=m3u8-cmaf).mp4"

            """)
    }

    @Test func keyframesPlaylistUsesKeyFramesURIs() throws {
        let presentation = Fixtures.vod
        let options = ManifestOptions(format: .hlsCMAF, keyframesOnly: true)
        let text = HLSBuilder.mediaPlaylist(presentation, track: try #require(presentation.tracks.first), options: options)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("#EXT-X-I-FRAMES-ONLY"))
        #expect(lines.filter { $0.hasPrefix("KeyFrames(video=") }.count == 3)
        #expect(lines.contains("KeyFrames(video=17000000040000000,format=m3u8-cmaf).mp4"))
        #expect(lines.contains("#EXT-X-MAP:URI=\"Fragments(video=i,format=m3u8-cmaf).mp4\""))
        #expect(!lines.contains { $0.hasPrefix("Fragments(video=1") })
    }

    @Test func targetDurationRoundsToNearestAndNeverGoesBelowNominal() {
        func target(_ durations: [Int64], nominal: Double) -> Int64 {
            var start = Fixtures.t0
            let segments = durations.enumerated().map { index, duration in
                defer { start += duration }
                return TimelineSegment(startTime: start, duration: duration, sequenceNumber: index)
            }
            let timeline = TrackTimeline(track: Fixtures.video, segments: segments)
            let presentation = Presentation(tracks: [timeline], isLive: true, windowDuration: nil,
                                            nominalFragmentDuration: nominal)
            return HLSBuilder.targetDuration(presentation, timeline)
        }
        #expect(target([20_020_000, 19_980_000], nominal: 2) == 2)   // 2.002 s rounds to 2
        #expect(target([25_000_000], nominal: 2) == 3)               // 2.5 s rounds up to 3
        #expect(target([10_000_000], nominal: 4) == 4)               // short segments keep the nominal floor
        #expect(target([], nominal: 0) == 1)
    }
}
