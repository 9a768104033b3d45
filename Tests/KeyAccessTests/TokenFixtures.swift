// Tokens made with jwt-kit, keys made with openssl, grants made by hand: what the key access tests share.
import Crypto
import Foundation
import JWTKit
import KeyAccess
import Logging
import Protection
import TestSupport

let quietLogger = Logger(label: "keyaccess-test") { _ in SwiftLogNoOpLogHandler() }
let issuer = "https://sts.edgelive.test"
let audience = "urn:edgelive:test"
let symmetricKey: [UInt8] = Array("a key shared by the issuer and the box".utf8)
let otherSymmetricKey: [UInt8] = Array("an alternate key the issuer also holds".utf8)
// jwt-kit's HMAC signer wants keys at least as long as the digest; tokens for shorter keys are made by hand (`handMadeHS256`).
let keyID = UUID(uuidString: "2e8f1c3a-5b7d-4c11-9a0e-6f2b8d4c1a07")!
let contentKey = ContentKey(id: keyID, value: Array(0..<16))
/// A fixed clock: tokens are issued relative to it.
let now = Date(timeIntervalSince1970: 1_800_000_000)

/// A JSON claim value, for tokens with any claims.
enum Claim: Codable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral {
    case string(String), number(Double), strings([String])
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .number(Double(value)) }
    init(arrayLiteral elements: String...) { self = .strings(elements) }
    init(from decoder: any Decoder) throws { self = .string(try decoder.singleValueContainer().decode(String.self)) }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .strings(let value): try container.encode(value)
        }
    }
}

struct Claims: JWTPayload {
    var values: [String: Claim]
    init(_ values: [String: Claim]) { self.values = values }
    init(from decoder: any Decoder) throws { values = try decoder.singleValueContainer().decode([String: Claim].self) }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// The claims of a good token: right issuer and audience, valid from five minutes ago for an hour.
func claims(_ overrides: [String: Claim?] = [:], at time: Date = now) -> [String: Claim] {
    var values: [String: Claim] = [
        "iss": .string(issuer), "aud": .string(audience),
        "exp": .number(time.timeIntervalSince1970 + 3_600), "nbf": .number(time.timeIntervalSince1970 - 300),
    ]
    for (name, value) in overrides { values[name] = value }
    return values
}

func hs256(_ values: [String: Claim], key: [UInt8] = symmetricKey) async throws -> String {
    let keys = JWTKeyCollection()
    await keys.add(hmac: HMACKey(from: key), digestAlgorithm: .sha256)
    return try await keys.sign(Claims(values))
}

func rs256(_ values: [String: Claim], key: RSAMaterial, kid: String? = nil) async throws -> String {
    let keys = JWTKeyCollection()
    await keys.add(rsa: try JWTKit.Insecure.RSA.PrivateKey(pem: key.privateKeyPEM), digestAlgorithm: .sha256, kid: kid.map { JWKIdentifier(string: $0) })
    return try await keys.sign(Claims(values), kid: kid.map { JWKIdentifier(string: $0) })
}

/// An HS256 token made with swift-crypto alone, for keys jwt-kit will not sign with.
func handMadeHS256(_ values: [String: Claim], key: [UInt8]) throws -> String {
    let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
    let payload = Base64URL.encode(Array(try JSONEncoder().encode(values)))
    let mac = HMAC<SHA256>.authenticationCode(for: Array("\(header).\(payload)".utf8), using: SymmetricKey(data: key))
    return "\(header).\(payload).\(Base64URL.encode(Array(mac)))"
}

/// An RSA key pair and a self-signed certificate for its public key, made by openssl for this test run.
struct RSAMaterial: Sendable {
    var privateKeyPEM: String
    var certificateDER: [UInt8]
    var modulus: [UInt8]
    var exponent: [UInt8]

    static func make() throws -> RSAMaterial {
        let directory = NSTemporaryDirectory() + "edgelive-keyaccess-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ExternalTool.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/key.pem",
                                         "-out", directory + "/cert.pem", "-subj", "/CN=edgelive key delivery test", "-days", "2"],
                             rejectingErrorOutput: false)
        try ExternalTool.run("openssl", ["x509", "-in", directory + "/cert.pem", "-outform", "DER", "-out", directory + "/cert.der"],
                             rejectingErrorOutput: false)
        let pem = try String(contentsOfFile: directory + "/key.pem", encoding: .utf8)
        let der = try Data(contentsOf: URL(fileURLWithPath: directory + "/cert.der"))
        let primitives = try JWTKit.Insecure.RSA.PrivateKey(pem: pem).publicKey.getKeyPrimitives()
        return RSAMaterial(privateKeyPEM: pem, certificateDER: Array(der), modulus: Array(primitives.modulus),
                           exponent: Array(primitives.publicExponent))
    }

    var rsaKey: TokenVerificationKey { .rsa(modulus: modulus, exponent: exponent) }
}

private let firstRSA = Result { try RSAMaterial.make() }
private let secondRSA = Result { try RSAMaterial.make() }
func rsaMaterial() throws -> RSAMaterial { try firstRSA.get() }
func otherRSAMaterial() throws -> RSAMaterial { try secondRSA.get() }

func tokenRestriction(keys: [TokenVerificationKey] = [.symmetric(symmetricKey)], requiredClaims: [(type: String, value: String?)] = [],
                      tokenType: TokenRestriction.TokenType = .jwt, discovery: String? = nil) -> KeyRestriction {
    .token(TokenRestriction(issuer: issuer, audience: audience, verificationKeys: keys, requiredClaims: requiredClaims,
                            tokenType: tokenType, openIDConnectDiscoveryDocument: discovery))
}

func grant(_ restriction: KeyRestriction, configuration: KeyConfiguration = .clearKey, key: ContentKey = contentKey) -> KeyGrant {
    KeyGrant(key: key, policyName: "policy-1", options: [KeyAccessOption(name: "option-1", restriction: restriction, configuration: configuration)],
             locatorName: "locator-1")
}

/// A fetcher for tests that must not reach the network.
struct NoFetcher: KeyDocumentFetcher {
    func fetch(_ url: String, timeout: Duration) async throws -> [UInt8] {
        throw NoFetch(url: url)
    }
    struct NoFetch: Error, CustomStringConvertible {
        var url: String
        var description: String { "no network in this test (\(url))" }
    }
}

func authorizer() -> KeyAuthorizer { KeyAuthorizer(fetcher: NoFetcher(), logger: quietLogger) }

extension Result {
    var denial: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
    var value: Success? {
        if case .success(let value) = self { return value }
        return nil
    }
}
