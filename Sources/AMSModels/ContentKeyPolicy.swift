// `Microsoft.Media/mediaservices/contentKeyPolicies` (ProxyResource), JSON names as Metadata 2023-01-01
// (ContentKeyPolicies.json). Polymorphic objects carry the swagger's `@odata.type` discriminator.
import Foundation

/// A content key policy: who may have a locator's keys (restriction) and what key delivery hands out (configuration).
public struct ContentKeyPolicy: Codable, Sendable, Equatable {
    /// ARM id (read-only).
    public var id: String?
    /// Resource name (read-only).
    public var name: String?
    /// `Microsoft.Media/mediaservices/contentKeyPolicies` (read-only).
    public var type: String?
    /// Creation/modification metadata (read-only).
    public var systemData: SystemData?
    /// The policy properties.
    public var properties: ContentKeyPolicyProperties?

    /// Creates a policy.
    public init(id: String? = nil, name: String? = nil, type: String? = nil, systemData: SystemData? = nil, properties: ContentKeyPolicyProperties? = nil) {
        self.id = id
        self.name = name
        self.type = type
        self.systemData = systemData
        self.properties = properties
    }

    /// The ARM type of a content key policy.
    public static let armType = ResourceKind.contentKeyPolicy.armType
}

/// `ContentKeyPolicyProperties`; also the body `getPolicyPropertiesWithSecrets` answers.
public struct ContentKeyPolicyProperties: Codable, Sendable, Equatable {
    /// The policy's id (read-only uuid).
    public var policyId: String?
    /// Creation time (read-only).
    public var created: Date?
    /// Last modification (read-only).
    public var lastModified: Date?
    /// Free text.
    public var description: String?
    /// The options; required, at least one.
    public var options: [ContentKeyPolicyOption]?

    /// Creates policy properties.
    public init(policyId: String? = nil, created: Date? = nil, lastModified: Date? = nil, description: String? = nil, options: [ContentKeyPolicyOption]? = nil) {
        self.policyId = policyId
        self.created = created
        self.lastModified = lastModified
        self.description = description
        self.options = options
    }
}

/// `ContentKeyPolicyOption`: one way of getting the key.
public struct ContentKeyPolicyOption: Codable, Sendable, Equatable {
    /// The option's id (read-only uuid).
    public var policyOptionId: String?
    /// Free name.
    public var name: String?
    /// What key delivery hands out; required.
    public var configuration: ContentKeyPolicyConfiguration?
    /// Who may have it; required.
    public var restriction: ContentKeyPolicyRestriction?

    /// Creates an option.
    public init(policyOptionId: String? = nil, name: String? = nil, configuration: ContentKeyPolicyConfiguration? = nil,
                restriction: ContentKeyPolicyRestriction? = nil) {
        self.policyOptionId = policyOptionId
        self.name = name
        self.configuration = configuration
        self.restriction = restriction
    }
}

// MARK: - Discriminated unions

/// The `@odata.type` key and a reader for it, shared by the swagger's polymorphic objects.
enum ODataType {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        static let odataType = Key(stringValue: "@odata.type")
    }

    /// The discriminator's value as one of `known` (compared without case), or a decoding error listing them.
    static func read(_ decoder: any Decoder, known: [String], base: String) throws -> String {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.contains(.odataType) else {
            throw DecodingError.keyNotFound(Key.odataType, DecodingError.Context(
                codingPath: decoder.codingPath,
                debugDescription: "'@odata.type' is required on a \(base); one of \(known.joined(separator: ", "))"))
        }
        let text = try container.decode(String.self, forKey: .odataType)
        guard let match = known.first(where: { $0.lowercased() == text.lowercased() }) else {
            throw DecodingError.dataCorruptedError(
                forKey: .odataType, in: container,
                debugDescription: "'\(text)' is not a known \(base) '@odata.type'; allowed values are: \(known.joined(separator: ", "))")
        }
        return match
    }

    /// Writes only the discriminator (the members that carry no fields).
    static func write(_ value: String, to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(value, forKey: .odataType)
    }
}

