// Key delivery on the origin's port: the box's stand-in for `https://{account}.keydelivery.{region}.media.azure.net`
// (spec/ams-live.md §11.2). The origin writes these URLs into manifests; players fetch keys and licences from them.
import EventLoop
import Foundation
import HTTP
import KeyAccess
import Logging
import Protection

/// Answers key and licence requests under `/keydelivery/`:
///
/// - `GET /keydelivery/?kid=<uuid>`: the AES-128 envelope key, 16 raw bytes.
/// - `POST /keydelivery/ClearKey/`: a W3C Clear Key licence for the key ids of a licence request.
/// - `/keydelivery/PlayReady/`, `/Widevine/`, `/FairPlay/`: 501; the box holds no DRM provider credentials.
///
/// The token comes from `Authorization: Bearer <jwt>` or a `token` query parameter (`Bearer <jwt>` URL-encoded, or the
/// bare JWT) for players that cannot add headers. A refusal is a bare 401: why it was refused is logged with the
/// policy and locator names, never the token or key bytes. Every answer carries `Cache-Control: no-store` and CORS
/// headers, since browsers fetch keys from pages served elsewhere.
public struct KeyDeliveryResponder: HTTPResponder {
    let grants: any KeyGrantResolver
    let authorizer: KeyAuthorizer
    let logger: Logger

    /// The path everything here is under.
    public static let pathPrefix = "/keydelivery"
    /// A Clear Key licence request is a few key ids: anything longer is not one.
    static let maxLicenceRequestBytes = 64 * 1024
    static let maxKeysPerLicence = 64

    public init(grants: any KeyGrantResolver, authorizer: KeyAuthorizer, logger: Logger) {
        var logger = logger
        logger[metadataKey: "component"] = "keydelivery"
        self.grants = grants
        self.authorizer = authorizer
        self.logger = logger
    }

    /// Key delivery with the default rules, fetching OpenID Connect discovery documents over HTTP on `loop`.
    public init(grants: any KeyGrantResolver, loop: EventLoop, logger: Logger) {
        self.init(grants: grants, authorizer: KeyAuthorizer(loop: loop, logger: logger), logger: logger)
    }

    /// True for `/keydelivery` and the paths under it (any letter case).
    public static func handles(path: String) -> Bool {
        let lower = path.lowercased()
        return lower == pathPrefix || lower.hasPrefix(pathPrefix + "/")
    }

    /// What a path under `/keydelivery` asks for.
    enum Endpoint: Equatable {
        case envelopeKey
        case clearKey
        case licence(KeyConfiguration)
        case unknown
    }

    static func endpoint(path: String) -> Endpoint {
        let rest = path.dropFirst(pathPrefix.count).split(separator: "/").map { $0.lowercased() }
        switch rest {
        case []: return .envelopeKey
        case ["clearkey"]: return .clearKey
        case ["playready"]: return .licence(.playReady)
        case ["widevine"]: return .licence(.widevine)
        case ["fairplay"]: return .licence(.fairPlay)
        default: return .unknown
        }
    }

    public func respond(to request: HTTPRequest, body: HTTPRequestBody) async -> HTTPResponse {
        Self.withKeyHeaders(await answer(request, body: body))
    }

    private func answer(_ request: HTTPRequest, body: HTTPRequestBody) async -> HTTPResponse {
        let endpoint = Self.endpoint(path: request.path)
        if request.method == "OPTIONS", endpoint != .unknown {
            return HTTPResponse(status: 204)
        }
        switch endpoint {
        case .unknown:
            return .error(status: 404, message: "no key delivery endpoint at \(request.path): keys are at \(Self.pathPrefix)/?kid=<key id>, "
                          + "Clear Key licences at \(Self.pathPrefix)/ClearKey/")
        case .licence(let system):
            return Self.licenceServerElsewhere(system)
        case .envelopeKey:
            guard request.method == "GET" || request.method == "HEAD" else {
                return Self.methodNotAllowed("GET, HEAD, OPTIONS", "an AES-128 key is fetched with GET \(Self.pathPrefix)/?kid=<key id>")
            }
            return await envelopeKey(request)
        case .clearKey:
            guard request.method == "POST" else {
                return Self.methodNotAllowed("POST, OPTIONS", "a Clear Key licence is requested with POST and a JSON licence request")
            }
            return await clearKeyLicence(request, body: body)
        }
    }

