// Key delivery over HTTP: AES-128 keys, W3C Clear Key licences, the DRM endpoints' 501s, statuses, CORS, the router.
import EventLoop
import Foundation
import HTTP
import JWTKit
import KeyAccess
import Logging
import Origin
import Protection
import TestSupport
import Testing

let issuer = "https://sts.edgelive.test"
let audience = "urn:edgelive:test"
let signingKey: [UInt8] = Array("a key shared by the issuer and the box".utf8)
let tokenKey = ContentKey(id: UUID(uuidString: "0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9")!, value: Array(100..<116))
let openKey = ContentKey(id: UUID(uuidString: "f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f")!, value: Array(200..<216))
let playReadyOnlyKey = ContentKey(id: UUID(uuidString: "11111111-2222-4333-8444-555555555555")!, value: Array(repeating: 9, count: 16))

/// Lines logged, with their metadata, for checking what refusals record.
final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var text: String { lock.withLock { lines.joined(separator: "\n") } }
}

struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        log.append("\(event.level) \(event.message) " + merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " "))
    }
}

struct FakeGrants: KeyGrantResolver {
    let grants: [UUID: KeyGrant]
    func keyGrant(_ keyID: UUID) -> KeyGrant? { grants[keyID] }
}

func tokenGrant(_ key: ContentKey) -> KeyGrant {
    let restriction = TokenRestriction(issuer: issuer, audience: audience, verificationKeys: [.symmetric(signingKey)])
    return KeyGrant(key: key, policyName: "subscribers-policy",
                    options: [KeyAccessOption(name: "token", restriction: .token(restriction), configuration: .clearKey)],
                    locatorName: "evening-news-locator")
}

/// A responder over three keys: one needing a token, one open, one whose policy delivers PlayReady only.
func makeResponder(log: CapturedLog = CapturedLog()) -> KeyDeliveryResponder {
    let logger = Logger(label: "keydelivery-test") { _ in CapturingLogHandler(log: log) }
    let grants = FakeGrants(grants: [
        tokenKey.id: tokenGrant(tokenKey),
        openKey.id: KeyGrant(key: openKey, policyName: "open-policy",
                             options: [KeyAccessOption(name: "open", restriction: .open, configuration: .clearKey)], locatorName: "open-locator"),
        playReadyOnlyKey.id: KeyGrant(key: playReadyOnlyKey, policyName: "drm-policy",
                                      options: [KeyAccessOption(name: "pr", restriction: .open, configuration: .playReady)], locatorName: "drm-locator"),
    ])
    return KeyDeliveryResponder(grants: grants, authorizer: KeyAuthorizer(fetcher: NoFetcher(), logger: logger), logger: logger)
}

struct NoFetcher: KeyDocumentFetcher {
    func fetch(_ url: String, timeout: Duration) async throws -> [UInt8] {
        throw HTTPClientResponseError()
    }
    struct HTTPClientResponseError: Error {}
}