/// `ContentKeyPolicyConfiguration`: what an option delivers.
public enum ContentKeyPolicyConfiguration: Codable, Sendable, Equatable {
    /// `#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration`: the AES-128 key (envelope and clear-key CENC/CBCS).
    case clearKey
    case widevine(ContentKeyPolicyWidevineConfiguration)
    case playReady(ContentKeyPolicyPlayReadyConfiguration)
    case fairPlay(ContentKeyPolicyFairPlayConfiguration)
    /// `#Microsoft.Media.ContentKeyPolicyUnknownConfiguration`: the placeholder for types a client does not know.
    case unknown

    public static let clearKeyType = "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration"
    public static let widevineType = "#Microsoft.Media.ContentKeyPolicyWidevineConfiguration"
    public static let playReadyType = "#Microsoft.Media.ContentKeyPolicyPlayReadyConfiguration"
    public static let fairPlayType = "#Microsoft.Media.ContentKeyPolicyFairPlayConfiguration"
    public static let unknownType = "#Microsoft.Media.ContentKeyPolicyUnknownConfiguration"

    /// The `@odata.type` of this configuration.
    public var odataType: String {
        switch self {
        case .clearKey: Self.clearKeyType
        case .widevine: Self.widevineType
        case .playReady: Self.playReadyType
        case .fairPlay: Self.fairPlayType
        case .unknown: Self.unknownType
        }
    }

    public init(from decoder: any Decoder) throws {
        switch try ODataType.read(decoder, known: [Self.clearKeyType, Self.widevineType, Self.playReadyType, Self.fairPlayType, Self.unknownType],
                                  base: "content key policy configuration") {
        case Self.clearKeyType: self = .clearKey
        case Self.widevineType: self = .widevine(try ContentKeyPolicyWidevineConfiguration(from: decoder))
        case Self.playReadyType: self = .playReady(try ContentKeyPolicyPlayReadyConfiguration(from: decoder))
        case Self.fairPlayType: self = .fairPlay(try ContentKeyPolicyFairPlayConfiguration(from: decoder))
        default: self = .unknown
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .clearKey, .unknown: try ODataType.write(odataType, to: encoder)
        case .widevine(let value): try value.encode(to: encoder)
        case .playReady(let value): try value.encode(to: encoder)
        case .fairPlay(let value): try value.encode(to: encoder)
        }
    }
}

/// `ContentKeyPolicyWidevineConfiguration`.
public struct ContentKeyPolicyWidevineConfiguration: Codable, Sendable, Equatable {
    /// The Widevine license template, a JSON document as a string; required.
    public var widevineTemplate: String?

    /// Creates a Widevine configuration.
    public init(widevineTemplate: String? = nil) { self.widevineTemplate = widevineTemplate }

    enum CodingKeys: String, CodingKey { case odataType = "@odata.type", widevineTemplate }

    public init(from decoder: any Decoder) throws {
        widevineTemplate = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .widevineTemplate)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ContentKeyPolicyConfiguration.widevineType, forKey: .odataType)
        try container.encodeIfPresent(widevineTemplate, forKey: .widevineTemplate)
    }
}

/// `ContentKeyPolicyPlayReadyConfiguration`.
public struct ContentKeyPolicyPlayReadyConfiguration: Codable, Sendable, Equatable {
    /// The licenses; required.
    public var licenses: [ContentKeyPolicyPlayReadyLicense]?
    /// Custom data returned in the license response.
    public var responseCustomData: String?

    /// Creates a PlayReady configuration.
    public init(licenses: [ContentKeyPolicyPlayReadyLicense]? = nil, responseCustomData: String? = nil) {
        self.licenses = licenses
        self.responseCustomData = responseCustomData
    }

