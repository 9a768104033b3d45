#if canImport(Glibc)
import Glibc
#endif
import EncodeModel
import EventLoop
import Logging
import Media

/// How the daemon starts and watches an event's encode worker.
public struct EncodeWorkerLauncher: Sendable {
    /// The `edgelive` binary (the daemon's own executable).
    public var executable: String
    /// argv[1...]: `worker encode`.
    public var arguments: [String]
    /// A worker silent for longer than this (no heartbeat: a hung encoder or GPU) is killed and replaced.
    public var heartbeatTimeout: Duration
    /// First restart delay; doubles after each failure that came soon after a start, up to ``maximumBackoff``.
    public var initialBackoff: Duration
    public var maximumBackoff: Duration
    /// A worker that ran this long healthy resets the backoff.
    public var stableAfter: Duration
    /// Contribution bytes allowed to queue towards a worker that falls behind real time; past this, input is
    /// dropped until the next keyframe and counted.
    public var maximumBacklog: Int

    public init(executable: String, arguments: [String] = ["worker", "encode"], heartbeatTimeout: Duration = .seconds(5),
                initialBackoff: Duration = .milliseconds(500), maximumBackoff: Duration = .seconds(30),
                stableAfter: Duration = .seconds(60), maximumBacklog: Int = 32 << 20) {
        self.executable = executable
        self.arguments = arguments
        self.heartbeatTimeout = heartbeatTimeout
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.stableAfter = stableAfter
        self.maximumBacklog = maximumBacklog
    }
}

/// The libx264 encoder a GPU encode falls back to when it keeps failing (policy `auto`).
public struct SoftwareFallback: Sendable, Hashable {
    public var backend: EncoderBackend
    public var options: [String: String]
    /// What it is, e.g. "software profile software-x86-64, libx264 superfast for 2 cores".
    public var summary: String

    public init(backend: EncoderBackend, options: [String: String], summary: String) {
        self.backend = backend
        self.options = options
        self.summary = summary
    }
}

/// What the event's status says about its encoder.
public struct LiveEncoderStatus: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        case starting, running, restarting, stopped
    }
    public var state: State = .starting
    /// What encodes, as the worker reports it (`libx264 veryfast (software)`); the job's backend before that.
    public var backend: String
    /// Why this backend: the hardware profile's choice, including a software fallback.
    public var backendReason: String
    /// True when the box fell back to software although the policy would have used a GPU.
    public var isFallback: Bool
    public var workerPID: Int32 = 0
    public var restarts = 0
    public var lastFailure: String?
    public var framesIn = 0
    public var framesOut = 0
    /// Contribution frames the daemon dropped (worker down or behind) plus those the worker dropped.
    public var framesDropped = 0
    public var framesPerSecond: Double = 0
    /// The ladder as the worker announced it: video rungs highest first, then audio.
    public var outputs: [OutputTrackDescription] = []
}

/// The daemon's side of one live-encoding event: feeds the contribution to an `edgelive worker encode`
/// process and the ladder it returns into the channel's pipeline, one ingest stream per rung.
///
/// Loop-confined: the channel calls it from its isolation (the loop thread) and libuv calls it for the
/// worker's pipes, exit and timers. A worker that crashes, exits or stops sending heartbeats is replaced with
/// backoff; meanwhile the channel keeps serving its window, and the next ladder fragments follow a marked
/// discontinuity (the renditions' sessions end and start again, so the timeline only moves forward).
final class LiveEncoder: @unchecked Sendable {
    private let loop: EventLoop
    private var job: EncodeJob
    private let launcher: EncodeWorkerLauncher
    /// Where a failing GPU encode goes (policy `auto`); nil once used, or for software jobs.
    private var softwareFallback: SoftwareFallback?
    /// Workers in a row that died before running ``EncodeWorkerLauncher/stableAfter``.
    private var quickFailures = 0
    /// A GPU encode that fails this many times in a row falls back to software.
    static let failuresBeforeSoftware = 3
    private weak var channel: LiveChannel?
    private var logger: Logger
    private(set) var status: LiveEncoderStatus

