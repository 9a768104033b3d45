import AMSModels
import Foundation
import HTTP
import Logging

/// The REST API, shaped as Azure Media Services v3 (ARM): bearer token, `api-version`, case-insensitive
/// paths, swagger JSON bodies, ARM error bodies, LRO headers and operation endpoints, OData list queries.
public struct ControlAPI: HTTPResponder {
    let services: MediaServices
    let token: APIToken
    let logger: Logger
    /// Largest request body accepted (resources are small JSON documents).
    static let maximumBodyBytes = 1 << 20
    /// What pollers are told to wait: operations here finish within the request, so the first poll succeeds;
    /// 1 s is the smallest whole value (the SDK treats 0 as "use your 30 s default").
    static let retryAfterSeconds = 1

    public init(services: MediaServices, token: APIToken, logger: Logger) {
        var logger = logger
        logger[metadataKey: "component"] = "api"
        self.services = services
        self.token = token
        self.logger = logger
    }

    public func respond(to request: HTTPRequest, body: HTTPRequestBody) async -> HTTPResponse {
        let response: HTTPResponse
        do {
            response = try await handle(request, body: body)
        } catch {
            var refusal = Self.error(error)
            if error.status == 405 {
                // The router refused the method: name the ones this path takes.
                let allowed = ARMMethod.allCases.filter { (try? ARMRoute.parse(method: $0.rawValue, path: request.path)) != nil }
                refusal.headers.set(name: "Allow", value: allowed.map(\.rawValue).joined(separator: ", "))
            }
            response = refusal
        }
        logger.debug("api request", metadata: ["method": "\(request.method)", "path": "\(request.path)", "status": "\(response.status)"])
        if response.status >= 500 {
            logger.error("api request failed", metadata: ["method": "\(request.method)", "path": "\(request.path)", "status": "\(response.status)"])
        }
        return response
    }

    // MARK: - Probes (deliberately open: they tell a load balancer or systemd whether to send work, nothing else)

    /// `GET /healthz`: 200 whenever the API answers, which proves the event loop turns (the API runs on it).
    /// `GET /readyz`: 200 once the state is loaded and every listener is bound, 503 before and while stopping.
    private func probe(_ request: HTTPRequest) async -> HTTPResponse? {
        guard request.method == "GET" || request.method == "HEAD" else { return nil }
        switch request.path.split(separator: "?", maxSplits: 1).first {
        case "/healthz":
            return Self.probeAnswer(200, "ok")
        case "/readyz":
            return await services.isReady ? Self.probeAnswer(200, "ready") : Self.probeAnswer(503, "not ready: starting or stopping")
        default:
            return nil
        }
    }

