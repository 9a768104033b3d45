import Foundation

// Content protection's shared vocabulary: what a streaming locator's policy asks of the origin (which schemes, on which
// protocols, with which keys, signalled for which DRM systems), built by the control plane from the API's resources and
// published in the channel directory; the origin applies it per request, key delivery answers from the key grants.

/// An encryption scheme as the origin's `encryption=` option names it (spec/ams-live.md §11.1).
public enum ProtectionScheme: String, Sendable, CaseIterable, Hashable {
    /// AES-128 envelope: whole-segment AES-128-CBC (`envelopeEncryption`).
    case envelope = "cbc"
    /// Common encryption, AES-CTR, ISO/IEC 23001-7 `cenc` (`commonEncryptionCenc`).
    case cenc = "cenc"
    /// Common encryption, AES-CBC with a 1:9 pattern and a constant IV, `cbcs` (`commonEncryptionCbcs`).
    case cbcs = "cbcs-aapl"
}

/// A streaming protocol a scheme may be enabled for (`enabledProtocols`).
public enum DeliveryProtocol: String, Sendable, CaseIterable, Hashable {
    case hls, dash, smoothStreaming
}

/// A DRM system a scheme is signalled for in manifests and `pssh` boxes.
public enum DRMSystem: String, Sendable, CaseIterable, Hashable {
    /// W3C Clear Key (`clearKeyEncryptionConfiguration`): keys delivered by the box's ClearKey licence endpoint.
    case clearKey
    case playReady
    case widevine
    case fairPlay

    /// The DASH-IF system id, as used in `pssh` boxes and `ContentProtection@schemeIdUri` (`urn:uuid:…`).
    public var systemID: UUID {
        switch self {
        case .clearKey: UUID(uuidString: "E2719D58-A985-B3C9-781A-B030AF78D30E")!
        case .playReady: UUID(uuidString: "9A04F079-9840-4286-AB92-E65BE0885F95")!
        case .widevine: UUID(uuidString: "EDEF8BA9-79D6-4ACE-A3C8-27DCD51D21ED")!
        case .fairPlay: UUID(uuidString: "94CE86FB-07FF-4F43-ADB8-93D2FA968CA2")!
        }
    }

    /// The W3C "common" `pssh` system id (ISO/IEC 23001-7 v2 boxes listing key ids), which ClearKey players read.
    public static let commonSystemID = UUID(uuidString: "1077EFEC-C0B2-4D02-ACE3-3C1E52E2FB4B")!
}

/// A content key: its id (the KID) and its 16 bytes.
public struct ContentKey: Sendable, Hashable {
    public var id: UUID
    public var value: [UInt8]
    /// The label streaming policies match (`contentKeys[].labelReferenceInStreamingPolicy`).
    public var label: String?

    public init(id: UUID, value: [UInt8], label: String? = nil) {
        precondition(value.count == 16, "a content key is 16 bytes")
        self.id = id
        self.value = value
        self.label = label
    }

    /// The KID as the 16 bytes boxes carry (big-endian, as the UUID is written).
    public var idBytes: [UInt8] {
        withUnsafeBytes(of: id.uuid) { Array($0) }
    }
}

/// Which tracks a rule matches (`TrackSelection`): every condition must hold. The service's conditions are on the
/// sample entry's FourCC (`property: FourCC`, `operation: Equal`).
public struct TrackMatch: Sendable, Hashable {
    /// Lower-cased FourCCs any of which matches (`avc1`, `hev1`, `mp4a`, …).
    public var fourCCs: Set<String>

    public init(fourCCs: Set<String>) {
        self.fourCCs = Set(fourCCs.map { $0.lowercased() })
    }

    public func matches(fourCC: String) -> Bool { fourCCs.contains(fourCC.lowercased()) }
}

/// How a scheme's keys and licences are acquired for one DRM system: the box's own key delivery, or a third-party
/// server named by a custom URL template (`{ContentKeyId}`, `{AlternativeMediaId}` substituted).
public struct DRMSignalling: Sendable, Hashable {
    public var system: DRMSystem
    /// `customLicenseAcquisitionUrlTemplate` (or `customKeysAcquisitionUrlTemplate` for ClearKey); nil: the box's own
    /// endpoint.
    public var licenseURLTemplate: String?
    /// PlayReady's `playReadyCustomAttributes`, written into the PlayReady header's `CUSTOMATTRIBUTES`.
    public var customAttributes: String?

    public init(system: DRMSystem, licenseURLTemplate: String? = nil, customAttributes: String? = nil) {
        self.system = system
        self.licenseURLTemplate = licenseURLTemplate
        self.customAttributes = customAttributes
    }
}

/// One scheme of a locator's protection: where it applies, with which keys, signalled how.
public struct SchemeProtection: Sendable, Hashable {
    public var scheme: ProtectionScheme
    /// The protocols this scheme is enabled for (`enabledProtocols`).
    public var protocols: Set<DeliveryProtocol>
    /// The key of every track no mapping names.
    public var defaultKey: ContentKey
    /// Per-track keys, first match wins (`keyToTrackMappings`).
    public var trackKeys: [(match: TrackMatch, key: ContentKey)]
    /// Tracks left clear (`clearTracks`).
    public var clearTracks: [TrackMatch]
    /// DRM systems signalled (CENC/CBCS); for the envelope, at most a ClearKey entry whose template is
    /// `customKeyAcquisitionUrlTemplate`.
    public var drm: [DRMSignalling]

