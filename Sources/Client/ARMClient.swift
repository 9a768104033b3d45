// ARM requests to the daemon: URL building, bearer auth, error mapping and long-running operation polling.
import AMSModels
import EventLoop
import Foundation
import HTTP

/// The `api-version` each resource family is called with.
public enum ClientAPIVersion {
    /// Live events, live outputs, streaming endpoints (Streaming swagger).
    public static let streaming = "2022-11-01"
    /// Assets, streaming locators, streaming policies (Metadata swagger).
    public static let metadata = "2023-01-01"
}

/// The end of a long-running operation as the client saw it.
public enum OperationOutcome: Sendable {
    /// The operation finished; `resource` is the final GET of the resource (nil for deletes).
    case completed(resource: HTTPClientResponse?)
    /// The operation finished immediately because there was nothing to do (DELETE answered 204).
    case nothingToDo
    /// `--no-wait`: the daemon accepted the operation; `operationURL` is where to follow it.
    case accepted(operationURL: String?, initial: HTTPClientResponse)
}

/// Sends ARM requests for one account to the daemon's API.
public struct ARMClient: Sendable {
    /// The loop the HTTP exchanges run on.
    public let loop: EventLoop
    /// Where and as whom to talk.
    public let configuration: ClientConfiguration

    /// Creates a client; it owns nothing, so there is nothing to close.
    public init(loop: EventLoop, configuration: ClientConfiguration) {
        self.loop = loop
        self.configuration = configuration
    }

    /// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Media/mediaservices/{account}`.
    public var accountPath: String {
        "/subscriptions/\(Self.escape(configuration.subscription))/resourceGroups/\(Self.escape(configuration.resourceGroup))"
            + "/providers/Microsoft.Media/mediaservices/\(Self.escape(configuration.account))"
    }

    /// The absolute URL of `resourcePath` (relative to the account, starting with `/`) with `api-version` and `query`.
    public func url(_ resourcePath: String, apiVersion: String, query: [(String, String)] = []) -> String {
        let items = [("api-version", apiVersion)] + query
        let queryText = items.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        return configuration.apiURL + accountPath + resourcePath + "?" + queryText
    }

    // MARK: - Plain requests

    /// Sends one request; any status outside 200–299 becomes a `ClientError` naming `subject`.
    public func send(_ method: String, _ resourcePath: String, apiVersion: String, query: [(String, String)] = [],
                     body: [UInt8]? = nil, subject: RequestSubject) async throws(ClientError) -> HTTPClientResponse {
        try await sendURL(method, url(resourcePath, apiVersion: apiVersion, query: query), body: body, subject: subject)
    }

    /// GETs `resourcePath` and decodes it as `T`.
    public func get<T: Decodable>(_ type: T.Type, _ resourcePath: String, apiVersion: String,
                                  subject: RequestSubject) async throws(ClientError) -> (value: T, response: HTTPClientResponse) {
        let response = try await send("GET", resourcePath, apiVersion: apiVersion, subject: subject)
        return (try Self.decode(type, from: response, subject: subject), response)
    }

