import EventLoop
import Live
import Logging
import Media
import MediaDirectory
import RTMP
import TLS

/// The RTMP listener: accepts encoder connections and feeds their published streams to live channels.
/// Runs on the event loop; each connection is a loop-confined ``RTMPIngestConnection`` driving the pure
/// ``RTMPServerSession``. A broken connection ends alone: its errors never reach other sessions.
///
/// RTMPS is a second listener on the same server (``startTLS(host:port:context:)``): its connections run the same
/// sessions over a ``TLSEngine``, are admitted by the same resolver, share the idle sweep and the publisher
/// takeover, and end with the same `disconnect`. A new ``TLSServerContext`` (``replaceTLSContext(_:)``) reaches the
/// connections accepted after it; sessions already running keep the one they started with.
public actor RTMPIngestServer {
    nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.unownedExecutor }

    let resolver: any IngestResolver
    let logger: Logger
    /// Connections that send nothing for this long are closed (the service's MPE_RTMP_SESSION_IDLE_TIMEOUT).
    let idleTimeoutMilliseconds: UInt64
    private var server: TCPServer?
    /// The RTMPS listener and the certificate new RTMPS connections get.
    private var tlsServer: TCPServer?
    private var tlsContext: TLSServerContext?
    private var sweepTimer: LoopTimer?
    private var connections: [ObjectIdentifier: RTMPIngestConnection] = [:]
    /// Which connection publishes each (channel, stream): a new publisher of the same stream takes over.
    private var publishers: [PublisherKey: ObjectIdentifier] = [:]
    private var nextConnectionID = 0

    struct PublisherKey: Hashable {
        var channel: ObjectIdentifier
        var stream: String
    }

    public init(loop: EventLoop, resolver: any IngestResolver, logger: Logger, idleTimeoutSeconds: Int = 30) {
        self.loop = loop
        self.resolver = resolver
        var logger = logger
        logger[metadataKey: "component"] = "rtmp"
        self.logger = logger
        self.idleTimeoutMilliseconds = UInt64(idleTimeoutSeconds) * 1000
    }

    /// Binds and listens; returns the bound port (useful with port 0).
    public func start(host: String, port: Int) throws -> Int {
        let server = try TCPServer.listen(loop: loop, host: host, port: port) { [unowned self] connection in
            self.assumeIsolated { $0.accept(connection, secure: false) }
        }
        return try run(server, host: host, requestedPort: port)
    }

    /// Listens on an inherited, already-listening socket (systemd socket activation); returns its port.
    /// Ownership of `descriptor`: see `TCPServer.listen(loop:descriptor:backlog:onConnection:)`.
    public func start(inheritedDescriptor descriptor: Int32) throws -> Int {
        let server = try TCPServer.listen(loop: loop, descriptor: descriptor) { [unowned self] connection in
            self.assumeIsolated { $0.accept(connection, secure: false) }
        }
        // An inherited socket is bound wherever edgelive.socket says; its port is read back.
        return try run(server, host: "inherited", requestedPort: 0)
    }

    /// Keeps `server` and starts the idle sweep.
    private func run(_ server: TCPServer, host: String, requestedPort port: Int) throws -> Int {
        self.server = server
        try startSweep()
        let bound = server.localPort ?? port
        logger.info("RTMP ingest listening", metadata: ["address": "\(host):\(bound)"])
        return bound
    }

    /// The idle sweep, once for both listeners.
    private func startSweep() throws {
        guard sweepTimer == nil else { return }
        let timer = try LoopTimer(loop: loop)
        timer.start(after: .seconds(5), repeat: .seconds(5)) { [unowned self] in
            self.assumeIsolated { $0.sweepIdle() }
        }
        sweepTimer = timer
    }

    /// The bound port while listening.
    public var port: Int? { server?.localPort }

    /// Stops listening (RTMP and RTMPS) and ends every session (their pending fragments are flushed to the channels).
    public func stop() {
        sweepTimer?.close()
        sweepTimer = nil
        server?.close()
        server = nil
        stopTLS()
        for connection in connections.values { connection.terminate(reason: .serverShutdown) }
        connections.removeAll()
    }

    // MARK: - RTMPS

    /// Listens for RTMPS on `host:port` with `context`'s certificate; returns the bound port (useful with port 0).
    public func startTLS(host: String, port: Int, context: TLSServerContext) throws -> Int {
        let server = try TCPServer.listen(loop: loop, host: host, port: port) { [unowned self] connection in
            self.assumeIsolated { $0.accept(connection, secure: true) }
        }
        return try runTLS(server, context: context, host: host, requestedPort: port)
    }

    /// Listens for RTMPS on an inherited, already-listening socket (systemd socket activation); returns its port.
    public func startTLS(inheritedDescriptor descriptor: Int32, context: TLSServerContext) throws -> Int {
        let server = try TCPServer.listen(loop: loop, descriptor: descriptor) { [unowned self] connection in
            self.assumeIsolated { $0.accept(connection, secure: true) }
        }
        return try runTLS(server, context: context, host: "inherited", requestedPort: 0)
    }

    private func runTLS(_ server: TCPServer, context: TLSServerContext, host: String, requestedPort port: Int) throws -> Int {
        // Kept before the sweep starts, so a failure there leaves it for `stop()` to close.
        tlsServer = server
        tlsContext = context
        try startSweep()
        let bound = server.localPort ?? port
        logger.info("RTMPS ingest listening", metadata: ["address": "\(host):\(bound)", "certificate": "\(context.certificate)"])
        return bound
    }

    /// The certificate for RTMPS connections accepted from now on; those already open keep theirs.
    public func replaceTLSContext(_ context: TLSServerContext) {
        tlsContext = context
        logger.notice("RTMPS certificate reloaded: new connections get it, open sessions continue", metadata: [
            "certificate": "\(context.certificate)"])
    }

    /// The RTMPS port while listening.
    public var tlsPort: Int? { tlsServer?.localPort }

    /// The certificate new RTMPS connections get, while RTMPS listens.
    public var tlsCertificate: TLSCertificateSummary? { tlsServer == nil ? nil : tlsContext?.certificate }

    /// Stops the RTMPS listener and ends the RTMPS sessions; plain RTMP goes on.
    public func stopTLS() {
        guard let tlsServer else { return }
        tlsServer.close()
        self.tlsServer = nil
        tlsContext = nil
        for connection in connections.values where connection.transport.isSecure {
            connection.terminate(reason: .serverShutdown)
        }
    }

    // MARK: - Connections

    private func accept(_ tcp: TCPConnection, secure: Bool) {
        nextConnectionID += 1
        var engine: TLSEngine?
        if secure {
            guard let context = tlsContext else { tcp.close(); return }
            do {
                engine = try context.makeEngine()
            } catch {
                logger.error("cannot start TLS for an RTMPS connection", metadata: ["peer": "\(tcp.peerDescription)", "error": "\(error)"])
                tcp.close()
                return
            }
        }
        let transport = RTMPIngestTransport(tcp: tcp, tls: engine)
        let connection = RTMPIngestConnection(id: nextConnectionID, transport: transport, server: self, logger: logger)
        connections[ObjectIdentifier(connection)] = connection
        connection.start()
    }

    func connectionClosed(_ connection: RTMPIngestConnection) {
        connections[ObjectIdentifier(connection)] = nil
        publishers = publishers.filter { $0.value != ObjectIdentifier(connection) }
    }

    /// Records `connection` as the publisher of `stream`, ending an older publisher of the same stream
    /// (an encoder reconnecting before its dead connection timed out).
    func claim(channel: LiveChannel, stream: String, by connection: RTMPIngestConnection) {
        let key = PublisherKey(channel: ObjectIdentifier(channel), stream: stream)
        if let previous = publishers[key], previous != ObjectIdentifier(connection), let old = connections[previous] {
            logger.notice("a new publisher took over the stream", metadata: ["channel": "\(channel.name)", "stream": "\(stream)"])
            old.terminate(reason: .replaced(stream: stream))
        }
        publishers[key] = ObjectIdentifier(connection)
    }

    func admit(accessToken: String, remoteAddress: String) -> IngestAdmission {
        resolver.admitIngest(accessToken: accessToken, remoteAddress: remoteAddress)
    }

    /// Ends every connection admitted with `accessToken` (compared ignoring case), e.g. when its live event
    /// stops; each published stream ends with `reason`. Returns how many connections were closed.
    @discardableResult
    public func disconnect(accessToken: String, reason: IngestEndReason = .eventStopped) -> Int {
        let token = accessToken.lowercased()
        let matching = connections.values.filter { $0.accessToken?.lowercased() == token }
        for connection in matching {
            logger.notice("disconnecting the encoder", metadata: [
                "peer": "\(connection.tcp.peerDescription)", "code": "\(reason.code)", "reason": "\(reason.message)"])
            connection.terminate(reason: reason)
        }
        return matching.count
    }

    /// Connections open now (accepted and not yet closed).
    public var connectionCount: Int { connections.count }

    private func sweepIdle() {
        let now = loop.nowMilliseconds
        for connection in connections.values where now &- connection.lastActivity > idleTimeoutMilliseconds {
            connection.terminate(reason: .idleTimeout(seconds: Int(idleTimeoutMilliseconds / 1000)))
        }
    }
}
