import ControlPlane
import EventLoop
import Foundation
import HTTP
import Ingest
import Live
import Logging
import MediaDirectory
import Origin
import Systemd

/// Start-up order, wiring and shutdown of `edgelive serve`.
public enum Appliance {
    /// Runs the appliance until SIGINT or SIGTERM. Throws ``ApplianceError`` for problems the operator
    /// can fix (port taken, data directory unusable, state database unreadable).
    public static func serve(_ configuration: ApplianceConfiguration) async throws {
        // A peer that disconnects while we write must cost that connection only: libuv writes to
        // sockets and pipes with write(2), which raises SIGPIPE on a closed peer; EPIPE is handled.
        signal(SIGPIPE, SIG_IGN)
        bootstrapLogging()
        // Sockets systemd opened for us (edgelive.socket): taken before anything else can inherit them.
        let notifier = SystemdNotifier.fromEnvironment()
        var logger = Logger(label: "edgelive")
        logger[metadataKey: "component"] = "appliance"
        // RTMPS listens only with a certificate; one that is configured but unusable stops the start here.
        let rtmpsContext = try RTMPSIngest.initialContext(configuration, logger: logger)
        var listenerPorts = ["http": configuration.httpPort, "rtmp": configuration.rtmpPort, "api": configuration.apiPort]
        if rtmpsContext != nil { listenerPorts["rtmps"] = configuration.rtmpsPort }
        let (inherited, unusedSockets) = ListenFDs.assign(ListenFDs.take(), ports: listenerPorts)

        // State first: nothing listens until the resources are loaded.
        try prepareDataDirectory(configuration.dataDirectory)
        let token: APIToken
        let store: ControlStore
        let databasePath = (configuration.dataDirectory as NSString).appendingPathComponent("edgelive.sqlite")
        let provisioned: Bool
        do {
            token = try APIToken.load(configured: configuration.apiToken, dataDirectory: configuration.dataDirectory)
            store = try ControlStore(path: databasePath)
            provisioned = try await store.isProvisioned()
        } catch {
            throw ApplianceError("\(error)")
        }
        // A new box gets a pass-through `default` event with the tokens of default-event.json (made on the first
        // try, so a start that failed before the box was provisioned comes back with the same URLs); once the
        // database holds the mark that provisioning completed, it alone decides.
        let legacy = provisioned ? nil : try DefaultEvent.loadOrCreate(in: configuration.dataDirectory)
        let publicHost = configuration.publicHost ?? primaryIPv4Address() ?? "127.0.0.1"

        // Hardware profiles are validated before anything starts; the GPU probe runs in a child process.
        let liveEncoding = try LiveEncodingSetup.make(configuration, logger: logger)

        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw ApplianceError("cannot start the event loop: \(error)") }

        var controlConfiguration = ControlPlaneConfiguration(
            dataDirectory: configuration.dataDirectory, publicHost: publicHost, rtmpPort: configuration.rtmpPort,
            httpPort: configuration.httpPort, streamingHostName: configuration.streamingHost,
            channelConfiguration: configuration.channelConfiguration)
        controlConfiguration.liveEncoding = liveEncoding
        let services = MediaServices(loop: loop, store: store, configuration: controlConfiguration, logger: logger)