    enum CodingKeys: String, CodingKey { case odataType = "@odata.type", licenses, responseCustomData }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        licenses = try container.decodeIfPresent([ContentKeyPolicyPlayReadyLicense].self, forKey: .licenses)
        responseCustomData = try container.decodeIfPresent(String.self, forKey: .responseCustomData)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ContentKeyPolicyConfiguration.playReadyType, forKey: .odataType)
        try container.encodeIfPresent(licenses, forKey: .licenses)
        try container.encodeIfPresent(responseCustomData, forKey: .responseCustomData)
    }
}

/// `SecurityLevel` of a PlayReady license.
public enum ContentKeyPolicyPlayReadySecurityLevel: String, ARMEnum {
    case unknown = "Unknown", sl150 = "SL150", sl2000 = "SL2000", sl3000 = "SL3000"
}

/// `ContentKeyPolicyPlayReadyLicenseType`.
public enum ContentKeyPolicyPlayReadyLicenseType: String, ARMEnum {
    case unknown = "Unknown", nonPersistent = "NonPersistent", persistent = "Persistent"
}

/// `ContentKeyPolicyPlayReadyContentType`.
public enum ContentKeyPolicyPlayReadyContentType: String, ARMEnum {
    case unknown = "Unknown", unspecified = "Unspecified", ultraVioletDownload = "UltraVioletDownload", ultraVioletStreaming = "UltraVioletStreaming"
}

/// `ContentKeyPolicyPlayReadyUnknownOutputPassingOption`.
public enum ContentKeyPolicyPlayReadyUnknownOutputPassingOption: String, ARMEnum {
    case unknown = "Unknown", notAllowed = "NotAllowed", allowed = "Allowed", allowedWithVideoConstriction = "AllowedWithVideoConstriction"
}

/// `ContentKeyPolicyPlayReadyLicense`.
public struct ContentKeyPolicyPlayReadyLicense: Codable, Sendable, Equatable {
    /// Whether test devices may use it; required.
    public var allowTestDevices: Bool?
    public var securityLevel: ContentKeyPolicyPlayReadySecurityLevel?
    public var beginDate: Date?
    public var expirationDate: Date?
    /// ISO 8601 duration.
    public var relativeBeginDate: String?
    /// ISO 8601 duration.
    public var relativeExpirationDate: String?
    /// ISO 8601 duration.
    public var gracePeriod: String?
    public var playRight: ContentKeyPolicyPlayReadyPlayRight?
    /// Required.
    public var licenseType: ContentKeyPolicyPlayReadyLicenseType?
    /// Required.
    public var contentKeyLocation: ContentKeyPolicyPlayReadyContentKeyLocation?
    /// Required.
    public var contentType: ContentKeyPolicyPlayReadyContentType?

    /// Creates a license.
    public init(allowTestDevices: Bool? = nil, securityLevel: ContentKeyPolicyPlayReadySecurityLevel? = nil, beginDate: Date? = nil,
                expirationDate: Date? = nil, relativeBeginDate: String? = nil, relativeExpirationDate: String? = nil, gracePeriod: String? = nil,
                playRight: ContentKeyPolicyPlayReadyPlayRight? = nil, licenseType: ContentKeyPolicyPlayReadyLicenseType? = nil,
                contentKeyLocation: ContentKeyPolicyPlayReadyContentKeyLocation? = nil, contentType: ContentKeyPolicyPlayReadyContentType? = nil) {
        self.allowTestDevices = allowTestDevices
        self.securityLevel = securityLevel
        self.beginDate = beginDate
        self.expirationDate = expirationDate
        self.relativeBeginDate = relativeBeginDate
        self.relativeExpirationDate = relativeExpirationDate
        self.gracePeriod = gracePeriod
        self.playRight = playRight
        self.licenseType = licenseType
        self.contentKeyLocation = contentKeyLocation
        self.contentType = contentType
    }
}

