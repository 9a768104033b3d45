// Turns a responder's HTTPResponse into wire framing: pure, no I/O.

/// The parts of a request that decide how its response is framed.
struct RequestSummary: Sendable {
    var method: String
    var version: HTTPVersion
    var range: String?
    var keepAlive: Bool

    var isHead: Bool { method == "HEAD" }
}

/// Server-wide header policy.
struct ResponsePolicy: Sendable {
    var corsAllowOrigin: String?
    var corsExposeHeaders: String
    var serverName: String
}

/// A response ready for the wire: final status and headers, and the body bytes to send.
struct PreparedResponse {
    enum Payload {
        case none
        case bytes(ArraySlice<UInt8>)
        case stream(AsyncStream<[UInt8]>)
    }

    var status: Int
    var headers: HTTPHeaders
    var payload: Payload
    /// The connection closes after this response.
    var closeConnection: Bool

    /// Frames `response` for `request`: ranges, HEAD, framing headers, Date, Server, CORS.
    static func prepare(_ response: HTTPResponse, for request: RequestSummary, policy: ResponsePolicy,
                        date: String) -> PreparedResponse {
        var status = response.status
        var headers = response.headers
        var keepAlive = request.keepAlive && !headers.hasToken("close", in: "Connection")
        // Framing is the server's job: whatever the handler set here would be wrong or duplicated.
        let declaredLength = headers["Content-Length"]
        for name in ["Connection", "Transfer-Encoding", "Content-Length", "Keep-Alive"] { headers.remove(name: name) }

        var payload: Payload
        switch response.body {
        case .empty:
            payload = .none
            if !HTTPStatus.forbidsBody(status) {
                // A HEAD answer may announce the length of the GET body it stands for.
                let length = request.isHead ? (declaredLength.flatMap { UInt64($0.trimmingSpaces) } ?? 0) : 0
                headers.set(name: "Content-Length", value: String(length))
            }
        case .bytes(let bytes):
            payload = .bytes(bytes[...])
            if status == 200 && !HTTPStatus.forbidsBody(status) {
                headers.set(name: "Accept-Ranges", value: "bytes")
            }
            if status == 200, request.method == "GET", let rangeHeader = request.range {
                switch ByteRange.resolve(rangeHeader, length: bytes.count) {
                case .ignore:
                    break
                case .satisfiable(let range):
                    status = 206
                    headers.set(name: "Content-Range", value: "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(bytes.count)")
                    payload = .bytes(bytes[range])
                case .unsatisfiable:
                    status = 416
                    headers.set(name: "Content-Range", value: "bytes */\(bytes.count)")
                    headers.remove(name: "Content-Type")
                    payload = .none
                }
            }
            if HTTPStatus.forbidsBody(status) {
                payload = .none
            } else {
                let length: Int
                if case .bytes(let slice) = payload { length = slice.count } else { length = 0 }
                headers.set(name: "Content-Length", value: String(length))
            }
        case .stream(let stream):
            if HTTPStatus.forbidsBody(status) {
                payload = .none
            } else if request.version == .http1_0 {
                // HTTP/1.0 has no chunked coding: the end of the body is the end of the connection.
                payload = .stream(stream)
                keepAlive = false
            } else {
                headers.set(name: "Transfer-Encoding", value: "chunked")
                payload = .stream(stream)
            }
        }
        if request.isHead { payload = .none }

        if !headers.contains(name: "Date") { headers.set(name: "Date", value: date) }
        if !headers.contains(name: "Server") { headers.set(name: "Server", value: policy.serverName) }
        headers.set(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        if let origin = policy.corsAllowOrigin {
            if !headers.contains(name: "Access-Control-Allow-Origin") {
                headers.set(name: "Access-Control-Allow-Origin", value: origin)
            }
            if !headers.contains(name: "Access-Control-Expose-Headers") {
                headers.set(name: "Access-Control-Expose-Headers", value: policy.corsExposeHeaders)
            }
        }
        return PreparedResponse(status: status, headers: headers, payload: payload, closeConnection: !keepAlive)
    }

    /// The status line and header block, CR/LF in values replaced so a handler cannot split the response.
    func encodeHead() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: "HTTP/1.1 \(status) \(HTTPStatus.reasonPhrase(status))\r\n".utf8)
        for (name, value) in headers {
            Self.appendSanitized(name, to: &out)
            out.append(contentsOf: ": ".utf8)
            Self.appendSanitized(value, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        return out
    }

    private static func appendSanitized(_ text: String, to out: inout [UInt8]) {
        for byte in text.utf8 {
            out.append(byte == 13 || byte == 10 ? 32 : byte)
        }
    }
}

/// A single `Range: bytes=…` request header resolved against a body length.
enum ByteRange: Equatable {
    /// Not a usable single byte range: serve the whole body.
    case ignore
    case satisfiable(Range<Int>)
    case unsatisfiable

    /// Resolves "bytes=a-b", "bytes=a-" and "bytes=-n"; several ranges or bad syntax are ignored.
    static func resolve(_ header: String, length: Int) -> ByteRange {
        let text = header.trimmingSpaces
        guard text.count > 6, HTTPHeaders.namesMatch(text.prefix(6), "bytes=") else { return .ignore }
        let spec = text.dropFirst(6).trimmingSpaces
        if spec.contains(",") { return .ignore }
        guard let dash = spec.firstIndex(of: "-") else { return .ignore }
        let first = spec[..<dash].trimmingSpaces
        let last = spec[spec.index(after: dash)...].trimmingSpaces
        if first.isEmpty {
            guard let suffix = parseNumber(last) else { return .ignore }
            if suffix == 0 || length == 0 { return .unsatisfiable }
            return .satisfiable(max(0, length - suffix)..<length)
        }
        guard let start = parseNumber(first) else { return .ignore }
        var end = length - 1
        if !last.isEmpty {
            guard let parsed = parseNumber(last) else { return .ignore }
            if parsed < start { return .ignore }
            end = min(parsed, length - 1)
        }
        if start >= length { return .unsatisfiable }
        return .satisfiable(start..<(end + 1))
    }

    /// Digits only, saturating instead of overflowing.
    private static func parseNumber(_ text: Substring) -> Int? {
        guard !text.isEmpty else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard byte >= 48 && byte <= 57 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(byte - 48))
            if overflow1 || overflow2 { return Int.max }
            value = sum
        }
        return value
    }
}
