// The origin URL grammar: every accepted form, the errors, and parse(build(x)) == x.

import Testing
@testable import Packaging

@Suite struct OriginRequestTests {
    let locator = "7f3c2a10-1b2c-4d5e-8f90-0123456789ab"

    func parse(_ rest: String) throws -> OriginRequest {
        try OriginRequest.parse(path: "/\(locator)/news.ism/" + rest)
    }

    func error(_ path: String) -> OriginRequestError? {
        do {
            _ = try OriginRequest.parse(path: path)
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Manifests

    @Test func smoothManifestWithoutFormat() throws {
        for rest in ["manifest", "Manifest", "MANIFEST", "manifest()"] {
            let request = try parse(rest)
            #expect(request.locatorID == locator)
            #expect(request.manifestName == "news")
            #expect(request.resource == .manifest)
            #expect(request.options == ManifestOptions(format: .smooth))
        }
    }

    @Test func manifestFormats() throws {
        let cases: [(String, OutputFormat)] = [
            ("manifest(format=m3u8-cmaf)", .hlsCMAF),
            ("manifest(format=m3u8-aapl)", .hlsV4),
            ("manifest(format=m3u8-aapl-v4)", .hlsV4),
            ("manifest(format=m3u8-aapl-v3)", .hlsV3),
            ("manifest(format=mpd-time-cmaf)", .dashCMAF),
            ("manifest(format=mpd-time-csf)", .dashCSF),
            ("manifest(format=fmp4-v20)", .fmp4v20),
            ("Manifest(Format=M3U8-CMAF)", .hlsCMAF),
            ("manifest(format=m3u8-cmaf).m3u8", .hlsCMAF),
            ("manifest(format=m3u8-aapl).M3U8", .hlsV4),
            ("manifest(format=mpd-time-cmaf).mpd", .dashCMAF),
            ("manifest%28format%3Dm3u8-cmaf%29", .hlsCMAF),
            ("manifest%28format=mpd-time-cmaf%29.mpd", .dashCMAF),
        ]
        for (rest, format) in cases {
            let request = try parse(rest)
            #expect(request.resource == .manifest, "\(rest)")
            #expect(request.options.format == format, "\(rest)")
        }
    }

    @Test func manifestOptions() throws {
        let request = try parse("manifest(format=mpd-time-cmaf,filter=a;b,audio-only=false)")
        #expect(request.options == ManifestOptions(format: .dashCMAF, filters: ["a", "b"], audioOnly: false))

        let hls = try parse("manifest(filter=mobile,format=m3u8-cmaf,encryption=CBCS-AAPL,type=keyframes,audio-only=TRUE)")
        #expect(hls.options == ManifestOptions(format: .hlsCMAF, filters: ["mobile"], audioOnly: true,
                                               keyframesOnly: true, encryption: "cbcs-aapl"))
    }

    @Test func queryStringAndMixedCaseIsmAreAccepted() throws {
        let request = try OriginRequest.parse(path: "/loc/My%20Show.ISM/manifest(format=m3u8-cmaf)?token=abc")
        #expect(request.locatorID == "loc")
        #expect(request.manifestName == "My Show")
        #expect(request.options.format == .hlsCMAF)
        // The leading slash is optional.
        #expect(try OriginRequest.parse(path: "loc/news.ism/manifest").manifestName == "news")
    }

    // MARK: - Media playlists

    @Test func mediaPlaylists() throws {
        let plain = try parse("QualityLevels(3000000)/Manifest(video,format=m3u8-cmaf)")
        #expect(plain.resource == .mediaPlaylist(bitrate: 3_000_000, trackName: "video"))
        #expect(plain.options == ManifestOptions(format: .hlsCMAF))

        let keyframes = try parse("qualitylevels(3000000)/manifest(video,format=m3u8-cmaf,type=keyframes)")
        #expect(keyframes.resource == .mediaPlaylist(bitrate: 3_000_000, trackName: "video"))
        #expect(keyframes.options.keyframesOnly)

        let filtered = try parse("QualityLevels(128041)/Manifest(aac_eng_2_128041_2_1,format=m3u8-aapl,filter=f1;f2;f3).m3u8")
        #expect(filtered.resource == .mediaPlaylist(bitrate: 128_041, trackName: "aac_eng_2_128041_2_1"))
        #expect(filtered.options == ManifestOptions(format: .hlsV4, filters: ["f1", "f2", "f3"]))

        let encoded = try parse("QualityLevels%283000000%29/Manifest%28video%2Cformat%3Dm3u8-cmaf%29")
        #expect(encoded.resource == .mediaPlaylist(bitrate: 3_000_000, trackName: "video"))
    }

