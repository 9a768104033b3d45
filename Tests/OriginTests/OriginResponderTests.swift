// OriginResponder over live channels and archives, and the resolver's refusals.
import Testing
import Foundation
import Logging
import EventLoop
import HTTP
import Media
import MediaDirectory
import Live
import Origin

let quietLogger = Logger(label: "origin-test") { _ in SwiftLogNoOpLogHandler() }
let second = MediaTime.ticksPerSecond
let t0: Int64 = 1_763_700_000 * MediaTime.ticksPerSecond

/// Publishes fixed sources under locator "loc", and refuses locators named after a status code ("503", "403").
struct TestResolver: LocatorResolver {
    let sources: [String: any MediaSource]

    func resolve(locatorID: String, manifestName: String, request: HTTPRequest) async -> LocatorResolution {
        if let status = Int(locatorID) {
            return .refused(status: status, message: "refused \(status) for \(request.remoteAddress)")
        }
        guard locatorID == "loc", let source = sources[manifestName] else {
            return .refused(status: 404, message: "no streaming locator '\(locatorID)' publishes '\(manifestName).ism'")
        }
        return .source(source)
    }
}

extension LiveChannel {
    /// Ten seconds of 30 fps H.264-shaped video (keyframe every 2 s) and 48 kHz AAC-shaped audio. `payload` adds
    /// that many bytes to every slice and AAC frame (SAMPLE-AES leaves units too short to protect clear).
    func feedSyntheticSeconds(_ seconds: Int, payload: Int = 0) {
        let filler = (0..<payload).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
        let slice: [UInt8] = [UInt8(truncatingIfNeeded: (1 + payload) >> 24), UInt8(truncatingIfNeeded: (1 + payload) >> 16),
                              UInt8(truncatingIfNeeded: (1 + payload) >> 8), UInt8(truncatingIfNeeded: 1 + payload), 0x65] + filler
        beginSession(stream: "s")
        configure(stream: "s", codec: .avc(AVCConfiguration(
            record: [1, 0x64, 0, 0x1f, 0xff, 0xe1], profileIndication: 0x64, profileCompatibility: 0, levelIndication: 0x1f,
            nalUnitLengthSize: 4, sequenceParameterSets: [], pictureParameterSets: [], width: 1280, height: 720, frameRate: 30)))
        configure(stream: "s", codec: .aac(AudioSpecificConfig(bytes: [0x11, 0x90], objectType: 2, sampleRate: 48_000, channelCount: 2)))
        var video = 0, audio = 0
        let endMs = Int64(seconds) * 1000 + 50
        while true {
            let v = Int64((Double(video) * 1000 / 30).rounded())
            let a = Int64(audio) * 1024 * 1000 / 48_000
            if min(v, a) >= endMs { return }
            if v <= a {
                ingest(stream: "s", frame: MediaFrame(kind: .video, decodeTime: v, timescale: 1000, isKeyframe: video % 60 == 0,
                                                      data: slice))
                video += 1
            } else {
                ingest(stream: "s", frame: MediaFrame(kind: .audio, decodeTime: a, timescale: 1000, isKeyframe: true, data: [0x21, 0x10] + filler))
                audio += 1
            }
        }
    }
}

func get(_ responder: OriginResponder, _ target: String) async -> HTTPResponse {
    await responder.respond(to: HTTPRequest(method: "GET", target: target, remoteAddress: "192.0.2.7"), body: HTTPRequestBody(bytes: []))
}

func bodyText(_ response: HTTPResponse) -> String {
    if case .bytes(let bytes) = response.body { return String(decoding: bytes, as: UTF8.self) }
    return ""
}

func bodyBytes(_ response: HTTPResponse) -> [UInt8] {
    if case .bytes(let bytes) = response.body { return bytes }
    return []
}

