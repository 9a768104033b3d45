// A small HTTP/1.1 client (http:// only) for tests and the command-line tool.
import EventLoop

/// A complete response received by `HTTPClient`.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The body decoded as UTF-8.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Why an `HTTPClient` request failed.
public struct HTTPClientError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// One-shot HTTP/1.1 requests over a fresh connection each (`Connection: close`).
public struct HTTPClient {
    /// Sends one request to an `http://host[:port]/path` URL and returns the whole response.
    /// Interim 1xx responses are skipped; chunked and read-until-close bodies are decoded.
    public static func request(loop: EventLoop, method: String = "GET", url: String,
                               headers: [(String, String)] = [], body: [UInt8]? = nil,
                               timeout: Duration = .seconds(10)) async throws -> HTTPClientResponse {
        let target = try ParsedURL(url)
        var head = "\(method) \(target.pathAndQuery) HTTP/1.1\r\n"
        let userHeaders = HTTPHeaders(headers)
        if !userHeaders.contains(name: "Host") { head += "Host: \(target.hostHeader)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body, !userHeaders.contains(name: "Content-Length"), !userHeaders.contains(name: "Transfer-Encoding") {
            head += "Content-Length: \(body.count)\r\n"
        }
        if !userHeaders.contains(name: "Connection") { head += "Connection: close\r\n" }
        head += "\r\n"
        var wire = Array(head.utf8)
        if let body { wire.append(contentsOf: body) }
        let bytes = wire
        return try await withCheckedThrowingContinuation { continuation in
            loop.execute {
                let exchange = ClientExchange(loop: loop, isHead: method == "HEAD", continuation: continuation)
                exchange.start(host: target.host, port: target.port, request: bytes, timeout: timeout)
            }
        }
    }
}

/// The pieces of an http:// URL.
struct ParsedURL {
    var host: String
    var port: Int
    var pathAndQuery: String

    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? name : "\(name):\(port)"
    }

    init(_ url: String) throws(HTTPClientError) {
        guard url.hasPrefix("http://") else { throw HTTPClientError("unsupported URL \(url): only http:// is supported") }
        let rest = url.dropFirst(7)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        pathAndQuery = slash == rest.endIndex ? "/" : String(rest[slash...])
        var hostPart = Substring(authority)
        var portText: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw HTTPClientError("bad IPv6 address in URL \(url)") }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            portText = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty else { throw HTTPClientError("no host in URL \(url)") }
        host = String(hostPart)
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw HTTPClientError("bad port in URL \(url)")
            }
            port = value
        } else {
            port = 80
        }
    }
}

/// One request/response over one connection; loop-confined.
private final class ClientExchange: HTTPMessageParserDelegate {
    let loop: EventLoop
    let isHead: Bool
    private var continuation: CheckedContinuation<HTTPClientResponse, any Error>?
    private let parser: HTTPMessageParser
    private var connection: TCPConnection?
    private var timer: LoopTimer?
    private var status = 0
    private var headers = HTTPHeaders()
    private var body: [UInt8] = []
    private var gotFinal = false

    init(loop: EventLoop, isHead: Bool, continuation: CheckedContinuation<HTTPClientResponse, any Error>) {
        self.loop = loop
        self.isHead = isHead
        self.continuation = continuation
        parser = HTTPMessageParser(kind: .response, maxHeaderBytes: 256 * 1024)
        parser.delegate = self
    }

    func start(host: String, port: Int, request: [UInt8], timeout: Duration) {
        do {
            let timer = try LoopTimer(loop: loop)
            self.timer = timer
            timer.start(after: timeout) {
                self.fail(HTTPClientError("no complete response from \(host):\(port) within \(timeout)"))
            }
        } catch {
            fail(error)
            return
        }
        TCPClient.connect(loop: loop, host: host, port: port) { result in
            switch result {
            case .failure(let error):
                self.fail(error)
            case .success(let connection):
                guard self.continuation != nil else { connection.close(); return }
                self.connection = connection
                connection.startReading(onRead: { bytes in
                    do throws(HTTPParseError) { try self.parser.feed(bytes) } catch { self.failParse(error) }
                }, onEnd: { error in
                    if let error { self.fail(error); return }
                    do throws(HTTPParseError) { try self.parser.finish() } catch { self.failParse(error); return }
                    self.fail(HTTPClientError("the server closed the connection before the response was complete"))
                })
                connection.write(request) { error in
                    if let error { self.fail(error) }
                }
            }
        }
    }

    private func failParse(_ error: HTTPParseError) {
        guard continuation != nil else { return }
        switch error {
        case .headerTooLarge: fail(HTTPClientError("response headers too large"))
        case .malformed(let reason): fail(HTTPClientError("malformed response: \(reason)"))
        }
    }

    private func finish(_ result: Result<HTTPClientResponse, any Error>) {
        guard let continuation else { return }
        self.continuation = nil
        timer?.close()
        connection?.close()
        continuation.resume(with: result)
    }

    private func fail(_ error: any Error) { finish(.failure(error)) }

    func parserDidParseHead(_ head: HTTPMessageHead) -> HTTPMessageParser.HeadAction {
        status = head.status
        headers = head.headers
        body.removeAll()
        gotFinal = !(100..<200).contains(head.status)
        // HEAD responses announce a length but carry no body.
        return isHead || !gotFinal ? .skipBody : .proceed
    }

    func parserDidReceiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        body.append(contentsOf: bytes)
        return true
    }

    func parserDidCompleteMessage() -> Bool {
        guard gotFinal else { return true }
        finish(.success(HTTPClientResponse(status: status, headers: headers, body: body)))
        return false
    }
}
