import COpenSSL

/// A TLS failure a peer or a file can cause: a certificate that cannot be used, a handshake refused (an old protocol
/// version, a client that does not speak TLS), a corrupt record. The description names what failed and why, with the
/// library's reason ("unsupported protocol", "wrong version number").
public struct TLSError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }

    /// `context`, followed by the reasons OpenSSL queued on this thread (which are taken off the queue).
    static func fromQueue(_ context: String) -> TLSError {
        let reasons = OpenSSLErrorQueue.drain()
        return TLSError(reasons.isEmpty ? context : "\(context): \(reasons.joined(separator: "; "))")
    }
}

/// OpenSSL's per-thread error queue, read into text.
enum OpenSSLErrorQueue {
    /// The queued reasons, oldest first; the queue is empty afterwards.
    static func drain() -> [String] {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if let reason = ERR_reason_error_string(code) {
                let text = String(cString: reason)
                if !reasons.contains(text) { reasons.append(text) }
            } else {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &buffer, buffer.count)
                reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        return reasons
    }

    /// Forgets whatever an earlier call left behind, so the next failure reports only its own reasons.
    static func clear() { ERR_clear_error() }
}
