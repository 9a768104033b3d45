import COpenSSL

/// One TLS connection without I/O: the bytes read from the socket go in (``receive(_:onPlaintext:)``), the
/// decrypted bytes come out to a closure, and whatever TLS has to send (handshake messages, records, alerts) waits
/// in ``takeOutput()`` for the caller to write. OpenSSL sees two memory BIOs, never a socket, so the engine fits
/// any stream the event loop reads, and tests drive two engines against each other in memory.
///
/// Not thread-safe: one connection's engine is used on one thread (the loop's).
public final class TLSEngine {
    enum Role { case server, client }

    /// Where the connection stands.
    public enum State: Sendable, Equatable {
        /// Handshake messages are being exchanged; application data waits.
        case handshaking
        /// Application data flows both ways.
        case established
        /// The peer sent close_notify, or ``close()`` was called.
        case closed
        /// A fatal error ended the connection (its alert, if any, is in ``takeOutput()``).
        case failed
    }

    public private(set) var state: State = .handshaking
    private let ssl: OpaquePointer
    /// OpenSSL writes here what goes to the network; ``takeOutput()`` drains it.
    private let networkOut: OpaquePointer
    /// What the network delivered, for OpenSSL to read.
    private let networkIn: OpaquePointer
    /// Application data sent before the handshake finished, written once it has.
    private var pendingPlaintext: [UInt8] = []
    /// Where SSL_read decrypts to; plaintext is handed out from here without a copy.
    private let scratch: UnsafeMutableRawBufferPointer
    private static let scratchSize = 16 * 1024

