// Helpers shared by the HTTP tests: a server fixture, a raw TCP client and a response splitter.
import Testing
import EventLoop
@testable import HTTP

/// Runs `body` against a started server, then stops it and proves the loop closes cleanly.
func withServer<T>(_ configuration: HTTPServer.Configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0),
                   handler: @escaping @Sendable (HTTPRequest, HTTPRequestBody) async -> HTTPResponse,
                   _ body: (EventLoop, HTTPServer, Int) async throws -> T) async throws -> T {
    let loop = try EventLoop(name: "http-test")
    let server = HTTPServer(loop: loop, responder: HTTPClosureResponder(handler), configuration: configuration)
    let result: T
    do {
        let port = try await server.start()
        result = try await body(loop, server, port)
    } catch {
        await server.stop()
        try? loop.shutdown()
        throw error
    }
    await server.stop()
    try loop.shutdown()
    return result
}

/// A plain TCP client for writing exact bytes and reading exact responses.
final class RawConnection: @unchecked Sendable {
    let loop: EventLoop
    let connection: TCPConnection
    // Loop-confined.
    private var received: [UInt8] = []
    private var ended = false
    private struct Waiter {
        let id: Int
        let predicate: ([UInt8], Bool) -> Bool
        let continuation: CheckedContinuation<[UInt8], Never>
    }
    private var waiters: [Waiter] = []
    private var nextWaiterID = 0

    private init(loop: EventLoop, connection: TCPConnection) {
        self.loop = loop
        self.connection = connection
    }

    static func open(loop: EventLoop, port: Int) async throws -> RawConnection {
        let connection = try await TCPClient.connect(loop: loop, host: "127.0.0.1", port: port)
        let raw = RawConnection(loop: loop, connection: connection)
        loop.execute {
            connection.startReading(onRead: { bytes in
                raw.received.append(contentsOf: bytes)
                raw.check()
            }, onEnd: { _ in
                raw.ended = true
                raw.check()
            })
        }
        return raw
    }

    private func check() {
        var remaining: [Waiter] = []
        for waiter in waiters {
            if waiter.predicate(received, ended) || ended {
                waiter.continuation.resume(returning: received)
            } else {
                remaining.append(waiter)
            }
        }
        waiters = remaining
    }

    func send(_ text: String) async { await send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) async {
        await withCheckedContinuation { continuation in
            loop.execute {
                self.connection.write(bytes) { _ in continuation.resume() }
            }
        }
    }

    /// Everything received once `predicate(bytes, ended)` holds, the peer closed, or `timeout` passed.
    func read(until predicate: @escaping @Sendable ([UInt8], Bool) -> Bool, timeout: Duration = .seconds(20)) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            loop.execute {
                if predicate(self.received, self.ended) || self.ended {
                    continuation.resume(returning: self.received)
                    return
                }
                let id = self.nextWaiterID
                self.nextWaiterID += 1
                self.waiters.append(Waiter(id: id, predicate: predicate, continuation: continuation))
                if let timer = try? LoopTimer(loop: self.loop) {
                    timer.start(after: timeout) {
                        timer.close()
                        if let index = self.waiters.firstIndex(where: { $0.id == id }) {
                            self.waiters.remove(at: index).continuation.resume(returning: self.received)
                        }
                    }
                }
            }
        }
    }

    /// Reads until the peer closes.
    func readToEnd(timeout: Duration = .seconds(20)) async -> [UInt8] {
        await read(until: { _, ended in ended }, timeout: timeout)
    }

    /// True once the peer closed.
    func isEnded() async -> Bool {
        (try? await loop.submit { self.ended }) ?? true
    }

    func close() async {
        _ = try? await loop.submit { self.connection.close() }
    }
}

/// A response split out of raw bytes with the same parser the client uses.
struct RawResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Splits a byte stream into responses; `headRequests` marks which ones answer HEAD (no body).
final class ResponseSplitter: HTTPMessageParserDelegate {
    private(set) var responses: [RawResponse] = []
    private var current: RawResponse?
    private var headRequests: Set<Int>
    private let parser: HTTPMessageParser

    init(headRequests: Set<Int> = []) {
        self.headRequests = headRequests
        parser = HTTPMessageParser(kind: .response, maxHeaderBytes: 1 << 20)
        parser.delegate = self
    }

    static func split(_ bytes: [UInt8], headRequests: Set<Int> = []) -> [RawResponse] {
        let splitter = ResponseSplitter(headRequests: headRequests)
        bytes.withUnsafeBytes { _ = try? splitter.parser.feed($0) }
        return splitter.responses
    }

    func parserDidParseHead(_ head: HTTPMessageHead) -> HTTPMessageParser.HeadAction {
        current = RawResponse(status: head.status, headers: head.headers, body: [])
        let interim = (100..<200).contains(head.status)
        return interim || headRequests.contains(responses.count) ? .skipBody : .proceed
    }

    func parserDidReceiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        current?.body.append(contentsOf: bytes)
        return true
    }

    func parserDidCompleteMessage() -> Bool {
        if let current { responses.append(current) }
        current = nil
        return true
    }
}

/// Counts occurrences of `needle` in `bytes`.
func occurrences(of needle: String, in bytes: [UInt8]) -> Int {
    let pattern = Array(needle.utf8)
    guard !pattern.isEmpty, bytes.count >= pattern.count else { return 0 }
    var count = 0
    var index = 0
    while index <= bytes.count - pattern.count {
        if bytes[index..<(index + pattern.count)].elementsEqual(pattern) {
            count += 1
            index += pattern.count
        } else {
            index += 1
        }
    }
    return count
}

/// True once `bytes` holds `count` complete responses.
func hasResponses(_ count: Int, headRequests: Set<Int> = []) -> @Sendable ([UInt8], Bool) -> Bool {
    { bytes, _ in ResponseSplitter.split(bytes, headRequests: headRequests).count >= count }
}
