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

    // MARK: - SAMPLE-AES of MPEG-TS

    static let cbcsKey = ContentKey(id: UUID(uuidString: "99999999-8888-4777-8666-555555555555")!, value: Array(32..<48))

    /// The stream types a TS segment's PMT lists (PID 0x1000, one packet).
    static func programMapStreamTypes(_ segment: [UInt8]) -> [UInt8] {
        for start in stride(from: 0, to: segment.count - 187, by: 188)
        where Int(segment[start + 1] & 0x1F) << 8 | Int(segment[start + 2]) == 0x1000 {
            let section = Array(segment[(start + 5)..<(start + 188)])
            let length = Int(section[1] & 0x0F) << 8 | Int(section[2])
            var at = 12 + (Int(section[10] & 0x0F) << 8 | Int(section[11]))
            var types: [UInt8] = []
            while at < 3 + length - 4 {
                types.append(section[at])
                at += 5 + (Int(section[at + 3] & 0x0F) << 8 | Int(section[at + 4]))
            }
            return types
        }
        return []
    }

    /// The media playlist URIs of a multivariant playlist: variants, `EXT-X-MEDIA` renditions and I-frame playlists.
    static func mediaPlaylistURIs(_ master: String) -> [String] {
        master.split(separator: "\n").compactMap { line -> String? in
            if line.hasPrefix("QualityLevels(") { return String(line) }
            guard line.hasPrefix("#EXT-X-MEDIA:") || line.hasPrefix("#EXT-X-I-FRAME-STREAM-INF:"),
                  let uri = line.range(of: "URI=\"") else { return nil }
            return String(line[uri.upperBound...].prefix { $0 != "\"" })
        }
    }

    @Test func sampleAESOnMPEGTSSignalsTheKeyWithItsIVAndEncryptsEverySegment() async throws {
        let plan = ProtectionPlan(schemes: [SchemeProtection(scheme: .cbcs, protocols: [.hls], defaultKey: Self.cbcsKey,
                                                             drm: [DRMSignalling(system: .fairPlay), DRMSignalling(system: .clearKey)])])
        // Slices and AAC frames long enough for SAMPLE-AES to protect blocks in them.
        try await withSources(payload: 400) { _, channel, _, _ in
            let responder = OriginResponder(resolver: ProtectedResolver(source: channel, plan: plan), logger: quietLogger)
            let clear = OriginResponder(resolver: TestResolver(sources: ["live": channel]), logger: quietLogger)
            let iv = CommonEncryption.constantIV(for: Self.cbcsKey).map { String(format: "%02x", $0) }.joined()
            let kid = "99999999-8888-4777-8666-555555555555"
            // m3u8-aapl: video variant, audio rendition, the audio-only variant, I-frames; v3: the video variant with
            // audio muxed and the audio-only variant.
            for (format, expectedTypes) in [("m3u8-aapl", [[UInt8(0xDB)], [0xCF]]), ("m3u8-aapl-v3", [[UInt8(0xDB), 0xCF], [0xCF]])] {
                let master = await get(responder, "/loc/live.ism/manifest(format=\(format),encryption=cbcs-aapl)")
                #expect(master.status == 200, "\(format): \(bodyText(master))")
                let uris = Self.mediaPlaylistURIs(bodyText(master))
                #expect(uris.count == (format == "m3u8-aapl" ? 4 : 2), "\(format): \(uris)")
                var seenTypes: [[UInt8]] = []
                for uri in uris {
                    let playlist = bodyText(await get(responder, "/loc/live.ism/" + uri))
                    let lines = playlist.split(separator: "\n").map(String.init)
                    #expect(lines.contains("#EXT-X-VERSION:5"), "KEYFORMAT needs version 5: \(playlist)")
                    let keys = lines.filter { $0.hasPrefix("#EXT-X-KEY:") }
                    #expect(keys == [
                        "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://localhost/keydelivery/FairPlay/?kid=\(kid)\","
                            + "KEYFORMAT=\"com.apple.streamingkeydelivery\",KEYFORMATVERSIONS=\"1\",IV=0x\(iv)",
                        "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"http://localhost/keydelivery/?kid=\(kid)\","
                            + "KEYID=0x\(kid.replacingOccurrences(of: "-", with: "")),KEYFORMAT=\"identity\",IV=0x\(iv)",
                    ], "\(playlist)")
                    let segments = segmentURIs(playlist)
                    #expect(segments.count >= 4)
                    let base = "/loc/live.ism/" + uri.split(separator: "/").dropLast().joined(separator: "/") + "/"
                    for segment in segments.prefix(2) {
                        let encrypted = await get(responder, base + segment)
                        #expect(encrypted.status == 200, "\(segment): \(bodyText(encrypted))")
                        let bytes = bodyBytes(encrypted)
                        #expect(tsPackets(bytes) != nil, "SAMPLE-AES keeps the transport stream readable")
                        let reference = bodyBytes(await get(clear, base + segment.replacingOccurrences(of: ",encryption=cbcs-aapl", with: "")))
                        #expect(!reference.isEmpty && bytes != reference, "\(segment) must not be the clear segment")
                        #expect(Self.programMapStreamTypes(reference).allSatisfy { $0 == 0x1B || $0 == 0x0F })
                        seenTypes.append(Self.programMapStreamTypes(bytes))
                    }
                }
                #expect(Set(seenTypes) == Set(expectedTypes), "\(format): \(seenTypes)")
            }
        }
    }

    @Test func sampleAESv3RefusesAudioUnderAnotherKey() async throws {
        let audioKey = ContentKey(id: UUID(uuidString: "12121212-3434-4565-8787-909090909090")!, value: Array(48..<64))
        let plan = ProtectionPlan(schemes: [SchemeProtection(scheme: .cbcs, protocols: [.hls], defaultKey: Self.cbcsKey,
                                                             trackKeys: [(TrackMatch(fourCCs: ["mp4a"]), audioKey)])])
        try await withSources(payload: 400) { _, channel, _, _ in
            let responder = OriginResponder(resolver: ProtectedResolver(source: channel, plan: plan), logger: quietLogger)
            let master = bodyText(await get(responder, "/loc/live.ism/manifest(format=m3u8-aapl-v3,encryption=cbcs-aapl)"))
            let uri = try #require(Self.mediaPlaylistURIs(master).first)
            let playlist = bodyText(await get(responder, "/loc/live.ism/" + uri))
            let segment = try #require(segmentURIs(playlist).first)
            let base = "/loc/live.ism/" + uri.split(separator: "/").dropLast().joined(separator: "/") + "/"
            let response = await get(responder, base + segment)
            #expect(response.status == 501 && bodyText(response).contains("format=m3u8-aapl"), "\(bodyText(response))")
            // As separate renditions each track has its own key line: served.
            let separate = Self.mediaPlaylistURIs(bodyText(await get(responder, "/loc/live.ism/manifest(format=m3u8-aapl,encryption=cbcs-aapl)")))
            for uri in separate {
                let playlist = bodyText(await get(responder, "/loc/live.ism/" + uri))
                let segment = try #require(segmentURIs(playlist).first)
                let base = "/loc/live.ism/" + uri.split(separator: "/").dropLast().joined(separator: "/") + "/"
                #expect(await get(responder, base + segment).status == 200)
            }
        }
    }
}
