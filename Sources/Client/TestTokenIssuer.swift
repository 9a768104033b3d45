// `edgelive token issue`: a JWT (HS256) a content key policy's token restriction accepts, for tests and demos. Pure:
// the clock is passed in.
import AMSModels
import Crypto
import Foundation
import Protection

/// What `token issue` was asked for.
public struct TokenIssueOptions: Sendable, Equatable {
    /// `--policy`: the content key policy the token is for.
    public var policy: String
    /// `--key-id`: the content key id (the content key identifier claim).
    public var keyID: String?
    /// `--valid-for`: lifetime from now, e.g. `1h`, `30m`, `90s`, `2d`, `PT1H`.
    public var validFor: String
    /// `--claim TYPE=VALUE`, repeatable.
    public var claims: [String]

    /// Creates options with the CLI defaults.
    public init(policy: String, keyID: String? = nil, validFor: String = "1h", claims: [String] = []) {
        self.policy = policy
        self.keyID = keyID
        self.validFor = validFor
        self.claims = claims
    }
}

/// Builds and signs test tokens for a token-restricted content key policy.
public enum TestTokenIssuer {
    /// How far before now `nbf` is put, so a player whose clock runs a little behind still accepts the token.
    public static let notBeforeSkew: TimeInterval = 300

    /// A signed token and when it expires.
    public struct IssuedToken: Sendable, Equatable {
        /// `header.claims.signature`, base64url.
        public var token: String
        /// The `exp` claim.
        public var expires: Date
        /// The claims that were signed, as JSON text (sorted keys).
        public var claimsJSON: String
    }

    /// A token for `policy` (its properties with secrets) signed with the first token option's symmetric primary key.
    public static func issue(policyName: String, properties: ContentKeyPolicyProperties, options: TokenIssueOptions,
                             now: Date) throws(ClientError) -> IssuedToken {
        let lifetime = try parseLifetime(options.validFor)
        let restriction = try tokenRestriction(policyName: policyName, properties: properties)
        guard case .symmetric(let keyText)? = restriction.primaryVerificationKey, let keyText,
              let key = Data(base64Encoded: keyText), !key.isEmpty else {
            throw ClientError(.failure, message: "content key policy '\(policyName)' verifies tokens with an RSA or X.509 public key; "
                              + "edgelive holds no private key and cannot sign for it",
                              hint: "issue tokens from the security token service that owns the private key, or make a policy with --symmetric-key or --generate-key")
        }
        var extra: [String: String] = [:]
        for text in options.claims {
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw .usage("--claim '\(text)' needs a value", hint: "write --claim TYPE=VALUE")
            }
            extra[String(parts[0])] = String(parts[1])
        }
        let keyID: String?
        if let text = options.keyID {
            guard let uuid = UUID(uuidString: text) else {
                throw .usage("--key-id '\(text)' is not a key id (a UUID)", hint: "see the ID column of `edgelive locator keys LOCATOR`")
            }
            keyID = uuid.uuidString.lowercased()
        } else {
            keyID = nil
        }

        var claims: [String: Any] = [
            "iss": restriction.issuer ?? "",
            "aud": restriction.audience ?? "",
            "nbf": Int64((now.timeIntervalSince1970 - notBeforeSkew).rounded(.down)),
            "exp": Int64((now.timeIntervalSince1970 + lifetime).rounded(.down)),
        ]
        for required in restriction.requiredClaims ?? [] {
            guard let type = required.claimType, !type.isEmpty else { continue }
            if let value = extra[type] {
                claims[type] = value
            } else if let value = required.claimValue {
                claims[type] = value
            } else if type == TokenRestriction.contentKeyIdentifierClaim {
                guard let keyID else {
                    throw .usage("content key policy '\(policyName)' binds tokens to one key (\(type)); say which with --key-id KID",
                                 hint: "the key ids are in `edgelive locator keys LOCATOR`")
                }
                claims[type] = keyID
            } else {
                throw .usage("content key policy '\(policyName)' requires the claim '\(type)' (any value); give it with --claim \(type)=VALUE")
            }
        }
        if let keyID, claims[TokenRestriction.contentKeyIdentifierClaim] == nil, extra[TokenRestriction.contentKeyIdentifierClaim] == nil {
            claims[TokenRestriction.contentKeyIdentifierClaim] = keyID
        }
        for (type, value) in extra where claims[type] == nil { claims[type] = value }

        let header = #"{"alg":"HS256","typ":"JWT"}"#
        let payload: Data
        do {
            payload = try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw ClientError(.failure, message: "cannot write the token's claims as JSON: \(error)")
        }
        let signingInput = base64URL(Data(header.utf8)) + "." + base64URL(payload)
        let signature = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: key))
        return IssuedToken(token: signingInput + "." + base64URL(Data(signature)),
                           expires: Date(timeIntervalSince1970: TimeInterval(claims["exp"] as? Int64 ?? 0)),
                           claimsJSON: String(decoding: payload, as: UTF8.self))
    }

    /// The first token restriction of the policy, or why the policy needs no token or cannot have one signed.
    static func tokenRestriction(policyName: String, properties: ContentKeyPolicyProperties) throws(ClientError) -> ContentKeyPolicyTokenRestriction {
        let restrictions = (properties.options ?? []).compactMap { option -> ContentKeyPolicyTokenRestriction? in
            if case .token(let token) = option.restriction { return token }
            return nil
        }
        guard !restrictions.isEmpty else {
            throw ClientError(.failure, message: "content key policy '\(policyName)' is open: key delivery hands its keys out without a token",
                              hint: "players need no token for it; make a token-restricted policy with `edgelive key-policy create` to require one")
        }
        // Prefer an option that can be signed here: a JWT restriction with a symmetric primary key.
        let signable = restrictions.first { restriction in
            if case .symmetric? = restriction.primaryVerificationKey, restriction.restrictionTokenType != .swt { return true }
            return false
        }
        if let signable { return signable }
        if restrictions.contains(where: { $0.restrictionTokenType == .swt }) {
            throw ClientError(.failure, message: "content key policy '\(policyName)' wants SWT tokens; edgelive issues JWTs only")
        }
        if restrictions.allSatisfy({ $0.primaryVerificationKey == nil }) {
            throw ClientError(.failure, message: "content key policy '\(policyName)' takes its verification keys from an OpenID Connect "
                              + "discovery document; edgelive holds none of their private keys and cannot sign for it",
                              hint: "issue tokens from the identity provider that publishes that document")
        }
        return restrictions[0]
    }

    /// `90s`, `30m`, `1h`, `2d`, plain seconds, or an ISO 8601 duration (`PT1H`).
    public static func parseLifetime(_ text: String) throws(ClientError) -> TimeInterval {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var seconds: TimeInterval?
        if let unit = trimmed.last, let scale = units[unit], let value = Double(trimmed.dropLast()) {
            seconds = value * scale
        } else if let value = Double(trimmed) {
            seconds = value
        } else if let duration = try? ISO8601Duration(parsing: text.trimmingCharacters(in: .whitespaces)) {
            seconds = duration.seconds
        }
        guard let seconds, seconds.isFinite, seconds > 0 else {
            throw .usage("--valid-for '\(text)' is not a positive duration", hint: "write it like 90s, 30m, 1h, 2d or PT1H")
        }
        guard seconds <= 366 * 86400 else { throw .usage("--valid-for '\(text)' is more than a year; test tokens should expire sooner") }
        return seconds
    }

    /// Base64url without padding (RFC 7515 §2).
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