    // MARK: - AES-128 envelope

    private func envelopeKey(_ request: HTTPRequest) async -> HTTPResponse {
        guard let text = request.queryItems.first(where: { $0.0.lowercased() == "kid" })?.1, !text.isEmpty else {
            return .error(status: 400, message: "the request names no key: add ?kid=<key id, a UUID>")
        }
        guard let keyID = KeyIdentifierText.parse(text) else {
            return .error(status: 400, message: "'\(text.prefix(64))' is not a key id: kid is a UUID (8-4-4-4-12 hex digits)")
        }
        guard let grant = grants.keyGrant(keyID) else {
            return Self.unknownKey(keyID)
        }
        switch await authorizer.authorize(grant, token: Self.token(in: request), deliver: .clearKey) {
        case .success(let key):
            logDelivery([grant], request, what: "AES-128 key")
            var headers = HTTPHeaders()
            headers.set(name: "Content-Type", value: "application/octet-stream")
            return HTTPResponse(status: 200, headers: headers, body: .bytes(key.value))
        case .failure(let denial):
            return refuse(denial, [grant], request)
        }
    }

    // MARK: - W3C Clear Key

    /// `{"kids":["<base64url>"],"type":"temporary"}`: the W3C Encrypted Media Extensions Clear Key licence request.
    private struct LicenceRequest: Decodable {
        var kids: [String]
        var type: String?
    }

    private struct Licence: Encodable {
        struct Key: Encodable {
            var kty = "oct"
            var k: String
            var kid: String
        }
        var keys: [Key]
        var type: String
    }

