import EventLoop
import TLS

/// The byte stream under one RTMP session: the TCP connection itself (RTMP), or TLS over it (RTMPS), decrypted
/// and encrypted here so the session above sees the same plaintext either way. Loop-confined, like its connection.
final class RTMPIngestTransport {
    /// How reading ended.
    enum End {
        /// End of stream (nil) or the socket error that ended it.
        case stream(UVError?)
        /// TLS refused the peer or its records; `duringHandshake` tells an encoder that never got in (an old
        /// protocol version, a plain-RTMP client on the RTMPS port) from a broken session.
        case tls(TLSError, duringHandshake: Bool)
        /// The peer closed TLS properly (close_notify).
        case tlsClosed
    }

    let tcp: TCPConnection
    private let tls: TLSEngine?
    private var ended = false

    init(tcp: TCPConnection, tls: TLSEngine?) {
        self.tcp = tcp
        self.tls = tls
    }

    /// Whether TLS runs over the socket (RTMPS).
    var isSecure: Bool { tls != nil }

    /// `rtmps` or `rtmp`, for logs.
    var scheme: String { isSecure ? "rtmps" : "rtmp" }

    /// Reads: `onPlaintext` gets the session's bytes (valid during the call), `onHandshake` the negotiated TLS
    /// version and cipher once (RTMPS only), `onEnd` runs once.
    func start(onPlaintext: @escaping (UnsafeRawBufferPointer) -> Void,
               onHandshake: @escaping (_ version: String, _ cipher: String) -> Void,
               onEnd: @escaping (End) -> Void) {
        guard let tls else {
            tcp.startReading(onRead: onPlaintext, onEnd: { onEnd(.stream($0)) })
            return
        }
        tcp.startReading(onRead: { [self] ciphertext in
            guard !ended else { return }
            let wasHandshaking = tls.state == .handshaking
            do throws(TLSError) {
                try tls.receive(ciphertext) { plaintext in
                    if wasHandshaking, !reportedHandshake { reportHandshake(onHandshake) }
                    onPlaintext(plaintext)
                }
                if tls.state == .established, !reportedHandshake { reportHandshake(onHandshake) }
                flush()
                if tls.state == .closed { end(.tlsClosed, onEnd) }
            } catch {
                // The alert (protocol version, unexpected message) goes out before the close.
                flush()
                end(.tls(error, duringHandshake: wasHandshaking), onEnd)
            }
        }, onEnd: { [self] error in end(.stream(error), onEnd) })
    }

    private var reportedHandshake = false

    private func reportHandshake(_ onHandshake: (String, String) -> Void) {
        reportedHandshake = true
        onHandshake(tls?.negotiatedVersion ?? "?", tls?.cipher ?? "?")
    }

    private func end(_ how: End, _ onEnd: (End) -> Void) {
        guard !ended else { return }
        ended = true
        tcp.stopReading()
        onEnd(how)
    }

    /// Writes the session's bytes (encrypted first over TLS).
    func write(_ bytes: [UInt8]) {
        guard let tls else { tcp.write(bytes); return }
        do {
            try tls.send(bytes)
        } catch {
            // A failed encryption leaves the engine failed; reading ends the session at the next input, and
            // nothing more is written.
        }
        flush()
    }

    /// Flushes what is queued (a refusal's `_error`, TLS close_notify), then closes the socket.
    func close() {
        tls?.close()
        flush()
        let tcp = self.tcp
        tcp.shutdown { _ in tcp.close() }
    }

    private func flush() {
        guard let tls, tls.hasOutput else { return }
        tcp.write(tls.takeOutput())
    }
}