struct Claims: JWTPayload {
    var iss = issuer, aud = audience
    var exp = Date().timeIntervalSince1970 + 3_600
    var nbf = Date().timeIntervalSince1970 - 300
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

func token(_ claims: Claims = Claims(), key: [UInt8] = signingKey) async throws -> String {
    let keys = JWTKeyCollection()
    await keys.add(hmac: HMACKey(from: key), digestAlgorithm: .sha256)
    return try await keys.sign(claims)
}

func send(_ responder: some HTTPResponder, _ target: String, headers: HTTPHeaders = [:]) async -> HTTPResponse {
    await send(responder, "GET", target, headers: headers)
}

func send(_ responder: some HTTPResponder, _ method: String, _ target: String, headers: HTTPHeaders = [:],
          body: [UInt8] = []) async -> HTTPResponse {
    await responder.respond(to: HTTPRequest(method: method, target: target, headers: headers, remoteAddress: "192.0.2.9"),
                            body: HTTPRequestBody(bytes: body))
}

func bytes(_ response: HTTPResponse) -> [UInt8] {
    if case .bytes(let bytes) = response.body { return bytes }
    return []
}

func text(_ response: HTTPResponse) -> String { String(decoding: bytes(response), as: UTF8.self) }

func licenceRequest(_ keys: [ContentKey], type: String = "temporary") -> [UInt8] {
    let kids = keys.map { "\"\(Base64URL.encode($0.idBytes))\"" }.joined(separator: ",")
    return Array(#"{"kids":[\#(kids)],"type":"\#(type)"}"#.utf8)
}

@Suite struct KeyDeliveryResponderTests {
    // MARK: - AES-128 keys

    @Test func bearerTokenGetsTheRawKey() async throws {
        let response = await send(makeResponder(), "/keydelivery/?kid=\(tokenKey.id.uuidString)", headers: ["Authorization": "Bearer \(try await token())"])
        #expect(response.status == 200)
        #expect(bytes(response) == tokenKey.value)
        #expect(response.headers["Content-Type"] == "application/octet-stream")
        #expect(response.headers["Cache-Control"] == "no-store")
        #expect(response.headers["Access-Control-Allow-Origin"] == "*")
    }

    @Test func tokenInTheQueryGetsTheKey() async throws {
        let jwt = try await token()
        let responder = makeResponder()
        let encoded = await send(responder, "/keydelivery/?kid=\(tokenKey.id.uuidString.lowercased())&token=Bearer%20\(jwt)")
        #expect(encoded.status == 200)
        #expect(bytes(encoded) == tokenKey.value)
        let plus = await send(responder, "/keydelivery?token=Bearer+\(jwt)&kid=\(tokenKey.id.uuidString)")
        #expect(bytes(plus) == tokenKey.value)
        let bare = await send(responder, "/keydelivery/?kid=\(tokenKey.id.uuidString)&token=\(jwt)")
        #expect(bytes(bare) == tokenKey.value)
    }

    @Test func openKeyNeedsNoToken() async {
        let response = await send(makeResponder(), "/keydelivery/?KID=\(openKey.id.uuidString)")
        #expect(response.status == 200)
        #expect(bytes(response) == openKey.value)
    }

    @Test func refusalIsAGeneric401AndTheReasonIsLogged() async throws {
        let log = CapturedLog()
        let badToken = try await token(key: Array("a stranger's key, as long as the others".utf8))
        let response = await send(makeResponder(log: log), "/keydelivery/?kid=\(tokenKey.id.uuidString)",
                                  headers: ["Authorization": "Bearer \(badToken)"])
        #expect(response.status == 401)
        #expect(response.headers["WWW-Authenticate"] == "Bearer")
        #expect(response.headers["Cache-Control"] == "no-store")
        #expect(!text(response).contains("signature"))
        #expect(!text(response).contains("subscribers-policy"))
        let logged = log.text
        #expect(logged.contains("key request refused"))
        #expect(logged.contains("policy=subscribers-policy"))
        #expect(logged.contains("locator=evening-news-locator"))
        #expect(logged.contains("code=badSignature"))
        #expect(!logged.contains(badToken))
        #expect(!logged.contains(String(badToken.split(separator: ".")[2])))
        #expect(!logged.contains(Base64URL.encode(tokenKey.value)))
    }

    @Test func missingTokenIs401() async {
        let response = await send(makeResponder(), "/keydelivery/?kid=\(tokenKey.id.uuidString)")
        #expect(response.status == 401)
        let otherScheme = await send(makeResponder(), "/keydelivery/?kid=\(tokenKey.id.uuidString)", headers: ["Authorization": "Basic dXNlcjpwYXNz"])
        #expect(otherScheme.status == 401)
    }

    @Test func expiredTokenIs401() async throws {
        var claims = Claims()
        claims.exp = Date().timeIntervalSince1970 - 3_600
        let response = await send(makeResponder(), "/keydelivery/?kid=\(tokenKey.id.uuidString)",
                                  headers: ["Authorization": "Bearer \(try await token(claims))"])
        #expect(response.status == 401)
    }

    @Test func unknownKidIs404() async throws {
        let response = await send(makeResponder(), "/keydelivery/?kid=\(UUID().uuidString)", headers: ["Authorization": "Bearer \(try await token())"])
        #expect(response.status == 404)
        #expect(response.headers["Cache-Control"] == "no-store")
    }

    @Test func malformedOrMissingKidIs400() async {
        #expect(await send(makeResponder(), "/keydelivery/?kid=not-a-uuid").status == 400)
        #expect(await send(makeResponder(), "/keydelivery/").status == 400)
        #expect(await send(makeResponder(), "/keydelivery/?kid=").status == 400)
    }

    @Test func aPolicyWithoutAClearKeyOptionIs401() async {
        #expect(await send(makeResponder(), "/keydelivery/?kid=\(playReadyOnlyKey.id.uuidString)").status == 401)
    }

    @Test func wrongMethodIs405() async {
        let response = await send(makeResponder(), "DELETE", "/keydelivery/?kid=\(openKey.id.uuidString)")
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "GET, HEAD, OPTIONS")
        #expect(await send(makeResponder(), "GET", "/keydelivery/ClearKey/").status == 405)
    }

    @Test func unknownEndpointIs404() async {
        #expect(await send(makeResponder(), "/keydelivery/Marlin/").status == 404)
    }

    // MARK: - W3C Clear Key

    @Test func clearKeyLicenceRoundTrip() async throws {
        let response = await send(makeResponder(), "POST", "/keydelivery/ClearKey/",
                                  headers: ["Authorization": "Bearer \(try await token())", "Content-Type": "application/json"],
                                  body: licenceRequest([tokenKey, openKey]))
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.headers["Cache-Control"] == "no-store")
        struct Licence: Decodable {
            struct Key: Decodable { var kty: String; var k: String; var kid: String }
            var keys: [Key]
            var type: String
        }
        let licence = try JSONDecoder().decode(Licence.self, from: Data(bytes(response)))
        #expect(licence.type == "temporary")
        #expect(licence.keys.map(\.kty) == ["oct", "oct"])
        #expect(licence.keys.map(\.kid) == [Base64URL.encode(tokenKey.idBytes), Base64URL.encode(openKey.idBytes)])
        #expect(licence.keys.compactMap { Base64URL.decode($0.k) } == [tokenKey.value, openKey.value])
        #expect(!text(response).contains("="))
    }

