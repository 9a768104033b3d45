import Foundation
import HTTP
import Live
import Media
import Packaging
import Protection

// Dynamic encryption: the locator's protection plan, the scheme a request selects, what manifests signal and how each
// segment is encrypted from the clear stored fragments. Nothing protected is ever answered in the clear: a combination
// the origin cannot encrypt is refused.

/// The protection one request is served with.
struct RequestProtection: Sendable {
    var plan: ProtectionPlan
    var scheme: SchemeProtection
    /// Where this request came in (`http://host:port`), for the key delivery URLs manifests carry.
    var origin: String
}

extension OriginResponder {
    /// The protocol a format is served under, as streaming policies enable them.
    static func deliveryProtocol(_ format: OutputFormat) -> DeliveryProtocol {
        if format.isHLS { return .hls }
        if format.isDASH { return .dash }
        return .smoothStreaming
    }

    /// The scheme `options` select from `plan`, or the refusal: the service's `MPE_ENC_…` codes (400), schemes the
    /// service refused for a format (400), and what this origin cannot encrypt yet (501). Never clear bytes.
    func selectProtection(_ plan: ProtectionPlan, options: ManifestOptions, request: HTTPRequest,
                          source: any MediaSource) -> Result<RequestProtection, ErrorResponse> {
        let format = options.format
        var asked: ProtectionScheme?
        if let text = options.encryption {
            guard let scheme = ProtectionScheme(rawValue: text) else {
                // `piff`: PIFF 1.1 PlayReady for legacy Smooth clients.
                return .failure(ErrorResponse(.error(status: 501, message: "encryption=\(text) is not supported by this origin; "
                                                     + "ask for encryption=cenc")))
            }
            asked = scheme
        }
        let chosen: SchemeProtection
        switch plan.scheme(asked: asked, for: Self.deliveryProtocol(format)) {
        case .failure(let refusal):
            return .failure(ErrorResponse(.error(status: 400, message: "\(refusal.code): \(source.sourceDescription): \(refusal.message)")))
        case .success(let scheme):
            chosen = scheme
        }
        if let unsupported = Self.unsupported(chosen.scheme, format: format, part: options.part != nil) {
            return .failure(ErrorResponse(.error(status: unsupported.status, message: "\(source.sourceDescription): \(unsupported.message)")))
        }
        let host = request.headers["Host"] ?? "localhost"
        let scheme = request.headers["X-Forwarded-Proto"]?.lowercased() == "https" ? "https" : "http"
        return .success(RequestProtection(plan: plan, scheme: chosen, origin: "\(scheme)://\(host)"))
    }

    /// Combinations of scheme and format this origin refuses: the service's own refusals (400) and those it does not
    /// encrypt yet (501, with what it does serve).
    static func unsupported(_ scheme: ProtectionScheme, format: OutputFormat, part: Bool) -> (status: Int, message: String)? {
        switch scheme {
        case .envelope:
            if !format.isHLS {
                return (501, "AES-128 envelope encryption (encryption=cbc) is served on HLS here; DASH and Smooth envelope "
                        + "encryption is not implemented: use HLS, or a policy with commonEncryptionCenc for DASH and Smooth")
            }
            if part { return (501, "AES-128 envelope encryption of low-latency HLS parts is not implemented; ask without low latency") }
        case .cenc:
            if format.isHLS && !format.usesFragmentedMP4 {
                return (501, "CENC of MPEG-TS segments is not implemented; ask for format=m3u8-cmaf,encryption=cenc")
            }
            if part { return (501, "CENC of low-latency HLS parts is not implemented") }
        case .cbcs:
            if part {
                return (400, "encryption=cbcs-aapl is not available for low-latency HLS parts, as with the service; "
                        + "use a standard-latency URL")
            }
            if format.isSmooth { return (400, "encryption=cbcs-aapl is for HLS and DASH; Smooth Streaming uses encryption=cenc") }
        }
        return nil
    }

    // MARK: - Manifests

    /// What manifests signal for `protection`: per track, its key id, the key systems with their `pssh` and licence
    /// URLs, or clear.
    func manifestProtection(_ protection: RequestProtection) -> ManifestProtection {
        let scheme = protection.scheme
        func signal(_ key: ContentKey) -> TrackProtectionSignal {
            switch scheme.scheme {
            case .envelope:
                let template = scheme.drm.first { $0.system == .clearKey }?.licenseURLTemplate
                return TrackProtectionSignal(method: .envelope, keyID: key.id,
                                             envelopeKeyURL: keyURL(template, key: key, protection: protection, path: "/keydelivery/?kid="))
            case .cenc:
                return TrackProtectionSignal(method: .cenc, keyID: key.id, systems: keySystems(key, protection: protection))
            case .cbcs:
                // The constant IV of CMAF's `tenc` is also the IV MPEG-TS SAMPLE-AES key lines write: one IV per key.
                return TrackProtectionSignal(method: .cbcs, keyID: key.id, systems: keySystems(key, protection: protection),
                                             constantIV: CommonEncryption.constantIV(for: key))
            }
        }
        var byFourCC: [String: TrackProtectionSignal?] = [:]
        for match in scheme.clearTracks { for fourCC in match.fourCCs { byFourCC[fourCC] = .some(nil) } }
        for (match, key) in scheme.trackKeys.reversed() {
            for fourCC in match.fourCCs where byFourCC[fourCC] == nil || byFourCC[fourCC]! != nil { byFourCC[fourCC] = signal(key) }
        }
        return ManifestProtection(defaultSignal: signal(scheme.defaultKey), byFourCC: byFourCC)
    }