    private func clearKeyLicence(_ request: HTTPRequest, body: HTTPRequestBody) async -> HTTPResponse {
        let bytes: [UInt8]
        do {
            bytes = try await body.collect(upTo: Self.maxLicenceRequestBytes)
        } catch {
            return .error(status: 400, message: "the licence request could not be read: \(error)")
        }
        guard let licenceRequest = try? JSONDecoder().decode(LicenceRequest.self, from: Data(bytes)) else {
            return .error(status: 400, message: "the body is not a Clear Key licence request: expected JSON "
                          + #"{"kids":["<key id, base64url>"],"type":"temporary"}"#)
        }
        let type = licenceRequest.type ?? "temporary"
        guard type == "temporary" || type == "persistent-license" else {
            return .error(status: 400, message: "licence type '\(type.prefix(64))' is not one of 'temporary' and 'persistent-license'")
        }
        guard !licenceRequest.kids.isEmpty, licenceRequest.kids.count <= Self.maxKeysPerLicence else {
            return .error(status: 400, message: "a licence request names 1 to \(Self.maxKeysPerLicence) key ids; this one names \(licenceRequest.kids.count)")
        }
        var grantsAsked: [KeyGrant] = []
        for text in licenceRequest.kids {
            guard let keyID = Base64URL.decode(text).flatMap(KeyIdentifierText.uuid(bytes:)) else {
                return .error(status: 400, message: "'\(text.prefix(64))' is not a key id: kids are 16 bytes in base64url")
            }
            guard let grant = grants.keyGrant(keyID) else { return Self.unknownKey(keyID) }
            grantsAsked.append(grant)
        }
        switch await authorizer.authorize(grantsAsked, token: Self.token(in: request), deliver: .clearKey) {
        case .success(let keys):
            logDelivery(grantsAsked, request, what: "Clear Key licence")
            let licence = Licence(keys: keys.map { Licence.Key(k: Base64URL.encode($0.value), kid: Base64URL.encode($0.idBytes)) }, type: type)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            guard let json = try? encoder.encode(licence) else {
                return .error(status: 500, message: "the licence could not be encoded")
            }
            var headers = HTTPHeaders()
            headers.set(name: "Content-Type", value: "application/json")
            return HTTPResponse(status: 200, headers: headers, body: .bytes(Array(json)))
        case .failure(let denial):
            // The denial names the option that refused; it is logged against every key the request asked for.
            return refuse(denial, grantsAsked, request)
        }
    }

    // MARK: - Tokens, refusals, headers

    /// The request's token: `Authorization: Bearer <jwt>`, else the `token` query parameter (`Bearer <jwt>` or the bare JWT).
    static func token(in request: HTTPRequest) -> String? {
        if let authorization = request.headers["Authorization"], let token = bearer(authorization) { return token }
        if let query = request.queryItems.first(where: { $0.0.lowercased() == "token" })?.1 { return bearer(query) }
        return nil
    }

    /// `Bearer <token>` → the token; a bare token (no space) as it is; nil for other schemes or nothing.
    private static func bearer(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased().hasPrefix("bearer ") {
            let token = trimmed.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
            return token.isEmpty ? nil : token
        }
        return trimmed.isEmpty || trimmed.contains(" ") ? nil : trimmed
    }

    private func refuse(_ denial: KeyDenial, _ asked: [KeyGrant], _ request: HTTPRequest) -> HTTPResponse {
        logger.notice("key request refused", metadata: [
            "kid": "\(asked.map { $0.key.id.uuidString.lowercased() }.joined(separator: ","))",
            "policy": "\(Set(asked.map(\.policyName)).sorted().joined(separator: ","))",
            "locator": "\(Set(asked.map(\.locatorName)).sorted().joined(separator: ","))",
            "client": "\(request.remoteAddress)",
            "code": "\(denial.code)",
            "reason": "\(denial.reason)",
        ])
        var response = HTTPResponse.error(status: 401, message: "this request does not carry a token that grants the key")
        response.headers.set(name: "WWW-Authenticate", value: "Bearer")
        return response
    }

    private func logDelivery(_ asked: [KeyGrant], _ request: HTTPRequest, what: String) {
        logger.info("\(what) delivered", metadata: [
            "kid": "\(asked.map { $0.key.id.uuidString.lowercased() }.joined(separator: ","))",
            "policy": "\(Set(asked.map(\.policyName)).sorted().joined(separator: ","))",
            "locator": "\(Set(asked.map(\.locatorName)).sorted().joined(separator: ","))",
            "client": "\(request.remoteAddress)",
        ])
    }

    private static func unknownKey(_ keyID: UUID) -> HTTPResponse {
        .error(status: 404, message: "no streaming locator publishes key \(keyID.uuidString.lowercased())")
    }

    private static func methodNotAllowed(_ allow: String, _ message: String) -> HTTPResponse {
        var response = HTTPResponse.error(status: 405, message: message)
        response.headers.set(name: "Allow", value: allow)
        return response
    }

    /// The answer to a PlayReady, Widevine or FairPlay licence request: the box holds no provider credentials by design, so
    /// it names where a streaming policy points players at a third-party licence server (StreamingPolicy `drm.<system>`).
    static func licenceServerElsewhere(_ system: KeyConfiguration) -> HTTPResponse {
        let (name, template) = switch system {
        case .playReady: ("PlayReady", "commonEncryptionCenc.drm.playReady.customLicenseAcquisitionUrlTemplate")
        case .widevine: ("Widevine", "commonEncryptionCenc.drm.widevine.customLicenseAcquisitionUrlTemplate")
        case .fairPlay: ("FairPlay", "commonEncryptionCbcs.drm.fairPlay.customLicenseAcquisitionUrlTemplate")
        case .clearKey: ("ClearKey", "customKeyAcquisitionUrlTemplate")
        }
        return .error(status: 501, message: "this box issues no \(name) licences: it holds no \(name) provider credentials. Name a third-party "
                      + "\(name) licence server in the streaming policy's custom licence URL template (\(template), with {ContentKeyId}); "
                      + "the box still encrypts the content and signals \(name) in its manifests")
    }

    /// Keys and refusals are never cached, and browsers may read them from pages served elsewhere.
    static func withKeyHeaders(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        response.headers.set(name: "Cache-Control", value: "no-store")
        response.headers.set(name: "Access-Control-Allow-Origin", value: "*")
        response.headers.set(name: "Access-Control-Allow-Methods", value: "GET, HEAD, POST, OPTIONS")
        response.headers.set(name: "Access-Control-Allow-Headers", value: "Authorization, Content-Type")
        response.headers.set(name: "Access-Control-Max-Age", value: "86400")
        return response
    }
}
