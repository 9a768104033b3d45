// The claim rules of a token restriction (spec/ams-live.md §7.3): pure, the clock passed in.
import Foundation
import Protection

/// A use of a `maxuses` token that key delivery records once the key is handed out.
struct TokenUse: Sendable, Equatable {
    /// The token's signature: the service identifies a token by it.
    var tokenID: String
    var limit: Int
    /// The token's `exp`: the count is forgotten after it (and the clock skew) has passed.
    var expires: Date
}

/// Checks a verified token's claims against a token restriction for one requested key.
struct TokenClaimsCheck {
    var restriction: TokenRestriction
    var keyID: UUID
    var now: Date
    /// How far `exp` and `nbf` may be off the box's clock.
    var clockSkew: TimeInterval
    /// How far ahead a `maxuses` token's `exp` may be.
    var maxUsesLifetime: TimeInterval

    /// The use to record when the token carries `maxuses`, nil when it does not; or why the claims are refused.
    func check(_ token: PresentedToken) -> Result<TokenUse?, KeyDenial> {
        let claims = token.claims
        // iss and aud
        guard case .string(let issuer)? = claims["iss"] else {
            return .failure(KeyDenial(.claimRejected, "the token has no 'iss' string claim; the policy wants issuer '\(restriction.issuer)'"))
        }
        guard issuer == restriction.issuer else {
            return .failure(KeyDenial(.claimRejected, "the token's issuer '\(issuer)' is not the policy's issuer '\(restriction.issuer)'"))
        }
        let audiences: [String]
        switch claims["aud"] {
        case .string(let audience)?: audiences = [audience]
        case .array(let values)?: audiences = values.compactMap { if case .string(let text) = $0 { text } else { nil } }
        default:
            return .failure(KeyDenial(.claimRejected, "the token has no 'aud' claim; the policy wants audience '\(restriction.audience)'"))
        }
        guard audiences.contains(restriction.audience) else {
            return .failure(KeyDenial(.claimRejected, "the token's audience \(audiences.map { "'\($0)'" }.joined(separator: ", ")) is not "
                                      + "the policy's audience '\(restriction.audience)'"))
        }

        // exp (required: a key token that never expires cannot be taken back) and nbf
        guard let expClaim = claims["exp"] else {
            return .failure(KeyDenial(.claimRejected, "the token has no 'exp' claim; key delivery wants tokens that expire"))
        }
        guard let exp = expClaim.number else {
            return .failure(KeyDenial(.claimRejected, "the token's 'exp' is not a NumericDate (seconds since 1970)"))
        }
        let nowSeconds = now.timeIntervalSince1970
        if exp + clockSkew <= nowSeconds {
            return .failure(KeyDenial(.expired, "the token expired at \(Self.date(exp)), \(Int(nowSeconds - exp)) s ago "
                                      + "(\(Int(clockSkew)) s of clock skew allowed)"))
        }
        if let nbfClaim = claims["nbf"] {
            guard let nbf = nbfClaim.number else {
                return .failure(KeyDenial(.claimRejected, "the token's 'nbf' is not a NumericDate (seconds since 1970)"))
            }
            if nbf - clockSkew > nowSeconds {
                return .failure(KeyDenial(.notYetValid, "the token is not valid before \(Self.date(nbf)), \(Int(nbf - nowSeconds)) s from now "
                                          + "(\(Int(clockSkew)) s of clock skew allowed)"))
            }
        }

        // required claims
        for required in restriction.requiredClaims {
            guard let value = claims[required.type] else {
                return .failure(KeyDenial(.claimRejected, "the token lacks the required claim '\(required.type)'"))
            }
            if required.type == TokenRestriction.contentKeyIdentifierClaim, required.value == nil {
                let texts = value.comparableTexts
                guard texts.contains(where: { KeyIdentifierText.parse($0) == keyID }) else {
                    return .failure(KeyDenial(.claimRejected, "the token's '\(required.type)' \(texts.map { "'\($0)'" }.joined(separator: ", ")) "
                                              + "is not the requested key id \(keyID.uuidString.lowercased())"))
                }
            } else if let wanted = required.value {
                let texts = value.comparableTexts
                let matches = texts.contains { text in
                    if text == wanted { return true }
                    // Key ids compare as UUIDs, whatever their case.
                    if let left = KeyIdentifierText.parse(text), let right = KeyIdentifierText.parse(wanted) { return left == right }
                    return false
                }
                guard matches else {
                    return .failure(KeyDenial(.claimRejected, "the token's claim '\(required.type)' is \(texts.map { "'\($0)'" }.joined(separator: ", ")), "
                                              + "not the required '\(wanted)'"))
                }
            }
        }

        // maxuses: replay prevention, only for short-lived tokens
        guard let maxUsesClaim = claims[TokenRestriction.maxUsesClaim] else { return .success(nil) }
        guard let limitValue = maxUsesClaim.number, limitValue >= 1, limitValue == limitValue.rounded(), limitValue < Double(Int32.max) else {
            return .failure(KeyDenial(.claimRejected, "the token's '\(TokenRestriction.maxUsesClaim)' is not a positive whole number"))
        }
        if exp - nowSeconds > maxUsesLifetime {
            return .failure(KeyDenial(.claimRejected, "the token carries '\(TokenRestriction.maxUsesClaim)' and expires in \(Int(exp - nowSeconds)) s; "
                                      + "such tokens must expire within \(Int(maxUsesLifetime)) s"))
        }
        return .success(TokenUse(tokenID: token.signatureText, limit: Int(limitValue), expires: Date(timeIntervalSince1970: exp)))
    }

    private static func date(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).formatted(.iso8601)
    }
}
