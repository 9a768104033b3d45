// `Microsoft.Media/mediaservices/streamingPolicies` (ProxyResource), JSON names as Metadata 2023-01-01; the Predefined_* built-ins.
import Foundation

/// A streaming policy: which protocols a locator serves and with which encryption. Immutable once created.
public struct StreamingPolicy: Codable, Sendable, Equatable {
    /// ARM id (read-only).
    public var id: String?
    /// Resource name (read-only).
    public var name: String?
    /// `Microsoft.Media/mediaservices/streamingPolicies` (read-only).
    public var type: String?
    /// Creation/modification metadata (read-only).
    public var systemData: SystemData?
    /// The policy properties.
    public var properties: StreamingPolicyProperties?

    /// Creates a policy.
    public init(id: String? = nil, name: String? = nil, type: String? = nil, systemData: SystemData? = nil, properties: StreamingPolicyProperties? = nil) {
        self.id = id
        self.name = name
        self.type = type
        self.systemData = systemData
        self.properties = properties
    }
}

/// `StreamingPolicyProperties`: at most one configuration per encryption scheme.
public struct StreamingPolicyProperties: Codable, Sendable, Equatable {
    /// Creation time (read-only).
    public var created: Date?
    /// Content key policy used when a key names none.
    public var defaultContentKeyPolicyName: String?
    /// AES-128 envelope encryption.
    public var envelopeEncryption: EnvelopeEncryption?
    /// CENC (PlayReady, Widevine).
    public var commonEncryptionCenc: CommonEncryptionCenc?
    /// CBCS (FairPlay, and PlayReady/Widevine on newer clients).
    public var commonEncryptionCbcs: CommonEncryptionCbcs?
    /// Clear streaming.
    public var noEncryption: NoEncryption?

    /// Creates policy properties.
    public init(created: Date? = nil, defaultContentKeyPolicyName: String? = nil, envelopeEncryption: EnvelopeEncryption? = nil,
                commonEncryptionCenc: CommonEncryptionCenc? = nil, commonEncryptionCbcs: CommonEncryptionCbcs? = nil, noEncryption: NoEncryption? = nil) {
        self.created = created
        self.defaultContentKeyPolicyName = defaultContentKeyPolicyName
        self.envelopeEncryption = envelopeEncryption
        self.commonEncryptionCenc = commonEncryptionCenc
        self.commonEncryptionCbcs = commonEncryptionCbcs
        self.noEncryption = noEncryption
    }
}

/// `EnabledProtocols`: all four flags are required by the swagger.
public struct EnabledProtocols: Codable, Sendable, Equatable {
    /// Progressive download.
    public var download: Bool
    /// MPEG-DASH.
    public var dash: Bool
    /// HLS.
    public var hls: Bool
    /// Smooth Streaming.
    public var smoothStreaming: Bool

    /// Creates protocol flags.
    public init(download: Bool, dash: Bool, hls: Bool, smoothStreaming: Bool) {
        self.download = download
        self.dash = dash
        self.hls = hls
        self.smoothStreaming = smoothStreaming
    }

    /// The enabled streaming (non-download) protocols in listPaths order: Hls, Dash, SmoothStreaming.
    public var streamingProtocols: [StreamingPolicyStreamingProtocol] {
        let flags: [(Bool, StreamingPolicyStreamingProtocol)] = [(hls, .hls), (dash, .dash), (smoothStreaming, .smoothStreaming)]
        return flags.compactMap { $0.0 ? $0.1 : nil }
    }
}

/// `NoEncryption`.
public struct NoEncryption: Codable, Sendable, Equatable {
    /// Protocols served in the clear.
    public var enabledProtocols: EnabledProtocols?
    /// Creates a clear configuration.
    public init(enabledProtocols: EnabledProtocols? = nil) { self.enabledProtocols = enabledProtocols }
}

/// `EnvelopeEncryption` (AES-128 CBC).
public struct EnvelopeEncryption: Codable, Sendable, Equatable {
    /// Protocols encrypted this way.
    public var enabledProtocols: EnabledProtocols?
    /// Tracks left in the clear.
    public var clearTracks: [TrackSelection]?
    /// Key labels and policies.
    public var contentKeys: StreamingPolicyContentKeys?
    /// Third-party key URL template (`{ContentKeyId}`, `{AlternativeMediaId}`).
    public var customKeyAcquisitionUrlTemplate: String?