    /// A licence or key URL: the policy's custom template with `{ContentKeyId}` and `{AlternativeMediaId}` substituted,
    /// or the box's own key delivery at `path` + the key id.
    func keyURL(_ template: String?, key: ContentKey, protection: RequestProtection, path: String) -> String {
        let id = key.id.uuidString.lowercased()
        if let template {
            return template.replacingOccurrences(of: "{ContentKeyId}", with: id)
                .replacingOccurrences(of: "{AlternativeMediaId}", with: protection.plan.alternativeMediaID ?? "")
        }
        return protection.origin + path + id
    }
}

extension OriginResponder {
    // MARK: - Key systems

    /// The key systems a common-encryption scheme signals for `key`: each DRM the policy names (licence URLs from its
    /// templates, else the box's key delivery, which answers ClearKey itself and names the third-party server for the
    /// others), with its `pssh`. W3C Clear Key is always among them when the policy names no DRM at all.
    func keySystems(_ key: ContentKey, protection: RequestProtection) -> [KeySystemSignal] {
        let scheme = Self.signalledDRM(protection.scheme)
        return scheme.drm.map { drm in
            let url = licenseURL(drm, key: key, protection: protection)
            let pssh = PSSH.box(for: drm.system, key: key, scheme: scheme.scheme, licenseURL: url, customAttributes: drm.customAttributes)
            var signal = KeySystemSignal(system: Self.signalledSystem(drm.system), systemID: drm.system.systemID,
                                         psshBase64: pssh.map { Data($0).base64EncodedString() })
            switch drm.system {
            case .clearKey:
                signal.licenseURL = url
                // HLS `KEYFORMAT="identity"` names the raw key, which the box's key delivery serves beside the licence.
                signal.keyURL = drm.licenseURLTemplate == nil ? keyURL(nil, key: key, protection: protection, path: "/keydelivery/?kid=") : url
            case .playReady:
                signal.playReadyObjectBase64 = PSSH.playReadyObjectBase64(keyID: key.id, licenseURL: url, customAttributes: drm.customAttributes,
                                                                          scheme: scheme.scheme)
            case .fairPlay:
                signal.licenseURL = url
            case .widevine:
                break
            }
            return signal
        }
    }

    /// The DRM systems a scheme is signalled for: the policy's, or W3C Clear Key alone when it names none.
    static func signalledDRM(_ scheme: SchemeProtection) -> SchemeProtection {
        var signalled = scheme
        if signalled.drm.isEmpty { signalled.drm = [DRMSignalling(system: .clearKey)] }
        return signalled
    }

    /// Where a player gets `drm`'s licence for `key`: the policy's template, or the box's key delivery.
    func licenseURL(_ drm: DRMSignalling, key: ContentKey, protection: RequestProtection) -> String {
        let path = switch drm.system {
        case .clearKey: "/keydelivery/ClearKey/?kid="
        case .playReady: "/keydelivery/PlayReady/?kid="
        case .widevine: "/keydelivery/Widevine/?kid="
        case .fairPlay: "/keydelivery/FairPlay/?kid="
        }
        return keyURL(drm.licenseURLTemplate, key: key, protection: protection, path: path)
    }

    static func signalledSystem(_ system: DRMSystem) -> KeySystemSignal.System {
        switch system {
        case .clearKey: .clearKey
        case .playReady: .playReady
        case .widevine: .widevine
        case .fairPlay: .fairPlay
        }
    }

    /// The `pssh` boxes a protected init segment carries for `key`.
    func psshBoxes(_ key: ContentKey, protection: RequestProtection) -> [[UInt8]] {
        PSSH.boxes(for: Self.signalledDRM(protection.scheme), key: key) { licenseURL($0, key: key, protection: protection) }
    }

    // MARK: - Segments

