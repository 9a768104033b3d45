import Foundation
import Media

// How manifests signal content protection. The origin makes a ``ManifestProtection`` from a locator's protection plan
// (keys, DRM systems, the `pssh` data and licence URLs); the builders only write it out in each format's syntax.

/// A DRM or key system a protected track is signalled for.
public struct KeySystemSignal: Sendable, Hashable {
    public enum System: String, Sendable, Hashable {
        /// W3C Clear Key: DASH `e2719d58-…` with a licence URL; HLS `KEYFORMAT="identity"` with the raw key URL.
        case clearKey
        case playReady
        case widevine
        case fairPlay
    }

    public var system: System
    /// The DASH-IF system id.
    public var systemID: UUID
    /// The `pssh` box, base64 (DASH `cenc:pssh`, HLS Widevine data URI).
    public var psshBase64: String?
    /// The PlayReady Object, base64 (DASH `mspr:pro`, Smooth `ProtectionHeader`, HLS PlayReady data URI).
    public var playReadyObjectBase64: String?
    /// Where a player gets the licence: the ClearKey licence URL (DASH), the FairPlay key server (HLS, written as
    /// `skd://…`); nil when the data above carries it.
    public var licenseURL: String?
    /// Clear Key only: the URL of the raw 16-byte key, which HLS `KEYFORMAT="identity"` names.
    public var keyURL: String?

    public init(system: System, systemID: UUID, psshBase64: String? = nil, playReadyObjectBase64: String? = nil,
                licenseURL: String? = nil, keyURL: String? = nil) {
        self.system = system
        self.systemID = systemID
        self.psshBase64 = psshBase64
        self.playReadyObjectBase64 = playReadyObjectBase64
        self.licenseURL = licenseURL
        self.keyURL = keyURL
    }
}

/// The protection of one track as manifests show it.
public struct TrackProtectionSignal: Sendable, Hashable {
    public enum Method: String, Sendable, Hashable {
        /// AES-128 of whole segments (`encryption=cbc`): HLS `METHOD=AES-128` with the segment's IV.
        case envelope
        /// ISO common encryption, AES-CTR (`cenc`).
        case cenc
        /// ISO common encryption, AES-CBC 1:9 pattern (`cbcs`).
        case cbcs
    }

    public var method: Method
    public var keyID: UUID
    /// The key systems signalled (CENC and CBCS).
    public var systems: [KeySystemSignal]
    /// Envelope: the URL of the raw 16-byte key.
    public var envelopeKeyURL: String?

    public init(method: Method, keyID: UUID, systems: [KeySystemSignal] = [], envelopeKeyURL: String? = nil) {
        self.method = method
        self.keyID = keyID
        self.systems = systems
        self.envelopeKeyURL = envelopeKeyURL
    }
}

/// The protection a manifest request is served with: each track's signalling, or nil for a track left clear.
public struct ManifestProtection: Sendable, Hashable {
    /// Tracks by lower-cased sample entry FourCC (`avc1`, `mp4a`): an entry with nil leaves the track clear.
    public var byFourCC: [String: TrackProtectionSignal?]
    /// Every other track.
    public var defaultSignal: TrackProtectionSignal

    public init(defaultSignal: TrackProtectionSignal, byFourCC: [String: TrackProtectionSignal?] = [:]) {
        self.defaultSignal = defaultSignal
        self.byFourCC = byFourCC
    }

    /// The signalling of `track`; nil when it stays clear.
    public func signal(for track: TrackInfo) -> TrackProtectionSignal? {
        if let entry = byFourCC[track.codec.fourCC.lowercased()] { return entry }
        return defaultSignal
    }

    /// The IV a whole-segment AES-128 segment starting at `time` (the time in its URL) is encrypted with: the time as a
    /// 128-bit big-endian number. Written into the playlist (`IV=0x…`) and used by the origin, so both agree without
    /// depending on media sequence numbers, which move with the window.
    public static func envelopeIV(segmentTime time: Int64) -> [UInt8] {
        var iv = [UInt8](repeating: 0, count: 16)
        let value = UInt64(bitPattern: time)
        for index in 0..<8 { iv[8 + index] = UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64(index))) }
        return iv
    }

    /// A UUID as DASH and HLS write it: lower-case with dashes.
    static func text(_ id: UUID) -> String { id.uuidString.lowercased() }

    /// A key id as HLS `KEYID=0x…` writes it: 32 hex digits.
    static func hex(_ id: UUID) -> String { text(id).replacingOccurrences(of: "-", with: "") }
}

// MARK: - HLS