    private var worker: ChildProcess?
    private var decoder = WorkerFrameDecoder()
    private var heartbeatTimer: LoopTimer?
    private var restartTimer: LoopTimer?
    private var lastHeartbeat: ContinuousClock.Instant = .now
    private var workerStarted: ContinuousClock.Instant = .now
    private var backoff: Duration
    private var stopped = false
    /// The contribution this event encodes (single bitrate in), by stream: the kinds each has configured. RTMP and
    /// Smooth carry video and audio in one stream; DASH-IF CMAF ingest sends each track as its own stream, so a second
    /// stream is taken while the first carries one kind, and each kind comes from one stream. Others are refused.
    private var inputStreams: [String: Set<MediaKind>] = [:]
    private var inputConfigurations: [MediaKind: [UInt8]] = [:]
    /// After a (re)start or an overflow, input waits for a video keyframe (a decoder needs one).
    private var needKeyframe = true
    /// Output track index → the rendition stream feeding the pipeline.
    private var renditions: [Int: (stream: String, kind: MediaKind)] = [:]
    private var daemonDropped = 0
    private var workerDropped = 0

    init(loop: EventLoop, job: EncodeJob, launcher: EncodeWorkerLauncher, backendReason: String, isFallback: Bool,
         softwareFallback: SoftwareFallback?, channel: LiveChannel, logger: Logger) {
        self.loop = loop
        self.job = job
        self.launcher = launcher
        if case .vaapi = job.backend { self.softwareFallback = softwareFallback }
        self.channel = channel
        self.logger = logger
        self.backoff = launcher.initialBackoff
        self.status = LiveEncoderStatus(backend: Self.describe(job.backend), backendReason: backendReason, isFallback: isFallback)
    }

    static func describe(_ backend: EncoderBackend) -> String {
        switch backend {
        case let .software(preset, _): return "libx264 \(preset) (software)"
        case let .vaapi(device, codec, lowPower): return "\(codec == "hevc" ? "hevc_vaapi" : "h264_vaapi")\(lowPower ? " low-power" : "") on \(device)"
        }
    }

    // MARK: - Lifecycle

    func start() {
        if status.isFallback {
            logger.warning("live encoding falls back to software", metadata: ["backend": "\(status.backend)", "reason": "\(status.backendReason)"])
        } else {
            logger.info("live encoding", metadata: ["backend": "\(status.backend)", "reason": "\(status.backendReason)"])
        }
        do {
            let timer = try LoopTimer(loop: loop)
            timer.start(after: .milliseconds(500), repeat: .milliseconds(500)) { [weak self] in self?.checkHeartbeat() }
            heartbeatTimer = timer
        } catch {
            logger.error("cannot start the encoder's heartbeat timer: \(error)")
        }
        spawn()
    }

    /// Stops for good (the event stopped): the worker is killed, nothing restarts.
    func stop() {
        stopped = true
        status.state = .stopped
        heartbeatTimer?.close()
        heartbeatTimer = nil
        restartTimer?.close()
        restartTimer = nil
        if let worker, !worker.hasExited {
            try? worker.kill(signal: SIGKILL)
        }
        endRenditionSessions()
    }

    private func spawn() {
        guard !stopped else { return }
        decoder = WorkerFrameDecoder()
        renditions = [:]
        needKeyframe = true
        let child: ChildProcess
        // The pipes are closed by the child's own callbacks (stdin at exit, stdout at end of file), so they close even
        // when this encoder is gone by then (the event stopped and its channel was released).
        let exited = ExitHandle()
        do {
            child = try ChildProcess.spawn(loop: loop, executable: launcher.executable, arguments: launcher.arguments,
                                           stdin: true, stdout: true, stderr: false) { [weak self] status, signal in
                exited.child?.stdinPipe?.close()
                exited.child = nil
                self?.workerExited(status: status, signal: signal)
            }
        } catch {
            fail("cannot start the encode worker \(launcher.executable): \(error)")
            return
        }
        exited.child = child
        worker = child
        workerStarted = .now
        lastHeartbeat = .now
        status.workerPID = child.pid
        // A replacement stays "restarting" until its first heartbeat proves it alive.
        status.state = status.restarts > 0 ? .restarting : .starting
        logger.info("encode worker started", metadata: ["pid": "\(child.pid)"])
        let stdout = child.stdoutPipe
        stdout?.startReading(onRead: { [weak self, weak child] bytes in
            guard let self, let child, child === self.worker else { return }
            self.received(bytes)
        }, onEnd: { _ in stdout?.close() })
        send(.start(job))
        for kind in [MediaKind.video, .audio] {
            if let record = inputConfigurations[kind] { send(.inputConfiguration(kind: kind, record: record)) }
        }
    }

