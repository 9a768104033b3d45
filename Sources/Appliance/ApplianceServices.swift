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

/// The origin's HTTP port, which also takes fragmented MP4 ingest (Smooth, DASH-IF CMAF): on stop, the ingest
/// POSTs end first (their channels close the sessions), then the server drains its responses.
struct OriginService: ApplianceService {
    let server: HTTPServer
    let fragmentedMP4Ingest: FragmentedMP4IngestServer
    let host: String
    let port: Int
    let inherited: Int32?
    var name: String { "origin" }

    func start() async throws(ApplianceError) {
        do {
            _ = try await Appliance.start(server, inherited: inherited)
        } catch {
            throw ApplianceError("cannot listen on \(host):\(port) for the origin (HTTP): \(error); stop the other process or choose another port with --http-port")
        }
    }

    func stop() async {
        await fragmentedMP4Ingest.stop()
        await server.stop()
    }
}

/// The RTMP ingest listener and its sessions.
struct RTMPService: ApplianceService {
    let server: RTMPIngestServer
    let host: String
    let port: Int
    let inherited: Int32?
    var name: String { "rtmp" }

    func start() async throws(ApplianceError) {
        do {
            if let inherited {
                _ = try await server.start(inheritedDescriptor: inherited)
            } else {
                _ = try await server.start(host: host, port: port)
            }
        } catch {
            throw ApplianceError("cannot listen on \(host):\(port) for RTMP ingest: \(error); stop the other process or choose another port with --rtmp-port")
        }
    }

    func stop() async { await server.stop() }
}

/// The control API's listener.
struct ControlAPIService: ApplianceService {
    let server: HTTPServer
    let host: String
    let port: Int
    let inherited: Int32?
    var name: String { "api" }

    func start() async throws(ApplianceError) {
        do {
            _ = try await Appliance.start(server, inherited: inherited)
        } catch {
            throw ApplianceError("cannot listen on \(host):\(port) for the control API: \(error); stop the other process or choose another port with --api-port")
        }
    }

    func stop() async { await server.stop() }
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