        // The origin's port also takes fMP4 ingest (Smooth and DASH-IF CMAF): the URL the API renders for FragmentedMP4 events.
        // Ingest and the origin read the channel directory the control plane writes; they never ask MediaServices.
        let directory = services.directory
        let smoothIngest = FragmentedMP4IngestServer(loop: loop, resolver: directory, logger: logger)
        // Key delivery (`/keydelivery/…`, the URLs the origin writes into protected manifests) shares the origin's port.
        let keyDelivery = KeyDeliveryResponder(grants: directory, loop: loop, logger: logger)
        let origin = HTTPServer(loop: loop, responder: FragmentedMP4IngestResponder(server: smoothIngest, fallback: KeyDeliveryRouter(
                                    keyDelivery: keyDelivery, fallback: OriginResponder(resolver: directory, logger: logger))),
                                configuration: .init(host: configuration.listenHost, port: configuration.httpPort))
        let rtmp = RTMPIngestServer(loop: loop, resolver: directory, logger: logger)
        let api = HTTPServer(loop: loop, responder: ControlAPI(services: services, token: token, logger: logger),
                             configuration: .init(host: configuration.listenHost, port: configuration.apiPort))
        // Started in this order, stopped in reverse (ServiceRunner): the state is loaded before anything listens, so
        // no encoder or request meets a half-loaded box (with socket activation, early ones wait in the socket); ingest
        // ends before the archives flush; the API listens once the rest works; systemd hears READY=1 last.
        // A stopped or deleted event's encoders (RTMP and fMP4) are ended through the directory.
        directory.addSessionOwner(rtmp)
        directory.addSessionOwner(smoothIngest)
        let runner = ServiceRunner(logger: logger)
        var httpPort = configuration.httpPort, rtmpPort = configuration.rtmpPort
        do {
            try await runner.start(StateService(services: services, legacy: legacy.map {
                LegacyDefaultEvent(name: $0.name, accessToken: $0.accessToken, previewLocator: $0.previewLocator)
            }, databasePath: databasePath))
            try await runner.start(ListenerService.origin(origin, fragmentedMP4Ingest: smoothIngest, host: configuration.listenHost,
                                                          port: configuration.httpPort, inherited: inherited["http"]))
            try await runner.start(ListenerService.rtmp(rtmp, host: configuration.listenHost, port: configuration.rtmpPort,
                                                        inherited: inherited["rtmp"]))
            if let rtmpsContext {
                try await runner.start(ListenerService.rtmps(rtmp, context: rtmpsContext, host: configuration.listenHost,
                                                             port: configuration.rtmpsPort, inherited: inherited["rtmps"]))
            }
            try await runner.start(CertificateReloadService(loop: loop, server: rtmp, certificate: rtmpsContext.flatMap { _ in configuration.tlsCertificate },
                                                            key: rtmpsContext.flatMap { _ in configuration.tlsKey }, logger: logger))
            httpPort = await origin.port ?? httpPort
            rtmpPort = await rtmp.port ?? rtmpPort
            await services.setListeningPorts(http: httpPort, rtmp: rtmpPort)
            await services.setRTMPSPort(await rtmp.tlsPort)
            try await runner.start(ListenerService.api(api, host: configuration.listenHost, port: configuration.apiPort,
                                                       inherited: inherited["api"]))
        } catch {
            try? loop.shutdown()
            throw error
        }
        for descriptor in unusedSockets {
            logger.warning("ignoring a socket systemd passed: its name and port match no listener", metadata: [
                "port": "\(ListenFDs.localPort(of: descriptor).map(String.init) ?? "?")"])
            close(descriptor)
        }

        // SIGINT/SIGTERM are watched before anyone learns the URLs: a client that stops the daemon as soon as it has
        // read them must get the graceful stop, not the signal's default action.
        let termination = await TerminationSignal.watch(loop: loop)
        // The URLs, one per line, on stdout (logs go to stderr): scripts and the tests read these.
        let apiPort = await api.port ?? configuration.apiPort
        var lines = "api    http://\(publicHost):\(apiPort)\n"
        if let urls = await services.urls(ofEvent: "default") {
            let base = urls.preview.replacingOccurrences(of: "/manifest", with: "")
            lines += """
                ingest \(urls.ingest)/stream
                hls    \(base)/manifest(format=m3u8-cmaf)
                dash   \(base)/manifest(format=mpd-time-cmaf)

                """
        }
        // RTMPS, when it listens: the same event path on the TLS port.
        if let urls = await services.urls(ofEvent: "default"), let rtmpsPort = await rtmp.tlsPort,
           let path = urls.ingest.range(of: "/live/") {
            lines += "rtmps  rtmps://\(publicHost):\(rtmpsPort)\(urls.ingest[path.lowerBound...])/stream\n"
        }
        FileHandle.standardOutput.write(Data(lines.utf8))
        // Every listener is bound and the state is loaded: only now is the service ready.
        await services.setReady(true)
        if let notifier {
            try? await runner.start(SystemdService(notifier: notifier, loop: loop, services: services, origin: origin, logger: logger))
        }
        let rtmpsPort = await rtmp.tlsPort.map(String.init) ?? "off"
        logger.info("ready", metadata: ["http_port": "\(httpPort)", "rtmp_port": "\(rtmpPort)", "rtmps_port": "\(rtmpsPort)", "api_port": "\(apiPort)",
                                        "data_dir": "\(configuration.dataDirectory)",
                                        "api_token": "\(token.file ?? "from configuration")"])