/// `ContentKeyPolicyPlayReadyContentKeyLocation`: where the license server finds the key id.
public enum ContentKeyPolicyPlayReadyContentKeyLocation: Codable, Sendable, Equatable {
    /// `#Microsoft.Media.ContentKeyPolicyPlayReadyContentEncryptionKeyFromHeader`: the PlayReady header of the content.
    case fromHeader
    /// `#Microsoft.Media.ContentKeyPolicyPlayReadyContentEncryptionKeyFromKeyIdentifier`: a fixed key id.
    case fromKeyIdentifier(keyId: String?)

    public static let fromHeaderType = "#Microsoft.Media.ContentKeyPolicyPlayReadyContentEncryptionKeyFromHeader"
    public static let fromKeyIdentifierType = "#Microsoft.Media.ContentKeyPolicyPlayReadyContentEncryptionKeyFromKeyIdentifier"

    enum CodingKeys: String, CodingKey { case odataType = "@odata.type", keyId }

    public init(from decoder: any Decoder) throws {
        switch try ODataType.read(decoder, known: [Self.fromHeaderType, Self.fromKeyIdentifierType], base: "PlayReady content key location") {
        case Self.fromHeaderType: self = .fromHeader
        default: self = .fromKeyIdentifier(keyId: try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .keyId))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .fromHeader:
            try container.encode(Self.fromHeaderType, forKey: .odataType)
        case .fromKeyIdentifier(let keyId):
            try container.encode(Self.fromKeyIdentifierType, forKey: .odataType)
            try container.encodeIfPresent(keyId, forKey: .keyId)
        }
    }
}

/// `ContentKeyPolicyPlayReadyPlayRight`.
public struct ContentKeyPolicyPlayReadyPlayRight: Codable, Sendable, Equatable {
    /// ISO 8601 duration.
    public var firstPlayExpiration: String?
    /// 0–3.
    public var scmsRestriction: Int32?
    /// 0–3.
    public var agcAndColorStripeRestriction: Int32?
    public var explicitAnalogTelevisionOutputRestriction: ContentKeyPolicyPlayReadyExplicitAnalogTelevisionRestriction?
    /// Required.
    public var digitalVideoOnlyContentRestriction: Bool?
    /// Required.
    public var imageConstraintForAnalogComponentVideoRestriction: Bool?
    /// Required.
    public var imageConstraintForAnalogComputerMonitorRestriction: Bool?
    /// Required.
    public var allowPassingVideoContentToUnknownOutput: ContentKeyPolicyPlayReadyUnknownOutputPassingOption?
    public var uncompressedDigitalVideoOpl: Int32?
    public var compressedDigitalVideoOpl: Int32?
    public var analogVideoOpl: Int32?
    public var compressedDigitalAudioOpl: Int32?
    public var uncompressedDigitalAudioOpl: Int32?

