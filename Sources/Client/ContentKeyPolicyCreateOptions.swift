// `edgelive key-policy create` options and the ContentKeyPolicy body they become.
import AMSModels
import Crypto
import Foundation
import Protection

/// How tokens of a token-restricted policy are verified: the `--symmetric-key`, `--generate-key`,
/// `--rsa-modulus`/`--rsa-exponent` or `--x509` choice (and each `--alternate-key`).
public enum TokenKeySource: Sendable, Equatable {
    /// An HMAC key, base64, as given.
    case symmetric(base64: String)
    /// A new random 256-bit HMAC key (printed once by `key-policy create`).
    case generatedSymmetric
    /// An RSA public key: base64 big-endian modulus and exponent.
    case rsa(modulus: String, exponent: String)
    /// A certificate file, PEM or DER.
    case x509(path: String)

    /// Reads `--alternate-key` text: `symmetric:BASE64`, `rsa:MODULUS:EXPONENT` or `x509:FILE`.
    public static func parseAlternate(_ text: String) throws(ClientError) -> TokenKeySource {
        let hint = "write --alternate-key symmetric:BASE64, rsa:MODULUS:EXPONENT (both base64) or x509:FILE.pem"
        guard let colon = text.firstIndex(of: ":") else { throw .usage("--alternate-key '\(text)' does not say its kind", hint: hint) }
        let kind = text[..<colon].lowercased()
        let rest = String(text[text.index(after: colon)...])
        switch kind {
        case "symmetric":
            return .symmetric(base64: rest)
        case "rsa":
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw .usage("--alternate-key '\(text)' needs a modulus and an exponent", hint: hint) }
            return .rsa(modulus: String(parts[0]), exponent: String(parts[1]))
        case "x509":
            return .x509(path: rest)
        default:
            throw .usage("--alternate-key kind '\(kind)' is not symmetric, rsa or x509", hint: hint)
        }
    }
}

/// What `key-policy create` was asked for; `makeBody()` validates it and builds the PUT body.
public struct ContentKeyPolicyCreateOptions: Sendable, Equatable {
    /// Policy name.
    public var name: String
    /// `--open`: anyone gets the key; otherwise a token restriction (`--token-restricted`).
    public var open: Bool
    /// `--issuer` (token).
    public var issuer: String?
    /// `--audience` (token).
    public var audience: String?
    /// The primary verification key (token).
    public var primaryKey: TokenKeySource?
    /// `--alternate-key`, repeatable.
    public var alternateKeys: [TokenKeySource]
    /// `--claim TYPE[=VALUE]`, repeatable: required claims (no value: present with any value).
    public var claims: [String]
    /// `--bind-key-id`: require the content key identifier claim to name the requested key.
    public var bindKeyID: Bool
    /// `--description`.
    public var description: String?

    /// Creates options; a token policy needs `issuer`, `audience` and `primaryKey`.
    public init(name: String, open: Bool, issuer: String? = nil, audience: String? = nil, primaryKey: TokenKeySource? = nil,
                alternateKeys: [TokenKeySource] = [], claims: [String] = [], bindKeyID: Bool = false, description: String? = nil) {
        self.name = name
        self.open = open
        self.issuer = issuer
        self.audience = audience
        self.primaryKey = primaryKey
        self.alternateKeys = alternateKeys
        self.claims = claims
        self.bindKeyID = bindKeyID
        self.description = description
    }