    private func send(_ message: WorkerMessage) {
        guard let pipe = worker?.stdinPipe, worker?.hasExited == false else { return }
        pipe.write(WorkerProtocol.encode(message))
    }

    // MARK: - Contribution in (from the channel)

    /// Whether `stream` is (part of) the contribution; another quality is refused (encoding events take one bitrate).
    func accepts(stream: String) -> Bool {
        if inputStreams[stream] != nil { return true }
        // A stream that has configured nothing yet may still turn out to carry one kind (its header is on its way).
        let takesAnother = inputStreams.isEmpty || (inputStreams.count == 1 && inputStreams.values.allSatisfy { $0.count <= 1 })
        if takesAnother { inputStreams[stream] = [] }
        return takesAnother
    }

    /// Sends the contribution's sequence header to the worker; returns why the contribution is refused instead
    /// (``EncodingInputRules``), in which case the caller ends the encoder's session with that reason.
    func configure(stream: String, codec: CodecConfiguration) -> IngestEndReason? {
        guard accepts(stream: stream) else { return .mediaQualitiesExceeded(stream: stream) }
        if let other = inputStreams.first(where: { $0.key != stream && $0.value.contains(codec.kind) })?.key {
            logger.error("contribution refused: a second \(codec.kind.rawValue) track", metadata: ["stream": "\(stream)", "contribution": "\(other)"])
            return .mediaQualitiesExceeded(stream: stream)
        }
        if let refusal = EncodingInputRules.refusal(for: codec) {
            logger.error("contribution refused", metadata: ["stream": "\(stream)", "code": "\(refusal.code)", "reason": "\(refusal.message)"])
            return refusal
        }
        let record: [UInt8]
        switch codec {
        case .avc(let c): record = c.record
        case .aac(let c): record = c.bytes
        case .hevc: return nil  // refused above
        }
        inputStreams[stream, default: []].insert(codec.kind)
        inputConfigurations[codec.kind] = record
        send(.inputConfiguration(kind: codec.kind, record: record))
        return nil
    }

    func ingest(stream: String, frame: MediaFrame) {
        guard inputStreams[stream]?.contains(frame.kind) == true, let pipe = worker?.stdinPipe, worker?.hasExited == false,
              inputConfigurations[frame.kind] != nil else {
            drop()
            return
        }
        if frame.kind == .video {
            if pipe.writeQueueSize > launcher.maximumBacklog {
                if !needKeyframe {
                    logger.warning("the encoder is behind real time; input is dropped until the next keyframe",
                                   metadata: ["backlog_bytes": "\(pipe.writeQueueSize)"])
                }
                needKeyframe = true
            }
            if needKeyframe {
                guard frame.isKeyframe, pipe.writeQueueSize <= launcher.maximumBacklog else { drop(); return }
                needKeyframe = false
            }
        } else if needKeyframe {
            drop()
            return
        }
        status.framesIn += 1
        let track = frame.kind == .video ? WorkerSample.inputVideo : WorkerSample.inputAudio
        send(.inputSample(WorkerSample(track: track, isKeyframe: frame.isKeyframe, timescale: UInt32(clamping: frame.timescale),
                                       decodeTime: frame.decodeTime, compositionOffset: frame.compositionOffset, data: frame.data)))
    }

    private func drop() {
        daemonDropped += 1
        status.framesDropped = daemonDropped + workerDropped
    }

