// Golden-text tests for the HLS MPEG-TS playlists (`m3u8-aapl` v4, `m3u8-aapl-v3`) and the I-frame playlists.

import Media
import Testing
@testable import Packaging

@Suite struct HLSTransportStreamBuilderTests {
    let v4 = ManifestOptions(format: .hlsV4)
    let v3 = ManifestOptions(format: .hlsV3)

    @Test func v4MultivariantHasAudioRenditionsIFramesAndTSBandwidth() {
        let text = HLSBuilder.multivariantPlaylist(Fixtures.live, options: v4)
        #expect(text == """
            #EXTM3U
            #EXT-X-VERSION:4
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",LANGUAGE="eng",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="QualityLevels(128000)/Manifest(audio,format=m3u8-aapl)"
            #EXT-X-STREAM-INF:BANDWIDTH=3910000,AVERAGE-BANDWIDTH=3440800,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",FRAME-RATE=30.000,AUDIO="audio"
            QualityLevels(3000000)/Manifest(video,format=m3u8-aapl)
            #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=3750000,RESOLUTION=1280x720,CODECS="avc1.64001f",URI="QualityLevels(3000000)/Manifest(video,format=m3u8-aapl,type=keyframes)"
            #EXT-X-STREAM-INF:BANDWIDTH=160000,AVERAGE-BANDWIDTH=140800,CODECS="mp4a.40.2",AUDIO="audio"
            QualityLevels(128000)/Manifest(audio,format=m3u8-aapl)

            """)
    }

    @Test func v3MultivariantMuxesTheDefaultAudioAndHonoursAudioOnlyFalse() {
        var presentation = Fixtures.live
        presentation.tracks.insert(TrackTimeline(track: Fixtures.video360, segments: Fixtures.liveVideoSegments), at: 0)
        let french = TrackInfo(trackID: 4, kind: .audio, name: "audio_fr", timescale: 10_000_000,
                               codec: .aac(Fixtures.aacStereo), bitrate: 96_000, language: "fra")
        presentation.tracks.append(TrackTimeline(track: french, segments: Fixtures.liveAudioSegments))
        #expect(HLSBuilder.multivariantPlaylist(presentation, options: v3) == """
            #EXTM3U
            #EXT-X-VERSION:3
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-STREAM-INF:BANDWIDTH=3910000,AVERAGE-BANDWIDTH=3440800,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",FRAME-RATE=30.000
            QualityLevels(3000000)/Manifest(video,format=m3u8-aapl-v3)
            #EXT-X-STREAM-INF:BANDWIDTH=1410000,AVERAGE-BANDWIDTH=1240800,RESOLUTION=640x360,CODECS="avc1.4d401e,mp4a.40.2",FRAME-RATE=30.000
            QualityLevels(1000000)/Manifest(video_360,format=m3u8-aapl-v3)
            #EXT-X-STREAM-INF:BANDWIDTH=160000,AVERAGE-BANDWIDTH=140800,CODECS="mp4a.40.2"
            QualityLevels(128000)/Manifest(audio,format=m3u8-aapl-v3)

            """)
        let noAudioOnly = ManifestOptions(format: .hlsV3, audioOnly: false)
        #expect(!HLSBuilder.multivariantPlaylist(presentation, options: noAudioOnly).contains("Manifest(audio"))
        let v4NoAudioOnly = HLSBuilder.multivariantPlaylist(presentation, options: ManifestOptions(format: .hlsV4, audioOnly: false))
        #expect(v4NoAudioOnly.components(separatedBy: "#EXT-X-STREAM-INF:").count - 1 == 2)
        #expect(v4NoAudioOnly.components(separatedBy: "#EXT-X-MEDIA:").count - 1 == 2)
    }

    @Test func v4LiveVideoPlaylistListsTSSegments() throws {
        let presentation = Fixtures.live
        let text = HLSBuilder.mediaPlaylist(presentation, track: try #require(presentation.tracks.first), options: v4)
        #expect(text == """
            #EXTM3U
            #EXT-X-VERSION:4
            #EXT-X-TARGETDURATION:2
            #EXT-X-MEDIA-SEQUENCE:100
            #EXT-X-DISCONTINUITY-SEQUENCE:3
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:20.000Z
            #EXTINF:2.000000,no-desc
            Fragments(video=17000000000000000,format=m3u8-aapl).ts
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:22.000Z
            #EXTINF:2.000000,no-desc
            Fragments(video=17000000020000000,format=m3u8-aapl).ts
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:24.000Z
            #EXTINF:2.000000,no-desc
            Fragments(video=17000000040000000,format=m3u8-aapl).ts
            #EXT-X-DISCONTINUITY
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:30.000Z
            #EXTINF:2.000000,no-desc
            Fragments(video=17000000100000000,format=m3u8-aapl).ts
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:32.000Z
            #EXTINF:2.400000,no-desc
            Fragments(video=17000000120000000,format=m3u8-aapl).ts

            """)
    }

    @Test func v3LiveVideoListsOnlySegmentsWhoseAudioHasArrived() throws {
        // Audio ends at t0 + 14 s; the last video segment (t0 + 12 … 14.4 s) waits for it.
        let presentation = Fixtures.live
        let text = HLSBuilder.mediaPlaylist(presentation, track: try #require(presentation.tracks.first), options: v3)
        #expect(text.hasPrefix("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:100\n"))
        #expect(text.hasSuffix("""
            #EXT-X-DISCONTINUITY
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:30.000Z
            #EXTINF:2.000000,no-desc
            Fragments(video=17000000100000000,format=m3u8-aapl-v3).ts

            """))
        // Audio that stopped long ago (more than three fragments behind) holds nothing back.
        var silent = presentation
        silent.tracks[1].segments.removeLast(4)
        #expect(HLSBuilder.mediaPlaylist(silent, track: silent.tracks[0], options: v3).hasSuffix("Fragments(video=17000000120000000,format=m3u8-aapl-v3).ts\n"))
        // The audio track's own playlist (the audio-only variant) is not held back.
        let audio = HLSBuilder.mediaPlaylist(presentation, track: presentation.tracks[1], options: v3)
        #expect(audio.hasSuffix("Fragments(audio=17000000120000000,format=m3u8-aapl-v3).ts\n"))
    }

    @Test func vodTSPlaylistGroupsFragments() throws {
        // Two fragments per TS segment: sequence numbers 0 | 1 2 (groups are 1…2, 3…4, …); on demand the first fragment
        // starts a segment, numbered after its own group.
        let presentation = Fixtures.vod
        let options = ManifestOptions(format: .hlsV4, filters: ["trim"], fragmentsPerTSSegment: 2)
        let text = HLSBuilder.mediaPlaylist(presentation, track: presentation.tracks[1], options: options)
        #expect(text == """
            #EXTM3U
            #EXT-X-VERSION:4
            #EXT-X-TARGETDURATION:4
            #EXT-X-MEDIA-SEQUENCE:0
            #EXT-X-DISCONTINUITY-SEQUENCE:0
            #EXT-X-PLAYLIST-TYPE:VOD
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:20.020Z
            #EXTINF:1.980000,no-desc
            Fragments(audio=17000000000200000,format=m3u8-aapl,filter=trim).ts
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:22.000Z
            #EXTINF:3.600000,no-desc
            Fragments(audio=17000000020000000,format=m3u8-aapl,filter=trim).ts
            #EXT-X-ENDLIST

            """)
    }

    @Test func iFramePlaylistsListOneKeyFramePerFragment() throws {
        let presentation = Fixtures.vod
        let video = try #require(presentation.tracks.first)
        let ts = HLSBuilder.mediaPlaylist(presentation, track: video, options: ManifestOptions(format: .hlsV3, keyframesOnly: true))
        #expect(ts == """
            #EXTM3U
            #EXT-X-VERSION:4
            #EXT-X-TARGETDURATION:2
            #EXT-X-MEDIA-SEQUENCE:0
            #EXT-X-DISCONTINUITY-SEQUENCE:0
            #EXT-X-PLAYLIST-TYPE:VOD
            #EXT-X-I-FRAMES-ONLY
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:20.000Z
            #EXTINF:2.000000,no-desc
            KeyFrames(video=17000000000000000,format=m3u8-aapl-v3).ts
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:22.000Z
            #EXTINF:2.000000,no-desc
            KeyFrames(video=17000000020000000,format=m3u8-aapl-v3).ts
            #EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:24.000Z
            #EXTINF:1.600000,no-desc
            KeyFrames(video=17000000040000000,format=m3u8-aapl-v3).ts
            #EXT-X-ENDLIST

            """)
        // Every I-frame URI parses back to the KeyFrames resource.
        for line in ts.split(separator: "\n") where line.hasPrefix("KeyFrames(") {
            let request = try OriginRequest.parse(path: "/loc/news.ism/QualityLevels(3000000)/" + line)
            guard case .keyFrame(3_000_000, "video", _) = request.resource else {
                Issue.record("\(line) did not parse as a key frame"); continue
            }
            #expect(request.options.format == .hlsV3)
        }
    }

    @Test func suffixFormsParseForEveryHLSAndDASHFormat() throws {
        for (format, suffix) in [("m3u8-aapl", ".m3u8"), ("m3u8-aapl-v3", ".m3u8"), ("m3u8-aapl-v4", ".m3u8"),
                                 ("m3u8-cmaf", ".m3u8"), ("mpd-time-csf", ".mpd"), ("mpd-time-cmaf", ".mpd")] {
            let request = try OriginRequest.parse(path: "/loc/news.ism/manifest(format=\(format),audio-only=false)\(suffix)")
            #expect(request.resource == .manifest)
            #expect(request.options.format == OutputFormat(urlValue: format))
            #expect(!request.options.audioOnly)
        }
    }
}