    /// A track's stored CMAF header protected for the request: common encryption rewrites it (`encv`/`enca`, `sinf`,
    /// `pssh`); the envelope and clear tracks leave it as stored.
    func protectedInitSegment(_ bytes: [UInt8], track: TrackInfo, protection: RequestProtection?) -> Result<[UInt8], ErrorResponse> {
        guard let protection, protection.scheme.scheme != .envelope,
              let key = protection.scheme.key(forFourCC: track.codec.fourCC) else { return .success(bytes) }
        do {
            return .success(try CommonEncryption.protectInitSegment(bytes, scheme: protection.scheme.scheme, key: key,
                                                                   pssh: psshBoxes(key, protection: protection)))
        } catch {
            return .failure(encryptionFailure("\(error)", track: track))
        }
    }

    /// A stored CMAF (or rewrapped Smooth) fragment under common encryption, before any `tfdt` shift (its IVs come from
    /// the stored times). The envelope and clear tracks pass through.
    func commonEncrypted(_ bytes: [UInt8], track: TrackInfo, source: any MediaSource,
                         protection: RequestProtection?) async -> Result<[UInt8], ErrorResponse> {
        guard let protection, protection.scheme.scheme != .envelope,
              let key = protection.scheme.key(forFourCC: track.codec.fourCC) else { return .success(bytes) }
        guard let header = await source.initSegment(trackName: track.name, bitrate: track.bitrate) else {
            return .failure(ErrorResponse(unknownTrack(track.name, track.bitrate, source)))
        }
        do {
            let layout = try ProtectedTrack(initSegment: header, trackID: track.trackID)
            return .success(try CommonEncryption.protectFragment(bytes, scheme: protection.scheme.scheme, key: key, track: layout,
                                                                ivContext: Array("\(track.name)/\(track.bitrate)".utf8)))
        } catch {
            return .failure(encryptionFailure("\(error)", track: track))
        }
    }

    /// A whole segment under the AES-128 envelope: its final bytes (after any `tfdt` shift), AES-128-CBC with the IV the
    /// playlist names for the segment at `time`. Other schemes, clear tracks and error responses pass through.
    func envelopeEncrypted(_ response: HTTPResponse, track: TrackInfo, time: Int64, protection: RequestProtection?) -> HTTPResponse {
        guard let protection, protection.scheme.scheme == .envelope, response.status == 200, case .bytes(let bytes) = response.body,
              let key = protection.scheme.key(forFourCC: track.codec.fourCC) else { return response }
        do {
            var encrypted = response
            encrypted.body = .bytes(try EnvelopeEncryption.encrypt(bytes, key: key, iv: ManifestProtection.envelopeIV(segmentTime: time)))
            return encrypted
        } catch {
            return encryptionFailure("\(error)", track: track).response
        }
    }

    /// SAMPLE-AES of `track`'s stream in a TS segment (Apple's MPEG-2 stream encryption, with the key's constant IV,
    /// which the playlist's key line carries); nil for clear tracks and for other schemes (the envelope encrypts the
    /// muxed segment whole).
    func sampleEncryption(for track: TrackInfo, protection: RequestProtection?) -> Result<TransportStreamSampleEncryption?, ErrorResponse> {
        guard let protection, protection.scheme.scheme == .cbcs,
              let key = protection.scheme.key(forFourCC: track.codec.fourCC) else { return .success(nil) }
        let cipher: SampleAES
        do {
            cipher = try SampleAES(key: key, iv: CommonEncryption.constantIV(for: key))
        } catch {
            return .failure(encryptionFailure("\(error)", track: track))
        }
        return .success(TransportStreamSampleEncryption(nalUnit: { cipher.encryptNALUnit($0) }, aacFrame: { cipher.encryptAACFrame($0) }))
    }

    /// `m3u8-aapl-v3` muxes the audio into the video's segments, whose playlist names one key: the audio must use the
    /// video's key or stay clear. The refusal otherwise (501: serving it would need a second key line).
    func muxedAudioRefusal(video: TrackInfo, audio: TrackInfo, protection: RequestProtection?) -> ErrorResponse? {
        guard let protection, protection.scheme.scheme == .cbcs,
              let audioKey = protection.scheme.key(forFourCC: audio.codec.fourCC) else { return nil }
        if let videoKey = protection.scheme.key(forFourCC: video.codec.fourCC), videoKey.id == audioKey.id { return nil }
        return ErrorResponse(.error(status: 501, message: "format=m3u8-aapl-v3 muxes audio '\(audio.name)' into the segments of video "
                                    + "'\(video.name)', but the streaming policy encrypts them with different keys (or the video not "
                                    + "at all), which one SAMPLE-AES key line cannot name; use format=m3u8-aapl (audio as its own rendition)"))
    }

    private func encryptionFailure(_ reason: String, track: TrackInfo) -> ErrorResponse {
        logger.error("segment encryption failed", metadata: ["track": "\(track.name)", "bitrate": "\(track.bitrate)", "error": "\(reason)"])
        return ErrorResponse(.error(status: 500, message: "the segment of '\(track.name)' could not be encrypted; see the daemon's log"))
    }
}