    /// The contribution's session ended: the worker encodes what it holds and answers `flushed`.
    func endSession(stream: String) {
        guard inputStreams.removeValue(forKey: stream) != nil else { return }
        // With one stream per track, the contribution ends with its last track.
        if inputStreams.isEmpty { send(.endOfInput) }
    }

    // MARK: - Ladder out (from the worker)

    private func received(_ bytes: UnsafeRawBufferPointer) {
        let messages: [WorkerMessage]
        do {
            messages = try decoder.feed(bytes)
        } catch {
            logger.error("the encode worker sent something unreadable; replacing it", metadata: ["error": "\(error)"])
            status.lastFailure = "\(error)"
            try? worker?.kill(signal: SIGKILL)
            return
        }
        for message in messages { handle(message) }
    }

    private func handle(_ message: WorkerMessage) {
        switch message {
        case .outputTrack(let track):
            announce(track)
        case .outputSample(let sample):
            guard let rendition = renditions[sample.track] else { return }
            let frame = MediaFrame(kind: rendition.kind, decodeTime: sample.decodeTime, compositionOffset: sample.compositionOffset,
                                   timescale: Int64(sample.timescale), isKeyframe: sample.isKeyframe, data: sample.data)
            channel?.assumeIsolated { $0.ingestRendition(stream: rendition.stream, frame: frame) }
        case .heartbeat(let beat):
            lastHeartbeat = .now
            if status.state == .starting || status.state == .restarting {
                status.state = .running
            }
            status.backend = beat.backend == "not started" ? status.backend : beat.backend
            status.framesOut = beat.framesOut
            workerDropped = beat.framesDropped
            status.framesDropped = daemonDropped + workerDropped
            status.framesPerSecond = beat.framesPerSecond
            if ContinuousClock.now - workerStarted > launcher.stableAfter {
                backoff = launcher.initialBackoff
                quickFailures = 0
            }
        case let .log(level, text):
            logger.log(level: Self.level(level), "\(text)", metadata: ["component": "encode"])
        case .ladder(let rungs):
            // Pinned for the event's run: a replacement worker gets them in its job, so track N stays the same rung
            // whatever the contribution (see EncodeJob.pinnedRungs).
            if !job.hasPinnedLadder, !rungs.isEmpty {
                job.pinnedRungs = rungs
                logger.info("ladder pinned for the event's run", metadata: [
                    "rungs": "\(rungs.map { "\($0.width)x\($0.height)@\($0.bitrate / 1000)k" }.joined(separator: ", "))"])
            }
        case .flushed:
            endRenditionSessions()
        case .fatal(let reason):
            logger.error("the encode worker gave up", metadata: ["reason": "\(reason)"])
            status.lastFailure = reason
        case .start, .inputConfiguration, .inputSample, .endOfInput:
            logger.error("the encode worker sent a daemon-to-worker message; ignored")
        }
    }

    private func announce(_ track: OutputTrackDescription) {
        let codec: CodecConfiguration
        do {
            switch track.codecFamily {
            case "avc": codec = .avc(try AVCConfiguration(record: track.codecRecord))
            case "hevc": codec = .hevc(try HEVCConfiguration(record: track.codecRecord))
            case "aac": codec = .aac(try AudioSpecificConfig(bytes: track.codecRecord))
            default:
                logger.error("the encode worker announced an unknown codec family '\(track.codecFamily)'")
                return
            }
        } catch {
            logger.error("the encode worker announced an unreadable codec configuration", metadata: ["error": "\(error)"])
            return
        }
        // Audio rides with the top rung's stream so its fragments are cut where that rung's are.
        let stream = track.kind == .video ? "rung\(track.index)" : "rung0"
        renditions[track.index] = (stream, track.kind)
        status.outputs.removeAll { $0.index == track.index }
        status.outputs.append(track)
        status.outputs.sort { $0.index < $1.index }
        channel?.assumeIsolated { channel in
            channel.declareRenditionBitrate(stream: stream, kind: track.kind, bitsPerSecond: track.bitrate)
            channel.configureRendition(stream: stream, codec: codec)
        }
        logger.info("ladder track", metadata: [
            "index": "\(track.index)", "kind": "\(track.kind.rawValue)", "size": "\(track.width)x\(track.height)",
            "bitrate": "\(track.bitrate)", "fps": "\(track.frameRate)", "encoder": "\(track.encoderName)"])
    }

