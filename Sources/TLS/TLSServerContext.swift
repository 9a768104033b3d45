import COpenSSL
import Foundation

/// A server's TLS configuration: one certificate chain and its private key (PEM files), TLS 1.2 and 1.3 only, no
/// compression, no renegotiation. Each accepted connection gets its own ``TLSEngine`` from it.
///
/// Immutable once made, so it is `Sendable`: loading a new certificate makes a new context, and engines made from the
/// old one keep it alive (OpenSSL counts the references) until their connections end. That is how a reload reaches
/// new connections only.
public final class TLSServerContext: @unchecked Sendable {
    let context: OpaquePointer
    /// What the loaded certificate says, for the log.
    public let certificate: TLSCertificateSummary

    /// Loads `certificateFile` (the server certificate first, then any intermediates) and `keyFile` (unencrypted),
    /// refusing a pair that does not match and a certificate that is expired or not yet valid at `now`.
    public init(certificateFile: String, keyFile: String, now: Date = Date()) throws(TLSError) {
        for (what, path) in [("certificate", certificateFile), ("private key", keyFile)] where !FileManager.default.isReadableFile(atPath: path) {
            throw TLSError("cannot read the TLS \(what) \(path): the file is missing or not readable by this user; "
                           + "point the configuration at a readable PEM file")
        }
        OpenSSLErrorQueue.clear()
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw .fromQueue("cannot create a TLS server context") }
        do throws(TLSError) {
            guard edgelive_ssl_ctx_set_protocol_range(context, TLSProtocolVersion.tls1_2.openSSLValue, 0) == 1 else {
                throw TLSError.fromQueue("cannot restrict TLS to versions 1.2 and later")
            }
            edgelive_ssl_ctx_harden(context)
            guard SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1 else {
                throw TLSError.fromQueue("cannot use the TLS certificate \(certificateFile) (a PEM certificate chain is expected)")
            }
            guard SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1 else {
                // OpenSSL compares the key with the certificate already here.
                let reasons = OpenSSLErrorQueue.drain()
                if reasons.contains("key values mismatch") {
                    throw TLSError("the TLS private key \(keyFile) does not belong to the certificate \(certificateFile); install the key it was issued for")
                }
                throw TLSError("cannot use the TLS private key \(keyFile) (an unencrypted PEM key is expected)"
                               + (reasons.isEmpty ? "" : ": \(reasons.joined(separator: "; "))"))
            }
            guard SSL_CTX_check_private_key(context) == 1 else {
                throw TLSError.fromQueue("the TLS private key \(keyFile) does not belong to the certificate \(certificateFile); install the key it was issued for")
            }
            guard let leaf = SSL_CTX_get0_certificate(context) else {
                throw TLSError.fromQueue("the TLS certificate \(certificateFile) holds no certificate")
            }
            let summary = TLSCertificateSummary(leaf)
            let moment = Int64(now.timeIntervalSince1970)
            // X509_cmp_time: -1 when the time is at or before `moment`, 1 after it, 0 when it cannot be read.
            guard let notAfter = X509_get0_notAfter(leaf), let notBefore = X509_get0_notBefore(leaf) else {
                throw TLSError("the TLS certificate \(certificateFile) has no validity period")
            }
            switch (edgelive_asn1_time_compare(notBefore, moment), edgelive_asn1_time_compare(notAfter, moment)) {
            case (0, _), (_, 0):
                throw TLSError("the TLS certificate \(certificateFile) has an unreadable validity period")
            case (1, _):
                throw TLSError("the TLS certificate \(certificateFile) (\(summary.subject)) is not valid before \(summary.notBefore); "
                               + "check the clock or install a certificate valid now")
            case (_, -1):
                throw TLSError("the TLS certificate \(certificateFile) (\(summary.subject)) expired on \(summary.notAfter); install a renewed one")
            default:
                break
            }
            self.context = context
            self.certificate = summary
        } catch {
            SSL_CTX_free(context)
            OpenSSLErrorQueue.clear()
            throw error
        }
    }

    deinit { SSL_CTX_free(context) }

    /// A new server-side engine for one accepted connection.
    public func makeEngine() throws(TLSError) -> TLSEngine {
        try TLSEngine(context: context, role: .server)
    }
}

/// A certificate's subject and validity, as text for logs and messages.
public struct TLSCertificateSummary: Sendable, Hashable, CustomStringConvertible {
    /// The subject in OpenSSL's one-line form, e.g. `/CN=ingest.example.net`.
    public let subject: String
    public let notBefore: String
    public let notAfter: String

    init(_ certificate: OpaquePointer) {
        var buffer = [CChar](repeating: 0, count: 512)
        if let name = X509_get_subject_name(certificate), X509_NAME_oneline(name, &buffer, Int32(buffer.count)) != nil {
            subject = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        } else {
            subject = "(no subject)"
        }
        notBefore = Self.text(X509_get0_notBefore(certificate))
        notAfter = Self.text(X509_get0_notAfter(certificate))
    }

    public var description: String { "\(subject), valid \(notBefore) to \(notAfter)" }

    private static func text(_ time: UnsafePointer<ASN1_TIME>?) -> String {
        guard let time, let bio = BIO_new(BIO_s_mem()) else { return "?" }
        defer { BIO_free(bio) }
        guard ASN1_TIME_print(bio, time) == 1 else { return "?" }
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = BIO_read(bio, &bytes, Int32(bytes.count))
        return count > 0 ? String(decoding: bytes.prefix(Int(count)), as: UTF8.self) : "?"
    }
}
