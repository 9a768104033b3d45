// What a responder returns.

/// A response: status, headers and a body the server frames (Content-Length or chunked).
public struct HTTPResponse: Sendable {
    /// How the body is produced.
    public enum Body: Sendable {
        /// A complete body; sent with Content-Length, and byte ranges are served from it.
        case bytes([UInt8])
        /// A body produced over time; sent with chunked transfer encoding, with write backpressure.
        case stream(AsyncStream<[UInt8]>)
        /// No body (Content-Length: 0 where a body is allowed).
        case empty
    }

    public var status: Int
    public var headers: HTTPHeaders
    public var body: Body

    /// A response; the server adds Date, Server, Connection, framing and CORS headers.
    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A UTF-8 text/plain response.
    public static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: .bytes(Array(text.utf8)))
    }

    /// An error response whose text body carries the status line and `message`.
    public static func error(status: Int, message: String) -> HTTPResponse {
        var response = text("\(status) \(HTTPStatus.reasonPhrase(status)): \(message)\n", status: status)
        response.headers.set(name: "Cache-Control", value: "no-store")
        return response
    }
}

/// Answers requests. Called concurrently for different requests; responses are still sent in
/// request order on each connection.
public protocol HTTPResponder: Sendable {
    /// Produces the response for `request`; `body` yields the request body as it arrives.
    func respond(to request: HTTPRequest, body: HTTPRequestBody) async -> HTTPResponse
}

/// A responder built from a closure.
public struct HTTPClosureResponder: HTTPResponder {
    private let handler: @Sendable (HTTPRequest, HTTPRequestBody) async -> HTTPResponse
    public init(_ handler: @escaping @Sendable (HTTPRequest, HTTPRequestBody) async -> HTTPResponse) {
        self.handler = handler
    }
    public func respond(to request: HTTPRequest, body: HTTPRequestBody) async -> HTTPResponse {
        await handler(request, body)
    }
}

/// Status code helpers.
public enum HTTPStatus {
    /// The standard reason phrase for `status` ("Not Found"), or "Status" for unknown codes.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 101: "Switching Protocols"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 416: "Range Not Satisfiable"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }

    /// True when a response with `status` never has a body (1xx, 204, 304).
    public static func forbidsBody(_ status: Int) -> Bool {
        (100..<200).contains(status) || status == 204 || status == 304
    }
}
