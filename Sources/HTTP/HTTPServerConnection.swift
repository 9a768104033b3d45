// One server-side HTTP/1.1 connection: parsing, ordered responses, backpressure, closing.
import EventLoop

/// The per-connection state of `HTTPServer`. Loop-confined: every method runs on the loop thread.
final class HTTPServerConnection: HTTPMessageParserDelegate, @unchecked Sendable {
    /// One request awaiting (or holding) its response; answered strictly in sequence order.
    struct Exchange {
        let sequence: Int
        var summary: RequestSummary
        let body: HTTPRequestBody?
        var response: HTTPResponse?
        var expectsContinue = false
        var continueSent = false
    }

    enum State {
        case open
        /// Output finished and FIN sent; input is drained until EOF or the linger deadline.
        case lingering(since: UInt64)
        case closed
    }

    /// How long a closing connection keeps draining input so the peer sees the last response, not a reset.
    static let lingerMilliseconds: UInt64 = 2000
    /// Responses up to this size go out in one write with their head.
    static let coalesceLimit = 64 * 1024
    /// Queued output above which a streaming body waits for the client to read.
    static let streamHighWater = 256 * 1024

    let id: Int
    let tcp: TCPConnection
    let server: HTTPServer
    let configuration: HTTPServer.Configuration
    let policy: ResponsePolicy
    let dates: HTTPDateCache
    private let parser: HTTPMessageParser
    private(set) var state = State.open
    private var exchanges: [Exchange] = []
    private var nextSequence = 0
    private var requestCount = 0
    private var currentBody: HTTPRequestBody?
    private var currentKeepAlive = true
    private var stopParsing = false
    private var peerEnded = false
    private var streaming = false
    private var pausedForBody = false
    private var pausedForPipeline = false
    private var draining = false
    /// Copies a `.stream` body; cancelled when the connection closes so an idle producer cannot pin it.
    private var streamTask: Task<Void, Never>?
    private(set) var lastActivity: UInt64
    /// Rejected connections (over the limit) only get an error response.
    let isRejected: Bool

    init(id: Int, tcp: TCPConnection, server: HTTPServer, configuration: HTTPServer.Configuration,
         policy: ResponsePolicy, dates: HTTPDateCache, rejected: Bool) {
        self.id = id
        self.tcp = tcp
        self.server = server
        self.configuration = configuration
        self.policy = policy
        self.dates = dates
        self.isRejected = rejected
        parser = HTTPMessageParser(kind: .request, maxHeaderBytes: configuration.maxHeaderBytes)
        lastActivity = tcp.loop.nowMilliseconds
        parser.delegate = self
    }

    var isClosed: Bool { if case .closed = state { true } else { false } }

    /// Starts reading requests (or, when rejected, answers 503 and closes).
    func start() {
        tcp.setNoDelay(true)
        tcp.startReading(onRead: { bytes in self.didRead(bytes) }, onEnd: { error in self.didEnd(error) })
        if isRejected {
            enqueueFinal(.error(status: 503, message: "the server has too many connections (\(configuration.maxConnections)); retry later"))
        }
    }

    // MARK: - Input

    private func touch() { lastActivity = tcp.loop.nowMilliseconds }

    private func didRead(_ bytes: UnsafeRawBufferPointer) {
        touch()
        guard case .open = state, !stopParsing else { return }
        do {
            try parser.feed(bytes)
        } catch {
            // A stop we asked for (Connection: close, upgrade) is not a client error.
            if stopParsing { return }
            switch error {
            case .headerTooLarge:
                enqueueFinal(.error(status: 431, message: "the request line and headers exceed \(configuration.maxHeaderBytes) bytes"))
            case .malformed(let reason):
                enqueueFinal(.error(status: 400, message: "malformed request: \(reason)"))
            }
        }
    }

    private func didEnd(_ error: UVError?) {
        if error != nil { closeNow(); return }
        peerEnded = true
        switch state {
        case .closed: return
        case .lingering: closeNow(); return
        case .open: break
        }
        // A client gone during a streamed body would otherwise pin an idle live producer forever.
        if streaming { closeNow(); return }
        if let body = currentBody {
            body.finish(error: .connectionLost)
            currentBody = nil
        }
        stopParsing = true
        pump()
    }

    /// Stops parsing and queues `response` as the connection's last one (after earlier responses).
    private func enqueueFinal(_ response: HTTPResponse) {
        if let body = currentBody {
            body.finish(error: .connectionLost)
            currentBody = nil
        }
        stopParsing = true
        let summary = RequestSummary(method: "GET", version: .http1_1, range: nil, keepAlive: false)
        exchanges.append(Exchange(sequence: nextSequence, summary: summary, body: nil, response: response))
        nextSequence += 1
        pump()
    }