    /// Creates an envelope configuration.
    public init(enabledProtocols: EnabledProtocols? = nil, clearTracks: [TrackSelection]? = nil, contentKeys: StreamingPolicyContentKeys? = nil,
                customKeyAcquisitionUrlTemplate: String? = nil) {
        self.enabledProtocols = enabledProtocols
        self.clearTracks = clearTracks
        self.contentKeys = contentKeys
        self.customKeyAcquisitionUrlTemplate = customKeyAcquisitionUrlTemplate
    }
}

/// `CommonEncryptionCenc`.
public struct CommonEncryptionCenc: Codable, Sendable, Equatable {
    /// Protocols encrypted this way.
    public var enabledProtocols: EnabledProtocols?
    /// Tracks left in the clear.
    public var clearTracks: [TrackSelection]?
    /// Key labels and policies.
    public var contentKeys: StreamingPolicyContentKeys?
    /// PlayReady and Widevine settings.
    public var drm: CencDrmConfiguration?
    /// Clear-key (no DRM) CENC.
    public var clearKeyEncryptionConfiguration: ClearKeyEncryptionConfiguration?

    /// Creates a CENC configuration.
    public init(enabledProtocols: EnabledProtocols? = nil, clearTracks: [TrackSelection]? = nil, contentKeys: StreamingPolicyContentKeys? = nil,
                drm: CencDrmConfiguration? = nil, clearKeyEncryptionConfiguration: ClearKeyEncryptionConfiguration? = nil) {
        self.enabledProtocols = enabledProtocols
        self.clearTracks = clearTracks
        self.contentKeys = contentKeys
        self.drm = drm
        self.clearKeyEncryptionConfiguration = clearKeyEncryptionConfiguration
    }
}

/// `CommonEncryptionCbcs`.
public struct CommonEncryptionCbcs: Codable, Sendable, Equatable {
    /// Protocols encrypted this way.
    public var enabledProtocols: EnabledProtocols?
    /// Tracks left in the clear.
    public var clearTracks: [TrackSelection]?
    /// Key labels and policies.
    public var contentKeys: StreamingPolicyContentKeys?
    /// FairPlay, PlayReady and Widevine settings.
    public var drm: CbcsDrmConfiguration?
    /// Clear-key (no DRM) CBCS.
    public var clearKeyEncryptionConfiguration: ClearKeyEncryptionConfiguration?

    /// Creates a CBCS configuration.
    public init(enabledProtocols: EnabledProtocols? = nil, clearTracks: [TrackSelection]? = nil, contentKeys: StreamingPolicyContentKeys? = nil,
                drm: CbcsDrmConfiguration? = nil, clearKeyEncryptionConfiguration: ClearKeyEncryptionConfiguration? = nil) {
        self.enabledProtocols = enabledProtocols
        self.clearTracks = clearTracks
        self.contentKeys = contentKeys
        self.drm = drm
        self.clearKeyEncryptionConfiguration = clearKeyEncryptionConfiguration
    }
}

/// `StreamingPolicyContentKeys`.
public struct StreamingPolicyContentKeys: Codable, Sendable, Equatable {
    /// Key used for tracks no mapping names.
    public var defaultKey: DefaultKey?
    /// Per-track keys.
    public var keyToTrackMappings: [StreamingPolicyContentKey]?

    /// Creates content key settings.
    public init(defaultKey: DefaultKey? = nil, keyToTrackMappings: [StreamingPolicyContentKey]? = nil) {
        self.defaultKey = defaultKey
        self.keyToTrackMappings = keyToTrackMappings
    }
}

/// `DefaultKey`.
public struct DefaultKey: Codable, Sendable, Equatable {
    /// Label matched against locator content keys.
    public var label: String?
    /// Content key policy.
    public var policyName: String?

    /// Creates a default key.
    public init(label: String? = nil, policyName: String? = nil) {
        self.label = label
        self.policyName = policyName
    }
}

/// `StreamingPolicyContentKey`: a key for some tracks.
public struct StreamingPolicyContentKey: Codable, Sendable, Equatable {
    /// Label matched against locator content keys.
    public var label: String?
    /// Content key policy.
    public var policyName: String?
    /// Tracks using this key.
    public var tracks: [TrackSelection]?

