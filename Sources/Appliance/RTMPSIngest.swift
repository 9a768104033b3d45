import EventLoop
import Foundation
import Ingest
import Logging
import TLS

/// RTMPS ingest's set-up: whether it is configured, its certificate, its listener and the SIGHUP reload.
enum RTMPSIngest {
    /// The certificate RTMPS starts with, or nil when `tls-certificate` and `tls-key` are not set (said in the log, with
    /// how to turn it on). A certificate that is set but cannot be used stops the start, as a taken port does: the
    /// operator asked for RTMPS and must hear at once that it cannot run.
    static func initialContext(_ configuration: ApplianceConfiguration, logger: Logger) throws(ApplianceError) -> TLSServerContext? {
        switch (configuration.tlsCertificate, configuration.tlsKey) {
        case (nil, nil):
            logger.notice("""
                RTMPS ingest is off: no certificate configured; set tls-certificate and tls-key in [server] \
                (or --tls-certificate and --tls-key) to accept rtmps:// on port \(configuration.rtmpsPort)
                """)
            return nil
        case (.some, nil), (nil, .some):
            throw ApplianceError("RTMPS needs both a certificate and its key: set tls-certificate and tls-key together "
                                 + "(or --tls-certificate and --tls-key), or neither to leave RTMPS off")
        case let (certificate?, key?):
            do {
                return try TLSServerContext(certificateFile: certificate, keyFile: key)
            } catch {
                throw ApplianceError("cannot start RTMPS ingest: \(error); fix tls-certificate/tls-key, or remove both to run without RTMPS")
            }
        }
    }
}

extension ListenerService {
    /// The RTMPS listener on the RTMP server's sessions; its stop ends the RTMPS sessions (RTMP's stop, after it, ends
    /// the rest).
    static func rtmps(_ server: RTMPIngestServer, context: TLSServerContext, host: String, port: Int, inherited: Int32?) -> ListenerService {
        ListenerService(name: "rtmps", role: "RTMPS ingest", flag: "--rtmps-port", host: host, port: port, listen: {
            if let inherited {
                _ = try await server.startTLS(inheritedDescriptor: inherited, context: context)
            } else {
                _ = try await server.startTLS(host: host, port: port, context: context)
            }
        }, close: { await server.stopTLS() })
    }
}

/// SIGHUP: the RTMPS certificate and key are read again from their configured paths (a renewal replaces the files).
/// New connections get the new certificate, open sessions keep theirs; a pair that cannot be used (unreadable,
/// mismatched, expired, not yet valid) is logged and the one in use stays. Without RTMPS, SIGHUP only says so.
/// Files are read off the loop, on a task, and only the finished context is handed to the server.
final class CertificateReloadService: ApplianceService, @unchecked Sendable {
    let loop: EventLoop
    let server: RTMPIngestServer
    let certificate: String?
    let key: String?
    let logger: Logger
    var name: String { "certificate-reload" }
    // Set in start and cleared in stop, both on the loop (the runner calls them one after the other).
    private var watcher: SignalWatcher?

    init(loop: EventLoop, server: RTMPIngestServer, certificate: String?, key: String?, logger: Logger) {
        self.loop = loop
        self.server = server
        self.certificate = certificate
        self.key = key
        var logger = logger
        logger[metadataKey: "component"] = "rtmps"
        self.logger = logger
    }

    func start() async throws(ApplianceError) {
        do {
            watcher = try await loop.submit { [self] in
                try SignalWatcher(loop: loop, signal: SIGHUP) { [self] _ in reload() }
            }
        } catch {
            throw ApplianceError("cannot watch SIGHUP for certificate reloads: \(error)")
        }
    }

    func stop() async {
        guard let watcher else { return }
        try? await loop.submit { watcher.close() }
        self.watcher = nil
    }

    /// Runs on the loop when SIGHUP arrives.
    private func reload() {
        guard let certificate, let key else {
            logger.notice("SIGHUP: nothing to reload (RTMPS is off: no tls-certificate and tls-key configured)")
            return
        }
        logger.info("SIGHUP: reloading the RTMPS certificate", metadata: ["certificate": "\(certificate)", "key": "\(key)"])
        let server = self.server, logger = self.logger
        Task.detached {
            let context: TLSServerContext
            do {
                context = try TLSServerContext(certificateFile: certificate, keyFile: key)
            } catch {
                let kept = await server.tlsCertificate.map { "\($0)" } ?? "none"
                logger.error("RTMPS certificate reload refused; the certificate in use is kept", metadata: [
                    "reason": "\(error)", "kept": "\(kept)"])
                return
            }
            await server.replaceTLSContext(context)
        }
    }
}