    @Test func clearKeyTokenInTheQuery() async throws {
        let response = await send(makeResponder(), "POST", "/keydelivery/clearkey?token=Bearer%20\(try await token())",
                                  body: licenceRequest([tokenKey], type: "persistent-license"))
        #expect(response.status == 200)
        #expect(text(response).contains(#""type":"persistent-license""#))
    }

    @Test func clearKeyRefusesTheWholeLicenceWhenOneKidIsRefused() async {
        let response = await send(makeResponder(), "POST", "/keydelivery/ClearKey/", body: licenceRequest([openKey, tokenKey]))
        #expect(response.status == 401)
        #expect(!text(response).contains(Base64URL.encode(openKey.value)))
    }

    @Test func clearKeyMalformedRequestsAre400() async {
        let responder = makeResponder()
        #expect(await send(responder, "POST", "/keydelivery/ClearKey/", body: Array("kids=1".utf8)).status == 400)
        #expect(await send(responder, "POST", "/keydelivery/ClearKey/", body: Array(#"{"kids":[]}"#.utf8)).status == 400)
        #expect(await send(responder, "POST", "/keydelivery/ClearKey/", body: Array(#"{"kids":["AAEC"]}"#.utf8)).status == 400)
        #expect(await send(responder, "POST", "/keydelivery/ClearKey/", body: Array(#"{"kids":["!!"]}"#.utf8)).status == 400)
        #expect(await send(responder, "POST", "/keydelivery/ClearKey/", body: licenceRequest([openKey], type: "forever")).status == 400)
    }

