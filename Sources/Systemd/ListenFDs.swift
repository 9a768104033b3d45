// Socket activation: the listening sockets systemd opened for us (edgelive.socket).
import CSystemd
#if canImport(Glibc)
import Glibc
#endif

/// The sockets inherited from systemd socket activation, grouped by `FileDescriptorName=`.
public enum ListenFDs {
    /// Takes the inherited listening sockets ("http", "rtmp", "api" → descriptors), unsetting
    /// `LISTEN_FDS`/`LISTEN_PID`/`LISTEN_FDNAMES` so child processes do not claim them; empty when the
    /// process was not socket-activated. Call once, early; the caller owns (and must use or close)
    /// every descriptor returned. Sockets without a name are listed under "unknown", as systemd does.
    public static func take() -> [String: [Int32]] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        defer { edgelive_free_strv(names) }
        // A negative count means LISTEN_FDS was malformed; nothing was inherited that we could trust.
        guard count > 0 else { return [:] }
        var labels: [String] = []
        labels.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            labels.append(names?[index].map { String(cString: $0) } ?? "unknown")
        }
        return group(names: labels, firstDescriptor: edgelive_listen_fds_start())
    }

    /// Assigns inherited sockets to roles: a socket named after a role ("http", "rtmp", "api") takes it; any
    /// other socket (one `edgelive.socket` unit with several `ListenStream=` names them all alike) takes the
    /// role whose configured port it is bound to. Returns the role map and the sockets that matched nothing.
    public static func assign(_ inherited: [String: [Int32]], ports: [String: Int]) -> (roles: [String: Int32], unused: [Int32]) {
        var roles: [String: Int32] = [:]
        var unused: [Int32] = []
        for (name, descriptors) in inherited.sorted(by: { $0.key < $1.key }) {
            for descriptor in descriptors {
                let role = ports[name] != nil ? name : ports.first { $0.value == localPort(of: descriptor) }?.key
                if let role, roles[role] == nil { roles[role] = descriptor } else { unused.append(descriptor) }
            }
        }
        return (roles, unused)
    }

    /// The TCP port a socket is bound to, or nil.
    public static func localPort(of descriptor: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        default:
            return nil
        }
    }

    /// Pairs the i-th name with descriptor `firstDescriptor + i`, keeping descriptor order per name.
    static func group(names: [String], firstDescriptor: Int32) -> [String: [Int32]] {
        var result: [String: [Int32]] = [:]
        for (offset, name) in names.enumerated() {
            result[name.isEmpty ? "unknown" : name, default: []].append(firstDescriptor + Int32(offset))
        }
        return result
    }
}