    // MARK: - Parser delegate

    func parserDidParseHead(_ head: HTTPMessageHead) -> HTTPMessageParser.HeadAction {
        guard case .open = state, !stopParsing else { return .stop }
        requestCount += 1
        var keepAlive = head.keepAlive && !head.upgrade && !draining
        if let limit = configuration.maxRequestsPerConnection, requestCount >= limit { keepAlive = false }
        currentKeepAlive = keepAlive
        let request = HTTPRequest(method: head.method, target: head.target, headers: head.headers,
                                  version: head.version, remoteAddress: tcp.peerAddress ?? "", isKeepAlive: keepAlive)
        let summary = RequestSummary(method: head.method, version: head.version,
                                     range: head.headers["Range"], keepAlive: keepAlive)
        let sequence = nextSequence
        nextSequence += 1

        if head.method == "OPTIONS", let origin = policy.corsAllowOrigin,
           head.headers.contains(name: "Access-Control-Request-Method") {
            currentBody = nil
            exchanges.append(Exchange(sequence: sequence, summary: summary, body: nil,
                                      response: Self.preflightResponse(origin: origin, request: request)))
            pump()
            return .proceed
        }

        let body = HTTPRequestBody(onDrained: { [weak self] in
            guard let self else { return }
            self.tcp.loop.execute { self.bodyDrained() }
        })
        currentBody = body
        var exchange = Exchange(sequence: sequence, summary: summary, body: body)
        exchange.expectsContinue = head.version == .http1_1
            && (head.headers["Expect"].map { HTTPHeaders.namesMatch($0.trimmingSpaces, "100-continue") } ?? false)
        exchanges.append(exchange)
        if exchanges.count >= configuration.maxPipelinedRequests {
            pausedForPipeline = true
            tcp.stopReading()
        }
        server.assumeIsolated { $0.dispatch(self, sequence: sequence, request: request, body: body) }
        if exchange.expectsContinue { pump() }
        return .proceed
    }

