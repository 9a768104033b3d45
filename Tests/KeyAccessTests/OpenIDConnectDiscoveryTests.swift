// Keys from an OpenID Connect discovery document served by a local HTTP server: fetched, cached, refetched, failing.
import EventLoop
import Foundation
import HTTP
import JWTKit
import KeyAccess
import Protection
import TestSupport
import Testing

/// Counts the requests a test server answered, by path.
final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var paths: [String] = []
    func record(_ path: String) { lock.withLock { paths.append(path) } }
    func count(_ path: String) -> Int { lock.withLock { paths.filter { $0 == path }.count } }
}

/// Serves `/.well-known/openid-configuration` naming `/keys`, a JWK set with the test RSA key under kid "k1"; other paths 404.
func withIdentityProvider(keys: [(kid: String, material: RSAMaterial)], documentStatus: Int = 200,
                          _ body: (EventLoop, String, RequestLog) async throws -> Void) async throws {
    try await withLoop(name: "oidc-test") { loop in
        let log = RequestLog()
        let port = LoopBox(0)
        let keySet = keys.map { #"{"kty":"RSA","use":"sig","kid":"\#($0.kid)","alg":"RS256","n":"\#(Base64URL.encode($0.material.modulus))","e":"\#(Base64URL.encode($0.material.exponent))"}"# }
        // An EC key and an encryption key the box must skip without failing the set.
        let others = #"{"kty":"EC","crv":"P-256","kid":"ec","x":"AAAA","y":"AAAA"},{"kty":"RSA","use":"enc","kid":"enc","n":"AQAB","e":"AQAB"}"#
        let server = HTTPServer(loop: loop, responder: HTTPClosureResponder { request, _ in
            log.record(request.path)
            switch request.path {
            case "/.well-known/openid-configuration":
                let document = #"{"issuer":"\#(issuer)","jwks_uri":"http://127.0.0.1:\#(port.value)/keys","id_token_signing_alg_values_supported":["RS256"]}"#
                return HTTPResponse(status: documentStatus, headers: ["Content-Type": "application/json"], body: .bytes(Array(document.utf8)))
            case "/keys":
                let json = #"{"keys":[\#(others),\#(keySet.joined(separator: ","))]}"#
                return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: .bytes(Array(json.utf8)))
            default:
                return .error(status: 404, message: "nothing here")
            }
        }, configuration: .init(host: "127.0.0.1", port: 0))
        port.value = try await server.start()
        do {
            try await body(loop, "http://127.0.0.1:\(port.value)/.well-known/openid-configuration", log)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

@Suite struct OpenIDConnectDiscoveryTests {
    @Test func keysFromTheDiscoveryDocumentVerifyAndAreCached() async throws {
        let material = try rsaMaterial()
        try await withIdentityProvider(keys: [("k1", material)]) { loop, document, log in
            let keys = KeyAuthorizer(loop: loop, logger: quietLogger)
            let restriction = tokenRestriction(keys: [.symmetric(symmetricKey)], discovery: document)
            let token = try await rs256(claims(), key: material, kid: "k1")
            #expect(await keys.authorize(grant(restriction), token: token, deliver: .clearKey, now: now).value == contentKey)
            #expect(await keys.authorize(grant(restriction), token: token, deliver: .clearKey, now: now.addingTimeInterval(600)).value == contentKey)
            #expect(log.count("/.well-known/openid-configuration") == 1)
            #expect(log.count("/keys") == 1)
            // After 15 minutes the keys are fetched again.
            #expect(await keys.authorize(grant(restriction), token: token, deliver: .clearKey, now: now.addingTimeInterval(901)).value == contentKey)
            #expect(log.count("/keys") == 2)
            // A token the symmetric key verifies needs no fetch at all.
            let hmac = try await hs256(claims(at: now.addingTimeInterval(901)))
            #expect(await keys.authorize(grant(restriction), token: hmac, deliver: .clearKey, now: now.addingTimeInterval(901)).value == contentKey)
            #expect(log.count("/keys") == 2)
        }
    }

    @Test func aTokenFromAnotherKeyIsDenied() async throws {
        let material = try rsaMaterial(), stranger = try otherRSAMaterial()
        try await withIdentityProvider(keys: [("k1", material)]) { loop, document, _ in
            let keys = KeyAuthorizer(loop: loop, logger: quietLogger)
            let restriction = tokenRestriction(keys: [], discovery: document)
            let token = try await rs256(claims(), key: stranger, kid: "k1")
            let result = await keys.authorize(grant(restriction), token: token, deliver: .clearKey, now: now)
            #expect(result.denial?.code == .badSignature)
            #expect(result.denial?.reason.contains("key 'k1'") == true)
        }
    }

    @Test func anUnknownKidRefetchesTheKeySetOnceItIsAMinuteOld() async throws {
        let material = try rsaMaterial()
        try await withIdentityProvider(keys: [("k1", material)]) { loop, document, log in
            let keys = KeyAuthorizer(loop: loop, logger: quietLogger)
            let restriction = tokenRestriction(keys: [], discovery: document)
            let rotated = try await rs256(claims(), key: material, kid: "k2")
            // k2 is not in the set, but the token still tries every key: the set's k1 verifies it.
            #expect(await keys.authorize(grant(restriction), token: rotated, deliver: .clearKey, now: now).value == contentKey)
            #expect(log.count("/keys") == 1)
            #expect(await keys.authorize(grant(restriction), token: rotated, deliver: .clearKey, now: now.addingTimeInterval(30)).value == contentKey)
            #expect(log.count("/keys") == 1)
            #expect(await keys.authorize(grant(restriction), token: rotated, deliver: .clearKey, now: now.addingTimeInterval(61)).value == contentKey)
            #expect(log.count("/keys") == 2)
        }
    }

    @Test func aDocumentThatCannotBeFetchedIsADenial() async throws {
        let material = try rsaMaterial()
        try await withIdentityProvider(keys: [("k1", material)], documentStatus: 500) { loop, document, _ in
            let keys = KeyAuthorizer(loop: loop, logger: quietLogger)
            let token = try await rs256(claims(), key: material, kid: "k1")
            let result = await keys.authorize(grant(tokenRestriction(keys: [], discovery: document)), token: token, deliver: .clearKey, now: now)
            #expect(result.denial?.code == .discoveryFailed)
            #expect(result.denial?.reason.contains("could not be fetched") == true)
            #expect(result.denial?.reason.contains(document) == true)
        }
    }

    @Test func anUnreachableIssuerIsADenialWithinTheTimeout() async throws {
        let material = try rsaMaterial()
        try await withLoop(name: "oidc-unreachable") { loop in
            let keys = KeyAuthorizer(loop: loop, configuration: .init(discoveryTimeout: .seconds(2)), logger: quietLogger)
            let token = try await rs256(claims(), key: material, kid: "k1")
            let restriction = tokenRestriction(keys: [], discovery: "http://127.0.0.1:1/.well-known/openid-configuration")
            let result = await keys.authorize(grant(restriction), token: token, deliver: .clearKey, now: now)
            #expect(result.denial?.code == .discoveryFailed)
            #expect(result.denial?.reason.contains("could not be fetched") == true)
            let https = tokenRestriction(keys: [], discovery: "https://login.example/.well-known/openid-configuration")
            let secure = await keys.authorize(grant(https), token: token, deliver: .clearKey, now: now)
            #expect(secure.denial?.code == .discoveryFailed)
            #expect(secure.denial?.reason.contains("http://") == true)
        }
    }

    @Test func aMissingKeySetIsADenial() async throws {
        try await withIdentityProvider(keys: []) { loop, document, _ in
            let keys = KeyAuthorizer(loop: loop, logger: quietLogger)
            let token = try await rs256(claims(), key: try rsaMaterial(), kid: "k1")
            let result = await keys.authorize(grant(tokenRestriction(keys: [], discovery: document)), token: token, deliver: .clearKey, now: now)
            #expect(result.denial?.code == .discoveryFailed)
            #expect(result.denial?.reason.contains("no usable RSA signing key") == true)
        }
    }
}
