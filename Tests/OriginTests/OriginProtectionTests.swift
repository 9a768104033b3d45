// Dynamic encryption through the origin: the scheme a request gets from the locator's plan, the keys manifests signal,
// segments encrypted per request from the clear stored fragments, and the refusals. Never clear bytes for a protected
// locator.
import Testing
import Foundation
import HTTP
import Live
import Media
import MediaDirectory
import Origin
import Packaging
import Protection

/// Publishes one source under locator "loc" with a protection plan.
struct ProtectedResolver: LocatorResolver {
    let source: any MediaSource
    let plan: ProtectionPlan

    func resolve(locatorID: String, manifestName: String, request: HTTPRequest) async -> LocatorResolution {
        .source(source, protection: plan)
    }
}

@Suite(.serialized) struct OriginProtectionTests {
    static let envelopeKey = ContentKey(id: UUID(uuidString: "11111111-2222-4333-8444-555555555555")!, value: Array(0..<16))
    static let cencKey = ContentKey(id: UUID(uuidString: "66666666-7777-4888-9999-AAAAAAAAAAAA")!, value: Array(16..<32))

    /// `Predefined_ClearKey`-like on HLS, CENC with Widevine and PlayReady on DASH and Smooth.
    static let plan = ProtectionPlan(schemes: [
        SchemeProtection(scheme: .envelope, protocols: [.hls], defaultKey: envelopeKey),
        SchemeProtection(scheme: .cenc, protocols: [.dash, .smoothStreaming], defaultKey: cencKey,
                         drm: [DRMSignalling(system: .widevine), DRMSignalling(system: .playReady)]),
    ])

