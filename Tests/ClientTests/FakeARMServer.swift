// A scripted ARM server on the repo's HTTPServer: records every request and answers from per-route queues.
import AMSModels
import EventLoop
import Foundation
import HTTP
import Testing
@testable import Client

/// One request as the fake server saw it.
struct RecordedRequest: Sendable, Equatable {
    var method: String
    var path: String
    var query: String?
    var authorization: String?
    var contentType: String?
    var body: String
}

/// Answers `METHOD path` from a queue of scripted responses (the last one repeats); unknown routes get 500.
final class FakeARMServer: @unchecked Sendable {
    private let lock = Lock()
    private var scripts: [String: [HTTPResponse]] = [:]
    private var recorded: [RecordedRequest] = []

    /// The account path the client uses with the default options.
    static let account = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/edgelive/providers/Microsoft.Media/mediaservices/edgelive"

    /// Queues `responses` for `method` on `account + path`.
    func on(_ method: String, _ path: String, _ responses: HTTPResponse...) {
        lock.withLock { scripts["\(method) \(Self.account)\(path)", default: []].append(contentsOf: responses) }
    }

    /// Every request so far, in arrival order.
    var requests: [RecordedRequest] { lock.withLock { recorded } }

    /// `METHOD path?query` of every request, relative to the account path.
    var calls: [String] {
        requests.map { request in
            let path = request.path.hasPrefix(Self.account) ? String(request.path.dropFirst(Self.account.count)) : request.path
            return "\(request.method) \(path)" + (request.query.map { "?\($0)" } ?? "")
        }
    }

    func respond(to request: HTTPRequest, body: HTTPRequestBody) async -> HTTPResponse {
        let bytes = (try? await body.collect(upTo: 1 << 20)) ?? []
        let record = RecordedRequest(method: request.method, path: request.path, query: request.query,
                                     authorization: request.headers["Authorization"], contentType: request.headers["Content-Type"],
                                     body: String(decoding: bytes, as: UTF8.self))
        return lock.withLock {
            recorded.append(record)
            let key = "\(request.method) \(request.path)"
            guard var queue = scripts[key], let next = queue.first else {
                return HTTPResponse.text("no script for \(key)", status: 500)
            }
            if queue.count > 1 { queue.removeFirst(); scripts[key] = queue }
            return next
        }
    }

    // MARK: - Canned answers

    /// 200 with `value` as ARM JSON.
    static func json<T: Encodable>(_ value: T, status: Int = 200, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var headers = headers
        headers.set(name: "Content-Type", value: "application/json; charset=utf-8")
        let body = (try? ARMJSON.encode(value)).map { Array($0) } ?? []
        return HTTPResponse(status: status, headers: headers, body: .bytes(body))
    }

    /// An ARM error response.
    static func error(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        json(ARMError(status: status, code: code, message: message), status: status)
    }

    /// The swagger-style LRO start: 201/202 + Azure-AsyncOperation (on a host the client cannot reach) + Location + Retry-After: 0.
    static func accepted(_ status: Int, operation: String, family: String = "liveeventoperations", body: [UInt8] = []) -> HTTPResponse {
        let headers: HTTPHeaders = [
            "Azure-AsyncOperation": "https://management.azure.com\(account)/\(family)/\(operation)?api-version=2022-11-01",
            "Location": "https://management.azure.com\(account)/operationlocations/\(operation)?api-version=2022-11-01",
            "Retry-After": "0",
        ]
        return HTTPResponse(status: status, headers: headers, body: body.isEmpty ? .empty : .bytes(body))
    }

    /// An `AsyncOperationResult` with `Retry-After: 0`.
    static func operation(_ name: String, _ status: String, error: LenientErrorDetail? = nil) -> HTTPResponse {
        json(AsyncOperationStatus(name: name, status: status, error: error), headers: ["Retry-After": "0"])
    }
}

/// Runs `body` with a client pointed at a started fake server, then stops both and proves the loop closed cleanly.
func withFakeARM<T>(_ fake: FakeARMServer, json: Bool = false, wait: Bool = true, token: String = "secret-token",
                    _ body: (EdgeLiveClient) async throws -> T) async throws -> T {
    let loop = try EventLoop(name: "client-test")
    let server = HTTPServer(loop: loop, responder: HTTPClosureResponder { request, requestBody in await fake.respond(to: request, body: requestBody) },
                            configuration: HTTPServer.Configuration(host: "127.0.0.1", port: 0))
    let result: T
    do {
        let port = try await server.start()
        let configuration = ClientConfiguration(apiURL: "http://127.0.0.1:\(port)/", token: token, defaultPollInterval: .zero,
                                                operationTimeout: .seconds(60), requestTimeout: .seconds(60))
        result = try await body(EdgeLiveClient(arm: ARMClient(loop: loop, configuration: configuration), json: json, wait: wait))
    } catch {
        await server.stop()
        try? loop.shutdown()
        throw error
    }
    await server.stop()
    try loop.shutdown()
    return result
}

/// The error a verb throws, or nil when it succeeded.
func clientError(_ body: () async throws(ClientError) -> CommandOutput) async -> ClientError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}

/// A live event as the daemon would return it once running.
func runningEvent(_ name: String) -> LiveEvent {
    LiveEvent(id: "\(FakeARMServer.account)/liveevents/\(name)", name: name, type: "Microsoft.Media/mediaservices/liveevents", location: "local",
              properties: LiveEventProperties(
                input: LiveEventInput(streamingProtocol: .rtmp, accessToken: "0123456789abcdef0123456789abcdef",
                                      endpoints: [LiveEventEndpoint(protocol: "RTMP", url: "rtmp://box:1935/live/0123456789abcdef0123456789abcdef")]),
                preview: LiveEventPreview(endpoints: [LiveEventEndpoint(protocol: "FragmentedMP4", url: "http://box:8080/3f1c/preview.ism/manifest")]),
                encoding: LiveEventEncoding(encodingType: .passthroughStandard),
                provisioningState: "Succeeded", resourceState: .running))
}

/// The fake server on a loop of its own, for code that creates its own client loop (`ClientRunner`).
final class FakeARMHost {
    let loop: EventLoop
    private var server: HTTPServer?

    init() throws { loop = try EventLoop(name: "fake-arm") }

    /// Starts serving `fake` on an ephemeral port and returns the port.
    func start(_ fake: FakeARMServer) async throws -> Int {
        let server = HTTPServer(loop: loop, responder: HTTPClosureResponder { request, body in await fake.respond(to: request, body: body) },
                                configuration: HTTPServer.Configuration(host: "127.0.0.1", port: 0))
        self.server = server
        return try await server.start()
    }

    /// Stops the server and proves the loop closed cleanly.
    func stop() async throws {
        await server?.stop()
        try loop.shutdown()
    }
}