    func parserDidReceiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let body = currentBody else { return true }
        if !body.append(Array(bytes)) && !pausedForBody {
            pausedForBody = true
            tcp.stopReading()
        }
        return true
    }

    func parserDidCompleteMessage() -> Bool {
        currentBody?.finish()
        currentBody = nil
        if !currentKeepAlive {
            stopParsing = true
            return false
        }
        return true
    }

    private func bodyDrained() {
        guard pausedForBody else { return }
        pausedForBody = false
        if !pausedForPipeline { tcp.resumeReading() }
    }

    static func preflightResponse(origin: String, request: HTTPRequest) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set(name: "Access-Control-Allow-Origin", value: origin)
        headers.set(name: "Access-Control-Allow-Methods", value: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
        headers.set(name: "Access-Control-Allow-Headers", value: request.headers["Access-Control-Request-Headers"] ?? "*")
        headers.set(name: "Access-Control-Max-Age", value: "86400")
        return HTTPResponse(status: 204, headers: headers, body: .empty)
    }

    // MARK: - Output

    /// The responder finished request `sequence`.
    func responseReady(_ sequence: Int, _ response: HTTPResponse) {
        guard case .open = state, let index = exchanges.firstIndex(where: { $0.sequence == sequence }) else { return }
        exchanges[index].response = response
        // Whatever the handler did not read is dropped, so the next request can be parsed.
        if let body = exchanges[index].body, body.discardRemaining() { bodyDrained() }
        pump()
    }

    /// Writes every response that is next in order and ready.
    private func pump() {
        while case .open = state, !streaming, let first = exchanges.first {
            guard let response = first.response else {
                if first.expectsContinue && !first.continueSent {
                    exchanges[0].continueSent = true
                    write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                }
                break
            }
            exchanges.removeFirst()
            if !send(first, response) { return }
        }
        guard case .open = state, !streaming else { return }
        if exchanges.isEmpty && (stopParsing || peerEnded) {
            beginLingeringClose()
        } else if pausedForPipeline && exchanges.count < max(1, configuration.maxPipelinedRequests / 2) {
            pausedForPipeline = false
            if !pausedForBody { tcp.resumeReading() }
        }
    }

    /// Writes one response; returns false when the connection is closing or a stream took over.
    private func send(_ exchange: Exchange, _ response: HTTPResponse) -> Bool {
        var summary = exchange.summary
        // A client that was never told to continue may never send the body: the connection cannot be reused.
        let unsentBody = exchange.expectsContinue && !exchange.continueSent && !(exchange.body?.isFinished ?? true)
        if draining || unsentBody { summary.keepAlive = false }
        let prepared = PreparedResponse.prepare(response, for: summary, policy: policy, date: dates.current())
        let head = prepared.encodeHead()
        switch prepared.payload {
        case .none:
            write(head)
        case .bytes(let slice):
            if slice.count <= Self.coalesceLimit {
                write(head + slice)
            } else {
                write(head)
                write(slice)
            }
        case .stream(let stream):
            write(head)
            streaming = true
            let chunked = summary.version != .http1_0
            let closeAfter = prepared.closeConnection
            if closeAfter { stopParsing = true; dropPendingExchanges() }
            streamTask = Task { await server.streamBody(self, stream, chunked: chunked, closeAfter: closeAfter) }
            return false
        }
        if prepared.closeConnection {
            stopParsing = true
            dropPendingExchanges()
            beginLingeringClose()
            return false
        }
        return true
    }

    private func write(_ bytes: [UInt8]) {
        tcp.write(bytes) { error in self.wrote(error) }
    }

    private func write(_ bytes: ArraySlice<UInt8>) {
        tcp.write(bytes) { error in self.wrote(error) }
    }

    private func wrote(_ error: UVError?) {
        if error != nil { closeNow() } else { touch() }
    }

    /// Writes one body chunk (framed when `chunked`); `completion` tells whether it was written.
    func writeStreamChunk(_ chunk: [UInt8], chunked: Bool, completion: @escaping (Bool) -> Void) {
        guard case .open = state else { completion(false); return }
        var framed: [UInt8]
        if chunked {
            framed = Array(String(chunk.count, radix: 16).utf8)
            framed.reserveCapacity(framed.count + chunk.count + 4)
            framed.append(contentsOf: [13, 10])
            framed.append(contentsOf: chunk)
            framed.append(contentsOf: [13, 10])
        } else {
            framed = chunk
        }
        tcp.write(framed) { error in
            self.wrote(error)
            completion(error == nil)
        }
    }

    /// The streaming body ended (`ok`) or failed; continues with the next response.
    func finishStream(ok: Bool, chunked: Bool, closeAfter: Bool) {
        streaming = false
        streamTask = nil
        guard case .open = state else { return }
        guard ok else { closeNow(); return }
        if chunked { write(Array("0\r\n\r\n".utf8)) }
        // Without chunked framing the end of the body is the end of the connection.
        if closeAfter || !chunked { beginLingeringClose() } else { pump() }
    }

    private func dropPendingExchanges() {
        for exchange in exchanges { exchange.body?.finish(error: .connectionLost) }
        exchanges.removeAll()
        if let body = currentBody {
            body.finish(error: .connectionLost)
            currentBody = nil
        }
    }

    // MARK: - Closing

    /// Sends FIN after the queued output and drains input until EOF, so the client reads the last response.
    func beginLingeringClose() {
        guard case .open = state else { return }
        state = .lingering(since: tcp.loop.nowMilliseconds)
        dropPendingExchanges()
        tcp.shutdown { error in
            if error != nil || self.peerEnded { self.closeNow() }
        }
        pausedForBody = false
        pausedForPipeline = false
        tcp.resumeReading()
    }

    /// Closes the socket at once, failing bodies still being received.
    func closeNow() {
        if case .closed = state { return }
        state = .closed
        dropPendingExchanges()
        streamTask?.cancel()
        streamTask = nil
        tcp.close()
    }

    /// Server shutdown: idle connections close now, busy ones after their current response.
    func beginDrain() {
        draining = true
        currentKeepAlive = false
        if case .lingering = state, tcp.writeQueueSize == 0 {
            // Everything was handed to the kernel and FIN is out; do not hold up shutdown for the peer.
            closeNow()
            return
        }
        guard case .open = state else { return }
        if exchanges.isEmpty && !streaming && !parser.inMessage { closeNow() }
    }

    /// Periodic check: idle keep-alive connections, stuck writers and lingering closes time out.
    func sweep(now: UInt64, idleTimeout: UInt64) {
        switch state {
        case .closed:
            return
        case .lingering(let since):
            if now &- since >= Self.lingerMilliseconds { closeNow() }
        case .open:
            let quietFor = now &- lastActivity
            guard quietFor >= idleTimeout else { return }
            let idle = exchanges.isEmpty && !streaming
            let stuckWriting = tcp.writeQueueSize > 0
            if idle || stuckWriting { closeNow() }
        }
    }
}