    static func contains(_ bytes: [UInt8], _ type: String) -> Bool {
        let needle = Array(type.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    @Test func envelopeHLSKeysEverySegmentAndEncryptsItWithThePlaylistsIV() async throws {
        try await withSources { _, channel, _, _ in
            let responder = OriginResponder(resolver: ProtectedResolver(source: channel, plan: Self.plan), logger: quietLogger)
            let clear = OriginResponder(resolver: TestResolver(sources: ["live": channel]), logger: quietLogger)
            // No `encryption=`: the only scheme the plan enables for HLS.
            let master = bodyText(await get(responder, "/loc/live.ism/manifest(format=m3u8-aapl)"))
            let playlistURI = try #require(master.split(separator: "\n").first { $0.hasPrefix("QualityLevels(") && $0.contains("video") })
            let playlist = bodyText(await get(responder, "/loc/live.ism/" + playlistURI))
            let lines = playlist.split(separator: "\n").map(String.init)
            let keys = lines.filter { $0.hasPrefix("#EXT-X-KEY:") }
            let segments = segmentURIs(playlist)
            #expect(keys.count == segments.count && segments.count >= 4, "\(playlist)")
            #expect(keys.allSatisfy { $0.contains("METHOD=AES-128,URI=\"http://localhost/keydelivery/?kid=11111111-2222-4333-8444-555555555555\"") })
            let base = "/loc/live.ism/" + playlistURI.split(separator: "/").dropLast().joined(separator: "/") + "/"
            for (key, uri) in zip(keys, segments).prefix(2) {
                let encrypted = await get(responder, base + uri)
                #expect(encrypted.status == 200)
                let reference = bodyBytes(await get(clear, base + uri))
                #expect(tsPackets(bodyBytes(encrypted)) == nil, "a protected segment must not be MPEG-TS in the clear")
                let ivHex = try #require(key.split(separator: "IV=0x").last)
                let iv = stride(from: 0, to: ivHex.count, by: 2).map { UInt8(ivHex.dropFirst($0).prefix(2), radix: 16)! }
                let decrypted = try EnvelopeEncryption.decrypt(bodyBytes(encrypted), key: Self.envelopeKey, iv: iv)
                #expect(decrypted == reference, "decrypted with the playlist's IV, it is the clear segment")
            }
        }
    }

    @Test func envelopeHLSCMAFKeepsTheInitSegmentClearAndEncryptsSegmentsWhole() async throws {
        try await withSources { _, channel, _, _ in
            let responder = OriginResponder(resolver: ProtectedResolver(source: channel, plan: Self.plan), logger: quietLogger)
            let clear = OriginResponder(resolver: TestResolver(sources: ["live": channel]), logger: quietLogger)
            let video = try #require(await channel.presentation().tracks.first { $0.track.kind == .video }?.track)
            let path = "/loc/live.ism/QualityLevels(\(video.bitrate))/Manifest(video,format=m3u8-cmaf,encryption=cbc)"
            let playlist = bodyText(await get(responder, path))
            let segment = try #require(segmentURIs(playlist).first)
            let initPath = "/loc/live.ism/QualityLevels(\(video.bitrate))/Fragments(video=i,format=m3u8-cmaf,encryption=cbc)"
            #expect(bodyBytes(await get(responder, initPath)) == bodyBytes(await get(clear, initPath.replacingOccurrences(of: ",encryption=cbc", with: ""))))
            let time = try #require(Int64(segment.split(separator: "=")[1].split(separator: ",")[0]))
            let encrypted = bodyBytes(await get(responder, "/loc/live.ism/QualityLevels(\(video.bitrate))/" + segment))
            let reference = bodyBytes(await get(clear, "/loc/live.ism/QualityLevels(\(video.bitrate))/" + segment.replacingOccurrences(of: ",encryption=cbc", with: "")))
            #expect(!Self.contains(Array(encrypted.prefix(64)), "moof"))
            #expect(try EnvelopeEncryption.decrypt(encrypted, key: Self.envelopeKey, iv: ManifestProtection.envelopeIV(segmentTime: time)) == reference)
        }
    }

    @Test func cencDASHAndSmoothSignalAndEncrypt() async throws {
        try await withSources { _, channel, _, _ in
            let responder = OriginResponder(resolver: ProtectedResolver(source: channel, plan: Self.plan), logger: quietLogger)
            let tracks = await channel.presentation().tracks.map(\.track)
            let video = try #require(tracks.first { $0.kind == .video }), audio = try #require(tracks.first { $0.kind == .audio })
            let mpd = bodyText(await get(responder, "/loc/live.ism/manifest(format=mpd-time-cmaf)"))
            #expect(mpd.contains("value=\"cenc\" cenc:default_KID=\"66666666-7777-4888-9999-aaaaaaaaaaaa\""))
            #expect(mpd.contains("urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed") && mpd.contains("<mspr:pro>"))
            let header = bodyBytes(await get(responder, "/loc/live.ism/QualityLevels(\(video.bitrate))/Fragments(video=i,format=mpd-time-cmaf)"))
            #expect(Self.contains(header, "encv") && Self.contains(header, "tenc") && Self.contains(header, "pssh"))
            let timeline = try #require(mpd.range(of: "<S t=\""))
            let time = mpd[timeline.upperBound...].prefix { $0.isNumber }
            let fragment = bodyBytes(await get(responder, "/loc/live.ism/QualityLevels(\(video.bitrate))/Fragments(video=\(time),format=mpd-time-cmaf)"))
            #expect(Self.contains(fragment, "senc") && Self.contains(fragment, "saio"), "\(String(decoding: fragment.prefix(300), as: UTF8.self)) \(time)")

            let smooth = bodyText(await get(responder, "/loc/live.ism/manifest"))
            #expect(smooth.contains("<ProtectionHeader SystemID=\"9a04f079-9840-4286-ab92-e65be0885f95\">"))
            let smoothFragment = bodyBytes(await get(responder, "/loc/live.ism/QualityLevels(\(audio.bitrate))/Fragments(audio=\(try #require(Self.firstAudioTime(smooth))))"))
            #expect(Self.contains(smoothFragment, "senc"))
        }
    }

    static func firstAudioTime(_ manifest: String) -> Substring? {
        guard let audio = manifest.range(of: "Type=\"audio\""), let c = manifest.range(of: "<c t=\"", range: audio.upperBound..<manifest.endIndex) else { return nil }
        return manifest[c.upperBound...].prefix { $0.isNumber }
    }

    @Test func refusalsNeverServeClearBytes() async throws {
        try await withSources { _, channel, _, _ in
            let responder = OriginResponder(resolver: ProtectedResolver(source: channel, plan: Self.plan), logger: quietLogger)
            let video = try #require(await channel.presentation().tracks.first { $0.track.kind == .video }?.track)
            let cases: [(String, Int, String)] = [
                // A scheme the plan does not enable for the protocol.
                ("manifest(format=mpd-time-cmaf,encryption=cbcs-aapl)", 400, "MPE_ENC_ENCRYPTION_NOT_SET_IN_DELIVERY_POLICY"),
                ("QualityLevels(\(video.bitrate))/Fragments(video=i,format=m3u8-cmaf,encryption=cenc)", 400, "MPE_ENC_ENCRYPTION_NOT_SET_IN_DELIVERY_POLICY"),
                ("manifest(format=m3u8-aapl,encryption=piff)", 501, "encryption=piff"),
            ]
            for (resource, status, marker) in cases {
                let response = await get(responder, "/loc/live.ism/" + resource)
                #expect(response.status == status, "\(resource): \(bodyText(response))")
                #expect(bodyText(response).contains(marker), "\(resource): \(bodyText(response))")
            }
            // A protocol the plan leaves without a scheme, asked without `encryption=`.
            let dashOnly = ProtectionPlan(schemes: [SchemeProtection(scheme: .cenc, protocols: [.dash], defaultKey: Self.cencKey)])
            let strict = OriginResponder(resolver: ProtectedResolver(source: channel, plan: dashOnly), logger: quietLogger)
            let hls = await get(strict, "/loc/live.ism/manifest(format=m3u8-cmaf)")
            #expect(hls.status == 400 && bodyText(hls).contains("MPE_ENC_ENCRYPTION_NOT_SPECIFIED_IN_URL"))
            // The envelope is not built for DASH: refused, not served clear.
            let dashEnvelope = ProtectionPlan(schemes: [SchemeProtection(scheme: .envelope, protocols: [.dash], defaultKey: Self.envelopeKey)])
            let unbuilt = OriginResponder(resolver: ProtectedResolver(source: channel, plan: dashEnvelope), logger: quietLogger)
            #expect(await get(unbuilt, "/loc/live.ism/manifest(format=mpd-time-cmaf)").status == 501)
            #expect(await get(unbuilt, "/loc/live.ism/QualityLevels(\(video.bitrate))/Fragments(video=i,format=mpd-time-cmaf)").status == 501)
        }
    }
}