    @Test func clearKeyUnknownKidIs404() async {
        let unknown = ContentKey(id: UUID(), value: Array(repeating: 1, count: 16))
        #expect(await send(makeResponder(), "POST", "/keydelivery/ClearKey/", body: licenceRequest([openKey, unknown])).status == 404)
    }

    // MARK: - DRM systems

    @Test func drmLicencesAre501WithTheWayOut() async {
        for (path, name) in [("PlayReady/", "PlayReady"), ("Widevine/?kid=\(openKey.id.uuidString)", "Widevine"), ("FairPlay/", "FairPlay")] {
            let response = await send(makeResponder(), "POST", "/keydelivery/\(path)", body: Array("challenge".utf8))
            #expect(response.status == 501)
            #expect(text(response).contains("\(name) licence server"))
            #expect(text(response).contains("customLicenseAcquisitionUrlTemplate"))
            #expect(text(response).contains("still encrypts"))
        }
    }

    // MARK: - CORS

    @Test func optionsIsAnsweredWithCORSHeaders() async {
        let response = await send(makeResponder(), "OPTIONS", "/keydelivery/ClearKey/")
        #expect(response.status == 204)
        #expect(response.headers["Access-Control-Allow-Origin"] == "*")
        #expect(response.headers["Access-Control-Allow-Headers"]?.contains("Authorization") == true)
        #expect(response.headers["Access-Control-Allow-Methods"]?.contains("POST") == true)
    }

    // MARK: - Router and server

    @Test func routerSendsOnlyKeyDeliveryPathsToKeyDelivery() async {
        let router = KeyDeliveryRouter(keyDelivery: makeResponder(), fallback: HTTPClosureResponder { _, _ in .text("origin") })
        #expect(text(await send(router, "/locator/news.ism/manifest")) == "origin")
        #expect(text(await send(router, "/keydeliveryish/")) == "origin")
        #expect(bytes(await send(router, "/keydelivery?kid=\(openKey.id.uuidString)")) == openKey.value)
        #expect(bytes(await send(router, "/KeyDelivery/?kid=\(openKey.id.uuidString)")) == openKey.value)
    }

    @Test func overARealServerWithAPreflight() async throws {
        try await withLoop(name: "keydelivery-server") { loop in
            let router = KeyDeliveryRouter(keyDelivery: makeResponder(), fallback: HTTPClosureResponder { _, _ in .text("origin") })
            let server = HTTPServer(loop: loop, responder: router, configuration: .init(host: "127.0.0.1", port: 0))
            let port = try await server.start()
            let base = "http://127.0.0.1:\(port)/keydelivery/"
            do {
                let preflight = try await HTTPClient.request(loop: loop, method: "OPTIONS", url: "\(base)?kid=\(tokenKey.id.uuidString)", headers: [
                    ("Origin", "https://player.example"), ("Access-Control-Request-Method", "GET"),
                    ("Access-Control-Request-Headers", "authorization"),
                ])
                #expect(preflight.status == 204)
                #expect(preflight.headers["Access-Control-Allow-Origin"] == "*")
                #expect(preflight.headers["Access-Control-Allow-Headers"]?.lowercased().contains("authorization") == true)
                let key = try await HTTPClient.request(loop: loop, url: "\(base)?kid=\(tokenKey.id.uuidString)",
                                                       headers: [("Authorization", "Bearer \(try await token())"), ("Origin", "https://player.example")])
                #expect(key.status == 200)
                #expect(key.body == tokenKey.value)
                #expect(key.headers["Access-Control-Allow-Origin"] == "*")
                let refused = try await HTTPClient.request(loop: loop, url: "\(base)?kid=\(tokenKey.id.uuidString)")
                #expect(refused.status == 401)
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
        }
    }
}