    /// Creates a track key.
    public init(label: String? = nil, policyName: String? = nil, tracks: [TrackSelection]? = nil) {
        self.label = label
        self.policyName = policyName
        self.tracks = tracks
    }
}

/// `CencDrmConfiguration`.
public struct CencDrmConfiguration: Codable, Sendable, Equatable {
    /// PlayReady settings.
    public var playReady: StreamingPolicyPlayReadyConfiguration?
    /// Widevine settings.
    public var widevine: StreamingPolicyWidevineConfiguration?

    /// Creates a CENC DRM configuration.
    public init(playReady: StreamingPolicyPlayReadyConfiguration? = nil, widevine: StreamingPolicyWidevineConfiguration? = nil) {
        self.playReady = playReady
        self.widevine = widevine
    }
}

/// `CbcsDrmConfiguration`.
public struct CbcsDrmConfiguration: Codable, Sendable, Equatable {
    /// FairPlay settings.
    public var fairPlay: StreamingPolicyFairPlayConfiguration?
    /// PlayReady settings.
    public var playReady: StreamingPolicyPlayReadyConfiguration?
    /// Widevine settings.
    public var widevine: StreamingPolicyWidevineConfiguration?

    /// Creates a CBCS DRM configuration.
    public init(fairPlay: StreamingPolicyFairPlayConfiguration? = nil, playReady: StreamingPolicyPlayReadyConfiguration? = nil,
                widevine: StreamingPolicyWidevineConfiguration? = nil) {
        self.fairPlay = fairPlay
        self.playReady = playReady
        self.widevine = widevine
    }
}

/// `StreamingPolicyPlayReadyConfiguration`.
public struct StreamingPolicyPlayReadyConfiguration: Codable, Sendable, Equatable {
    /// Third-party license URL template.
    public var customLicenseAcquisitionUrlTemplate: String?
    /// Custom attributes for the PlayReady header.
    public var playReadyCustomAttributes: String?

    /// Creates a PlayReady configuration.
    public init(customLicenseAcquisitionUrlTemplate: String? = nil, playReadyCustomAttributes: String? = nil) {
        self.customLicenseAcquisitionUrlTemplate = customLicenseAcquisitionUrlTemplate
        self.playReadyCustomAttributes = playReadyCustomAttributes
    }
}

/// `StreamingPolicyWidevineConfiguration`.
public struct StreamingPolicyWidevineConfiguration: Codable, Sendable, Equatable {
    /// Third-party license URL template.
    public var customLicenseAcquisitionUrlTemplate: String?

    /// Creates a Widevine configuration.
    public init(customLicenseAcquisitionUrlTemplate: String? = nil) { self.customLicenseAcquisitionUrlTemplate = customLicenseAcquisitionUrlTemplate }
}

/// `StreamingPolicyFairPlayConfiguration`.
public struct StreamingPolicyFairPlayConfiguration: Codable, Sendable, Equatable {
    /// Third-party license URL template.
    public var customLicenseAcquisitionUrlTemplate: String?
    /// Whether licenses may persist offline; required.
    public var allowPersistentLicense: Bool

    /// Creates a FairPlay configuration.
    public init(customLicenseAcquisitionUrlTemplate: String? = nil, allowPersistentLicense: Bool) {
        self.customLicenseAcquisitionUrlTemplate = customLicenseAcquisitionUrlTemplate
        self.allowPersistentLicense = allowPersistentLicense
    }
}

/// `ClearKeyEncryptionConfiguration`.
public struct ClearKeyEncryptionConfiguration: Codable, Sendable, Equatable {
    /// Third-party clear-key URL template.
    public var customKeysAcquisitionUrlTemplate: String?

    /// Creates a clear-key configuration.
    public init(customKeysAcquisitionUrlTemplate: String? = nil) { self.customKeysAcquisitionUrlTemplate = customKeysAcquisitionUrlTemplate }
}

// MARK: - Schemes