    public init(scheme: ProtectionScheme, protocols: Set<DeliveryProtocol>, defaultKey: ContentKey,
                trackKeys: [(match: TrackMatch, key: ContentKey)] = [], clearTracks: [TrackMatch] = [], drm: [DRMSignalling] = []) {
        self.scheme = scheme
        self.protocols = protocols
        self.defaultKey = defaultKey
        self.trackKeys = trackKeys
        self.clearTracks = clearTracks
        self.drm = drm
    }

    /// The key a track with sample entry `fourCC` is encrypted with, or nil when the track stays clear.
    public func key(forFourCC fourCC: String) -> ContentKey? {
        if clearTracks.contains(where: { $0.matches(fourCC: fourCC) }) { return nil }
        return trackKeys.first { $0.match.matches(fourCC: fourCC) }?.key ?? defaultKey
    }

    /// Every key this scheme uses.
    public var keys: [ContentKey] {
        var seen = Set<UUID>(), all: [ContentKey] = []
        for key in [defaultKey] + trackKeys.map(\.key) where seen.insert(key.id).inserted { all.append(key) }
        return all
    }

    public static func == (a: SchemeProtection, b: SchemeProtection) -> Bool {
        a.scheme == b.scheme && a.protocols == b.protocols && a.defaultKey == b.defaultKey && a.clearTracks == b.clearTracks
            && a.drm == b.drm && a.trackKeys.map(\.match) == b.trackKeys.map(\.match) && a.trackKeys.map(\.key) == b.trackKeys.map(\.key)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(scheme)
        hasher.combine(defaultKey)
    }
}

/// Why a request's `encryption=` cannot be served (spec/ams-live.md §11.1): the origin answers 400 with the code.
public struct ProtectionRefusal: Error, Sendable, Equatable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// A streaming locator's protection: the schemes its streaming policy enables, at most one per protocol.
/// No plan (nil in the directory) means clear streaming.
public struct ProtectionPlan: Sendable, Hashable {
    public var schemes: [SchemeProtection]
    /// The locator's `alternativeMediaId` (substituted for `{AlternativeMediaId}` in URL templates).
    public var alternativeMediaID: String?

    public init(schemes: [SchemeProtection], alternativeMediaID: String? = nil) {
        self.schemes = schemes
        self.alternativeMediaID = alternativeMediaID
    }

    /// The scheme a request for `deliveryProtocol` is served with: the one `asked` names, which the plan must enable for
    /// that protocol (else `MPE_ENC_ENCRYPTION_NOT_SET_IN_DELIVERY_POLICY`); with none asked, the plan's only scheme
    /// for the protocol (else `MPE_ENC_ENCRYPTION_NOT_SPECIFIED_IN_URL`). Never nil: a protected locator is never
    /// served clear.
    public func scheme(asked: ProtectionScheme?, for deliveryProtocol: DeliveryProtocol) -> Result<SchemeProtection, ProtectionRefusal> {
        let enabled = schemes.filter { $0.protocols.contains(deliveryProtocol) }
        if let asked {
            if let found = enabled.first(where: { $0.scheme == asked }) { return .success(found) }
            let offered = enabled.map { "encryption=\($0.scheme.rawValue)" }
            return .failure(ProtectionRefusal(
                code: "MPE_ENC_ENCRYPTION_NOT_SET_IN_DELIVERY_POLICY",
                message: "the streaming policy does not enable '\(asked.rawValue)' for \(deliveryProtocol.rawValue)"
                    + (offered.isEmpty ? "; it enables no encryption for \(deliveryProtocol.rawValue)" : "; use \(offered.joined(separator: " or "))")))
        }
        if enabled.count == 1 { return .success(enabled[0]) }
        if enabled.isEmpty {
            let elsewhere = Set(schemes.flatMap(\.protocols)).map(\.rawValue).sorted()
            return .failure(ProtectionRefusal(
                code: "MPE_ENC_ENCRYPTION_NOT_SPECIFIED_IN_URL",
                message: "the locator is protected and its streaming policy enables no encryption for \(deliveryProtocol.rawValue)"
                    + (elsewhere.isEmpty ? "" : " (only for \(elsewhere.joined(separator: ", ")))")))
        }
        return .failure(ProtectionRefusal(
            code: "MPE_ENC_ENCRYPTION_NOT_SPECIFIED_IN_URL",
            message: "the streaming policy enables several schemes for \(deliveryProtocol.rawValue); add one of "
                + enabled.map { "encryption=\($0.scheme.rawValue)" }.joined(separator: ", ")))
    }

    /// Every key the plan uses, each once.
    public var keys: [ContentKey] {
        var seen = Set<UUID>(), all: [ContentKey] = []
        for key in schemes.flatMap(\.keys) where seen.insert(key.id).inserted { all.append(key) }
        return all
    }
}
