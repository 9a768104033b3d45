// Every output format through the origin, from a live channel's canonical fragments and from an on-demand archive:
// manifests, TS segments (continuity across segments, muxed audio), Smooth fragments, key frames, CSF.
import Testing
import Foundation
import EventLoop
import HTTP
import ISOBMFF
import Live
import Media
import MediaDirectory
import Origin
import Packaging

/// Resolves every locator to one source with a given `hls.fragmentsPerTsSegment`.
struct FixedResolver: LocatorResolver {
    let source: any MediaSource
    let fragmentsPerTSSegment: Int?
    func resolve(locatorID: String, manifestName: String, request: HTTPRequest) async -> LocatorResolution {
        .source(source, fragmentsPerTSSegment: fragmentsPerTSSegment)
    }
}

/// TS packets of a body: (PID, payload present, continuity counter); fails on a missing sync byte.
func tsPackets(_ bytes: [UInt8]) -> [(pid: Int, payload: Bool, counter: Int)]? {
    guard !bytes.isEmpty, bytes.count % 188 == 0 else { return nil }
    var out: [(Int, Bool, Int)] = []
    for start in stride(from: 0, to: bytes.count, by: 188) {
        guard bytes[start] == 0x47 else { return nil }
        out.append((Int(bytes[start + 1] & 0x1F) << 8 | Int(bytes[start + 2]), bytes[start + 3] & 0x10 != 0, Int(bytes[start + 3] & 0x0F)))
    }
    return out
}

/// Segment URIs of a media playlist, resolved against `QualityLevels(<bitrate>)/`.
func segmentURIs(_ playlist: String) -> [String] {
    playlist.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
}

@Suite(.serialized) struct OriginFormatsTests {
    @Test func everyManifestFormatIsServedWithItsContentType() async throws {
        try await withSources { _, channel, _, _ in
            let responder = OriginResponder(resolver: TestResolver(sources: ["live": channel]), logger: quietLogger)
            let cases: [(String, String, String)] = [
                ("manifest(format=m3u8-aapl)", "application/vnd.apple.mpegurl", "#EXT-X-VERSION:4"),
                ("manifest(format=m3u8-aapl-v4).m3u8", "application/vnd.apple.mpegurl", "#EXT-X-VERSION:4"),
                ("manifest(format=m3u8-aapl-v3)", "application/vnd.apple.mpegurl", "#EXT-X-VERSION:3"),
                ("manifest(format=m3u8-cmaf,audio-only=false).m3u8", "application/vnd.apple.mpegurl", "#EXT-X-I-FRAME-STREAM-INF"),
                ("manifest(format=mpd-time-csf).mpd", "application/dash+xml", "urn:mpeg:dash:profile:isoff-live:2011\""),
                ("manifest(format=mpd-time-cmaf)", "application/dash+xml", "cmaf:2019"),
                ("manifest", "application/vnd.ms-sstr+xml", "MinorVersion=\"2\""),
                ("manifest(format=fmp4-v20)", "application/vnd.ms-sstr+xml", "MinorVersion=\"0\""),
            ]
            for (resource, type, marker) in cases {
                let response = await get(responder, "/loc/live.ism/" + resource)
                #expect(response.status == 200, "\(resource): \(bodyText(response))")
                #expect(response.headers["Content-Type"] == type, "\(resource)")
                #expect(bodyText(response).contains(marker), "\(resource)")
            }
            // audio-only=false drops the audio-only variant of the TS playlists.
            let v4 = bodyText(await get(responder, "/loc/live.ism/manifest(format=m3u8-aapl,audio-only=false)"))
            #expect(v4.components(separatedBy: "#EXT-X-STREAM-INF:").count - 1 == 1)
        }
    }

