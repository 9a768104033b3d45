// A policy's verification keys as signature checks: HMAC (swift-crypto) for symmetric keys, RSA PKCS#1 v1.5 (jwt-kit)
// for RSA keys and certificates. Each key answers only its own `alg` family, so a token cannot have an RSA public key
// read as an HMAC secret.
import Crypto
import Foundation
import JWTKit
import Protection

/// One key ready to check signatures.
struct SignatureVerifier: Sendable {
    /// What the key is, for denial reasons ("primary symmetric key", "discovery key 'abc'").
    let label: String
    /// Signature check by JWT `alg`: (signature, signed bytes) → valid.
    private let checks: [String: @Sendable ([UInt8], [UInt8]) -> Bool]

    /// The token's `alg` values this key verifies: the SHA-2 variants of its family (HS256 and RS256 are what the
    /// service's documents name; HS384/512 and RS384/512 cost nothing more and are no weaker).
    var acceptedAlgorithms: [String] { checks.keys.sorted() }

    /// True when `token` is signed by this key with an accepted `alg`.
    func verifies(_ token: PresentedToken) -> Bool {
        guard let check = checks[token.algorithm] else { return false }
        return check(token.signature, token.signingInput)
    }

    func accepts(algorithm: String) -> Bool { checks[algorithm] != nil }

    private init(label: String, checks: [String: @Sendable ([UInt8], [UInt8]) -> Bool]) {
        self.label = label
        self.checks = checks
    }

    static let digests: [(suffix: String, digest: DigestAlgorithm)] = [("256", .sha256), ("384", .sha384), ("512", .sha512)]

    /// A verifier for a policy key; throws with a reason when the key cannot be read (an RSA key under 2048 bits, a
    /// certificate without an RSA key).
    static func make(_ key: TokenVerificationKey, label: String) async throws(KeyDenial) -> SignatureVerifier {
        switch key {
        case .symmetric(let bytes):
            // swift-crypto's HMAC directly: jwt-kit's HMAC signer asserts on keys shorter than the digest, and a policy's
            // symmetric key may be any length.
            let key = SymmetricKey(data: bytes)
            return SignatureVerifier(label: label, checks: [
                "HS256": { HMAC<SHA256>.isValidAuthenticationCode($0, authenticating: $1, using: key) },
                "HS384": { HMAC<SHA384>.isValidAuthenticationCode($0, authenticating: $1, using: key) },
                "HS512": { HMAC<SHA512>.isValidAuthenticationCode($0, authenticating: $1, using: key) },
            ])
        case .rsa(let modulus, let exponent):
            let publicKey: JWTKit.Insecure.RSA.PublicKey
            do {
                publicKey = try JWTKit.Insecure.RSA.PublicKey(modulus: Base64URL.encode(modulus), exponent: Base64URL.encode(exponent))
            } catch {
                throw KeyDenial(.badSignature, "the policy's \(label) is not a usable RSA public key (\(modulus.count * 8)-bit modulus; "
                                + "2048 bits or more are needed): \(error)")
            }
            return try await rsa(publicKey, label: label)
        case .x509(let der):
            let publicKey: JWTKit.Insecure.RSA.PublicKey
            do {
                publicKey = try JWTKit.Insecure.RSA.PublicKey(certificatePEM: Self.pem(certificate: der))
            } catch {
                throw KeyDenial(.badSignature, "the policy's \(label) is not an X.509 certificate with an RSA public key of 2048 bits or more: \(error)")
            }
            return try await rsa(publicKey, label: label)
        }
    }

    /// A verifier for an RSA key published in a discovery document's key set (`kty` RSA, `n`, `e` base64url).
    static func make(jwkModulus modulus: String, exponent: String, label: String) async throws(KeyDenial) -> SignatureVerifier {
        let publicKey: JWTKit.Insecure.RSA.PublicKey
        do {
            publicKey = try JWTKit.Insecure.RSA.PublicKey(modulus: modulus, exponent: exponent)
        } catch {
            throw KeyDenial(.discoveryFailed, "\(label) is not a usable RSA public key: \(error)")
        }
        return try await rsa(publicKey, label: label)
    }

    private static func rsa(_ publicKey: JWTKit.Insecure.RSA.PublicKey, label: String) async throws(KeyDenial) -> SignatureVerifier {
        var checks: [String: @Sendable ([UInt8], [UInt8]) -> Bool] = [:]
        for (suffix, digest) in digests {
            let algorithm = try await algorithm(label) { collection in
                await collection.add(rsa: publicKey, digestAlgorithm: digest)
            }
            checks["RS" + suffix] = { signature, input in (try? algorithm.verify(signature, signs: input)) ?? false }
        }
        return SignatureVerifier(label: label, checks: checks)
    }

    /// jwt-kit hands out its algorithms through a key collection: one collection per key, the key as its default.
    private static func algorithm(_ label: String, _ add: @Sendable (JWTKeyCollection) async -> Void) async throws(KeyDenial) -> any JWTAlgorithm {
        let collection = JWTKeyCollection()
        await add(collection)
        do {
            return try await collection.getKey()
        } catch {
            throw KeyDenial(.badSignature, "the policy's \(label) could not be loaded: \(error)")
        }
    }

    /// jwt-kit reads certificates from PEM; the policy stores DER (`rawBody`).
    static func pem(certificate der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE-----\n\(base64)\n-----END CERTIFICATE-----\n"
    }
}
