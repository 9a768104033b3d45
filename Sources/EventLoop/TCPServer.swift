// A listening TCP socket.
import CLibUV

/// A listening TCP socket (IPv4 or IPv6) that hands each accepted connection to a callback.
///
/// Loop-confined: create and use it on the loop thread; callbacks run there.
public final class TCPServer: LoopHandle, @unchecked Sendable {
    private var onConnection: ((TCPConnection) -> Void)?
    private var boundDescription = "TCP socket"

    var tcp: UnsafeMutablePointer<uv_tcp_t> { UnsafeMutablePointer<uv_tcp_t>(OpaquePointer(raw)) }
    var stream: UnsafeMutablePointer<uv_stream_t> { UnsafeMutablePointer<uv_stream_t>(OpaquePointer(raw)) }

    /// Creates an unbound TCP socket on `loop`.
    public init(loop: EventLoop) throws(UVError) {
        super.init(loop: loop, type: UV_TCP)
        try UVError.check(uv_tcp_init(loop.uvLoop, tcp), "cannot create a TCP socket")
        adopt()
    }

    /// Binds to a numeric IPv4/IPv6 address ("0.0.0.0", "::", "127.0.0.1"); port 0 picks a free port.
    public func bind(host: String, port: Int) throws(UVError) {
        loop.preconditionInLoopThread("TCPServer.bind")
        boundDescription = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        guard (0...65535).contains(port) else {
            throw UVError(UV_EINVAL, context: "cannot listen on \(boundDescription): port out of range")
        }
        var address = sockaddr_storage()
        try UVError.check(edgelive_sockaddr_from_ip(host, Int32(port), &address),
                          "cannot listen on \(boundDescription): \"\(host)\" is not a numeric IP address")
        // libuv may defer EADDRINUSE from bind to listen; both say where.
        try UVError.check(edgelive_tcp_bind(tcp, &address), "cannot listen on \(boundDescription)")
    }

    /// Starts accepting; `onConnection` gets each accepted, already-addressed connection.
    public func listen(backlog: Int32 = 511, onConnection: @escaping (TCPConnection) -> Void) throws(UVError) {
        loop.preconditionInLoopThread("TCPServer.listen")
        self.onConnection = onConnection
        let result = uv_listen(stream, backlog) { server, status in
            guard let server, let data = server.pointee.data else { return }
            Unmanaged<TCPServer>.fromOpaque(data).takeUnretainedValue().accept(status: status)
        }
        if result != 0 {
            self.onConnection = nil
            throw UVError(code: result, context: "cannot listen on \(boundDescription)")
        }
    }

    /// Binds and listens in one step, closing the socket if either fails.
    public static func listen(loop: EventLoop, host: String, port: Int, backlog: Int32 = 511,
                              onConnection: @escaping (TCPConnection) -> Void) throws(UVError) -> TCPServer {
        let server = try TCPServer(loop: loop)
        do {
            try server.bind(host: host, port: port)
            try server.listen(backlog: backlog, onConnection: onConnection)
        } catch {
            server.close()
            throw error
        }
        return server
    }

    /// Listens on an inherited socket that is already bound and listening (systemd socket activation).
    ///
    /// Once libuv accepts `descriptor` the server owns it and closes it with the handle (also when
    /// `listen` then fails); if libuv refuses it (not a socket, already in use by this loop) it stays
    /// the caller's. libuv makes it non-blocking; listen() on a listening socket only resets the backlog.
    public static func listen(loop: EventLoop, descriptor: Int32, backlog: Int32 = 511,
                              onConnection: @escaping (TCPConnection) -> Void) throws(UVError) -> TCPServer {
        let server = try TCPServer(loop: loop)
        server.boundDescription = "inherited socket \(descriptor)"
        let opened = uv_tcp_open(server.tcp, uv_os_sock_t(descriptor))
        if opened != 0 {
            server.close()
            throw UVError(code: opened, context: "cannot use inherited socket \(descriptor)")
        }
        if let port = server.localPort { server.boundDescription = "inherited socket \(descriptor) (port \(port))" }
        do {
            try server.listen(backlog: backlog, onConnection: onConnection)
        } catch {
            server.close()
            throw error
        }
        return server
    }

    private func accept(status: Int32) {
        // A failed accept (EMFILE and friends) affects one connection, not the listener.
        guard status == 0, !isClosed else { return }
        let connection: TCPConnection
        do {
            connection = try TCPConnection(loop: loop)
        } catch {
            return
        }
        if uv_accept(stream, connection.stream) != 0 {
            connection.close()
            return
        }
        connection.captureAddresses()
        onConnection?(connection)
    }

    /// The bound port (useful after binding port 0), or nil when not bound.
    public var localPort: Int? {
        loop.preconditionInLoopThread("TCPServer.localPort")
        guard !isClosed else { return nil }
        var buffer = [CChar](repeating: 0, count: 64)
        var port: Int32 = 0
        guard edgelive_tcp_local(tcp, &buffer, buffer.count, &port) == 0 else { return nil }
        return Int(port)
    }

    override func didClose() {
        onConnection = nil
        super.didClose()
    }
}
