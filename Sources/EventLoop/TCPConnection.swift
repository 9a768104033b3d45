// A connected TCP socket: addresses and socket options on top of StreamConnection.
import CLibUV

/// A connected TCP socket (accepted by `TCPServer` or opened by `TCPClient`). Reading, writing and
/// shutdown come from ``StreamConnection``; loop-confined like it.
public final class TCPConnection: StreamConnection, @unchecked Sendable {
    /// The peer's IP address (no port), captured when the connection was established.
    public private(set) var peerAddress: String?
    /// The peer's port, or 0 when unknown.
    public private(set) var peerPort = 0
    /// The local port of the connection, or 0 when unknown.
    public private(set) var localPort = 0

    var tcp: UnsafeMutablePointer<uv_tcp_t> { UnsafeMutablePointer<uv_tcp_t>(OpaquePointer(raw)) }

    init(loop: EventLoop) throws(UVError) {
        super.init(loop: loop, type: UV_TCP)
        try UVError.check(uv_tcp_init(loop.uvLoop, tcp), "cannot create a TCP socket")
        adopt()
    }

    /// Records peer and local addresses; called once connected or accepted.
    func captureAddresses() {
        var buffer = [CChar](repeating: 0, count: 64)
        var port: Int32 = 0
        if edgelive_tcp_peer(tcp, &buffer, buffer.count, &port) == 0 {
            peerAddress = String(decodingCString: buffer)
            peerPort = Int(port)
        }
        if edgelive_tcp_local(tcp, &buffer, buffer.count, &port) == 0 {
            localPort = Int(port)
        }
    }

    override var endpointDescription: String { peerDescription }

    // MARK: - Options

    /// Disables Nagle's algorithm so small responses leave at once.
    public func setNoDelay(_ enabled: Bool) {
        loop.preconditionInLoopThread("TCPConnection.setNoDelay")
        guard !isClosed else { return }
        uv_tcp_nodelay(tcp, enabled ? 1 : 0)
    }

    /// Enables TCP keep-alive probes after `delaySeconds` of silence.
    public func setKeepAlive(_ enabled: Bool, delaySeconds: UInt32 = 60) {
        loop.preconditionInLoopThread("TCPConnection.setKeepAlive")
        guard !isClosed else { return }
        uv_tcp_keepalive(tcp, enabled ? 1 : 0, delaySeconds)
    }

    /// "address:port" of the peer, for messages.
    public var peerDescription: String {
        guard let peerAddress else { return "unknown peer" }
        return peerAddress.contains(":") ? "[\(peerAddress)]:\(peerPort)" : "\(peerAddress):\(peerPort)"
    }
}
