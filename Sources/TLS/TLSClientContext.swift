import COpenSSL

/// A TLS client configuration that does not verify the server's certificate: for tests and diagnostics (a handshake
/// against the box's own listener, a client of an old protocol version to prove it is refused), never for trusting a
/// peer.
public final class TLSClientContext: @unchecked Sendable {
    let context: OpaquePointer

    /// A client offering `minimumVersion` through `maximumVersion`. Versions below 1.2 also lower OpenSSL's security
    /// level so the client really offers them (Debian's default configuration would otherwise stop it first).
    public init(minimumVersion: TLSProtocolVersion = .tls1_2, maximumVersion: TLSProtocolVersion = .tls1_3) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw .fromQueue("cannot create a TLS client context") }
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        if minimumVersion == .tls1_0 || minimumVersion == .tls1_1 {
            SSL_CTX_set_security_level(context, 0)
            _ = SSL_CTX_set_cipher_list(context, "DEFAULT@SECLEVEL=0")
        }
        guard edgelive_ssl_ctx_set_protocol_range(context, minimumVersion.openSSLValue, maximumVersion.openSSLValue) == 1 else {
            SSL_CTX_free(context)
            throw .fromQueue("cannot limit the TLS client to \(minimumVersion)–\(maximumVersion)")
        }
        self.context = context
    }

    deinit { SSL_CTX_free(context) }

    /// A new client-side engine; ``TLSEngine/startHandshake()`` queues its ClientHello.
    public func makeEngine() throws(TLSError) -> TLSEngine {
        try TLSEngine(context: context, role: .client)
    }
}