extension TrackProtectionSignal {
    /// `#EXT-X-KEY` lines written once before the segments (common encryption); empty for the envelope, whose key line
    /// carries each segment's IV (``hlsEnvelopeKeyLine(segmentTime:)``).
    var hlsKeyLines: [String] {
        let method = self.method == .cenc ? "SAMPLE-AES-CTR" : "SAMPLE-AES"
        guard self.method != .envelope else { return [] }
        var lines: [String] = []
        for system in systems {
            var attributes = ["METHOD=\(method)"]
            switch system.system {
            case .fairPlay:
                guard let url = system.licenseURL else { continue }
                let skd = url.replacingOccurrences(of: "https://", with: "skd://").replacingOccurrences(of: "http://", with: "skd://")
                attributes += ["URI=" + ManifestText.hlsQuoted(skd), "KEYFORMAT=\"com.apple.streamingkeydelivery\"", "KEYFORMATVERSIONS=\"1\""]
            case .widevine:
                guard let pssh = system.psshBase64 else { continue }
                attributes += ["URI=" + ManifestText.hlsQuoted("data:text/plain;base64," + pssh), "KEYID=0x" + ManifestProtection.hex(keyID),
                               "KEYFORMAT=\"urn:uuid:\(ManifestProtection.text(system.systemID))\"", "KEYFORMATVERSIONS=\"1\""]
            case .playReady:
                guard let pro = system.playReadyObjectBase64 else { continue }
                attributes += ["URI=" + ManifestText.hlsQuoted("data:text/plain;charset=UTF-16;base64," + pro),
                               "KEYFORMAT=\"com.microsoft.playready\"", "KEYFORMATVERSIONS=\"1\""]
            case .clearKey:
                guard let url = system.keyURL ?? system.licenseURL else { continue }
                attributes += ["URI=" + ManifestText.hlsQuoted(url), "KEYID=0x" + ManifestProtection.hex(keyID), "KEYFORMAT=\"identity\""]
            }
            lines.append("#EXT-X-KEY:" + attributes.joined(separator: ","))
        }
        return lines
    }

    /// The envelope's key line for the segment at `time`; nil for common encryption.
    func hlsEnvelopeKeyLine(segmentTime time: Int64) -> String? {
        guard method == .envelope, let url = envelopeKeyURL else { return nil }
        let iv = ManifestProtection.envelopeIV(segmentTime: time).map { String(format: "%02x", $0) }.joined()
        return "#EXT-X-KEY:METHOD=AES-128,URI=" + ManifestText.hlsQuoted(url) + ",IV=0x" + iv
    }
}

// MARK: - DASH

extension TrackProtectionSignal {
    /// The `ContentProtection` elements of an adaptation set (DASH-IF IOP 7): the mp4protection scheme with the default
    /// KID, then one element per key system.
    func dashContentProtection(indent: String) -> [String] {
        guard method != .envelope else { return [] }
        let scheme = method == .cenc ? "cenc" : "cbcs"
        var lines = [indent + "<ContentProtection schemeIdUri=\"urn:mpeg:dash:mp4protection:2011\" value=\"\(scheme)\" "
                     + "cenc:default_KID=\"\(ManifestProtection.text(keyID))\"/>"]
        for system in systems where system.system != .fairPlay {
            let value: String
            switch system.system {
            case .widevine: value = "Widevine"
            case .playReady: value = "MSPR 2.0"
            case .clearKey: value = "ClearKey1.0"
            case .fairPlay: value = "FairPlay"
            }
            lines.append(indent + "<ContentProtection schemeIdUri=\"urn:uuid:\(ManifestProtection.text(system.systemID))\" value=\"\(value)\">")
            if let pssh = system.psshBase64 { lines.append(indent + "  <cenc:pssh>\(pssh)</cenc:pssh>") }
            if let pro = system.playReadyObjectBase64 { lines.append(indent + "  <mspr:pro>\(pro)</mspr:pro>") }
            if system.system == .clearKey, let url = system.licenseURL {
                lines.append(indent + "  <clearkey:Laurl Lic_type=\"EME-1.0\">\(ManifestText.xmlAttribute(url))</clearkey:Laurl>")
                lines.append(indent + "  <dashif:laurl>\(ManifestText.xmlAttribute(url))</dashif:laurl>")
            }
            lines.append(indent + "</ContentProtection>")
        }
        return lines
    }

    /// Namespaces the MPD element declares when some adaptation set is protected.
    static let dashNamespaces = [
        "xmlns:cenc=\"urn:mpeg:cenc:2013\"", "xmlns:mspr=\"urn:microsoft:playready\"",
        "xmlns:clearkey=\"http://dashif.org/guidelines/clearKey\"", "xmlns:dashif=\"https://dashif.org/\"",
    ]
}

// MARK: - Smooth

extension TrackProtectionSignal {
    /// The Smooth manifest's `Protection` element ([MS-SSTR] 2.2.2.2): the PlayReady header.
    var smoothProtection: [String] {
        guard method == .cenc, let playReady = systems.first(where: { $0.system == .playReady }),
              let pro = playReady.playReadyObjectBase64 else { return [] }
        return ["  <Protection>",
                "    <ProtectionHeader SystemID=\"\(ManifestProtection.text(playReady.systemID))\">\(pro)</ProtectionHeader>",
                "  </Protection>"]
    }
}
