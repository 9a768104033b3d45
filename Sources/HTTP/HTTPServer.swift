// The HTTP/1.1 server actor: listener, connection table, timers, graceful stop.
import EventLoop

/// An HTTP/1.1 server on an `EventLoop`; the actor runs on the loop's executor.
///
/// Keep-alive, pipelining (responses in request order), HEAD, single byte ranges, chunked bodies in
/// both directions, `Expect: 100-continue`, CORS and automatic preflight answers, and limits with
/// clear error responses (400, 431, 503) are handled here; the responder only builds responses.
public actor HTTPServer {
    /// Server settings; every field has a default.
    public struct Configuration: Sendable {
        /// Address to listen on: "0.0.0.0" (all IPv4), "::" (all IPv6 and IPv4), or one address.
        public var host: String
        /// TCP port; 0 picks a free one (see `start()`'s result).
        public var port: Int
        /// Largest request line plus headers; beyond it the answer is 431. Default 16 KiB.
        public var maxHeaderBytes: Int
        /// A connection with no traffic and nothing in flight for this long is closed. Default 60 s.
        public var idleTimeout: Duration
        /// Connections beyond this count get 503 and are closed. Default 1024.
        public var maxConnections: Int
        /// Requests served per connection before `Connection: close`; nil = unlimited (default).
        public var maxRequestsPerConnection: Int?
        /// Access-Control-Allow-Origin added to responses (and preflights answered); nil disables CORS. Default "*".
        public var corsAllowOrigin: String?
        /// Access-Control-Expose-Headers added with CORS.
        public var corsExposeHeaders: String
        /// How long `stop()` lets in-flight responses finish before closing everything. Default 5 s.
        public var shutdownGracePeriod: Duration
        /// Pipelined requests parsed ahead of their responses before reading pauses. Default 16.
        public var maxPipelinedRequests: Int
        /// The Server header value. Default "edgelive".
        public var serverName: String

        /// Creates a configuration; every parameter is documented on its property.
        public init(host: String = "0.0.0.0", port: Int = 8080, maxHeaderBytes: Int = 16 * 1024,
                    idleTimeout: Duration = .seconds(60), maxConnections: Int = 1024,
                    maxRequestsPerConnection: Int? = nil, corsAllowOrigin: String? = "*",
                    corsExposeHeaders: String = "Content-Length, Content-Range, Content-Type, Date, ETag, Last-Modified, Retry-After",
                    shutdownGracePeriod: Duration = .seconds(5), maxPipelinedRequests: Int = 16,
                    serverName: String = "edgelive") {
            self.host = host
            self.port = port
            self.maxHeaderBytes = maxHeaderBytes
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
            self.maxRequestsPerConnection = maxRequestsPerConnection
            self.corsAllowOrigin = corsAllowOrigin
            self.corsExposeHeaders = corsExposeHeaders
            self.shutdownGracePeriod = shutdownGracePeriod
            self.maxPipelinedRequests = max(1, maxPipelinedRequests)
            self.serverName = serverName
        }
    }

    private enum State {
        case idle
        case running(listener: TCPServer, sweeper: LoopTimer)
        case stopping
        case stopped
    }

    /// The loop the server runs on.
    public nonisolated let loop: EventLoop
    /// The settings the server was created with.
    public nonisolated let configuration: Configuration
    private let responder: any HTTPResponder
    private let policy: ResponsePolicy
    private nonisolated let dates = HTTPDateCacheBox()
    private var state = State.idle
    private var connections: [Int: HTTPServerConnection] = [:]
    private var activeConnections = 0
    private var nextConnectionID = 0
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    private var boundPort: Int?

    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.unownedExecutor }

    /// Creates a stopped server; `start()` binds it.
    public init(loop: EventLoop, responder: some HTTPResponder, configuration: Configuration = Configuration()) {
        self.loop = loop
        self.responder = responder
        self.configuration = configuration
        policy = ResponsePolicy(corsAllowOrigin: configuration.corsAllowOrigin,
                                corsExposeHeaders: configuration.corsExposeHeaders,
                                serverName: configuration.serverName)
    }

    /// Binds and starts accepting; returns the bound port. Throws `UVError` (e.g. address in use).
    public func start() throws -> Int {
        guard case .idle = state else { preconditionFailure("HTTPServer.start() called twice") }
        let listener = try TCPServer.listen(loop: loop, host: configuration.host, port: configuration.port) { connection in
            self.assumeIsolated { $0.accept(connection) }
        }
        return try run(listener)
    }

    /// Starts accepting on an inherited, already-listening socket (systemd socket activation) instead
    /// of binding `configuration.host`/`port`; returns its port. Ownership of `descriptor`: see
    /// `TCPServer.listen(loop:descriptor:backlog:onConnection:)`.
    public func start(inheritedDescriptor descriptor: Int32) throws -> Int {
        guard case .idle = state else { preconditionFailure("HTTPServer.start() called twice") }
        let listener = try TCPServer.listen(loop: loop, descriptor: descriptor) { connection in
            self.assumeIsolated { $0.accept(connection) }
        }
        return try run(listener)
    }

    /// Starts the idle sweeper and enters `.running` with `listener`, which is closed if that fails.
    private func run(_ listener: TCPServer) throws -> Int {
        let sweeper: LoopTimer
        do {
            sweeper = try LoopTimer(loop: loop)
        } catch {
            listener.close()
            throw error
        }
        let interval = min(Duration.seconds(1), max(Duration.milliseconds(10), configuration.idleTimeout / 4))
        sweeper.start(after: interval, repeat: interval) {
            self.assumeIsolated { $0.sweep() }
        }
        state = .running(listener: listener, sweeper: sweeper)
        let port = listener.localPort ?? configuration.port
        boundPort = port
        return port
    }

    /// The bound port once started.
    public var port: Int? { boundPort }

    /// Open connections (including ones being closed).
    public var connectionCount: Int { connections.count }

    /// Stops accepting, closes idle connections, lets in-flight responses finish within the grace
    /// period, then closes the rest. Returns when every connection is closed.
    public func stop() async {
        guard case .running(let listener, let sweeper) = state else { return }
        state = .stopping
        listener.close()
        for connection in connections.values { connection.beginDrain() }
        if !connections.isEmpty {
            let deadline = try? LoopTimer(loop: loop)
            deadline?.start(after: configuration.shutdownGracePeriod) {
                self.assumeIsolated { server in
                    for connection in server.connections.values { connection.closeNow() }
                }
            }
            await withCheckedContinuation { stopWaiters.append($0) }
            deadline?.close()
        }
        sweeper.close()
        state = .stopped
    }

    // MARK: - Connections

    private func accept(_ tcp: TCPConnection) {
        guard case .running = state else { tcp.close(); return }
        let rejected = activeConnections >= configuration.maxConnections
        let id = nextConnectionID
        nextConnectionID += 1
        let connection = HTTPServerConnection(id: id, tcp: tcp, server: self, configuration: configuration,
                                              policy: policy, dates: dates.cache, rejected: rejected)
        connections[id] = connection
        if !rejected { activeConnections += 1 }
        tcp.whenClosed {
            self.assumeIsolated { $0.connectionClosed(id) }
        }
        connection.start()
    }

    private func connectionClosed(_ id: Int) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        if !connection.isRejected { activeConnections -= 1 }
        if connections.isEmpty, case .stopping = state {
            let waiters = stopWaiters
            stopWaiters = []
            for waiter in waiters { waiter.resume() }
        }
    }

    private func sweep() {
        let now = loop.nowMilliseconds
        let idle = configuration.idleTimeout.milliseconds
        for connection in connections.values { connection.sweep(now: now, idleTimeout: idle) }
    }

    // MARK: - Requests

    /// Runs the responder for one request and hands the response back to its connection in order.
    func dispatch(_ connection: HTTPServerConnection, sequence: Int, request: HTTPRequest, body: HTTPRequestBody) {
        let responder = self.responder
        Task {
            let response = await responder.respond(to: request, body: body)
            self.deliver(connection, sequence: sequence, response: response)
        }
    }

    private func deliver(_ connection: HTTPServerConnection, sequence: Int, response: HTTPResponse) {
        connection.responseReady(sequence, response)
    }

    /// Copies a `.stream` body to the connection, waiting whenever the client falls behind.
    func streamBody(_ connection: HTTPServerConnection, _ stream: AsyncStream<[UInt8]>, chunked: Bool, closeAfter: Bool) async {
        var ok = true
        for await chunk in stream where !chunk.isEmpty {
            let write = StreamWrite()
            connection.writeStreamChunk(chunk, chunked: chunked) { write.complete($0) }
            if connection.isClosed { ok = false; break }
            // Backpressure: with too much queued, wait until this chunk reached the kernel.
            if connection.tcp.writeQueueSize > HTTPServerConnection.streamHighWater {
                ok = await withCheckedContinuation { write.wait($0) }
            }
            if !ok || connection.isClosed { ok = false; break }
        }
        connection.finishStream(ok: ok, chunked: chunked, closeAfter: closeAfter)
    }
}

/// The completion of one streamed chunk write, awaited only when the client falls behind (loop thread).
private final class StreamWrite {
    private var result: Bool?
    private var waiter: CheckedContinuation<Bool, Never>?

    func complete(_ ok: Bool) {
        result = ok
        waiter?.resume(returning: ok)
        waiter = nil
    }

    func wait(_ continuation: CheckedContinuation<Bool, Never>) {
        if let result { continuation.resume(returning: result) } else { waiter = continuation }
    }
}

/// Holds the Date cache; loop-confined like the connections that read it.
final class HTTPDateCacheBox: @unchecked Sendable {
    let cache = HTTPDateCache()
}

extension Duration {
    /// Whole milliseconds, at least 1.
    var milliseconds: UInt64 {
        let parts = components
        return UInt64(max(1, parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000))
    }
}