    // MARK: - Segments

    @Test func fragments() throws {
        let cases: [(String, OriginRequest.Resource, OutputFormat)] = [
            ("QualityLevels(3000000)/Fragments(video=17000000000000000,format=m3u8-cmaf)",
             .fragment(bitrate: 3_000_000, trackName: "video", time: 17_000_000_000_000_000), .hlsCMAF),
            ("QualityLevels(3000000)/Fragments(video=0,format=mpd-time-cmaf)",
             .fragment(bitrate: 3_000_000, trackName: "video", time: 0), .dashCMAF),
            ("QualityLevels(128000)/Fragments(audio=123,format=m3u8-aapl)",
             .fragment(bitrate: 128_000, trackName: "audio", time: 123), .hlsV4),
            ("QualityLevels(128000)/Fragments(audio=123,format=mpd-time-csf)",
             .fragment(bitrate: 128_000, trackName: "audio", time: 123), .dashCSF),
            ("QualityLevels(3000000)/Fragments(video=i,format=m3u8-cmaf)",
             .initSegment(bitrate: 3_000_000, trackName: "video"), .hlsCMAF),
            ("QualityLevels(3000000)/Fragments(video=I,format=mpd-time-cmaf)",
             .initSegment(bitrate: 3_000_000, trackName: "video"), .dashCMAF),
            ("QualityLevels(3000000)/Fragments(video=15447164594627600)",
             .fragment(bitrate: 3_000_000, trackName: "video", time: 15_447_164_594_627_600), .smooth),
            ("QualityLevels(3000000)/KeyFrames(video=42,format=m3u8-aapl)",
             .keyFrame(bitrate: 3_000_000, trackName: "video", time: 42), .hlsV4),
            ("qualitylevels(1)/fragments(a=b=7,format=m3u8-cmaf)",
             .fragment(bitrate: 1, trackName: "a=b", time: 7), .hlsCMAF),
        ]
        for (rest, resource, format) in cases {
            let request = try parse(rest)
            #expect(request.resource == resource, "\(rest)")
            #expect(request.options.format == format, "\(rest)")
        }
    }

    // MARK: - Errors

    @Test func unknownFormatNamesItAndListsSupportedFormats() throws {
        let failure = try #require(error("/loc/news.ism/manifest(format=m3u8-foo)"))
        #expect(failure.code == .unsupportedFormat)
        #expect(failure.status == 400)
        #expect(failure.message.contains("'m3u8-foo'"))
        for supported in ["m3u8-cmaf", "m3u8-aapl", "m3u8-aapl-v3", "m3u8-aapl-v4", "mpd-time-cmaf", "mpd-time-csf", "fmp4-v20"] {
            #expect(failure.message.contains(supported), "\(supported)")
        }
        let fragment = try #require(error("/loc/news.ism/QualityLevels(1)/Fragments(video=1,format=webm)"))
        #expect(fragment.code == .unsupportedFormat)
    }

    @Test func pathsThatAreNotStreamingPathsAre404() throws {
        for path in ["/loc/news/manifest", "/loc/news.mp4/manifest(format=m3u8-cmaf)", "/loc/.ism/manifest",
                     "/loc/news.ism", "/", "", "/a/b/c/d/e", "/loc//manifest"] {
            let failure = try #require(error(path), "\(path)")
            #expect(failure.code == .notAStreamingPath, "\(path)")
            #expect(failure.status == 404, "\(path)")
        }
        let missingIsm = try #require(error("/loc/news/manifest"))
        #expect(missingIsm.message.contains("'news'"))
        #expect(missingIsm.message.contains(".ism"))

        for path in ["/loc/news.ism/playlist.m3u8", "/loc/news.ism/QualityLevels(1)/Chunks(video=1)",
                     "/loc/news.ism/Levels(1)/Fragments(video=1)"] {
            let failure = try #require(error(path), "\(path)")
            #expect(failure.code == .unknownResource, "\(path)")
            #expect(failure.status == 404, "\(path)")
        }
    }