/// A loop, a channel with ten seconds in it, and an archive of the same ten seconds; the loop must close cleanly.
func withSources(payload: Int = 0, _ body: (EventLoop, LiveChannel, AssetArchive, String) async throws -> Void) async throws {
    let root = NSTemporaryDirectory() + "edgelive-origin-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: root) }
    let loop = try EventLoop(name: "origin-test")
    do {
        let channel = LiveChannel(name: "news", executor: loop.unownedExecutor, clock: { t0 }, logger: quietLogger)
        let archive = try await AssetArchive.open(directory: root + "/assets/a1", loop: loop, logger: quietLogger,
                                                  sourceDescription: "asset 'a1'")
        await archive.startRecording(from: channel, configuration: ArchiveConfiguration(archiveWindow: 3600 * second, rewindWindow: 4 * second))
        await channel.feedSyntheticSeconds(10, payload: payload)
        await archive.flush()
        try await body(loop, channel, archive, root)
    } catch {
        try? await loop.shutdownGracefully()
        throw error
    }
    try await loop.shutdownGracefully()
}

@Suite struct OriginResponderTests {
    @Test func refusalsCarryTheResolversStatusAndMessage() async throws {
        let responder = OriginResponder(resolver: TestResolver(sources: [:]), logger: quietLogger)
        for status in [503, 403] {
            let response = await get(responder, "/\(status)/news.ism/manifest(format=m3u8-cmaf)")
            #expect(response.status == status)
            #expect(bodyText(response).contains("refused \(status) for 192.0.2.7"))
        }
        let missing = await get(responder, "/nobody/news.ism/manifest(format=m3u8-cmaf)")
        #expect(missing.status == 404)
        #expect(bodyText(missing).contains("no streaming locator 'nobody' publishes 'news.ism'"))
    }

    @Test func anEncryptionSchemeIsRefusedNeverServedInTheClear() async throws {
        try await withSources { _, channel, _, _ in
            let responder = OriginResponder(resolver: TestResolver(sources: ["live": channel]), logger: quietLogger)
            let info = try #require(await channel.presentation().tracks.first?.track)
            for scheme in ["cbc", "cenc", "cbcs-aapl"] {
                for target in ["/loc/live.ism/manifest(format=m3u8-cmaf,encryption=\(scheme))",
                               "/loc/live.ism/manifest(format=mpd-time-cmaf,encryption=\(scheme))",
                               "/loc/live.ism/QualityLevels(\(info.bitrate))/Fragments(video=\(t0),format=m3u8-cmaf,encryption=\(scheme))",
                               "/loc/live.ism/QualityLevels(\(info.bitrate))/Fragments(video=\(t0),format=m3u8-aapl,encryption=\(scheme))"] {
                    let response = await get(responder, target)
                    #expect(response.status == 400, "\(target)")
                    #expect(bodyText(response).contains("MPE_ENC_ENCRYPTION_NOT_SET_IN_DELIVERY_POLICY"), "\(target)")
                }
            }
        }
    }

    @Test func liveChannelAndRecordingArchiveAreLive() async throws {
        try await withSources { _, channel, archive, _ in
            let responder = OriginResponder(resolver: TestResolver(sources: ["live": channel, "archive": archive]), logger: quietLogger)
            for name in ["live", "archive"] {
                let master = await get(responder, "/loc/\(name).ism/manifest(format=m3u8-cmaf)")
                #expect(master.status == 200)
                #expect(master.headers["Cache-Control"] == "public, max-age=1")
                let mpd = await get(responder, "/loc/\(name).ism/manifest(format=mpd-time-cmaf)")
                #expect(bodyText(mpd).contains("type=\"dynamic\""))
                #expect(mpd.headers["Cache-Control"] == "public, max-age=1")
            }
            // The recording archive lists its rewind window only (4 s: two video fragments), the channel its own window.
            let info = try #require(await archive.presentation().tracks.first?.track)
            let playlist = await get(responder, "/loc/archive.ism/QualityLevels(\(info.bitrate))/Manifest(video,format=m3u8-cmaf)")
            #expect(bodyText(playlist).components(separatedBy: "#EXTINF:").count - 1 == 2)
            #expect(!bodyText(playlist).contains("#EXT-X-ENDLIST"))
            let early = await get(responder, "/loc/archive.ism/QualityLevels(\(info.bitrate))/Fragments(video=\(t0),format=m3u8-cmaf)")
            #expect(early.status == 404)
            #expect(bodyText(early).contains("before the window of asset 'a1'"))
            let fromChannel = await get(responder, "/loc/live.ism/QualityLevels(\(info.bitrate))/Fragments(video=\(t0),format=m3u8-cmaf)")
            #expect(fromChannel.status == 200)
            #expect(fromChannel.headers["Content-Type"] == "video/mp4")
            // Past the newest fragment of a live source: 412 (not available yet), for CMAF, Smooth and TS alike;
            // a time inside the window where no fragment starts stays 404.
            for name in ["live", "archive"] {
                for format in [",format=m3u8-cmaf", "", ",format=m3u8-aapl"] {
                    let ahead = await get(responder, "/loc/\(name).ism/QualityLevels(\(info.bitrate))/Fragments(video=\(t0 + 12 * second)\(format))")
                    #expect(ahead.status == 412, "\(name)\(format): \(ahead.status) \(bodyText(ahead))")
                    #expect(bodyText(ahead).contains("beyond the live edge"))
                    #expect(ahead.headers["Cache-Control"] == "no-store")
                }
                let between = await get(responder, "/loc/\(name).ism/QualityLevels(\(info.bitrate))/Fragments(video=\(t0 + 9 * second),format=m3u8-cmaf)")
                #expect(between.status == 404)
            }
            await archive.stopRecording()
        }
    }

