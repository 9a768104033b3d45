import ControlPlane
import EventLoop
import Foundation
import HTTP
import Ingest
import Logging
import Systemd

/// One part of `edgelive serve` that ``ServiceRunner`` starts in order and stops in reverse.
protocol ApplianceService: Sendable {
    /// For the log: what starts and stops.
    var name: String { get }
    /// Starts the service; throws an error that names the problem and what the operator can change.
    func start() async throws(ApplianceError)
    /// Stops the service; when it returns, the service holds no event-loop handle.
    func stop() async
}

/// The one place that keeps the daemon's start order: services start in the order given, and stop in reverse,
/// each once, whether the daemon is shutting down or one of them failed to start.
actor ServiceRunner {
    private var started: [any ApplianceService] = []
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Starts `service`; when it fails, every service started before it is stopped (in reverse) and the error
    /// is passed on.
    func start(_ service: any ApplianceService) async throws(ApplianceError) {
        do {
            try await service.start()
        } catch {
            await stopAll()
            throw error
        }
        started.append(service)
    }

    /// Stops every started service, last started first.
    func stopAll() async {
        while let service = started.popLast() {
            logger.debug("stopping", metadata: ["service": "\(service.name)"])
            await service.stop()
        }
    }
}

// MARK: - The daemon's services

/// The resources and their runtime (channels, live outputs): loaded before anything listens, so no encoder or
/// request meets a half-loaded box; the last to stop, so archives flush after ingest has ended.
struct StateService: ApplianceService {
    let services: MediaServices
    let legacy: LegacyDefaultEvent?
    let databasePath: String
    var name: String { "state" }

    func start() async throws(ApplianceError) {
        do {
            try await services.open(importing: legacy)
        } catch {
            throw ApplianceError("cannot load the state database \(databasePath): \(error); restore it from a backup or move it away to start empty")
        }
    }

    func stop() async { await services.shutdown() }
}

/// A listening socket and what serves it: the origin's HTTP port (with fMP4 ingest in front), RTMP ingest, the control
/// API. A port that cannot be bound is reported with the address, the reason and the flag that changes it.
struct ListenerService: ApplianceService {
    let name: String
    /// What listens, for the message: "the origin (HTTP)", "RTMP ingest", "the control API".
    let role: String
    /// The flag that moves it: `--http-port`, `--rtmp-port`, `--api-port`.
    let flag: String
    let host: String
    let port: Int
    let listen: @Sendable () async throws -> Void
    let close: @Sendable () async -> Void

    func start() async throws(ApplianceError) {
        do {
            try await listen()
        } catch {
            throw ApplianceError("cannot listen on \(host):\(port) for \(role): \(error); stop the other process or choose another port with \(flag)")
        }
    }

    func stop() async { await close() }

    /// The origin's port, which also takes fragmented MP4 ingest (Smooth, DASH-IF CMAF): on stop the ingest POSTs end
    /// first (their channels close the sessions), then the server drains its responses.
    static func origin(_ server: HTTPServer, fragmentedMP4Ingest: FragmentedMP4IngestServer, host: String, port: Int,
                       inherited: Int32?) -> ListenerService {
        ListenerService(name: "origin", role: "the origin (HTTP)", flag: "--http-port", host: host, port: port,
                        listen: { _ = try await Appliance.start(server, inherited: inherited) },
                        close: { await fragmentedMP4Ingest.stop(); await server.stop() })
    }

    /// The RTMP listener; its stop ends every RTMP session.
    static func rtmp(_ server: RTMPIngestServer, host: String, port: Int, inherited: Int32?) -> ListenerService {
        ListenerService(name: "rtmp", role: "RTMP ingest", flag: "--rtmp-port", host: host, port: port, listen: {
            if let inherited { _ = try await server.start(inheritedDescriptor: inherited) } else { _ = try await server.start(host: host, port: port) }
        }, close: { await server.stop() })
    }

    /// The control API's listener.
    static func api(_ server: HTTPServer, host: String, port: Int, inherited: Int32?) -> ListenerService {
        ListenerService(name: "api", role: "the control API", flag: "--api-port", host: host, port: port,
                        listen: { _ = try await Appliance.start(server, inherited: inherited) }, close: { await server.stop() })
    }
}

/// systemd's side, started last: `READY=1` (every listener bound, the state loaded), the watchdog pings from the
/// loop and `STATUS=` every 5 s; on stop, first of all, `STOPPING=1`.
final class SystemdService: ApplianceService, @unchecked Sendable {
    let notifier: SystemdNotifier
    let loop: EventLoop
    let services: MediaServices
    let origin: HTTPServer
    let logger: Logger
    var name: String { "systemd" }
    // Set in start and read in stop, both called by the runner one after the other.
    private var watchdog: LoopWatchdog?
    private var statusTimer: LoopTimer?

    init(notifier: SystemdNotifier, loop: EventLoop, services: MediaServices, origin: HTTPServer, logger: Logger) {
        self.notifier = notifier
        self.loop = loop
        self.services = services
        self.origin = origin
        self.logger = logger
    }

    func start() async throws(ApplianceError) {
        let summary = await services.summary()
        notifier.ready(status: SystemdNotifier.statusText(runningEvents: summary.running, viewers: 0))
        do { watchdog = try await LoopWatchdog.start(on: loop, notifier: notifier) } catch {
            logger.error("cannot start the watchdog pings; systemd will restart the service", metadata: ["error": "\(error)"])
        }
        statusTimer = try? await Appliance.startStatusUpdates(loop: loop, notifier: notifier, services: services, origin: origin)
    }

    func stop() async {
        notifier.stopping(status: "stopping: finishing in-flight fragments")
        if let statusTimer { try? await loop.submit { statusTimer.close() } }
        if let watchdog { try? await loop.submit { watchdog.stop() } }
        statusTimer = nil
        watchdog = nil
    }
}