    /// Sends to an absolute URL on the API; error statuses throw.
    func sendURL(_ method: String, _ url: String, body: [UInt8]?, subject: RequestSubject) async throws(ClientError) -> HTTPClientResponse {
        var headers = [("Authorization", "Bearer \(configuration.token)"), ("Accept", "application/json"), ("User-Agent", "edgelive-cli")]
        if body?.isEmpty == false { headers.append(("Content-Type", "application/json")) }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.request(loop: loop, method: method, url: url, headers: headers, body: body,
                                                    timeout: configuration.requestTimeout)
        } catch let error as UVError {
            throw ClientError(.unreachable, message: "cannot reach the edgelive API at \(configuration.apiURL): \(error)",
                              hint: ClientError.unreachableHint)
        } catch {
            throw ClientError(.unreachable, message: "no usable answer from the edgelive API at \(configuration.apiURL): \(error)",
                              hint: ClientError.unreachableHint)
        }
        guard (200 ..< 300).contains(response.status) else { throw Self.error(from: response, subject: subject) }
        return response
    }

    // MARK: - Long-running operations

    /// Runs a PUT/POST/DELETE that may answer 201/202 with `Azure-AsyncOperation`/`Location`, polls it to the end
    /// (unless `wait` is false) and GETs `resourcePath` afterwards when `finalGet` is true.
    public func runOperation(_ method: String, _ resourcePath: String, apiVersion: String, query: [(String, String)] = [],
                             body: [UInt8]? = nil, subject: RequestSubject, finalGet: Bool, wait: Bool) async throws(ClientError) -> OperationOutcome {
        let initial = try await send(method, resourcePath, apiVersion: apiVersion, query: query, body: body, subject: subject)
        if method == "DELETE", initial.status == 204 { return .nothingToDo }
        if initial.status == 201 || initial.status == 202 {
            let asyncOperation = initial.headers["Azure-AsyncOperation"]
            let location = initial.headers["Location"]
            guard wait else { return .accepted(operationURL: asyncOperation ?? location, initial: initial) }
            if let asyncOperation {
                try await pollAsyncOperation(asyncOperation, firstDelay: retryAfter(initial), subject: subject)
            } else if let location {
                try await pollLocation(location, firstDelay: retryAfter(initial), subject: subject)
            }
            // Neither header: the service finished synchronously as far as the client can tell.
        }
        guard finalGet else { return .completed(resource: nil) }
        return .completed(resource: try await send("GET", resourcePath, apiVersion: apiVersion, subject: subject))
    }

    /// Polls an `Azure-AsyncOperation` status resource until `Succeeded`; `Failed`/`Canceled` throw its error.
    func pollAsyncOperation(_ operationURL: String, firstDelay: Duration, subject: RequestSubject) async throws(ClientError) {
        let target = rebase(operationURL)
        let start = ContinuousClock.now
        var delay = firstDelay
        while true {
            try await pause(delay, since: start, subject: subject)
            let response = try await sendURL("GET", target, body: nil, subject: subject)
            let status = try Self.decode(AsyncOperationStatus.self, from: response, subject: subject)
            switch status.status.lowercased() {
            case "succeeded":
                return
            case "failed", "canceled", "cancelled":
                let code = status.error?.code
                throw ClientError(ClientExitCode.forOperationError(code: code), code: code,
                                  message: status.error?.message ?? "the operation on \(subject) ended with status \(status.status)",
                                  hint: subject.hint(for: ClientExitCode.forOperationError(code: code)) ?? subject.showCommand.map { "see `\($0)`" })
            default:
                delay = retryAfter(response)
            }
        }
    }

    /// Polls a `Location` URL: 202 means still running, any other 2xx means done.
    func pollLocation(_ locationURL: String, firstDelay: Duration, subject: RequestSubject) async throws(ClientError) {
        let target = rebase(locationURL)
        let start = ContinuousClock.now
        var delay = firstDelay
        while true {
            try await pause(delay, since: start, subject: subject)
            let response = try await sendURL("GET", target, body: nil, subject: subject)
            guard response.status == 202 else { return }
            delay = retryAfter(response)
        }
    }

    /// Sleeps `delay` unless the operation already ran past `operationTimeout`.
    private func pause(_ delay: Duration, since start: ContinuousClock.Instant, subject: RequestSubject) async throws(ClientError) {
        guard ContinuousClock.now - start + delay <= configuration.operationTimeout else {
            throw ClientError(.failure, message: "gave up waiting after \(configuration.operationTimeout) for the operation on \(subject)",
                              hint: subject.showCommand.map { "the daemon may still finish it; follow with `\($0)`" })
        }
        guard delay > .zero else { return }
        do { try await Task.sleep(for: delay) } catch {
            throw ClientError(.failure, message: "interrupted while waiting for the operation on \(subject)")
        }
    }

    /// `Retry-After` in whole seconds, else the configured default.
    func retryAfter(_ response: HTTPClientResponse) -> Duration {
        guard let text = response.headers["Retry-After"]?.trimmingCharacters(in: .whitespaces), let seconds = Int(text), seconds >= 0 else {
            return configuration.defaultPollInterval
        }
        return .seconds(seconds)
    }

    /// The path and query of an operation URL, sent to `--api`: the daemon may advertise a host name this machine
    /// cannot reach (a public name, a NAT address), while `--api` is known to work.
    func rebase(_ url: String) -> String {
        for scheme in ["http://", "https://"] where url.lowercased().hasPrefix(scheme) {
            let rest = url.dropFirst(scheme.count)
            let path = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
            return configuration.apiURL + path
        }
        return configuration.apiURL + (url.hasPrefix("/") ? url : "/" + url)
    }

    // MARK: - Bodies and errors

    /// Encodes a request body the way every model expects (sorted keys, ARM dates).
    public static func encode<T: Encodable>(_ value: T) throws(ClientError) -> [UInt8] {
        do { return Array(try ARMJSON.encode(value)) } catch {
            throw ClientError(.failure, message: "cannot encode the request body: \(error)")
        }
    }

    /// Decodes a response body; an unreadable body is exit code 1 (the daemon and client disagree).
    public static func decode<T: Decodable>(_ type: T.Type, from response: HTTPClientResponse, subject: RequestSubject) throws(ClientError) -> T {
        do { return try ARMJSON.decoder().decode(type, from: Data(response.body)) } catch {
            throw ClientError(.failure, message: "cannot read the daemon's answer about \(subject): \(error)",
                              hint: "the daemon and this client may be different versions")
        }
    }

    /// The `ClientError` for an error response: the ARM `{error:{code,message}}` when present, else the text.
    static func error(from response: HTTPClientResponse, subject: RequestSubject) -> ClientError {
        let detail = try? JSONDecoder().decode(LenientErrorBody.self, from: Data(response.body)).error
        let code = detail?.code
        let exitCode = ClientExitCode.forResponse(status: response.status, code: code)
        var message = detail?.message ?? response.text.trimmingCharacters(in: .whitespacesAndNewlines)
        if message.isEmpty { message = "\(HTTPStatus.reasonPhrase(response.status)) for \(subject)" }
        return ClientError(exitCode, code: code, message: message, hint: subject.hint(for: exitCode), status: response.status)
    }

    /// Percent-encodes a path segment or query component (everything but RFC 3986 unreserved characters).
    public static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a") ... UInt8(ascii: "z"), UInt8(ascii: "A") ... UInt8(ascii: "Z"), UInt8(ascii: "0") ... UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }
}

// MARK: - Wire models the ControlPlane target does not define

/// `AsyncOperationResult`: `{name, status, error}`; `error.message` is null while in progress, so every field is optional.
public struct AsyncOperationStatus: Codable, Sendable, Equatable {
    /// The operation id.
    public var name: String?
    /// `InProgress`, `Succeeded`, `Failed` or `Canceled`.
    public var status: String
    /// Why it failed.
    public var error: LenientErrorDetail?

    /// Creates a status.
    public init(name: String? = nil, status: String, error: LenientErrorDetail? = nil) {
        self.name = name
        self.status = status
        self.error = error
    }
}

/// An ARM error detail whose fields may be null (the service sends `{code:"None", message:null}` while running).
public struct LenientErrorDetail: Codable, Sendable, Equatable {
    /// The ARM error code.
    public var code: String?
    /// The message.
    public var message: String?

    /// Creates a detail.
    public init(code: String? = nil, message: String? = nil) {
        self.code = code
        self.message = message
    }
}

/// `{"error": {...}}` read without requiring every field.
struct LenientErrorBody: Decodable {
    var error: LenientErrorDetail?
}