    /// Creates a play right.
    public init(firstPlayExpiration: String? = nil, scmsRestriction: Int32? = nil, agcAndColorStripeRestriction: Int32? = nil,
                explicitAnalogTelevisionOutputRestriction: ContentKeyPolicyPlayReadyExplicitAnalogTelevisionRestriction? = nil,
                digitalVideoOnlyContentRestriction: Bool? = nil, imageConstraintForAnalogComponentVideoRestriction: Bool? = nil,
                imageConstraintForAnalogComputerMonitorRestriction: Bool? = nil,
                allowPassingVideoContentToUnknownOutput: ContentKeyPolicyPlayReadyUnknownOutputPassingOption? = nil,
                uncompressedDigitalVideoOpl: Int32? = nil, compressedDigitalVideoOpl: Int32? = nil, analogVideoOpl: Int32? = nil,
                compressedDigitalAudioOpl: Int32? = nil, uncompressedDigitalAudioOpl: Int32? = nil) {
        self.firstPlayExpiration = firstPlayExpiration
        self.scmsRestriction = scmsRestriction
        self.agcAndColorStripeRestriction = agcAndColorStripeRestriction
        self.explicitAnalogTelevisionOutputRestriction = explicitAnalogTelevisionOutputRestriction
        self.digitalVideoOnlyContentRestriction = digitalVideoOnlyContentRestriction
        self.imageConstraintForAnalogComponentVideoRestriction = imageConstraintForAnalogComponentVideoRestriction
        self.imageConstraintForAnalogComputerMonitorRestriction = imageConstraintForAnalogComputerMonitorRestriction
        self.allowPassingVideoContentToUnknownOutput = allowPassingVideoContentToUnknownOutput
        self.uncompressedDigitalVideoOpl = uncompressedDigitalVideoOpl
        self.compressedDigitalVideoOpl = compressedDigitalVideoOpl
        self.analogVideoOpl = analogVideoOpl
        self.compressedDigitalAudioOpl = compressedDigitalAudioOpl
        self.uncompressedDigitalAudioOpl = uncompressedDigitalAudioOpl
    }
}

/// `ContentKeyPolicyPlayReadyExplicitAnalogTelevisionRestriction`.
public struct ContentKeyPolicyPlayReadyExplicitAnalogTelevisionRestriction: Codable, Sendable, Equatable {
    /// Required.
    public var bestEffort: Bool?
    /// Required, 0–3.
    public var configurationData: Int32?

    /// Creates the restriction.
    public init(bestEffort: Bool? = nil, configurationData: Int32? = nil) {
        self.bestEffort = bestEffort
        self.configurationData = configurationData
    }
}

/// `ContentKeyPolicyFairPlayRentalAndLeaseKeyType`.
public enum ContentKeyPolicyFairPlayRentalAndLeaseKeyType: String, ARMEnum {
    case unknown = "Unknown", undefined = "Undefined", dualExpiry = "DualExpiry"
    case persistentUnlimited = "PersistentUnlimited", persistentLimited = "PersistentLimited"
}

/// `ContentKeyPolicyFairPlayConfiguration`. `ask`, `fairPlayPfx` and `fairPlayPfxPassword` are secrets: masked on reads.
public struct ContentKeyPolicyFairPlayConfiguration: Codable, Sendable, Equatable {
    /// The Application Secret Key, base64 of 16 bytes; required.
    public var ask: String?
    /// The PKCS#12 password; required.
    public var fairPlayPfxPassword: String?
    /// The FairPlay certificate with its private key, base64 PKCS#12; required.
    public var fairPlayPfx: String?
    /// Required.
    public var rentalAndLeaseKeyType: ContentKeyPolicyFairPlayRentalAndLeaseKeyType?
    /// Seconds; required.
    public var rentalDuration: Int64?
    public var offlineRentalConfiguration: ContentKeyPolicyFairPlayOfflineRentalConfiguration?

    /// Creates a FairPlay configuration.
    public init(ask: String? = nil, fairPlayPfxPassword: String? = nil, fairPlayPfx: String? = nil,
                rentalAndLeaseKeyType: ContentKeyPolicyFairPlayRentalAndLeaseKeyType? = nil, rentalDuration: Int64? = nil,
                offlineRentalConfiguration: ContentKeyPolicyFairPlayOfflineRentalConfiguration? = nil) {
        self.ask = ask
        self.fairPlayPfxPassword = fairPlayPfxPassword
        self.fairPlayPfx = fairPlayPfx
        self.rentalAndLeaseKeyType = rentalAndLeaseKeyType
        self.rentalDuration = rentalDuration
        self.offlineRentalConfiguration = offlineRentalConfiguration
    }