        let signal = await termination.wait()
        logger.info("shutting down", metadata: ["signal": "\(signal)"])
        await services.setReady(false)
        await runner.stopAll()
        do {
            try loop.shutdown()
        } catch {
            logger.error("event loop did not close cleanly: \(error)")
        }
    }

    /// journald (structured EDGELIVE_* fields) when stderr is the journal, plain stderr otherwise.
    static func bootstrapLogging() {
        let level = ProcessInfo.processInfo.environment["EDGELIVE_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        LoggingSystem.bootstrap { label in
            var handler = JournalLogHandler.standard(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Binds an HTTP server on the socket systemd passed, or on its configured port.
    static func start(_ server: HTTPServer, inherited descriptor: Int32?) async throws -> Int {
        if let descriptor { return try await server.start(inheritedDescriptor: descriptor) }
        return try await server.start()
    }

    /// `STATUS=` every 5 s: running live events and connected viewers, for `systemctl status`.
    static func startStatusUpdates(loop: EventLoop, notifier: SystemdNotifier, services: MediaServices,
                                   origin: HTTPServer) async throws -> LoopTimer {
        try await loop.submit {
            let timer = try LoopTimer(loop: loop)
            timer.start(after: .seconds(5), repeat: .seconds(5)) {
                Task {
                    let running = await services.summary().running
                    let viewers = await origin.connectionCount
                    notifier.status(SystemdNotifier.statusText(runningEvents: running, viewers: viewers))
                }
            }
            return timer
        }
    }
}

/// SIGINT and SIGTERM, watched on the event loop from the moment ``watch(loop:)`` returns; ``wait()`` returns the first
/// one, whether it arrived before or after the call. Loop-confined state; the watchers are closed at the first signal.
final class TerminationSignal: @unchecked Sendable {
    private let loop: EventLoop
    private var watchers: [SignalWatcher] = []
    private var received: Int32?
    private var waiter: CheckedContinuation<Int32, Never>?

    private init(loop: EventLoop) { self.loop = loop }

    /// Starts watching; returns once the watchers are installed. If they cannot be, ``wait()`` returns 0 at once.
    static func watch(loop: EventLoop) async -> TerminationSignal {
        let termination = TerminationSignal(loop: loop)
        await withCheckedContinuation { (installed: CheckedContinuation<Void, Never>) in
            loop.execute {
                do {
                    termination.watchers = try SignalWatcher.watch(loop: loop, signals: [SIGINT, SIGTERM]) { signal in
                        termination.deliver(signal)
                    }
                } catch {
                    termination.received = 0
                }
                installed.resume()
            }
        }
        return termination
    }

    /// Suspends until SIGINT or SIGTERM has arrived; returns the signal number.
    func wait() async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            loop.execute { [self] in
                if let received { continuation.resume(returning: received) } else { waiter = continuation }
            }
        }
    }

    private func deliver(_ signal: Int32) {
        guard received == nil else { return }
        received = signal
        for watcher in watchers { watcher.close() }
        watchers = []
        waiter?.resume(returning: signal)
        waiter = nil
    }
}
