// Socket activation: the listening sockets systemd opened for us (edgelive.socket).
import CSystemd

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

    /// Pairs the i-th name with descriptor `firstDescriptor + i`, keeping descriptor order per name.
    static func group(names: [String], firstDescriptor: Int32) -> [String: [Int32]] {
        var result: [String: [Int32]] = [:]
        for (offset, name) in names.enumerated() {
            result[name.isEmpty ? "unknown" : name, default: []].append(firstDescriptor + Int32(offset))
        }
        return result
    }
}