    enum CodingKeys: String, CodingKey {
        case odataType = "@odata.type", ask, fairPlayPfxPassword, fairPlayPfx, rentalAndLeaseKeyType, rentalDuration, offlineRentalConfiguration
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ask = try container.decodeIfPresent(String.self, forKey: .ask)
        fairPlayPfxPassword = try container.decodeIfPresent(String.self, forKey: .fairPlayPfxPassword)
        fairPlayPfx = try container.decodeIfPresent(String.self, forKey: .fairPlayPfx)
        rentalAndLeaseKeyType = try container.decodeIfPresent(ContentKeyPolicyFairPlayRentalAndLeaseKeyType.self, forKey: .rentalAndLeaseKeyType)
        rentalDuration = try container.decodeIfPresent(Int64.self, forKey: .rentalDuration)
        offlineRentalConfiguration = try container.decodeIfPresent(ContentKeyPolicyFairPlayOfflineRentalConfiguration.self, forKey: .offlineRentalConfiguration)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ContentKeyPolicyConfiguration.fairPlayType, forKey: .odataType)
        try container.encodeIfPresent(ask, forKey: .ask)
        try container.encodeIfPresent(fairPlayPfxPassword, forKey: .fairPlayPfxPassword)
        try container.encodeIfPresent(fairPlayPfx, forKey: .fairPlayPfx)
        try container.encodeIfPresent(rentalAndLeaseKeyType, forKey: .rentalAndLeaseKeyType)
        try container.encodeIfPresent(rentalDuration, forKey: .rentalDuration)
        try container.encodeIfPresent(offlineRentalConfiguration, forKey: .offlineRentalConfiguration)
    }
}

/// `ContentKeyPolicyFairPlayOfflineRentalConfiguration`.
public struct ContentKeyPolicyFairPlayOfflineRentalConfiguration: Codable, Sendable, Equatable {
    /// Required.
    public var playbackDurationSeconds: Int64?
    /// Required.
    public var storageDurationSeconds: Int64?

    /// Creates an offline rental configuration.
    public init(playbackDurationSeconds: Int64? = nil, storageDurationSeconds: Int64? = nil) {
        self.playbackDurationSeconds = playbackDurationSeconds
        self.storageDurationSeconds = storageDurationSeconds
    }
}

// MARK: - Restrictions

/// `ContentKeyPolicyRestriction`: who may have the key.
public enum ContentKeyPolicyRestriction: Codable, Sendable, Equatable {
    /// `#Microsoft.Media.ContentKeyPolicyOpenRestriction`: anyone.
    case open
    /// `#Microsoft.Media.ContentKeyPolicyTokenRestriction`: a bearer of a valid token.
    case token(ContentKeyPolicyTokenRestriction)
    /// `#Microsoft.Media.ContentKeyPolicyUnknownRestriction`: the placeholder for types a client does not know.
    case unknown

    public static let openType = "#Microsoft.Media.ContentKeyPolicyOpenRestriction"
    public static let tokenType = "#Microsoft.Media.ContentKeyPolicyTokenRestriction"
    public static let unknownType = "#Microsoft.Media.ContentKeyPolicyUnknownRestriction"

    public init(from decoder: any Decoder) throws {
        switch try ODataType.read(decoder, known: [Self.openType, Self.tokenType, Self.unknownType], base: "content key policy restriction") {
        case Self.openType: self = .open
        case Self.tokenType: self = .token(try ContentKeyPolicyTokenRestriction(from: decoder))
        default: self = .unknown
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .open: try ODataType.write(Self.openType, to: encoder)
        case .unknown: try ODataType.write(Self.unknownType, to: encoder)
        case .token(let value): try value.encode(to: encoder)
        }
    }
}

/// `ContentKeyPolicyRestrictionTokenType`.
public enum ContentKeyPolicyRestrictionTokenType: String, ARMEnum {
    case unknown = "Unknown", swt = "Swt", jwt = "Jwt"
}