    @Test func tsSegmentsOfEveryPlaylistDecodeStructurallyAndContinueEachOther() async throws {
        try await withSources { _, channel, _, _ in
            let responder = OriginResponder(resolver: TestResolver(sources: ["live": channel]), logger: quietLogger)
            let info = try #require(await channel.presentation().tracks.first { $0.track.kind == .video }?.track)
            let audio = try #require(await channel.presentation().tracks.first { $0.track.kind == .audio }?.track)
            for (format, track) in [("m3u8-aapl", info), ("m3u8-aapl", audio), ("m3u8-aapl-v3", info)] {
                let base = "/loc/live.ism/QualityLevels(\(track.bitrate))/"
                let playlist = bodyText(await get(responder, base + "Manifest(\(track.name),format=\(format))"))
                let uris = segmentURIs(playlist)
                #expect(uris.count >= 4, "\(format) \(track.name): \(playlist)")
                var last: [Int: Int] = [:]
                var pids: Set<Int> = []
                for uri in uris {
                    let response = await get(responder, base + uri)
                    #expect(response.status == 200, "\(uri): \(bodyText(response))")
                    #expect(response.headers["Content-Type"] == "video/mp2t")
                    let packets = try #require(tsPackets(bodyBytes(response)), "\(uri) is not a transport stream")
                    for packet in packets where packet.pid != 0 && packet.pid != 0x1000 && packet.payload {
                        if let previous = last[packet.pid] {
                            #expect(packet.counter == (previous + 1) & 15, "\(format) \(uri) PID \(packet.pid)")
                        }
                        last[packet.pid] = packet.counter
                        pids.insert(packet.pid)
                    }
                }
                // v3 video carries the audio too; v4 keeps them apart.
                let expected: Set<Int> = format == "m3u8-aapl-v3" ? [0x100, 0x101] : [track.kind == .video ? 0x100 : 0x101]
                #expect(pids == expected, "\(format) \(track.name)")
            }
            // TS formats have no initialization segment; an unknown start time says where to look.
            let base = "/loc/live.ism/QualityLevels(\(info.bitrate))/"
            #expect(await get(responder, base + "Fragments(video=i,format=m3u8-aapl)").status == 404)
            let odd = await get(responder, base + "Fragments(video=\(t0 + 1),format=m3u8-aapl).ts")
            #expect(odd.status == 404 && bodyText(odd).contains("media playlist"))
        }
    }

    @Test func fragmentsPerTSSegmentFromTheResolverGroupsFragments() async throws {
        try await withSources { _, channel, _, _ in
            let responder = OriginResponder(resolver: FixedResolver(source: channel, fragmentsPerTSSegment: 2), logger: quietLogger)
            let info = try #require(await channel.presentation().tracks.first { $0.track.kind == .video }?.track)
            let playlist = bodyText(await get(responder, "/loc/live.ism/QualityLevels(\(info.bitrate))/Manifest(video,format=m3u8-aapl)"))
            // Five 2 s fragments, sequence numbers 1…5: segments 1…2 and 3…4; 5 waits for 6.
            #expect(playlist.contains("#EXT-X-TARGETDURATION:4"))
            #expect(playlist.contains("#EXT-X-MEDIA-SEQUENCE:1"))
            #expect(segmentURIs(playlist).count == 2)
            #expect(playlist.components(separatedBy: "#EXTINF:4.0").count - 1 == 2)
            let second = try #require(segmentURIs(playlist).last)
            let response = await get(responder, "/loc/live.ism/QualityLevels(\(info.bitrate))/" + second)
            let packets = try #require(tsPackets(bodyBytes(response)))
            // 120 video frames (four PES per… one per frame) and PAT/PMT counters from media sequence 2.
            #expect(packets[0].counter == 2 && packets[1].counter == 2)
            #expect(packets.filter { $0.pid == 0x100 && $0.payload }.count % 16 == 0)
        }
    }