    @Test func badBitrate() throws {
        for bitrate in ["abc", "-1", "", "1.5", "99999999999999999999", " 1"] {
            let failure = try #require(error("/loc/news.ism/QualityLevels(\(bitrate))/Fragments(video=1,format=m3u8-cmaf)"),
                                       "\(bitrate)")
            #expect(failure.code == .malformedPath, "\(bitrate)")
            #expect(failure.status == 400)
            #expect(failure.message.contains("bad bitrate '\(bitrate)'"), "\(failure.message)")
        }
    }

    @Test func badTime() throws {
        for time in ["12a", "", "-5", "99999999999999999999", "0x10"] {
            let failure = try #require(error("/loc/news.ism/QualityLevels(1)/Fragments(video=\(time),format=m3u8-cmaf)"),
                                       "\(time)")
            #expect(failure.code == .malformedPath, "\(time)")
            #expect(failure.message.contains("bad time '\(time)'"), "\(failure.message)")
        }
        // Key frames have no initialization segment.
        let keyFrame = try #require(error("/loc/news.ism/QualityLevels(1)/KeyFrames(video=i,format=m3u8-aapl)"))
        #expect(keyFrame.message.contains("bad time 'i'"))
        let noTime = try #require(error("/loc/news.ism/QualityLevels(1)/Fragments(video,format=m3u8-cmaf)"))
        #expect(noTime.code == .malformedPath)
    }

    @Test func malformedAndInvalidOptions() throws {
        let cases: [(String, OriginRequestError.Code, String)] = [
            ("/loc/news.ism/manifest(format=m3u8-cmaf", .malformedPath, "without a closing ')'"),
            ("/loc/news.ism/manifest(format=m3u8-cmaf).m3u", .malformedPath, "'.m3u'"),
            ("/loc/news.ism/manifest(format=mpd-time-cmaf).m3u8", .invalidOption, "'.m3u8'"),
            ("/loc/news.ism/manifest.m3u8", .invalidOption, "no format"),
            ("/loc/news.ism/manifest(format=m3u8-cmaf,format=mpd-time-cmaf)", .invalidOption, "twice"),
            ("/loc/news.ism/manifest(format=m3u8-cmaf,startTime=5)", .invalidOption, "unknown option 'starttime'"),
            ("/loc/news.ism/manifest(format=m3u8-cmaf,junk)", .invalidOption, "'junk'"),
            ("/loc/news.ism/manifest(format=m3u8-cmaf,filter=a;b;c;d)", .invalidOption, "at most 3"),
            ("/loc/news.ism/manifest(format=m3u8-cmaf,filter=a;;b)", .invalidOption, "empty filter name"),
            ("/loc/news.ism/manifest(format=m3u8-cmaf,audio-only=no)", .invalidOption, "audio-only='no'"),
            ("/loc/news.ism/manifest(format=m3u8-cmaf,type=iframes)", .invalidOption, "type='iframes'"),
            ("/loc/news.ism/manifest(format=m3u8-cmaf,encryption=rot13)", .invalidOption, "cbcs-aapl"),
            ("/loc/news.ism/QualityLevels(1)/Manifest(video,format=mpd-time-cmaf)", .invalidOption, "HLS format"),
            ("/loc/news.ism/QualityLevels(1)/Manifest(video)", .invalidOption, "HLS format"),
            ("/loc/news.ism/QualityLevels(1)/Manifest(,format=m3u8-cmaf)", .malformedPath, "empty track name"),
            ("/loc/news.ism/QualityLevels(1)/Manifest()", .malformedPath, "names no track"),
            ("/loc/news.ism/QualityLevels(1)/Fragments(video=1,format=m3u8-cmaf).exe", .malformedPath, "'.exe'"),
            ("/loc/news.ism/manifest%2", .malformedPath, "percent-encoding"),
            ("/loc/news.ism/manifest%zz", .malformedPath, "percent-encoding"),
            ("/loc/news.ism/manifest(filter=%FF)", .malformedPath, "UTF-8"),
        ]
        for (path, code, fragment) in cases {
            let failure = try #require(error(path), "\(path)")
            #expect(failure.code == code, "\(path): \(failure.message)")
            #expect(failure.status == 400, "\(path)")
            #expect(failure.message.contains(fragment), "\(path): \(failure.message)")
        }
    }

    // MARK: - Builders

    @Test func builtURIs() {
        let cmaf = ManifestOptions(format: .hlsCMAF)
        let dash = ManifestOptions(format: .dashCMAF, filters: ["f1", "f2"])
        #expect(OriginPaths.manifest(options: cmaf) == "manifest(format=m3u8-cmaf)")
        #expect(OriginPaths.manifest(options: ManifestOptions()) == "manifest")
        #expect(OriginPaths.mediaPlaylist(bitrate: 3_000_000, track: "video", format: .hlsCMAF)
                == "QualityLevels(3000000)/Manifest(video,format=m3u8-cmaf)")
        #expect(OriginPaths.mediaPlaylist(bitrate: 1, track: "video", options: cmaf, keyframesOnly: true)
                == "QualityLevels(1)/Manifest(video,format=m3u8-cmaf,type=keyframes)")
        #expect(OriginPaths.fragment(track: "video", time: 17_000_000_000_000_000, options: cmaf)
                == "Fragments(video=17000000000000000,format=m3u8-cmaf)")
        #expect(OriginPaths.initSegment(track: "audio", options: cmaf) == "Fragments(audio=i,format=m3u8-cmaf)")
        #expect(OriginPaths.keyFrame(track: "video", time: 5, options: cmaf) == "KeyFrames(video=5,format=m3u8-cmaf)")
        #expect(OriginPaths.fragmentTemplate(track: "video", options: dash)
                == "QualityLevels($Bandwidth$)/Fragments(video=$Time$,format=mpd-time-cmaf,filter=f1;f2)")
        #expect(OriginPaths.initSegmentTemplate(track: "video", options: dash)
                == "QualityLevels($Bandwidth$)/Fragments(video=i,format=mpd-time-cmaf,filter=f1;f2)")
        #expect(OriginPaths.fragment(track: "my $track", time: 1, options: ManifestOptions())
                == "Fragments(my%20%24track=1)")
    }

    @Test func parseInvertsBuild() throws {
        let names = ["video", "aac_eng_2_128041_2_1", "cam (left)", "a=b", "$dollar", "café", "slash/name", "100%"]
        var requests: [OriginRequest] = []
        let optionSets = [
            ManifestOptions(),
            ManifestOptions(format: .hlsCMAF),
            ManifestOptions(format: .dashCMAF, filters: ["a", "b"], audioOnly: false),
            ManifestOptions(format: .hlsV4, filters: ["x y"], keyframesOnly: true, encryption: "cbc"),
            ManifestOptions(format: .dashCSF, encryption: "cenc"),
            ManifestOptions(format: .fmp4v20),
        ]
        for options in optionSets {
            requests.append(OriginRequest(locatorID: locator, manifestName: "news", resource: .manifest, options: options))
            for name in names {
                var resources: [OriginRequest.Resource] = [
                    .initSegment(bitrate: 128_000, trackName: name),
                    .fragment(bitrate: 3_000_000, trackName: name, time: 17_000_000_000_000_000),
                    .fragment(bitrate: 0, trackName: name, time: 0),
                    .keyFrame(bitrate: 3_000_000, trackName: name, time: Int64.max),
                ]
                // Media playlists exist only for HLS formats.
                if options.format.isHLS { resources.append(.mediaPlaylist(bitrate: 3_000_000, trackName: name)) }
                for resource in resources {
                    requests.append(OriginRequest(locatorID: locator, manifestName: "live event.v2",
                                                  resource: resource, options: options))
                }
            }
        }
        #expect(requests.count > 100)
        for request in requests {
            let path = OriginPaths.path(for: request)
            #expect(try OriginRequest.parse(path: path) == request, "\(path)")
        }
    }
}

@Suite struct PresentationLookupTests {
    @Test func timelineNeedsBothNameAndBitrate() throws {
        let presentation = Fixtures.live
        let found = try #require(presentation.timeline(for: .mediaPlaylist(bitrate: 128_000, trackName: "audio")))
        #expect(found.track == Fixtures.audio)
        #expect(presentation.timeline(for: .fragment(bitrate: 3_000_000, trackName: "video", time: 0))?.track == Fixtures.video)
        #expect(presentation.timeline(for: .initSegment(bitrate: 1_000_000, trackName: "video")) == nil)
        #expect(presentation.timeline(for: .keyFrame(bitrate: 3_000_000, trackName: "audio", time: 0)) == nil)
        #expect(presentation.timeline(for: .manifest) == nil)
        #expect(OriginRequest.Resource.fragment(bitrate: 7, trackName: "v", time: 1).bitrate == 7)
        #expect(OriginRequest.Resource.manifest.trackName == nil)
    }
}
