// Why key delivery refused a key: a code to branch on and a reason for the log.

/// Why a request does not get a key. The reason names the policy's option and what failed, for the log only: it never
/// goes into a response body (a caller probing tokens learns nothing), and it never holds the token or key bytes.
public struct KeyDenial: Error, Sendable, CustomStringConvertible {
    /// What kind of check failed; more may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case noMatchingOption, missingToken, unsupportedTokenType, malformedToken, unsupportedAlgorithm, badSignature
            case claimRejected, expired, notYetValid, usesExhausted, discoveryFailed
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The policy has no option whose configuration delivers what was asked (a ClearKey key from a PlayReady-only
        /// policy, say).
        public static let noMatchingOption = Code(.noMatchingOption)
        /// A token restriction and no token in the request.
        public static let missingToken = Code(.missingToken)
        /// The restriction wants SWT tokens, which the box does not verify.
        public static let unsupportedTokenType = Code(.unsupportedTokenType)
        /// Not a JWT (three base64url parts with JSON header and claims).
        public static let malformedToken = Code(.malformedToken)
        /// The token's `alg` is not one the policy's keys verify.
        public static let unsupportedAlgorithm = Code(.unsupportedAlgorithm)
        /// No verification key (primary, alternates, discovery document keys) verifies the signature.
        public static let badSignature = Code(.badSignature)
        /// `iss`, `aud`, a required claim or the content key identifier does not match.
        public static let claimRejected = Code(.claimRejected)
        /// `exp` has passed (beyond the clock skew), or is too far away for a `maxuses` token.
        public static let expired = Code(.expired)
        /// `nbf` is still ahead (beyond the clock skew).
        public static let notYetValid = Code(.notYetValid)
        /// A `maxuses` token was used as many times as it allows.
        public static let usesExhausted = Code(.usesExhausted)
        /// The OpenID Connect discovery document or its key set could not be fetched or read.
        public static let discoveryFailed = Code(.discoveryFailed)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// What failed, naming the policy, the option and the claim; for the log.
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" }
}