    @Test func smoothFragmentsCarryTfxdAndLiveLookAhead() async throws {
        try await withSources { loop, channel, archive, root in
            let responder = OriginResponder(resolver: TestResolver(sources: ["live": channel]), logger: quietLogger)
            let info = try #require(await channel.presentation().tracks.first { $0.track.kind == .video }?.track)
            let base = "/loc/live.ism/QualityLevels(\(info.bitrate))/"
            let first = await get(responder, base + "Fragments(video=\(t0))")
            #expect(first.status == 200)
            #expect(first.headers["Cache-Control"] == "public, max-age=86400")
            let boxes = try Box.parseAll(bodyBytes(first))
            #expect(boxes.map(\.type) == ["moof", "mdat"])
            let uuids = try #require(boxes.first(path: "moof/traf")).children(ofType: "uuid")
            #expect(uuids.map(\.userType) == [CMAFWriter.tfxdUserType, CMAFWriter.tfrfUserType])
            #expect(uuids[1].payload[uuids[1].payload.startIndex + 4] == 2)  // two fragments announced
            // At the live edge fewer follow, so the fragment may change: short cache.
            let last = await get(responder, base + "Fragments(video=\(t0 + 8 * second))")
            #expect(last.headers["Cache-Control"] == "public, max-age=1")
            // The init segment (for clients that want one) is the CMAF header; with it ffmpeg-style readers see one track.
            #expect(await get(responder, base + "Fragments(video=i)").status == 200)
            _ = (loop, archive, root)
        }
    }

    @Test func keyFramesAreOneSampleSegments() async throws {
        try await withSources { _, channel, _, _ in
            let responder = OriginResponder(resolver: TestResolver(sources: ["live": channel]), logger: quietLogger)
            let info = try #require(await channel.presentation().tracks.first { $0.track.kind == .video }?.track)
            let base = "/loc/live.ism/QualityLevels(\(info.bitrate))/"
            let iframes = bodyText(await get(responder, base + "Manifest(video,format=m3u8-aapl,type=keyframes)"))
            #expect(iframes.contains("#EXT-X-I-FRAMES-ONLY"))
            let uris = segmentURIs(iframes)
            #expect(uris.count == 5)
            for uri in uris {
                let response = await get(responder, base + uri)
                let packets = try #require(tsPackets(bodyBytes(response)))
                #expect(packets.filter { $0.pid == 0x100 && $0.payload }.count == 16)  // one tiny IDR, padded to a cycle
            }
            let cmaf = await get(responder, base + "KeyFrames(video=\(t0),format=m3u8-cmaf).mp4")
            let fragment = try MovieFragment(parsing: bodyBytes(cmaf))
            #expect(fragment.samples.count == 1 && fragment.samples[0].isSync)
            #expect(await get(responder, base + "KeyFrames(video=\(t0),format=mpd-time-cmaf)").status == 400)
        }
    }

    @Test func onDemandArchiveServesEveryFormat() async throws {
        try await withSources { loop, channel, archive, root in
            await archive.stopRecording()
            let vod = try await AssetArchive.open(directory: root + "/assets/a1", loop: loop, logger: quietLogger, sourceDescription: "asset 'a1'")
            let responder = OriginResponder(resolver: TestResolver(sources: ["vod": vod]), logger: quietLogger)
            let info = try #require(await vod.presentation().tracks.first { $0.track.kind == .video }?.track)
            let smooth = bodyText(await get(responder, "/loc/vod.ism/manifest"))
            #expect(!smooth.contains("IsLive") && smooth.contains("Duration=\"1"))
            let v3 = bodyText(await get(responder, "/loc/vod.ism/QualityLevels(\(info.bitrate))/Manifest(video,format=m3u8-aapl-v3)"))
            #expect(v3.hasSuffix("#EXT-X-ENDLIST\n") && segmentURIs(v3).count == 5)
            for uri in segmentURIs(v3) {
                let response = await get(responder, "/loc/vod.ism/QualityLevels(\(info.bitrate))/" + uri)
                #expect(response.status == 200 && tsPackets(bodyBytes(response)) != nil)
            }
            let fragment = await get(responder, "/loc/vod.ism/QualityLevels(\(info.bitrate))/Fragments(video=\(t0))")
            let traf = try #require(try Box.parseAll(bodyBytes(fragment)).first(path: "moof/traf"))
            #expect(traf.children(ofType: "uuid").count == 1)  // tfxd only: nothing to look ahead to on demand
            let csf = bodyText(await get(responder, "/loc/vod.ism/manifest(format=mpd-time-csf)"))
            #expect(csf.contains("type=\"static\"") && csf.contains("profiles=\"ccff\""))
            _ = channel
        }
    }
}