/// `ContentKeyPolicyTokenRestriction`.
public struct ContentKeyPolicyTokenRestriction: Codable, Sendable, Equatable {
    /// Required.
    public var issuer: String?
    /// Required.
    public var audience: String?
    /// Required (unless keys come from `openIdConnectDiscoveryDocument`).
    public var primaryVerificationKey: ContentKeyPolicyRestrictionTokenKey?
    public var alternateVerificationKeys: [ContentKeyPolicyRestrictionTokenKey]?
    public var requiredClaims: [ContentKeyPolicyTokenClaim]?
    /// Required.
    public var restrictionTokenType: ContentKeyPolicyRestrictionTokenType?
    /// OpenID Connect discovery document URL: verification keys from its `jwks_uri`.
    public var openIdConnectDiscoveryDocument: String?

    /// Creates a token restriction.
    public init(issuer: String? = nil, audience: String? = nil, primaryVerificationKey: ContentKeyPolicyRestrictionTokenKey? = nil,
                alternateVerificationKeys: [ContentKeyPolicyRestrictionTokenKey]? = nil, requiredClaims: [ContentKeyPolicyTokenClaim]? = nil,
                restrictionTokenType: ContentKeyPolicyRestrictionTokenType? = nil, openIdConnectDiscoveryDocument: String? = nil) {
        self.issuer = issuer
        self.audience = audience
        self.primaryVerificationKey = primaryVerificationKey
        self.alternateVerificationKeys = alternateVerificationKeys
        self.requiredClaims = requiredClaims
        self.restrictionTokenType = restrictionTokenType
        self.openIdConnectDiscoveryDocument = openIdConnectDiscoveryDocument
    }

    enum CodingKeys: String, CodingKey {
        case odataType = "@odata.type", issuer, audience, primaryVerificationKey, alternateVerificationKeys, requiredClaims
        case restrictionTokenType, openIdConnectDiscoveryDocument
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        issuer = try container.decodeIfPresent(String.self, forKey: .issuer)
        audience = try container.decodeIfPresent(String.self, forKey: .audience)
        primaryVerificationKey = try container.decodeIfPresent(ContentKeyPolicyRestrictionTokenKey.self, forKey: .primaryVerificationKey)
        alternateVerificationKeys = try container.decodeIfPresent([ContentKeyPolicyRestrictionTokenKey].self, forKey: .alternateVerificationKeys)
        requiredClaims = try container.decodeIfPresent([ContentKeyPolicyTokenClaim].self, forKey: .requiredClaims)
        restrictionTokenType = try container.decodeIfPresent(ContentKeyPolicyRestrictionTokenType.self, forKey: .restrictionTokenType)
        openIdConnectDiscoveryDocument = try container.decodeIfPresent(String.self, forKey: .openIdConnectDiscoveryDocument)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ContentKeyPolicyRestriction.tokenType, forKey: .odataType)
        try container.encodeIfPresent(issuer, forKey: .issuer)
        try container.encodeIfPresent(audience, forKey: .audience)
        try container.encodeIfPresent(primaryVerificationKey, forKey: .primaryVerificationKey)
        try container.encodeIfPresent(alternateVerificationKeys, forKey: .alternateVerificationKeys)
        try container.encodeIfPresent(requiredClaims, forKey: .requiredClaims)
        try container.encodeIfPresent(restrictionTokenType, forKey: .restrictionTokenType)
        try container.encodeIfPresent(openIdConnectDiscoveryDocument, forKey: .openIdConnectDiscoveryDocument)
    }
}

/// `ContentKeyPolicyTokenClaim`.
public struct ContentKeyPolicyTokenClaim: Codable, Sendable, Equatable {
    public var claimType: String?
    /// Nil: the claim must be present with any value.
    public var claimValue: String?

    /// Creates a claim.
    public init(claimType: String? = nil, claimValue: String? = nil) {
        self.claimType = claimType
        self.claimValue = claimValue
    }
}