    private static func probeAnswer(_ status: Int, _ text: String) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.set(name: "Cache-Control", value: "no-store")
        return HTTPResponse(status: status, headers: headers, body: .bytes(Array((text + "\n").utf8)))
    }

    // MARK: - Pipeline: authenticate, check the version, route, dispatch

    private func handle(_ request: HTTPRequest, body: HTTPRequestBody) async throws(ARMError) -> HTTPResponse {
        if let probe = await probe(request) { return probe }
        guard let header = request.headers["Authorization"], header.count > 7,
              header.prefix(7).lowercased() == "bearer ", token.matches(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) else {
            var response = Self.error(ARMError.authenticationFailed(
                "Authentication failed: send 'Authorization: Bearer <token>'; the token is in the daemon's data directory (api-token) or set with --api-token."))
            response.headers.set(name: "WWW-Authenticate", value: "Bearer realm=\"edgelive\"")
            return response
        }
        if request.method == "GET", request.path.split(separator: "?").first == "/metrics" {
            var headers = HTTPHeaders()
            headers.set(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
            return HTTPResponse(status: 200, headers: headers, body: .bytes(Array(await services.prometheusMetrics().utf8)))
        }
        let route = try ARMRoute.parse(method: request.method, path: request.path)
        let version = try APIVersion.validate(request.queryValue("api-version"))
        let bytes: [UInt8]
        do {
            bytes = try await body.collect(upTo: Self.maximumBodyBytes)
        } catch {
            throw .badRequest("The request body could not be read: \(error).")
        }
        let context = Context(request: request, route: route, version: version, body: bytes, baseURL: baseURL(of: request))
        return try await dispatch(context)
    }

    struct Context {
        var request: HTTPRequest
        var route: ARMRoute
        var version: String
        var body: [UInt8]
        var baseURL: String
        var account: ResourceID { route.account }

        /// The body as a `T`; an empty body or a bad document is a 400 naming what to send.
        func decode<T: Decodable>(_ type: T.Type) throws(ARMError) -> T {
            guard let value = try decodeIfPresent(type) else {
                throw .badRequest("The request body is required: a JSON \(T.self) document.")
            }
            return value
        }

        /// The body as a `T`, or nil when there is none (empty or only whitespace).
        func decodeIfPresent<T: Decodable>(_ type: T.Type) throws(ARMError) -> T? {
            guard !body.isEmpty, !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
                return nil
            }
            return try ARMJSON.decode(type, from: Data(body))
        }

        func queryFlag(_ name: String) -> Bool {
            request.queryItems.first { $0.0.lowercased() == name.lowercased() }?.1.lowercased() == "true"
        }

        /// An absolute URL under the account for LRO headers, with this request's api-version.
        func accountURL(_ relative: String) -> String {
            "\(baseURL)\(account.accountPath)/\(relative)?api-version=\(version)"
        }
    }

    /// `http://host:port` as the client addressed us, so LRO and paging links work through any name or NAT.
    private func baseURL(of request: HTTPRequest) -> String {
        let host = request.headers["Host"] ?? "127.0.0.1"
        return "http://\(host)"
    }

    // MARK: - Dispatch

    /// One handler per resource family (`ControlAPI+<Family>.swift`), chosen from the route's target.
    private func dispatch(_ c: Context) async throws(ARMError) -> HTTPResponse {
        switch c.route.target.family {
        case .account:
            guard c.route.method == .get else { throw methodNotAllowed(c) }
            return try Self.json(MediaServiceAccount(account: c.account))
        case .liveEvents: return try await liveEvents(c)
        case .assets: return try await assets(c)
        case .protection: return try await protectionPolicies(c)
        case .filters: return try await filters(c)
        case .streamingEndpoints: return try await streamingEndpoints(c)
        }
    }

    /// 405 naming the methods the target takes.
    func methodNotAllowed(_ c: Context) -> ARMError {
        ARMError(status: 405, code: "MethodNotAllowed",
                 message: "\(c.route.method.rawValue) is not allowed here; use \(ARMRoute.allowHeader(for: c.route.target)).")
    }

    func operationStatus(_ id: String, family: OperationRecord.Family) async throws(ARMError) -> HTTPResponse {
        let operation = try await services.operation(id: id, family: family)
        let status: AsyncOperationStatus = switch operation.status {
        case .inProgress: .inProgress
        case .succeeded: .succeeded
        case .failed: .failed
        }
        let error = operation.errorJSON.flatMap { try? ARMJSON.decoder().decode(ARMErrorDetail.self, from: Data($0.utf8)) }
        var response = try Self.json(AsyncOperationResult(name: operation.id, status: status, error: error))
        if operation.status == .inProgress { response.headers.set(name: "Retry-After", value: "\(Self.retryAfterSeconds)") }
        return response
    }

    // MARK: - Lists

    func list<T: Codable & Sendable & Equatable>(_ c: Context, _ items: [T], count: Bool, filterable: Bool = false,
                                                           lookup: ((T, String) -> ODataValue?)? = nil) throws(ARMError) -> HTTPResponse {
        let query = try ODataQuery(rawQuery: c.request.query ?? "")
        if !filterable, query.filter != nil || !query.orderBy.isEmpty {
            throw .badRequest("$filter and $orderby are not supported on this list (the service has them on assets, streaming locators, streaming policies and content key policies).")
        }
        let (page, nextSkip) = query.apply(items) { item, path in lookup?(item, path) ?? nil }
        var result = ARMList(value: page, odataCount: count ? items.count : nil)
        if let nextSkip {
            result.odataNextLink = ODataQuery.nextLink(baseURL: c.baseURL, path: c.request.path, rawQuery: c.request.query ?? "", nextSkip: nextSkip)
        }
        return try Self.json(result)
    }

    static func odata(_ path: String, name: String?, created: Date?, modified: Date?, extra: [String: String?],
                      dates: [String: Date?] = [:]) -> ODataValue? {
        switch path.lowercased() {
        case "name": return name.map(ODataValue.string) ?? .null
        case "properties/created": return created.map(ODataValue.date) ?? .null
        case "properties/lastmodified": return modified.map(ODataValue.date) ?? .null
        default:
            if let value = extra[path.lowercased()] { return value.map(ODataValue.string) ?? .null }
            if let value = dates[path.lowercased()] { return value.map(ODataValue.date) ?? .null }
            return nil
        }
    }

    // MARK: - Responses

    /// A long-running operation's first answer: `status` with the resource (when any), and the headers the
    /// SDK polls (`Azure-AsyncOperation`, `Location`, `Retry-After`).
    func lro<T: Encodable>(_ c: Context, _ operation: OperationRecord, status: Int, body: T?,
                                   operations: String, location: String) throws(ARMError) -> HTTPResponse {
        var response = try body.map { value throws(ARMError) in try Self.json(value, status: status) } ?? HTTPResponse(status: status)
        response.headers.set(name: "Azure-AsyncOperation", value: c.accountURL("\(operations)/\(operation.id)"))
        response.headers.set(name: "Location", value: c.accountURL("\(location)/\(operation.id)"))
        response.headers.set(name: "Retry-After", value: "\(Self.retryAfterSeconds)")
        return response
    }

    static func json<T: Encodable>(_ value: T, status: Int = 200) throws(ARMError) -> HTTPResponse {
        let data: Data
        do { data = try ARMJSON.encode(value) } catch {
            throw ARMError(status: 500, code: "InternalServerError", message: "cannot encode the response: \(error)")
        }
        var headers = HTTPHeaders()
        headers.set(name: "Content-Type", value: "application/json; charset=utf-8")
        return HTTPResponse(status: status, headers: headers, body: .bytes(Array(data)))
    }

    static let ok = HTTPResponse(status: 200)
    static let noContent = HTTPResponse(status: 204)

    static func accepted(retry: Bool) -> HTTPResponse {
        var response = HTTPResponse(status: 202)
        if retry { response.headers.set(name: "Retry-After", value: "\(retryAfterSeconds)") }
        return response
    }

    static func error(_ error: any Error) -> HTTPResponse {
        let arm = (error as? ARMError) ?? ARMError(status: 500, code: "InternalServerError", message: "\(error)")
        let body = (try? ARMJSON.encode(ARMErrorResponse(error: arm.error))) ?? Data("{}".utf8)
        var headers = HTTPHeaders()
        headers.set(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.set(name: "x-ms-failure-cause", value: arm.status >= 500 ? "service" : "gateway")
        return HTTPResponse(status: arm.status, headers: headers, body: .bytes(Array(body)))
    }
}

/// `{"error": {...}}`.
struct ARMErrorResponse: Encodable {
    var error: ARMErrorDetail
}

/// GET on the account itself: enough for tools that check the account exists.
struct MediaServiceAccount: Encodable {
    var id: String
    var name: String
    var type = "Microsoft.Media/mediaservices"
    var location = "local"
    var properties: [String: String]

    init(account: ResourceID) {
        id = account.accountPath
        name = account.accountName
        properties = ["provisioningState": "Succeeded"]
    }
}