    private func endRenditionSessions() {
        let streams = Set(renditions.values.map(\.stream))
        channel?.assumeIsolated { channel in
            for stream in streams.sorted() { channel.endRendition(stream: stream) }
        }
    }

    // MARK: - Supervision

    private func checkHeartbeat() {
        guard let worker, !worker.hasExited else { return }
        let silent = ContinuousClock.now - lastHeartbeat
        guard silent > launcher.heartbeatTimeout else { return }
        let reason = "no heartbeat for \(silent.milliseconds) ms (a hung encoder or GPU)"
        logger.error("the encode worker stopped answering; killing it", metadata: ["pid": "\(worker.pid)", "reason": "\(reason)"])
        status.lastFailure = reason
        pendingFailure = reason
        try? worker.kill(signal: SIGKILL)
    }

    /// Set when the daemon itself ended the worker, so the exit is reported with the real cause.
    private var pendingFailure: String?

    private func workerExited(status exitStatus: Int64, signal: Int32) {
        worker = nil
        status.workerPID = 0
        endRenditionSessions()
        guard !stopped else { return }
        let how = signal != 0 ? "killed by signal \(signal)" : "exited with status \(exitStatus)"
        let reason = pendingFailure.map { "\($0); \(how)" } ?? (status.lastFailure.map { "\(how): \($0)" } ?? how)
        pendingFailure = nil
        status.restarts += 1
        status.lastFailure = reason
        status.state = .restarting
        if ContinuousClock.now - workerStarted < launcher.stableAfter { quickFailures += 1 } else { quickFailures = 1 }
        if quickFailures >= Self.failuresBeforeSoftware, let fallback = softwareFallback {
            // The GPU path keeps failing (a hung or crashing driver): keep the channel alive on the CPU, loudly.
            softwareFallback = nil
            job.backend = fallback.backend
            job.encoderOptions = fallback.options
            status.isFallback = true
            status.backend = Self.describe(fallback.backend)
            status.backendReason = "the GPU encoder failed \(quickFailures) times in a row (last: \(reason)); fell back to \(fallback.summary)"
            logger.warning("live encoding falls back to software: the GPU encoder keeps failing", metadata: [
                "reason": "\(status.backendReason)"])
            channel?.assumeIsolated { $0.recordEncoderFailure(status.backendReason) }
            backoff = launcher.initialBackoff
        }
        let delay = backoff
        backoff = min(backoff * 2, launcher.maximumBackoff)
        logger.error("the encode worker ended; restarting", metadata: [
            "reason": "\(reason)", "restart_in_ms": "\(delay.milliseconds)", "restarts": "\(status.restarts)"])
        channel?.assumeIsolated { $0.recordEncoderFailure("encode worker \(reason); restarting in \(delay.milliseconds) ms") }
        scheduleRestart(after: delay)
    }

    private func fail(_ reason: String) {
        status.lastFailure = reason
        status.state = .restarting
        status.restarts += 1
        logger.error("\(reason)")
        let delay = backoff
        backoff = min(backoff * 2, launcher.maximumBackoff)
        scheduleRestart(after: delay)
    }

    private func scheduleRestart(after delay: Duration) {
        do {
            let timer = try restartTimer ?? LoopTimer(loop: loop)
            restartTimer = timer
            timer.start(after: delay) { [weak self] in self?.spawn() }
        } catch {
            logger.critical("cannot schedule the encode worker's restart: \(error)")
        }
    }

    private static func level(_ name: String) -> Logger.Level {
        switch name {
        case "debug": return .debug
        case "notice": return .notice
        case "warning": return .warning
        case "error": return .error
        default: return .info
        }
    }
}

/// Lets a child's exit callback reach the child it belongs to (it is created before the spawn returns it).
private final class ExitHandle: @unchecked Sendable {
    var child: ChildProcess?
}

private extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