extension StreamingPolicyProperties {
    /// The configured schemes with their protocols, in the order listPaths reports them.
    public var schemes: [(scheme: StreamingEncryptionScheme, protocols: EnabledProtocols?)] {
        var result: [(StreamingEncryptionScheme, EnabledProtocols?)] = []
        if let noEncryption { result.append((.noEncryption, noEncryption.enabledProtocols)) }
        if let envelopeEncryption { result.append((.envelopeEncryption, envelopeEncryption.enabledProtocols)) }
        if let commonEncryptionCenc { result.append((.commonEncryptionCenc, commonEncryptionCenc.enabledProtocols)) }
        if let commonEncryptionCbcs { result.append((.commonEncryptionCbcs, commonEncryptionCbcs.enabledProtocols)) }
        return result
    }

    /// True when the policy configures only clear streaming (`noEncryption`); encrypting policies are served too, through
    /// the locator's protection plan.
    public var isServable: Bool { !schemes.isEmpty && schemes.allSatisfy { $0.scheme == .noEncryption } }
}

// MARK: - Predefined policies

extension StreamingPolicy {
    /// The ARM type of a streaming policy.
    public static let armType = ResourceKind.streamingPolicy.armType

    /// Prefix of the built-in policy names; custom policies may not use it.
    public static let predefinedPrefix = "Predefined_"

    /// The six built-in policies (spec §6.3), accepted by name in `streamingPolicyName` without being created.
    public static let predefined: [StreamingPolicy] = {
        func protocols(download: Bool = false, dash: Bool = false, hls: Bool = false, smooth: Bool = false) -> EnabledProtocols {
            EnabledProtocols(download: download, dash: dash, hls: hls, smoothStreaming: smooth)
        }
        func policy(_ name: String, _ properties: StreamingPolicyProperties) -> StreamingPolicy {
            StreamingPolicy(name: name, type: armType, properties: properties)
        }
        let cencDrm = CencDrmConfiguration(playReady: StreamingPolicyPlayReadyConfiguration(), widevine: StreamingPolicyWidevineConfiguration())
        // Default key labels as the service's generated locator keys name them.
        let cencKeys = StreamingPolicyContentKeys(defaultKey: DefaultKey(label: "cencDefaultKey"))
        let cbcsKeys = StreamingPolicyContentKeys(defaultKey: DefaultKey(label: "cbcsDefaultKey"))
        return [
            policy("Predefined_DownloadOnly", StreamingPolicyProperties(noEncryption: NoEncryption(enabledProtocols: protocols(download: true)))),
            policy("Predefined_ClearStreamingOnly",
                   StreamingPolicyProperties(noEncryption: NoEncryption(enabledProtocols: protocols(dash: true, hls: true, smooth: true)))),
            policy("Predefined_DownloadAndClearStreaming",
                   StreamingPolicyProperties(noEncryption: NoEncryption(enabledProtocols: protocols(download: true, dash: true, hls: true, smooth: true)))),
            policy("Predefined_ClearKey", StreamingPolicyProperties(envelopeEncryption: EnvelopeEncryption(
                enabledProtocols: protocols(dash: true, hls: true, smooth: true), contentKeys: StreamingPolicyContentKeys(defaultKey: DefaultKey(label: "aesDefaultKey"))))),
            policy("Predefined_MultiDrmCencStreaming", StreamingPolicyProperties(commonEncryptionCenc: CommonEncryptionCenc(
                enabledProtocols: protocols(dash: true, smooth: true), contentKeys: cencKeys, drm: cencDrm))),
            policy("Predefined_MultiDrmStreaming", StreamingPolicyProperties(
                commonEncryptionCenc: CommonEncryptionCenc(enabledProtocols: protocols(dash: true, smooth: true), contentKeys: cencKeys, drm: cencDrm),
                commonEncryptionCbcs: CommonEncryptionCbcs(enabledProtocols: protocols(hls: true), contentKeys: cbcsKeys,
                                                           drm: CbcsDrmConfiguration(fairPlay: StreamingPolicyFairPlayConfiguration(allowPersistentLicense: false))))),
        ]
    }()

    /// The built-in policy called `name` (case-insensitive), with its id under `account` when given.
    public static func predefined(named name: String, account: ResourceID? = nil) -> StreamingPolicy? {
        guard var policy = predefined.first(where: { $0.name?.lowercased() == name.lowercased() }) else { return nil }
        if let account, let canonical = policy.name { policy.id = account.appending(.streamingPolicy, canonical).description }
        return policy
    }
}
