import COpenSSL

/// A TLS protocol version, for the range a context negotiates.
public enum TLSProtocolVersion: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case tls1_0, tls1_1, tls1_2, tls1_3

    var openSSLValue: Int32 {
        switch self {
        case .tls1_0: edgelive_tls1_version()
        case .tls1_1: edgelive_tls1_1_version()
        case .tls1_2: edgelive_tls1_2_version()
        case .tls1_3: edgelive_tls1_3_version()
        }
    }

    /// The name OpenSSL reports (`SSL_get_version`).
    public var description: String {
        switch self {
        case .tls1_0: "TLSv1"
        case .tls1_1: "TLSv1.1"
        case .tls1_2: "TLSv1.2"
        case .tls1_3: "TLSv1.3"
        }
    }
}
