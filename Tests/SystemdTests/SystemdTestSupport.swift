// Helpers shared by the Systemd tests: a loop that must close cleanly, a fake NOTIFY_SOCKET, raw sockets.
import EventLoop
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Tests that set process-wide environment (NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*) nest under this
/// serialized suite so they never see each other's variables.
@Suite(.serialized) struct SystemdEnvironmentTests {}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A bound AF_UNIX datagram socket standing in for systemd's notification socket.
final class NotifySocket {
    let directory: String
    let path: String
    private let descriptor: Int32

    init() throws {
        var template = Array("/tmp/edgelive-notify-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestSetupError("mkdtemp failed: errno \(errno)") }
        directory = String(cString: made)
        path = directory + "/notify.sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestSetupError("socket(AF_UNIX) failed: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw TestSetupError("path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw TestSetupError("bind(\(path)) failed: errno \(errno)") }
    }

    deinit {
        close(descriptor)
        unlink(path)
        rmdir(directory)
    }

    /// The next datagram, or nil when none arrives within `timeout`.
    func receive(timeout: Duration) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, milliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Drops every datagram already queued.
    func drain() {
        while receive(timeout: .zero) != nil {}
    }
}

/// Sets (or with nil unsets) an environment variable for the duration of `body`, restoring the old value.
func withEnvironment<T>(_ values: [String: String?], _ body: () async throws -> T) async throws -> T {
    var previous: [String: String?] = [:]
    for (name, value) in values {
        previous[name] = getenv(name).map { String(cString: $0) }
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }
    defer {
        for (name, value) in previous {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
    }
    return try await body()
}

/// A loopback TCP socket, bound to a free port and listening, created with plain syscalls as systemd would.
func makeListeningSocket() throws -> (descriptor: Int32, port: Int) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw TestSetupError("socket(AF_INET) failed: errno \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, length) == 0 && listen(descriptor, 16) == 0 && getsockname(descriptor, $0, &length) == 0
        }
    }
    guard ok else {
        close(descriptor)
        throw TestSetupError("cannot listen on 127.0.0.1: errno \(errno)")
    }
    return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
}

/// A free loopback port (bound and released at once; the small race is acceptable in tests).
func freePort() throws -> Int {
    let (descriptor, port) = try makeListeningSocket()
    close(descriptor)
    return port
}

/// Connects a blocking socket to 127.0.0.1:`port`, retrying until `deadline` while nothing listens yet.
func connectLoopback(port: Int, deadline: ContinuousClock.Instant) throws -> Int32 {
    while true {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestSetupError("socket failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if connected == 0 { return descriptor }
        close(descriptor)
        if ContinuousClock.now > deadline { throw TestSetupError("nothing listens on 127.0.0.1:\(port)") }
        usleep(50_000)
    }
}

/// Reads from a blocking socket until end of file or `timeout` without data.
func readAll(_ descriptor: Int32, timeout: Duration) -> String {
    var collected: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1024)
    let milliseconds = Int32(timeout.components.seconds * 1000)
    while true {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, milliseconds) == 1 else { break }
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { break }
        collected.append(contentsOf: buffer[0..<count])
    }
    return String(decoding: collected, as: UTF8.self)
}
