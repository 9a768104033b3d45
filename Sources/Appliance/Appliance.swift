import EventLoop
import Foundation
import HTTP
import Ingest
import Live
import Logging
import Origin

/// Start-up order, wiring and shutdown of `edgelive serve`.
public enum Appliance {
    /// Runs the appliance until SIGINT or SIGTERM. Throws ``ApplianceError`` for problems the operator
    /// can fix (port taken, data directory unusable).
    public static func serve(_ configuration: ApplianceConfiguration) async throws {
        // A peer that disconnects while we write must cost that connection only: libuv writes to
        // sockets and pipes with write(2), which raises SIGPIPE on a closed peer; EPIPE is handled.
        signal(SIGPIPE, SIG_IGN)
        bootstrapLogging()
        var logger = Logger(label: "edgelive")
        logger[metadataKey: "component"] = "appliance"

        try prepareDataDirectory(configuration.dataDirectory)
        let event = try DefaultEvent.loadOrCreate(in: configuration.dataDirectory)
        let publicHost = configuration.publicHost ?? primaryIPv4Address() ?? "127.0.0.1"

        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw ApplianceError("cannot start the event loop: \(error)") }

        let channel = LiveChannel(name: event.name, executor: loop.unownedExecutor,
                                  configuration: configuration.channelConfiguration, logger: logger)
        let registry = ChannelRegistry(loop: loop)
        await registry.register(channel: channel, accessToken: event.accessToken, previewLocator: event.previewLocator)

        let origin = HTTPServer(loop: loop, responder: OriginResponder(resolver: registry, logger: logger),
                                configuration: .init(host: configuration.listenHost, port: configuration.httpPort))
        let rtmp = RTMPIngestServer(loop: loop, resolver: registry, logger: logger)
        let httpPort: Int, rtmpPort: Int
        do {
            httpPort = try await origin.start()
        } catch {
            try? loop.shutdown()
            throw ApplianceError("cannot listen on \(configuration.listenHost):\(configuration.httpPort) for the origin (HTTP): \(error); stop the other process or choose another port with --http-port")
        }
        do {
            rtmpPort = try await rtmp.start(host: configuration.listenHost, port: configuration.rtmpPort)
        } catch {
            await origin.stop()
            try? loop.shutdown()
            throw ApplianceError("cannot listen on \(configuration.listenHost):\(configuration.rtmpPort) for RTMP ingest: \(error); stop the other process or choose another port with --rtmp-port")
        }

        let base = "http://\(publicHost):\(httpPort)/\(event.previewLocator)/preview.ism"
        // The URLs, one per line, on stdout (logs go to stderr): scripts and the tests read these.
        let urls = """
            ingest rtmp://\(publicHost):\(rtmpPort)/live/\(event.accessToken)/\(event.streamName)
            hls    \(base)/manifest(format=m3u8-cmaf)
            dash   \(base)/manifest(format=mpd-time-cmaf)

            """
        FileHandle.standardOutput.write(Data(urls.utf8))
        logger.info("ready", metadata: ["http_port": "\(httpPort)", "rtmp_port": "\(rtmpPort)", "data_dir": "\(configuration.dataDirectory)"])

        let signal = await waitForTermination(loop: loop)
        logger.info("shutting down", metadata: ["signal": "\(signal)"])
        await rtmp.stop()
        await origin.stop()
        do {
            try loop.shutdown()
        } catch {
            logger.error("event loop did not close cleanly: \(error)")
        }
    }

    static func bootstrapLogging() {
        let level = ProcessInfo.processInfo.environment["EDGELIVE_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Suspends until SIGINT or SIGTERM arrives (watched on the event loop); returns the signal number.
func waitForTermination(loop: EventLoop) async -> Int32 {
    await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
        loop.execute {
            nonisolated(unsafe) var watchers: [SignalWatcher] = []
            nonisolated(unsafe) var resumed = false
            do {
                watchers = try SignalWatcher.watch(loop: loop, signals: [SIGINT, SIGTERM]) { signal in
                    guard !resumed else { return }
                    resumed = true
                    for watcher in watchers { watcher.close() }
                    continuation.resume(returning: signal)
                }
            } catch {
                continuation.resume(returning: 0)
            }
        }
    }
}
