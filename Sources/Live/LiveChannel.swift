#if canImport(Glibc)
import Glibc
#endif
import EncodeModel
import EventLoop
import ISOBMFF
import Logging
import Media

/// One live event's running pipeline: ingest sessions feed it, the origin reads its window.
///
/// Runs on the event loop's executor (given at init) like every actor that touches sockets, so ingest
/// connections and origin requests reach it without a thread hop, and libuv callbacks may enter it with
/// `assumeIsolated`. All work here is bounded and non-blocking: a fragment is serialised once when it
/// closes and then only copied out by reference.
public actor LiveChannel: MediaSource {
    public nonisolated let name: String
    public nonisolated var sourceDescription: String { "live event '\(name)'" }
    private nonisolated let executor: UnownedSerialExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor }

    private var pipeline: ChannelPipeline
    /// Read by the low-latency extension (`LiveChannel+LowLatency.swift`).
    var window: LiveWindow
    nonisolated let configuration: ChannelConfiguration
    /// Low-latency state (chunks, part layouts); nil unless the configuration has a part duration.
    var lowLatency: PartialFragments?
    /// Origin requests held until their playlist or part exists (`LiveChannel+LowLatency.swift`).
    var lowLatencyWaiters = LowLatencyWaiters(capacity: LiveChannel.maximumWaiters)
    private let clock: @Sendable () -> Int64
    private var logger: Logger
    /// Track IDs, bitrates and names of published tracks, from what the encoders declared.
    private var naming = TrackNaming()
    /// Longest video fragment seen (seconds): the GOP, for target durations.
    private var nominalFragmentDuration: Double = 0
    public private(set) var stats = ChannelStats()
    private var ingestTelemetry = ChannelTelemetry()
    /// Tracks that repeat a published one (the same audio in every quality of a multi-bitrate push).
    private var redundantTracks: Set<TrackKey> = []
    /// Whether the qualities' fragments (GOPs) start together, reported at most every 30 s per quality.
    private var alignment = UnalignedKeyframeReports()
    /// The live encoder of an encoding event: the contribution goes to it, its ladder comes back as renditions.
    private var encoder: LiveEncoder?
    /// Archive writers, called in registration order as each fragment closes.
    private var fragmentSinks: [(id: String, sink: @Sendable (ArchivableFragment) -> Void)] = []

    /// - Parameters:
    ///   - executor: the event loop's executor.
    ///   - clock: wall clock in ticks (100 ns) since 1970; injected for tests.
    public init(name: String, executor: UnownedSerialExecutor, configuration: ChannelConfiguration = .init(),
                clock: @escaping @Sendable () -> Int64 = LiveChannel.systemClock, logger: Logger) {
        self.name = name
        self.executor = executor
        self.pipeline = ChannelPipeline(configuration: configuration)
        self.window = LiveWindow(duration: configuration.windowDuration)
        self.configuration = configuration
        self.lowLatency = configuration.partDuration.map(PartialFragments.init(partTarget:))
        self.clock = clock
        var logger = logger
        logger[metadataKey: "channel"] = "\(name)"
        logger[metadataKey: "component"] = "live"
        self.logger = logger
    }

    public static let systemClock: @Sendable () -> Int64 = {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * MediaTime.ticksPerSecond + Int64(ts.tv_nsec) / 100
    }

    // MARK: - Ingest side

    /// An encoder started publishing `stream`; its address (no port) and port go into the BeginIngest event.
    public func beginSession(stream: String, remoteAddress: String? = nil, remotePort: Int? = nil) {
        ingestTelemetry.beginIngest(stream: stream, remoteAddress: remoteAddress, remotePort: remotePort, now: clock())
        if encoder == nil { pipeline.beginSession(stream: stream) }
        stats.sessionsStarted += 1
        logger.info("encoder started publishing", metadata: ["stream": "\(stream)"])
    }

    /// The encoder of `stream` went away for `reason` (the ingestion's endReason).
    public func endSession(stream: String, reason: IngestEndReason = .clientTerminated) {
        if let encoder { encoder.endSession(stream: stream) } else { handle(pipeline.endSession(stream: stream)) }
        ingestTelemetry.endIngest(stream: stream, reason: reason, now: clock())
        logger.info("encoder stopped publishing", metadata: ["stream": "\(stream)"])
    }

    /// The encoder's declared bitrate (`onMetaData` videodatarate/audiodatarate), used in `QualityLevels(…)`.
    public func declareBitrate(stream: String, kind: MediaKind, bitsPerSecond: Int) {
        guard bitsPerSecond > 0 else { return }
        naming.declareBitrate(TrackKey(stream: stream, kind: kind), bitsPerSecond: bitsPerSecond)
        ingestTelemetry.declareBitrate(TrackKey(stream: stream, kind: kind), bitsPerSecond: bitsPerSecond)
    }

    /// The language of a stream's track (fMP4 ingest's `mdhd`). An audio track with a language is published as
    /// `audio_<language>`, so several languages (one stream each) are several tracks, not copies of one.
    public func declareLanguage(stream: String, kind: MediaKind, language: String) {
        naming.declareLanguage(TrackKey(stream: stream, kind: kind), language: language)
    }

    /// A track's sequence header. Returns why the stream is refused (an encoding event's contribution that is not
    /// 8-bit H.264 up to 1080p): the ingest then ends the encoder's session with that reason.
    @discardableResult
    public func configure(stream: String, codec: CodecConfiguration) -> IngestEndReason? {
        if let encoder {
            return encoder.configure(stream: stream, codec: codec)
        }
        handle(pipeline.configure(stream: stream, configuration: codec))
        return nil
    }

    public func ingest(stream: String, frame: MediaFrame) {
        stats.framesIn += 1
        let now = clock()
        ingestTelemetry.frame(TrackKey(stream: stream, kind: frame.kind), byteCount: frame.data.count,
                              decodeTime: frame.decodeTime, timescale: frame.timescale, now: now)
        if let encoder {
            encoder.ingest(stream: stream, frame: frame)
        } else {
            handle(pipeline.ingest(stream: stream, frame: frame, now: now))
        }
    }

    /// Whether an encoder may publish `stream` here: an encoding event takes a single contribution.
    public func acceptsStream(_ stream: String) -> Bool {
        encoder?.accepts(stream: stream) ?? true
    }

    // MARK: - Live encoding

    /// Makes this an encoding event: from now on the contribution goes to an `edgelive worker encode` process
    /// started with `launcher`, and the ladder it returns is what the channel packages.
    /// - Parameters:
    ///   - backendReason: why this backend (the hardware profile's choice), for status and logs.
    ///   - isFallback: the box fell back to software although a GPU path was wanted; said loudly.
    ///   - softwareFallback: for a GPU job under policy `auto`, the libx264 encoder to switch to when the GPU
    ///     encoder keeps failing.
    public func startEncoding(loop: EventLoop, job: EncodeJob, launcher: EncodeWorkerLauncher, backendReason: String,
                              isFallback: Bool, softwareFallback: SoftwareFallback? = nil) {
        guard encoder == nil else { return }
        let encoder = LiveEncoder(loop: loop, job: job, launcher: launcher, backendReason: backendReason,
                                  isFallback: isFallback, softwareFallback: softwareFallback, channel: self, logger: logger)
        self.encoder = encoder
        encoder.start()
    }

    /// Stops the encode worker for good (the event stopped); the window stays as it is.
    public func stopEncoding() {
        encoder?.stop()
    }

    /// The encoder's state, backend, restarts and ladder; nil for pass-through events.
    public var encoderStatus: LiveEncoderStatus? { encoder?.status }

    func declareRenditionBitrate(stream: String, kind: MediaKind, bitsPerSecond: Int) {
        naming.declareBitrate(TrackKey(stream: stream, kind: kind), bitsPerSecond: bitsPerSecond)
    }

    func configureRendition(stream: String, codec: CodecConfiguration) {
        handle(pipeline.configure(stream: stream, configuration: codec))
    }

    func ingestRendition(stream: String, frame: MediaFrame) {
        handle(pipeline.ingest(stream: stream, frame: frame, now: clock()))
    }

    func endRendition(stream: String) {
        handle(pipeline.endSession(stream: stream))
    }

    func recordEncoderFailure(_ message: String) {
        ingestTelemetry.encoderFailure(message: message, now: clock())
    }

    private func handle(_ events: [PipelineEvent]) {
        for event in events {
            switch event {
            case let .trackConfigured(key, codec, changed):
                if changed {
                    logger.warning("codec configuration changed; the track restarts", metadata: ["track": "\(key)", "codecs": "\(codec.codecString)"])
                } else {
                    logger.info("track configured", metadata: ["track": "\(key)", "codecs": "\(codec.codecString)"])
                }
                if changed, let info = window.info(for: key) {
                    var updated = info
                    updated.codec = codec
                    window.setTrack(key, info: updated, initSegment: CMAFWriter.initSegment(for: updated))
                    lowLatency?.reset(key)
                }
            case .fragment(let fragment):
                store(fragment)
                wakeLowLatencyWaiters()
            case .chunk(let chunk):
                storeChunk(chunk)
            case .chunksAbandoned(let key):
                lowLatency?.abandon(key)
                wakeLowLatencyWaiters()
            case let .discontinuity(stream, previousEnd, newStart, reason):
                stats.discontinuities += 1
                ingestTelemetry.discontinuity(stream: stream, previousEnd: previousEnd, newStart: newStart, now: clock())
                alignment.forget(TrackKey(stream: stream, kind: .video))
                logger.notice("timeline discontinuity", metadata: [
                    "stream": "\(stream)", "reason": "\(reason)",
                    "gap_ms": "\((newStart - previousEnd) / 10_000)"])
            case let .dropped(key, reason, count):
                stats.framesDropped += count
                ingestTelemetry.dropped(key, reason: reason, count: count, now: clock())
                logger.debug("dropped input", metadata: ["track": "\(key)", "reason": "\(reason.rawValue)"])
            }
        }
    }

    private func store(_ fragment: ClosedFragment) {
        let key = fragment.key
        let info: TrackInfo
        if let known = window.info(for: key) {
            info = known
        } else {
            guard let codec = pipeline.codec(for: key), !redundantTracks.contains(key) else { return }
            info = naming.trackInfo(key, codec: codec, firstFragmentBytes: fragment.samples.reduce(0) { $0 + $1.data.count },
                                    duration: fragment.segment.duration)
            if let existing = window.key(trackName: info.name, bitrate: info.bitrate), existing != key {
                // Multi-bitrate encoders send the same audio with every quality: one copy is the track, the
                // others would only duplicate it under the same URL.
                redundantTracks.insert(key)
                logger.info("redundant track not published", metadata: ["track": "\(key)", "same_as": "\(existing)"])
                return
            }
            window.setTrack(key, info: info, initSegment: CMAFWriter.initSegment(for: info))
            ingestTelemetry.publishTrack(key, trackID: info.trackID, bitrate: info.bitrate)
            logger.info("track published", metadata: ["track": "\(key)", "name": "\(info.name)", "bitrate": "\(info.bitrate)"])
        }
        // One chunk per fragment unless low latency: then the fragment is the concatenation of the chunks already
        // published and its last one.
        let (bytes, chunkRanges) = CMAFWriter.chunkedMediaSegment(
            track: info, sequenceNumber: UInt32(truncatingIfNeeded: fragment.segment.sequenceNumber),
            samples: fragment.samples, chunkStarts: fragment.chunkStarts)
        window.append(key, segment: fragment.segment, bytes: bytes)
        lowLatency?.close(key, segment: fragment.segment, samples: fragment.samples, chunkStarts: fragment.chunkStarts,
                          ranges: chunkRanges)
        if !fragmentSinks.isEmpty, let initSegment = window.initSegment(for: key) {
            let archivable = ArchivableFragment(track: info, initSegment: initSegment, segment: fragment.segment, bytes: bytes)
            for entry in fragmentSinks { entry.sink(archivable) }
        }
        if key.kind == .video {
            nominalFragmentDuration = max(nominalFragmentDuration, Double(fragment.segment.duration) / Double(MediaTime.ticksPerSecond))
            checkAlignment(key, info: info, segment: fragment.segment)
        }
        stats.fragmentsOut += 1
        ingestTelemetry.fragmentStored(key, segment: fragment.segment, now: clock())
        stats.bytesOut += bytes.count
        if let arrival = fragment.lastSampleArrival {
            // From the fragment's last byte arriving at ingest to the fragment being listed (playlists
            // are rendered from this window on request, so appended = listed).
            let latency = clock() - arrival
            stats.publishLatencyLast = latency
            stats.publishLatencyMax = max(stats.publishLatencyMax, latency)
            logger.debug("fragment listed", metadata: [
                "track": "\(key)", "sequence": "\(fragment.segment.sequenceNumber)",
                "ingest_to_list_us": "\(latency / 10)"])
        }
    }

    private func checkAlignment(_ key: TrackKey, info: TrackInfo, segment: TimelineSegment) {
        let now = clock()
        guard let report = alignment.fragmentClosed(key, segment: segment, now: now) else { return }
        ingestTelemetry.unalignedKeyFrames(key, trackID: info.trackID, bitrate: info.bitrate, start: segment.startTime,
                                           other: report.other, otherStart: report.otherStart, now: now)
        logger.warning("qualities have unaligned keyframes; players cannot switch between them cleanly", metadata: [
            "stream": "\(key.stream)", "other_stream": "\(report.other.stream)",
            "offset_ms": "\((segment.startTime - report.otherStart) / 10_000)"])
    }

    // MARK: - Fragment sinks

    /// Registers (or replaces) a sink called on this channel's executor each time a fragment closes.
    ///
    /// The sink runs synchronously inside ingest, so it must only enqueue (never block or wait for I/O).
    public func addFragmentSink(_ id: String, _ sink: @escaping @Sendable (ArchivableFragment) -> Void) {
        if let index = fragmentSinks.firstIndex(where: { $0.id == id }) {
            fragmentSinks[index].sink = sink
        } else {
            fragmentSinks.append((id, sink))
        }
    }

    /// Removes a sink; fragments closing afterwards are no longer handed to it.
    public func removeFragmentSink(_ id: String) {
        fragmentSinks.removeAll { $0.id == id }
    }

    // MARK: - Origin side

    /// The presentation as it stands, for manifest builders.
    public func presentation() -> Presentation {
        window.presentation(isLive: true, nominalFragmentDuration: max(nominalFragmentDuration, 1))
    }

    /// The track a URL names (`QualityLevels(<bitrate>)/…(<name>=…)`), if it exists.
    public func trackInfo(trackName: String, bitrate: Int) -> TrackInfo? {
        window.key(trackName: trackName, bitrate: bitrate).flatMap { window.info(for: $0) }
    }

    public func initSegment(trackName: String, bitrate: Int) -> [UInt8]? {
        window.initSegment(trackName: trackName, bitrate: bitrate)
    }

    public func fragment(trackName: String, bitrate: Int, time: Int64) -> FragmentLookup {
        window.fragment(trackName: trackName, bitrate: bitrate, time: time)
    }

    public var activeStreams: [String] { pipeline.activeStreams }

    // MARK: - Telemetry

    /// Ingest telemetry as of now (the channel's clock): health, ingestion, per-track figures, stream events.
    public func telemetry() -> ChannelTelemetrySnapshot {
        var snapshot = ingestTelemetry.snapshot(now: clock())
        if let status = encoder?.status {
            snapshot.healthDescriptions.append("live encoding: \(status.backend) — \(status.backendReason)")
            if status.isFallback {
                snapshot.healthDescriptions.append("live encoding fell back to software: \(status.backendReason)")
            }
            if status.state == .restarting {
                snapshot.health = .poor
                snapshot.healthDescriptions.append("the encode worker is restarting: \(status.lastFailure ?? "unknown cause")")
            }
        }
        return snapshot
    }

    /// Records a refused encoder (StreamEvent/InvalidConnection), e.g. an address outside the allow list.
    public func recordInvalidConnection(code: String, reason: String, streamName: String? = nil,
                                        remoteAddress: String? = nil, remotePort: Int? = nil) {
        ingestTelemetry.invalidConnection(code: code, reason: reason, streamName: streamName,
                                          remoteAddress: remoteAddress, remotePort: remotePort, now: clock())
    }
}

/// Running totals for status and logs.
public struct ChannelStats: Sendable, Hashable {
    public var sessionsStarted = 0
    public var framesIn = 0
    public var framesDropped = 0
    public var fragmentsOut = 0
    public var bytesOut = 0
    public var discontinuities = 0
    /// Last and largest time from a fragment's last sample arriving to its listing (ticks).
    public var publishLatencyLast: Int64 = 0
    public var publishLatencyMax: Int64 = 0
}
