// Outgoing TCP connections.
import CLibUV

/// Opens outgoing TCP connections.
public enum TCPClient {
    /// Connects to `host` (IP literal or name; IPv4 preferred) and `port`; call on the loop thread.
    /// `completion` runs on the loop thread with the connection or the error.
    public static func connect(loop: EventLoop, host: String, port: Int,
                               completion: @escaping (Result<TCPConnection, UVError>) -> Void) {
        loop.preconditionInLoopThread("TCPClient.connect")
        let target = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        guard (1...65535).contains(port) else {
            completion(.failure(UVError(UV_EINVAL, context: "cannot connect to \(target): port out of range")))
            return
        }
        let connection: TCPConnection
        do {
            connection = try TCPConnection(loop: loop)
        } catch {
            completion(.failure(error))
            return
        }
        let attempt = ConnectAttempt(connection: connection, port: port, target: target, completion: completion)
        var address = sockaddr_storage()
        if edgelive_sockaddr_from_ip(host, Int32(port), &address) == 0 {
            attempt.connect(to: &address)
        } else {
            attempt.resolve(host: host)
        }
    }

    /// Connects from any context; the connection is then used on the loop thread.
    public static func connect(loop: EventLoop, host: String, port: Int) async throws -> TCPConnection {
        let box: ConnectionBox = try await withCheckedThrowingContinuation { continuation in
            loop.execute {
                connect(loop: loop, host: host, port: port) { result in
                    continuation.resume(with: result.map(ConnectionBox.init))
                }
            }
        }
        return box.connection
    }

    private struct ConnectionBox: @unchecked Sendable {
        let connection: TCPConnection
    }
}

/// One connection attempt: optional name resolution, then uv_tcp_connect.
private final class ConnectAttempt {
    let connection: TCPConnection
    let port: Int
    let target: String
    let completion: (Result<TCPConnection, UVError>) -> Void

    init(connection: TCPConnection, port: Int, target: String,
         completion: @escaping (Result<TCPConnection, UVError>) -> Void) {
        self.connection = connection
        self.port = port
        self.target = target
        self.completion = completion
    }

    func fail(_ code: Int32) {
        connection.close()
        completion(.failure(UVError(code: code, context: "cannot connect to \(target)")))
    }

    func resolve(host: String) {
        let request = UnsafeMutablePointer<uv_getaddrinfo_t>.allocate(capacity: 1)
        request.initialize(to: uv_getaddrinfo_t())
        let retained = Unmanaged.passRetained(self)
        request.pointee.data = retained.toOpaque()
        var hints = edgelive_tcp_hints()
        let result = uv_getaddrinfo(connection.loop.uvLoop, request, { request, status, info in
            guard let request else { return }
            defer {
                uv_freeaddrinfo(info)
                request.deallocate()
            }
            guard let data = request.pointee.data else { return }
            let attempt = Unmanaged<ConnectAttempt>.fromOpaque(data).takeRetainedValue()
            var address = sockaddr_storage()
            if status != 0 {
                attempt.fail(status)
            } else {
                let found = edgelive_addrinfo_first(info, Int32(attempt.port), &address)
                if found != 0 { attempt.fail(found) } else { attempt.connect(to: &address) }
            }
        }, host, nil, &hints)
        if result != 0 {
            retained.release()
            request.deallocate()
            fail(result)
        }
    }

    func connect(to address: inout sockaddr_storage) {
        if connection.isClosed { fail(UV_ECANCELED.rawValue); return }
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        request.initialize(to: uv_connect_t())
        let retained = Unmanaged.passRetained(self)
        request.pointee.data = retained.toOpaque()
        let result = edgelive_tcp_connect(request, connection.tcp, &address) { request, status in
            guard let request else { return }
            defer { request.deallocate() }
            guard let data = request.pointee.data else { return }
            let attempt = Unmanaged<ConnectAttempt>.fromOpaque(data).takeRetainedValue()
            if status != 0 {
                attempt.fail(status)
            } else {
                attempt.connection.captureAddresses()
                attempt.completion(.success(attempt.connection))
            }
        }
        if result != 0 {
            retained.release()
            request.deallocate()
            fail(result)
        }
    }
}