    init(context: OpaquePointer, role: Role) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        guard let ssl = SSL_new(context) else { throw .fromQueue("cannot create a TLS connection") }
        guard let networkIn = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw .fromQueue("cannot create a TLS input buffer")
        }
        guard let networkOut = BIO_new(BIO_s_mem()) else {
            BIO_free(networkIn)
            SSL_free(ssl)
            throw .fromQueue("cannot create a TLS output buffer")
        }
        // The SSL object owns both BIOs from here on and frees them with itself.
        SSL_set_bio(ssl, networkIn, networkOut)
        switch role {
        case .server: SSL_set_accept_state(ssl)
        case .client: SSL_set_connect_state(ssl)
        }
        self.ssl = ssl
        self.networkIn = networkIn
        self.networkOut = networkOut
        self.scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.scratchSize, alignment: 16)
    }

    deinit {
        SSL_free(ssl)
        scratch.deallocate()
    }

    // MARK: - Input

    /// Takes `bytes` read from the network: advances the handshake and hands each decrypted piece to `onPlaintext`
    /// (valid only during the call). Throws when TLS fails (a refused protocol version, bytes that are not TLS, a bad
    /// record); the alert for the peer, if any, is then in ``takeOutput()``. `onPlaintext` may call ``send(_:)``.
    public func receive(_ bytes: UnsafeRawBufferPointer, onPlaintext: (UnsafeRawBufferPointer) -> Void) throws(TLSError) {
        guard state == .handshaking || state == .established else { return }
        if let base = bytes.baseAddress, bytes.count > 0 {
            var offset = 0
            while offset < bytes.count {
                let chunk = Int32(clamping: bytes.count - offset)
                let written = BIO_write(networkIn, base + offset, chunk)
                guard written > 0 else { throw fail("cannot buffer \(bytes.count) bytes of TLS input") }
                offset += Int(written)
            }
        }
        if state == .handshaking {
            guard try advanceHandshake() else { return }
        }
        try readPlaintext(onPlaintext)
    }

    /// Queues the client's first handshake message (a client engine only; a server waits for it).
    public func startHandshake() throws(TLSError) {
        guard state == .handshaking else { return }
        _ = try advanceHandshake()
    }

    /// Runs the handshake as far as the input allows; true once it is complete.
    private func advanceHandshake() throws(TLSError) -> Bool {
        OpenSSLErrorQueue.clear()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            state = .established
            if !pendingPlaintext.isEmpty {
                let waiting = pendingPlaintext
                pendingPlaintext = []
                try Self.withBytes(of: waiting) { (buffer) throws(TLSError) in try write(buffer) }
            }
            return true
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return false
        default:
            throw fail("TLS handshake failed")
        }
    }

    private func readPlaintext(_ onPlaintext: (UnsafeRawBufferPointer) -> Void) throws(TLSError) {
        while state == .established {
            OpenSSLErrorQueue.clear()
            let count = SSL_read(ssl, scratch.baseAddress, Int32(scratch.count))
            if count > 0 {
                onPlaintext(UnsafeRawBufferPointer(rebasing: scratch[0 ..< Int(count)]))
                continue
            }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return
            case SSL_ERROR_ZERO_RETURN:
                // close_notify: answer it, and read no more.
                OpenSSLErrorQueue.clear()
                _ = SSL_shutdown(ssl)
                state = .closed
                return
            default:
                throw fail("TLS record could not be read")
            }
        }
    }

    // MARK: - Output

    /// Encrypts `bytes` into records waiting in ``takeOutput()``; before the handshake has finished they wait and go
    /// out right after it. Ignored once the connection is closed or failed.
    public func send(_ bytes: UnsafeRawBufferPointer) throws(TLSError) {
        switch state {
        case .handshaking: pendingPlaintext.append(contentsOf: bytes)
        case .established: try write(bytes)
        case .closed, .failed: return
        }
    }

    /// See ``send(_:)-(UnsafeRawBufferPointer)``.
    public func send(_ bytes: [UInt8]) throws(TLSError) {
        try Self.withBytes(of: bytes) { (buffer) throws(TLSError) in try send(buffer) }
    }

    /// `withUnsafeBytes` keeping the error's type (it rethrows as `any Error`).
    private static func withBytes(of bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(TLSError) -> Void) throws(TLSError) {
        let result: Result<Void, TLSError> = bytes.withUnsafeBytes { buffer in
            do throws(TLSError) { try body(buffer); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws(TLSError) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            OpenSSLErrorQueue.clear()
            // Memory BIOs never block, so SSL_write takes the whole piece or fails.
            let piece = Int32(clamping: min(bytes.count - offset, 1 << 20))
            let written = SSL_write(ssl, base + offset, piece)
            guard written > 0 else { throw fail("TLS record could not be written") }
            offset += Int(written)
        }
    }

    /// Sends close_notify (waiting in ``takeOutput()``); nothing is read or sent after it.
    public func close() {
        guard state == .established || state == .handshaking else { return }
        if state == .established {
            OpenSSLErrorQueue.clear()
            _ = SSL_shutdown(ssl)
            OpenSSLErrorQueue.clear()
        }
        state = .closed
    }

    /// Whether bytes are waiting to be written to the network.
    public var hasOutput: Bool { BIO_ctrl_pending(networkOut) > 0 }

    /// The bytes TLS wants written to the network, in order; empty when there are none.
    public func takeOutput() -> [UInt8] {
        let pending = Int(BIO_ctrl_pending(networkOut))
        guard pending > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: pending) { buffer, initialized in
            let count = BIO_read(networkOut, buffer.baseAddress, Int32(clamping: pending))
            initialized = max(0, Int(count))
        }
    }

    // MARK: - What was negotiated

    /// The protocol version in use ("TLSv1.3"), once the handshake has finished.
    public var negotiatedVersion: String? {
        guard state == .established, let name = SSL_get_version(ssl) else { return nil }
        return String(cString: name)
    }

    /// The cipher suite in use, once the handshake has finished.
    public var cipher: String? {
        guard state == .established, let cipher = SSL_get_current_cipher(ssl), let name = SSL_CIPHER_get_name(cipher) else { return nil }
        return String(cString: name)
    }

    /// The subject of the certificate the peer presented (a client sees the server's), or nil.
    public var peerCertificate: TLSCertificateSummary? {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        return TLSCertificateSummary(certificate)
    }

    private func fail(_ context: String) -> TLSError {
        state = .failed
        return .fromQueue(context)
    }
}
