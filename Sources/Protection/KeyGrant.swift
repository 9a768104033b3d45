import Foundation

// What key delivery must check before it hands out a key: the content key policy of the key, compiled from the API's
// ContentKeyPolicy (spec/ams-live.md §7) by the control plane and published in the channel directory by key id.

/// A key and the policy guarding it.
public struct KeyGrant: Sendable {
    public var key: ContentKey
    /// The content key policy's name, for logs.
    public var policyName: String
    /// The policy's options: a request gets the key when it satisfies one whose configuration delivers what it asks.
    public var options: [KeyAccessOption]
    /// The locator the key belongs to, for logs.
    public var locatorName: String

    public init(key: ContentKey, policyName: String, options: [KeyAccessOption], locatorName: String) {
        self.key = key
        self.policyName = policyName
        self.options = options
        self.locatorName = locatorName
    }
}

/// One option of a content key policy.
public struct KeyAccessOption: Sendable {
    public var name: String
    public var restriction: KeyRestriction
    /// What this option delivers.
    public var configuration: KeyConfiguration

    public init(name: String, restriction: KeyRestriction, configuration: KeyConfiguration) {
        self.name = name
        self.restriction = restriction
        self.configuration = configuration
    }
}

/// What an option's configuration delivers. The box delivers ClearKey (AES-128 keys and W3C ClearKey licences) only;
/// PlayReady, Widevine and FairPlay licences need provider credentials, so a request for one is answered with a
/// clear error naming the third-party licence server a policy's URL template should point at.
public enum KeyConfiguration: String, Sendable {
    case clearKey, playReady, widevine, fairPlay
}

/// Who may have the key.
public enum KeyRestriction: Sendable {
    case open
    case token(TokenRestriction)
}

/// `ContentKeyPolicyTokenRestriction`.
public struct TokenRestriction: Sendable {
    public enum TokenType: String, Sendable { case jwt, swt }

    public var issuer: String
    public var audience: String
    /// The primary key first, then the alternates; a token signed by any of them verifies.
    public var verificationKeys: [TokenVerificationKey]
    /// Claims the token must carry; a nil value: present with any value. The claim
    /// `urn:microsoft:azure:mediaservices:contentkeyidentifier` with a nil value must equal the requested key id.
    public var requiredClaims: [(type: String, value: String?)]
    public var tokenType: TokenType
    /// `openIdConnectDiscoveryDocument`: verification keys are fetched from this document's `jwks_uri`.
    public var openIDConnectDiscoveryDocument: String?

    public init(issuer: String, audience: String, verificationKeys: [TokenVerificationKey],
                requiredClaims: [(type: String, value: String?)] = [], tokenType: TokenType = .jwt,
                openIDConnectDiscoveryDocument: String? = nil) {
        self.issuer = issuer
        self.audience = audience
        self.verificationKeys = verificationKeys
        self.requiredClaims = requiredClaims
        self.tokenType = tokenType
        self.openIDConnectDiscoveryDocument = openIDConnectDiscoveryDocument
    }

    /// The claim binding a token to one content key.
    public static let contentKeyIdentifierClaim = "urn:microsoft:azure:mediaservices:contentkeyidentifier"
    /// The claim limiting how many times a token may be used.
    public static let maxUsesClaim = "urn:microsoft:azure:mediaservices:maxuses"
}

/// A key a token's signature is verified with.
public enum TokenVerificationKey: Sendable, Hashable {
    /// HS256 (`ContentKeyPolicySymmetricTokenKey`).
    case symmetric([UInt8])
    /// RS256 with an RSA public key (`ContentKeyPolicyRsaTokenKey`), big-endian modulus and exponent.
    case rsa(modulus: [UInt8], exponent: [UInt8])
    /// RS256 with an X.509 certificate's public key (`ContentKeyPolicyX509CertificateTokenKey`), DER.
    case x509(der: [UInt8])
}