    /// The policy to PUT, and the generated symmetric key (base64) when `--generate-key` asked for one.
    public func makeBody() throws(ClientError) -> (policy: ContentKeyPolicy, generatedKey: String?) {
        let restriction: ContentKeyPolicyRestriction
        var generated: String?
        if open {
            let tokenOnly = [(issuer != nil, "--issuer"), (audience != nil, "--audience"), (primaryKey != nil, "a verification key"),
                             (!alternateKeys.isEmpty, "--alternate-key"), (!claims.isEmpty, "--claim"), (bindKeyID, "--bind-key-id")]
            if let misplaced = tokenOnly.first(where: { $0.0 }) {
                throw .usage("\(misplaced.1) belongs to a token policy, not an --open one", hint: "drop it, or use --token-restricted instead of --open")
            }
            restriction = .open
        } else {
            guard let issuer, !issuer.isEmpty else { throw .usage("a token-restricted policy needs --issuer (the iss claim tokens must carry)") }
            guard let audience, !audience.isEmpty else { throw .usage("a token-restricted policy needs --audience (the aud claim tokens must carry)") }
            guard let primaryKey else {
                throw .usage("a token-restricted policy needs a verification key",
                             hint: "pass --symmetric-key BASE64, --generate-key, --rsa-modulus with --rsa-exponent, or --x509 FILE")
            }
            let primary = try Self.key(primaryKey, option: "the verification key", generated: &generated)
            var alternates: [ContentKeyPolicyRestrictionTokenKey] = []
            for source in alternateKeys {
                if source == .generatedSymmetric { throw .usage("--alternate-key cannot be generated; give its value") }
                alternates.append(try Self.key(source, option: "--alternate-key", generated: &generated))
            }
            var required = try claims.map { text throws(ClientError) in try Self.claim(text) }
            if bindKeyID, !required.contains(where: { $0.claimType == TokenRestriction.contentKeyIdentifierClaim }) {
                required.append(ContentKeyPolicyTokenClaim(claimType: TokenRestriction.contentKeyIdentifierClaim))
            }
            restriction = .token(ContentKeyPolicyTokenRestriction(
                issuer: issuer, audience: audience, primaryVerificationKey: primary, alternateVerificationKeys: alternates.isEmpty ? nil : alternates,
                requiredClaims: required.isEmpty ? nil : required, restrictionTokenType: .jwt))
        }
        let option = ContentKeyPolicyOption(name: open ? "open-clearkey" : "token-clearkey", configuration: .clearKey, restriction: restriction)
        let policy = ContentKeyPolicy(properties: ContentKeyPolicyProperties(description: description, options: [option]))
        return (policy, generated)
    }

    /// `TYPE` or `TYPE=VALUE`.
    static func claim(_ text: String) throws(ClientError) -> ContentKeyPolicyTokenClaim {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard let type = parts.first, !type.isEmpty else {
            throw .usage("--claim '\(text)' has no claim type", hint: "write --claim TYPE (any value) or --claim TYPE=VALUE")
        }
        return ContentKeyPolicyTokenClaim(claimType: String(type), claimValue: parts.count == 2 ? String(parts[1]) : nil)
    }

    static func key(_ source: TokenKeySource, option: String, generated: inout String?) throws(ClientError) -> ContentKeyPolicyRestrictionTokenKey {
        switch source {
        case .symmetric(let text):
            guard let bytes = Data(base64Encoded: text), !bytes.isEmpty else {
                throw .usage("\(option): the symmetric key is not base64", hint: "pass the HMAC key base64-encoded, or use --generate-key")
            }
            if bytes.count < 16 { throw .usage("\(option): a symmetric key of \(bytes.count) bytes is too short to sign tokens safely; use at least 16 (32 recommended)") }
            return .symmetric(keyValue: text)
        case .generatedSymmetric:
            let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
            generated = key
            return .symmetric(keyValue: key)
        case let .rsa(modulus, exponent):
            guard let m = Data(base64Encoded: modulus), m.count >= 128 else {
                throw .usage("\(option): --rsa-modulus must be the RSA modulus, big-endian, base64 (at least 1024 bits)")
            }
            guard let e = Data(base64Encoded: exponent), !e.isEmpty, e.count <= 8 else {
                throw .usage("\(option): --rsa-exponent must be the RSA public exponent, big-endian, base64 (AQAB for 65537)")
            }
            return .rsa(exponent: exponent, modulus: modulus)
        case .x509(let path):
            return .x509Certificate(rawBody: try Self.certificateDER(path: path).base64EncodedString())
        }
    }

    /// A certificate file as DER: PEM (`-----BEGIN CERTIFICATE-----`) is unwrapped, anything else is taken as DER.
    static func certificateDER(path: String) throws(ClientError) -> Data {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .usage("cannot read the certificate file '\(path)': \(error.localizedDescription)")
        }
        if let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN") {
            guard let begin = text.range(of: "-----BEGIN CERTIFICATE-----"),
                  let end = text.range(of: "-----END CERTIFICATE-----", range: begin.upperBound ..< text.endIndex),
                  let der = Data(base64Encoded: String(text[begin.upperBound ..< end.lowerBound].filter { !$0.isWhitespace })) else {
                throw .usage("'\(path)' is PEM but holds no readable CERTIFICATE block", hint: "give the certificate (not a key or a request), PEM or DER")
            }
            return der
        }
        // DER certificates start with a SEQUENCE.
        guard data.first == 0x30, data.count > 64 else {
            throw .usage("'\(path)' is neither a PEM nor a DER certificate", hint: "export the token signer's certificate as .pem or .der")
        }
        return data
    }
}