    @Test func completeArchiveIsOnDemand() async throws {
        try await withSources { loop, channel, archive, root in
            await archive.stopRecording()
            // A fresh instance reads everything from disk, as after a daemon restart.
            let vod = try await AssetArchive.open(directory: root + "/assets/a1", loop: loop,
                                                  logger: quietLogger, sourceDescription: "asset 'a1'")
            let responder = OriginResponder(resolver: TestResolver(sources: ["live": channel, "vod": vod]), logger: quietLogger)
            let master = await get(responder, "/loc/vod.ism/manifest(format=m3u8-cmaf)")
            #expect(master.status == 200)
            #expect(master.headers["Cache-Control"] == "public, max-age=3600")
            let info = try #require(await vod.presentation().tracks.first?.track)
            let playlist = await get(responder, "/loc/vod.ism/QualityLevels(\(info.bitrate))/Manifest(video,format=m3u8-cmaf)")
            let text = bodyText(playlist)
            #expect(text.contains("#EXT-X-PLAYLIST-TYPE:VOD"))
            #expect(text.hasSuffix("#EXT-X-ENDLIST\n"))
            #expect(text.components(separatedBy: "#EXTINF:").count - 1 == 5)
            #expect(playlist.headers["Cache-Control"] == "public, max-age=3600")
            let mpd = bodyText(await get(responder, "/loc/vod.ism/manifest(format=mpd-time-cmaf)"))
            #expect(mpd.contains("type=\"static\""))
            #expect(mpd.contains("presentationTimeOffset=\"\(t0)\""))
            #expect(mpd.contains("mediaPresentationDuration="))

            // Every fragment the channel still has is served byte-identical from disk; the init segment too.
            for time in [0, 2, 4, 6, 8].map({ t0 + $0 * second }) {
                let fromDisk = await get(responder, "/loc/vod.ism/QualityLevels(\(info.bitrate))/Fragments(video=\(time),format=m3u8-cmaf)")
                let fromChannel = await get(responder, "/loc/live.ism/QualityLevels(\(info.bitrate))/Fragments(video=\(time),format=m3u8-cmaf)")
                #expect(fromDisk.status == 200)
                #expect(bodyBytes(fromDisk) == bodyBytes(fromChannel))
                #expect(fromDisk.headers["Cache-Control"] == "public, max-age=86400")
            }
            let initSegment = await get(responder, "/loc/vod.ism/QualityLevels(\(info.bitrate))/Fragments(video=i,format=m3u8-cmaf)")
            #expect(initSegment.status == 200)
            #expect(bodyBytes(initSegment) == (await channel.initSegment(trackName: "video", bitrate: info.bitrate) ?? []))
            let beyond = await get(responder, "/loc/vod.ism/QualityLevels(\(info.bitrate))/Fragments(video=\(t0 + 60 * second),format=m3u8-cmaf)")
            #expect(beyond.status == 404)
            #expect(bodyText(beyond).contains("asset 'a1'"))
        }
    }
}