/// `ContentKeyPolicyRestrictionTokenKey`: a key a token's signature is checked with.
public enum ContentKeyPolicyRestrictionTokenKey: Codable, Sendable, Equatable {
    /// `#Microsoft.Media.ContentKeyPolicySymmetricTokenKey`: HMAC key, base64 (`keyValue`, a secret: masked on reads).
    case symmetric(keyValue: String?)
    /// `#Microsoft.Media.ContentKeyPolicyRsaTokenKey`: base64 big-endian exponent and modulus.
    case rsa(exponent: String?, modulus: String?)
    /// `#Microsoft.Media.ContentKeyPolicyX509CertificateTokenKey`: base64 DER certificate.
    case x509Certificate(rawBody: String?)

    public static let symmetricType = "#Microsoft.Media.ContentKeyPolicySymmetricTokenKey"
    public static let rsaType = "#Microsoft.Media.ContentKeyPolicyRsaTokenKey"
    public static let x509CertificateType = "#Microsoft.Media.ContentKeyPolicyX509CertificateTokenKey"

    enum CodingKeys: String, CodingKey { case odataType = "@odata.type", keyValue, exponent, modulus, rawBody }

    public init(from decoder: any Decoder) throws {
        let type = try ODataType.read(decoder, known: [Self.symmetricType, Self.rsaType, Self.x509CertificateType], base: "token verification key")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch type {
        case Self.symmetricType: self = .symmetric(keyValue: try container.decodeIfPresent(String.self, forKey: .keyValue))
        case Self.rsaType: self = .rsa(exponent: try container.decodeIfPresent(String.self, forKey: .exponent),
                                      modulus: try container.decodeIfPresent(String.self, forKey: .modulus))
        default: self = .x509Certificate(rawBody: try container.decodeIfPresent(String.self, forKey: .rawBody))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .symmetric(let keyValue):
            try container.encode(Self.symmetricType, forKey: .odataType)
            try container.encodeIfPresent(keyValue, forKey: .keyValue)
        case let .rsa(exponent, modulus):
            try container.encode(Self.rsaType, forKey: .odataType)
            try container.encodeIfPresent(exponent, forKey: .exponent)
            try container.encodeIfPresent(modulus, forKey: .modulus)
        case .x509Certificate(let rawBody):
            try container.encode(Self.x509CertificateType, forKey: .odataType)
            try container.encodeIfPresent(rawBody, forKey: .rawBody)
        }
    }
}

// MARK: - Secrets

extension ContentKeyPolicyProperties {
    /// The properties as GET, list and PUT answer them: symmetric token keys and FairPlay's `ask`, `fairPlayPfx` and
    /// `fairPlayPfxPassword` come back empty (spec §7.1); `getPolicyPropertiesWithSecrets` returns them.
    public var maskingSecrets: ContentKeyPolicyProperties {
        var masked = self
        masked.options = options?.map { option in
            var option = option
            if case .fairPlay(var fairPlay) = option.configuration {
                fairPlay.ask = fairPlay.ask.map { _ in "" }
                fairPlay.fairPlayPfx = fairPlay.fairPlayPfx.map { _ in "" }
                fairPlay.fairPlayPfxPassword = fairPlay.fairPlayPfxPassword.map { _ in "" }
                option.configuration = .fairPlay(fairPlay)
            }
            if case .token(var token) = option.restriction {
                token.primaryVerificationKey = token.primaryVerificationKey?.maskingSecrets
                token.alternateVerificationKeys = token.alternateVerificationKeys?.map(\.maskingSecrets)
                option.restriction = .token(token)
            }
            return option
        }
        return masked
    }
}

extension ContentKeyPolicyRestrictionTokenKey {
    /// A symmetric key's value emptied; public keys (RSA, X.509) are not secrets.
    public var maskingSecrets: ContentKeyPolicyRestrictionTokenKey {
        if case .symmetric(let value) = self { return .symmetric(keyValue: value.map { _ in "" }) }
        return self
    }
}
