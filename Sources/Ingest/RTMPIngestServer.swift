import EventLoop
import Live
import Logging
import Media
import MediaDirectory
import RTMP

/// The RTMP listener: accepts encoder connections and feeds their published streams to live channels.
/// Runs on the event loop; each connection is a loop-confined ``RTMPIngestConnection`` driving the pure
/// ``RTMPServerSession``. A broken connection ends alone: its errors never reach other sessions.
public actor RTMPIngestServer {
    nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.unownedExecutor }

    let resolver: any IngestResolver
    let logger: Logger
    /// Connections that send nothing for this long are closed (the service's MPE_RTMP_SESSION_IDLE_TIMEOUT).
    let idleTimeoutMilliseconds: UInt64
    private var server: TCPServer?
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
            self.assumeIsolated { $0.accept(connection) }
        }
        return try run(server, host: host, requestedPort: port)
    }

    /// Listens on an inherited, already-listening socket (systemd socket activation); returns its port.
    /// Ownership of `descriptor`: see `TCPServer.listen(loop:descriptor:backlog:onConnection:)`.
    public func start(inheritedDescriptor descriptor: Int32) throws -> Int {
        let server = try TCPServer.listen(loop: loop, descriptor: descriptor) { [unowned self] connection in
            self.assumeIsolated { $0.accept(connection) }
        }
        // An inherited socket is bound wherever edgelive.socket says; its port is read back.
        return try run(server, host: "inherited", requestedPort: 0)
    }

    /// Keeps `server` and starts the idle sweep.
    private func run(_ server: TCPServer, host: String, requestedPort port: Int) throws -> Int {
        self.server = server
        let timer = try LoopTimer(loop: loop)
        timer.start(after: .seconds(5), repeat: .seconds(5)) { [unowned self] in
            self.assumeIsolated { $0.sweepIdle() }
        }
        sweepTimer = timer
        let bound = server.localPort ?? port
        logger.info("RTMP ingest listening", metadata: ["address": "\(host):\(bound)"])
        return bound
    }

    /// The bound port while listening.
    public var port: Int? { server?.localPort }

    /// Stops listening and ends every session (their pending fragments are flushed to the channels).
    public func stop() {
        sweepTimer?.close()
        sweepTimer = nil
        server?.close()
        server = nil
        for connection in connections.values { connection.terminate(reason: .serverShutdown) }
        connections.removeAll()
    }

    private func accept(_ tcp: TCPConnection) {
        nextConnectionID += 1
        let connection = RTMPIngestConnection(id: nextConnectionID, tcp: tcp, server: self, logger: logger)
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
