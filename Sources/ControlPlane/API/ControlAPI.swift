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

    private func dispatch(_ c: Context) async throws(ARMError) -> HTTPResponse {
        let s = services
        switch (c.route.target, c.route.method) {
        case (.account, .get):
            return try Self.json(MediaServiceAccount(account: c.account))

        // Live events
        case (.liveEvents, .get):
            return try list(c, await s.liveEvents(account: c.account), count: true)
        case (.liveEvent(let name), .get):
            return try Self.json(await s.liveEvent(name, account: c.account))
        case (.liveEvent(let name), .put):
            let body = try c.decode(LiveEvent.self)
            let outcome = try await s.createLiveEvent(name, body: body, autoStart: c.queryFlag("autoStart"), account: c.account)
            return try lro(c, outcome.operation, status: 201, body: outcome.resource,
                           operations: "liveEventOperations", location: "liveEvents/\(name)/operationLocations")
        case (.liveEvent(let name), .patch):
            let patch = try c.decode(LiveEvent.self)
            let outcome = try await s.updateLiveEvent(name, patch: patch, account: c.account)
            return try lro(c, outcome.operation, status: 202, body: outcome.resource,
                           operations: "liveEventOperations", location: "liveEvents/\(name)/operationLocations")
        case (.liveEvent(let name), .delete):
            guard let operation = try await s.deleteLiveEvent(name) else { return Self.noContent }
            return try lro(c, operation, status: 202, body: Optional<LiveEvent>.none,
                           operations: "liveEventOperations", location: "liveEvents/\(name)/operationLocations")
        case (.liveEventAction(let name, let action), .post):
            return try await liveEventAction(c, name, action)
        case (.liveEventOperation(let id), .get):
            return try await operationStatus(id, family: .liveEvent)
        case (.liveEventOperationLocation(let name, let id), .get):
            let operation = try await s.operation(id: id, family: .liveEvent)
            if operation.status == .inProgress { return Self.accepted(retry: true) }
            guard let event = try? await s.liveEvent(name, account: c.account) else { return Self.noContent }
            return try Self.json(event)

        // Live outputs
        case (.liveOutputs(let event), .get):
            return try list(c, await s.liveOutputs(event: event, account: c.account), count: true)
        case (.liveOutput(let event, let name), .get):
            return try Self.json(await s.liveOutput(event: event, name, account: c.account))
        case (.liveOutput(let event, let name), .put):
            let body = try c.decode(LiveOutput.self)
            let outcome = try await s.createLiveOutput(event: event, name, body: body, account: c.account)
            return try lro(c, outcome.operation, status: 201, body: outcome.resource,
                           operations: "liveOutputOperations", location: "liveEvents/\(event)/liveOutputs/\(name)/operationLocations")
        case (.liveOutput(let event, let name), .delete):
            guard let operation = try await s.deleteLiveOutput(event: event, name) else { return Self.noContent }
            return try lro(c, operation, status: 202, body: Optional<LiveOutput>.none,
                           operations: "liveOutputOperations", location: "liveEvents/\(event)/liveOutputs/\(name)/operationLocations")
        case (.liveOutputOperation(let id), .get):
            return try await operationStatus(id, family: .liveOutput)
        case (.liveOutputOperationLocation(let event, let name, let id), .get):
            let operation = try await s.operation(id: id, family: .liveOutput)
            if operation.status == .inProgress { return Self.accepted(retry: true) }
            guard let output = try? await s.liveOutput(event: event, name, account: c.account) else { return Self.noContent }
            return try Self.json(output)

        // Assets
        case (.assets, .get):
            return try list(c, await s.assetList(account: c.account), count: false, filterable: true) { asset, path in
                Self.odata(path, name: asset.name, created: asset.properties?.created, modified: asset.properties?.lastModified,
                           extra: ["properties/alternateid": asset.properties?.alternateId, "properties/assetid": asset.properties?.assetId,
                                   "properties/container": asset.properties?.container, "properties/description": asset.properties?.description])
            }
        case (.asset(let name), .get):
            return try Self.json(await s.asset(name, account: c.account))
        case (.asset(let name), .put):
            let body = try c.decodeIfPresent(Asset.self) ?? Asset()
            let (asset, created) = try await s.createOrUpdateAsset(name, body: body, account: c.account)
            return try Self.json(asset, status: created ? 201 : 200)
        case (.asset(let name), .patch):
            let patch = try c.decode(Asset.self)
            return try Self.json(await s.updateAsset(name, patch: patch, account: c.account))
        case (.asset(let name), .delete):
            return try await s.deleteAsset(name) ? Self.ok : Self.noContent
        case (.assetAction(let name, .listStreamingLocators), .post):
            return try Self.json(await s.assetStreamingLocators(name))
        case (.assetAction(let name, let action), .post):
            _ = try await s.asset(name, account: c.account)
            throw ARMError(status: 400, code: "NotSupported",
                           message: "'\(action.rawValue)' is not available on this box: assets live on its disk, not in a storage account.")

        // Streaming locators
        case (.streamingLocators, .get):
            return try list(c, await s.locatorList(account: c.account), count: false, filterable: true) { locator, path in
                let p = locator.properties
                return Self.odata(path, name: locator.name, created: p?.created, modified: nil,
                                  extra: ["properties/assetname": p?.assetName, "properties/streaminglocatorid": p?.streamingLocatorId,
                                          "properties/streamingpolicyname": p?.streamingPolicyName],
                                  dates: ["properties/starttime": p?.startTime, "properties/endtime": p?.endTime])
            }
        case (.streamingLocator(let name), .get):
            return try Self.json(await s.locator(name, account: c.account))
        case (.streamingLocator(let name), .put):
            let body = try c.decode(StreamingLocator.self)
            return try Self.json(await s.createLocator(name, body: body, account: c.account), status: 201)
        case (.streamingLocator(let name), .delete):
            return try await s.deleteLocator(name) ? Self.ok : Self.noContent
        case (.streamingLocatorAction(let name, .listPaths), .post):
            return try Self.json(await s.locatorPaths(name))
        case (.streamingLocatorAction(let name, .listContentKeys), .post):
            return try Self.json(await s.locatorContentKeys(name))

        // Streaming policies
        case (.streamingPolicies, .get):
            return try list(c, await s.policyList(account: c.account), count: false, filterable: true) { policy, path in
                Self.odata(path, name: policy.name, created: policy.properties?.created, modified: nil, extra: [:])
            }
        case (.streamingPolicy(let name), .get):
            return try Self.json(await s.policy(name, account: c.account))
        case (.streamingPolicy(let name), .put):
            let body = try c.decode(StreamingPolicy.self)
            return try Self.json(await s.createPolicy(name, body: body, account: c.account), status: 201)
        case (.streamingPolicy(let name), .delete):
            return try await s.deletePolicy(name) ? Self.ok : Self.noContent

        // Content key policies: secrets masked except in getPolicyPropertiesWithSecrets
        case (.contentKeyPolicies, .get):
            return try list(c, await s.contentKeyPolicyList(account: c.account), count: false, filterable: true) { policy, path in
                let p = policy.properties
                return Self.odata(path, name: policy.name, created: p?.created, modified: p?.lastModified,
                                  extra: ["properties/policyid": p?.policyId, "properties/description": p?.description])
            }
        case (.contentKeyPolicy(let name), .get):
            return try Self.json(await s.contentKeyPolicy(name, account: c.account))
        case (.contentKeyPolicy(let name), .put):
            let body = try c.decode(ContentKeyPolicy.self)
            let (policy, created) = try await s.createOrUpdateContentKeyPolicy(name, body: body, account: c.account)
            return try Self.json(policy, status: created ? 201 : 200)
        case (.contentKeyPolicy(let name), .patch):
            let patch = try c.decode(ContentKeyPolicy.self)
            return try Self.json(await s.updateContentKeyPolicy(name, patch: patch, account: c.account))
        case (.contentKeyPolicy(let name), .delete):
            return try await s.deleteContentKeyPolicy(name) ? Self.ok : Self.noContent
        case (.contentKeyPolicyAction(let name, .getPolicyPropertiesWithSecrets), .post):
            return try Self.json(await s.contentKeyPolicySecrets(name))

        // Account and asset filters
        case (.accountFilters, .get):
            return try list(c, await s.filterList(.account, account: c.account), count: false)
        case (.assetFilters(let asset), .get):
            return try list(c, await s.filterList(.asset(asset), account: c.account), count: false)
        case (.accountFilter(let name), _), (.assetFilter(_, let name), _):
            var scope = MediaServices.FilterScope.account
            if case .assetFilter(let asset, _) = c.route.target { scope = .asset(asset) }
            return try await filterRequest(c, scope, name)

        // Streaming endpoints
        case (.streamingEndpoints, .get):
            return try list(c, await s.endpointList(account: c.account), count: true)
        case (.streamingEndpoint(let name), .get):
            return try Self.json(await s.endpoint(name, account: c.account))
        case (.streamingEndpoint(let name), .put):
            let body = try c.decode(StreamingEndpoint.self)
            let outcome = try await s.createEndpoint(name, body: body, autoStart: c.queryFlag("autoStart"), account: c.account)
            return try lro(c, outcome.operation, status: 201, body: outcome.resource,
                           operations: "streamingEndpointOperations", location: "streamingEndpoints/\(name)/operationLocations")
        case (.streamingEndpoint(let name), .patch):
            let patch = try c.decode(StreamingEndpoint.self)
            let outcome = try await s.updateEndpoint(name, patch: patch, account: c.account)
            return try lro(c, outcome.operation, status: 202, body: outcome.resource,
                           operations: "streamingEndpointOperations", location: "streamingEndpoints/\(name)/operationLocations")
        case (.streamingEndpoint(let name), .delete):
            guard let operation = try await s.deleteEndpoint(name) else { return Self.noContent }
            return try lro(c, operation, status: 202, body: Optional<StreamingEndpoint>.none,
                           operations: "streamingEndpointOperations", location: "streamingEndpoints/\(name)/operationLocations")
        case (.streamingEndpointAction(let name, let action), .post):
            var units: Int32?
            if action == .scale {
                units = try c.decode(StreamingEntityScaleUnit.self).scaleUnit
            }
            let mapped: MediaServices.EndpointAction = switch action {
            case .start: .start
            case .stop: .stop
            case .scale: .scale
            }
            let operation = try await s.performEndpointAction(name, mapped, scaleUnits: units)
            return try lro(c, operation, status: 202, body: Optional<StreamingEndpoint>.none,
                           operations: "streamingEndpointOperations", location: "streamingEndpoints/\(name)/operationLocations")
        case (.streamingEndpointSkus(let name), .get):
            _ = try await s.endpoint(name, account: c.account)
            return try Self.json(StreamingEndpointSkuInfoListResult.standardAndPremium())
        case (.streamingEndpointOperation(let id), .get):
            return try await operationStatus(id, family: .streamingEndpoint)
        case (.streamingEndpointOperationLocation(let name, let id), .get):
            let operation = try await s.operation(id: id, family: .streamingEndpoint)
            if operation.status == .inProgress { return Self.accepted(retry: true) }
            guard let endpoint = try? await s.endpoint(name, account: c.account) else { return Self.noContent }
            return try Self.json(endpoint)

        default:
            var response = Self.error(ARMError(status: 405, code: "MethodNotAllowed",
                                               message: "\(c.route.method.rawValue) is not allowed here; use \(ARMRoute.allowHeader(for: c.route.target))."))
            response.headers.set(name: "Allow", value: ARMRoute.allowHeader(for: c.route.target))
            return response
        }
    }

    private func filterRequest(_ c: Context, _ scope: MediaServices.FilterScope, _ name: String) async throws(ARMError) -> HTTPResponse {
        let s = services
        switch c.route.method {
        case .get:
            return try Self.json(await s.filter(scope, name, account: c.account))
        case .put:
            let body = try c.decode(MediaFilter.self)
            let (filter, created) = try await s.createOrUpdateFilter(scope, name, body: body, account: c.account)
            return try Self.json(filter, status: created ? 201 : 200)
        case .patch:
            let patch = try c.decode(MediaFilter.self)
            return try Self.json(await s.updateFilter(scope, name, patch: patch, account: c.account))
        case .delete:
            return try await s.deleteFilter(scope, name) ? Self.ok : Self.noContent
        case .post:
            throw ARMError(status: 405, code: "MethodNotAllowed", message: "POST is not allowed on a filter; use GET, PUT, PATCH or DELETE.")
        }
    }

    private func liveEventAction(_ c: Context, _ name: String, _ action: LiveEventAction) async throws(ARMError) -> HTTPResponse {
        let s = services
        let mapped: MediaServices.EventAction
        switch action {
        case .getStatus: return try Self.json(await s.liveEventStatus(name))
        case .getStreamEvents: return try Self.json(await s.liveEventStreamEvents(name))
        case .getTrackIngestHeartbeats: return try Self.json(await s.liveEventTrackHeartbeats(name))
        case .start: mapped = .start
        case .allocate: mapped = .allocate
        case .reset: mapped = .reset
        case .stop: mapped = .stop
        }
        var removeOutputs = false
        if action == .stop {
            // The swagger makes the body required; an empty body is read as removeOutputsOnStop=false.
            removeOutputs = try c.decodeIfPresent(LiveEventActionInput.self)?.removeOutputsOnStop ?? false
        }
        let operation = try await s.performLiveEventAction(name, mapped, removeOutputsOnStop: removeOutputs)
        return try lro(c, operation, status: 202, body: Optional<LiveEvent>.none,
                       operations: "liveEventOperations", location: "liveEvents/\(name)/operationLocations")
    }

    private func operationStatus(_ id: String, family: OperationRecord.Family) async throws(ARMError) -> HTTPResponse {
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

    private func list<T: Codable & Sendable & Equatable>(_ c: Context, _ items: [T], count: Bool, filterable: Bool = false,
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
    private func lro<T: Encodable>(_ c: Context, _ operation: OperationRecord, status: Int, body: T?,
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
