import Media

/// The ingest figures of one channel, kept as it ingests: sessions, per-track rates and counters over a
/// sliding window, health, and a bounded ring of stream events.
///
/// A pure state machine: the clock (ticks of 100 ns since 1970) is passed into every call, nothing here
/// does I/O. Memory is bounded (per track a fixed ring of one-second buckets; fixed-capacity event and
/// interruption lists) and a frame costs one dictionary look-up and a few additions.
public struct ChannelTelemetry: Sendable {
    /// Window of the rate and counter figures (the service reports "the last 20 seconds").
    public static let windowSeconds: Int64 = 20
    /// Window of the ingest drift figure (the service reports "seconds per minute" over the last minute).
    public static let driftWindowSeconds: Int64 = 60
    /// A discontinuity at least this long is an error; shorter ones still allow "Good" health.
    public static let largeGap: Int64 = 10 * MediaTime.ticksPerSecond
    /// Frame gaps longer than this (in media or wall time) are breaks, not delay: drift ignores them.
    static let driftBreak: Int64 = 10 * MediaTime.ticksPerSecond

    public let eventCapacity: Int
    public let interruptionCapacity: Int
    private var tracks: [TrackKey: TrackMeter] = [:]
    private var events = BoundedList<ChannelStreamEvent>(capacity: 100)
    private var ingestion: IngestionTelemetry?
    private var activeStreams: [String: Int64] = [:]

    /// - Parameters:
    ///   - eventCapacity: stream events kept (oldest dropped first). Default 100.
    ///   - interruptionCapacity: ingest interruptions kept (oldest dropped first). Default 50.
    public init(eventCapacity: Int = 100, interruptionCapacity: Int = 50) {
        precondition(eventCapacity > 0 && interruptionCapacity > 0, "telemetry capacities must be positive")
        self.eventCapacity = eventCapacity
        self.interruptionCapacity = interruptionCapacity
        self.events = BoundedList(capacity: eventCapacity)
    }

    // MARK: - Sessions

    /// An encoder started publishing `stream` (BeginIngest; ends an interruption if ingest had stopped).
    public mutating func beginIngest(stream: String, remoteAddress: String?, remotePort: Int?, now: Int64) {
        if activeStreams.isEmpty {
            if var current = ingestion, let end = current.end {
                var interruptions = BoundedList(current.interruptions, capacity: interruptionCapacity)
                interruptions.append(IngestInterruption(begin: end, end: now, reason: current.endReason?.code ?? ""))
                current.interruptions = interruptions.elements
                current.end = nil
                current.endReason = nil
                current.streamName = stream
                ingestion = current
            } else if ingestion == nil {
                ingestion = IngestionTelemetry(streamName: stream, begin: now)
            }
        }
        activeStreams[stream] = now
        for key in tracks.keys where key.stream == stream { tracks[key]?.beginSession() }
        events.append(ChannelStreamEvent(kind: .beginIngest, time: now, level: .information,
                                         streamName: stream, remoteAddress: remoteAddress, remotePort: remotePort))
    }

    /// The encoder of `stream` went away (EndIngest; ends ingestion when it was the last stream).
    public mutating func endIngest(stream: String, reason: IngestEndReason, now: Int64) {
        guard activeStreams.removeValue(forKey: stream) != nil else { return }
        for key in tracks.keys where key.stream == stream { tracks[key]?.isReceiving = false }
        if activeStreams.isEmpty {
            ingestion?.end = now
            ingestion?.endReason = reason
        }
        events.append(ChannelStreamEvent(kind: .endIngest, time: now, level: reason.isNormal ? .information : .warning,
                                         streamName: stream, resultCode: reason.code, resultMessage: reason.message))
    }

    /// The live encoder's worker failed (crash, exit, hang): a Discontinuity stream event at error level, since
    /// the ladder resumes after a gap.
    public mutating func encoderFailure(message: String, now: Int64) {
        events.append(ChannelStreamEvent(kind: .discontinuity, time: now, level: .error,
                                         resultCode: "EDGELIVE_ENCODER_WORKER_FAILED", resultMessage: message))
    }

    /// A quality's fragment starts where another quality has no keyframe (UnalignedKeyFrames): players cannot
    /// switch between them there.
    public mutating func unalignedKeyFrames(_ key: TrackKey, trackID: UInt32?, bitrate: Int?, start: Int64, other: TrackKey,
                                            otherStart: Int64, now: Int64) {
        var event = ChannelStreamEvent(kind: .unalignedKeyFrames, time: now, level: .warning, streamName: key.stream,
                                       resultCode: "MPE_INGEST_KEYFRAMES_UNALIGNED",
                                       resultMessage: "stream '\(key.stream)' starts a GOP at \(start) where stream '\(other.stream)' has its nearest at \(otherStart) (10 MHz ticks); set every quality's encoder to the same keyframe interval with scene-cut keyframes off")
        event.trackName = key.kind.rawValue
        event.trackID = trackID
        event.mediaType = key.kind
        event.bitrate = bitrate
        event.mediaTimestamp = start
        event.timescale = MediaTime.ticksPerSecond
        events.append(event)
    }

    /// An encoder was refused (InvalidConnection): unknown stream key, address not allowed, event not running.
    public mutating func invalidConnection(code: String, reason: String, streamName: String?, remoteAddress: String?,
                                           remotePort: Int?, now: Int64) {
        events.append(ChannelStreamEvent(kind: .invalidConnection, time: now, level: .error, streamName: streamName,
                                         resultCode: code, resultMessage: reason, remoteAddress: remoteAddress,
                                         remotePort: remotePort))
    }

    // MARK: - Tracks

    /// The encoder's declared bitrate for a track (the expected bitrate).
    public mutating func declareBitrate(_ key: TrackKey, bitsPerSecond: Int) {
        tracks[key, default: TrackMeter(key: key)].declaredBitrate = bitsPerSecond
    }

    /// The track became visible to players with this id and (URL) bitrate.
    public mutating func publishTrack(_ key: TrackKey, trackID: UInt32, bitrate: Int) {
        tracks[key, default: TrackMeter(key: key)].published = (trackID, bitrate)
    }

    /// One coded frame arrived: bytes, the encoder's timestamp and the arrival time.
    public mutating func frame(_ key: TrackKey, byteCount: Int, decodeTime: Int64, timescale: Int64, now: Int64) {
        tracks[key, default: TrackMeter(key: key)].frame(byteCount: byteCount, decodeTime: decodeTime,
                                                           timescale: timescale, now: now)
    }

    /// A fragment was closed and stored for `key` (a request received and succeeded; FirstChunkReceived).
    public mutating func fragmentStored(_ key: TrackKey, segment: TimelineSegment, now: Int64) {
        var meter = tracks[key] ?? TrackMeter(key: key)
        meter.requestsReceived += 1
        meter.requestsSucceeded += 1
        meter.lastFragmentArrival = now
        if !meter.firstFragmentSeen {
            meter.firstFragmentSeen = true
            events.append(meter.event(.firstChunkReceived, time: now, level: .information) {
                $0.mediaTimestamp = segment.startTime
                $0.timescale = MediaTime.ticksPerSecond
                $0.duration = segment.duration
            })
        }
        tracks[key] = meter
    }

    /// The pipeline rebased the timeline of `stream` (reconnect with a reset, or a timestamp jump).
    public mutating func discontinuity(stream: String, previousEnd: Int64, newStart: Int64, now: Int64) {
        let gap = newStart - previousEnd
        for key in tracks.keys.sorted(by: { $0.description < $1.description }) where key.stream == stream {
            guard var meter = tracks[key] else { continue }
            meter.count(now: now) { $0.discontinuities += 1; if gap >= Self.largeGap { $0.largeDiscontinuities += 1 } }
            events.append(meter.event(.discontinuity, time: now, level: gap >= Self.largeGap ? .error : .warning) {
                $0.previousFragmentTimestamp = previousEnd
                $0.currentFragmentTimestamp = newStart
                $0.discontinuityGap = gap
                $0.timescale = MediaTime.ticksPerSecond
            })
            tracks[key] = meter
        }
    }

    /// Input the pipeline could not use. Start-up drops (before the first keyframe, before the codec
    /// configuration) are normal and only counted; data problems become ChunkDropped events.
    public mutating func dropped(_ key: TrackKey, reason: DropReason, count: Int, now: Int64) {
        var meter = tracks[key] ?? TrackMeter(key: key)
        switch reason {
        case .nonIncreasing, .fragmentTooLong:
            meter.count(now: now) { $0.dropped += count }
            if reason == .fragmentTooLong { meter.requestsReceived += 1 }
            // At most one event per track and second, so a burst cannot flush the ring.
            let second = now / MediaTime.ticksPerSecond
            if meter.lastDropEventSecond != second {
                meter.lastDropEventSecond = second
                events.append(meter.event(.chunkDropped, time: now, level: .warning) {
                    $0.fragmentDropReason = reason.rawValue
                    $0.mediaTimestamp = meter.lastDecodeTime
                    $0.timescale = meter.timescale
                })
            }
        case .beforeConfiguration, .waitingForKeyframe, .beforeVideoStart:
            break
        }
        tracks[key] = meter
    }

    // MARK: - Snapshot

    /// Every figure as of `now`.
    public func snapshot(now: Int64) -> ChannelTelemetrySnapshot {
        let trackFigures = tracks.values
            .map { $0.figures(now: now, streamActive: activeStreams[$0.key.stream] != nil) }
            .sorted { ($0.key.stream, $0.key.kind.rawValue) < ($1.key.stream, $1.key.kind.rawValue) }
        var descriptions: [String] = []
        let health: ChannelHealth
        if activeStreams.isEmpty {
            health = .poor
            descriptions.append("no encoder is publishing")
        } else if trackFigures.filter(\.isReceiving).isEmpty {
            health = .poor
            descriptions.append("an encoder is connected but no media has arrived")
        } else {
            for track in trackFigures where track.isReceiving { descriptions += track.healthDescriptions }
            health = trackFigures.filter(\.isReceiving).map(\.health).max() ?? .poor
        }
        return ChannelTelemetrySnapshot(time: now, health: health, healthDescriptions: descriptions, ingestion: ingestion,
                                        tracks: trackFigures, events: events.elements,
                                        activeStreams: activeStreams.keys.sorted())
    }
}

// MARK: - Snapshot values

/// The channel's health over the last 20 s, by the service's rule (worse compares greater).
public enum ChannelHealth: String, Sendable, Hashable, Comparable, CaseIterable {
    /// Incoming ≥ 75 % of the expected bitrate, no warnings or errors, no drift.
    case excellent = "Excellent"
    /// Incoming ≥ 20 %, no warnings or errors except discontinuities shorter than 10 s.
    case good = "Good"
    case poor = "Poor"

    private var rank: Int { self == .excellent ? 0 : self == .good ? 1 : 2 }
    public static func < (a: ChannelHealth, b: ChannelHealth) -> Bool { a.rank < b.rank }
}

/// Why an ingest session ended: a service code and a message for operators.
public struct IngestEndReason: Sendable, Hashable, CustomStringConvertible {
    /// The service's code (`MPE_CLIENT_TERMINATED_SESSION`, `MPE_RTMP_SESSION_IDLE_TIMEOUT`, …).
    public var code: String
    public var message: String
    public init(code: String, message: String) { self.code = code; self.message = message }
    public var description: String { "\(code): \(message)" }

    /// Whether the end is a normal one (the encoder stopped), logged and reported at information level.
    public var isNormal: Bool { code == Self.clientTerminated.code }

    /// The encoder unpublished or closed its connection.
    public static let clientTerminated = IngestEndReason(code: "MPE_CLIENT_TERMINATED_SESSION", message: "the encoder ended the session")
    /// Nothing arrived for the idle timeout.
    public static func idleTimeout(seconds: Int) -> IngestEndReason {
        IngestEndReason(code: "MPE_RTMP_SESSION_IDLE_TIMEOUT", message: "no data for \(seconds) s")
    }
    /// A new publisher of the same stream took over (edgelive's code; the service has none).
    public static func replaced(stream: String) -> IngestEndReason {
        IngestEndReason(code: "MPE_INGEST_SESSION_REPLACED", message: "replaced by a new publisher of '\(stream)'")
    }
    /// The live event was stopped, reset or deleted while the encoder was connected (edgelive's code).
    public static let eventStopped = IngestEndReason(code: "MPE_INGEST_LIVE_EVENT_STOPPED", message: "the live event was stopped")
    /// The appliance is shutting down.
    public static let serverShutdown = IngestEndReason(code: "MPI_SYSTEM_MAINTENANCE", message: "the server is shutting down")
    /// The encoder broke the protocol or sent unusable media.
    public static func protocolError(_ message: String) -> IngestEndReason {
        IngestEndReason(code: "MPE_INGEST_PROTOCOL_ERROR", message: message)
    }
    /// Media in a codec or configuration the ingest cannot use.
    public static func codecNotSupported(_ message: String) -> IngestEndReason {
        IngestEndReason(code: "MPE_INGEST_CODEC_NOT_SUPPORTED", message: message)
    }
    /// Another quality pushed to an encoding live event, which takes a single bitrate (one video and one audio track).
    public static func mediaQualitiesExceeded(stream: String) -> IngestEndReason {
        IngestEndReason(code: "MPE_INGEST_MEDIA_QUALITIES_EXCEEDED", message: "an encoding live event takes a single contribution (one video and one audio track); '\(stream)' would be another quality: push one bitrate, or use a pass-through event for several")
    }
    /// A picture size the live event cannot take (an encoding event's contribution above 1920×1088).
    public static func videoResolutionNotSupported(_ message: String) -> IngestEndReason {
        IngestEndReason(code: "MPE_INGEST_VIDEO_RESOLUTION_NOT_SUPPORTED", message: message)
    }
    /// The connection failed (reset, timeout) while publishing (edgelive's code).
    public static func connectionLost(_ message: String) -> IngestEndReason {
        IngestEndReason(code: "MPE_INGEST_CONNECTION_LOST", message: message)
    }
}

/// Everything ``ChannelTelemetry`` knows at one instant. All times are ticks (100 ns) since 1970.
public struct ChannelTelemetrySnapshot: Sendable, Hashable {
    public var time: Int64
    public var health: ChannelHealth
    /// Why the health is what it is (empty when excellent).
    public var healthDescriptions: [String]
    /// The ingestion period; nil before any encoder published.
    public var ingestion: IngestionTelemetry?
    public var tracks: [TrackTelemetry]
    /// Stream events, oldest first.
    public var events: [ChannelStreamEvent]
    /// Streams being published now.
    public var activeStreams: [String]
}

/// The ingestion period: from the first publish, through reconnects, to the end.
public struct IngestionTelemetry: Sendable, Hashable {
    /// The stream that (re)started ingestion most recently.
    public var streamName: String
    public var begin: Int64
    /// When the last stream stopped; nil while ingesting.
    public var end: Int64?
    public var endReason: IngestEndReason?
    /// Gaps between the last stream stopping and the next starting, oldest first (bounded).
    public var interruptions: [IngestInterruption] = []
}

/// A time when no encoder was publishing, between two ingest sessions.
public struct IngestInterruption: Sendable, Hashable {
    public var begin: Int64
    public var end: Int64
    /// The end reason code of the session that stopped.
    public var reason: String
    public var duration: Int64 { end - begin }
}

/// One track's figures. Counters named "…InWindow" cover the last 20 s.
public struct TrackTelemetry: Sendable, Hashable {
    public var key: TrackKey
    /// Track name as in manifests (`video`, `audio`).
    public var trackName: String { key.kind.rawValue }
    /// The track id players see, once the track is published.
    public var trackID: UInt32?
    /// Expected bitrate: the encoder's declared rate, else the published (measured) one; 0 when unknown.
    public var expectedBitrate: Int
    /// Bits per second over the last 20 complete seconds (or since the track started, when younger).
    public var incomingBitrate: Int
    /// Seconds of delay per minute over the last minute; nil ("n/a") when no media arrived in it.
    public var ingestDrift: Int?
    /// Fragments formed (including those dropped) and fragments stored.
    public var requestsReceived: Int
    public var requestsSucceeded: Int
    /// The encoder's latest decode timestamp, in `timescale` units.
    public var lastTimestamp: Int64?
    public var timescale: Int64
    public var lastFragmentArrival: Int64?
    public var discontinuitiesInWindow: Int
    public var overlapsInWindow: Int
    public var nonIncreasingInWindow: Int
    public var droppedInWindow: Int
    /// Incoming bitrate off the expected one by more than 50 %.
    public var unexpectedBitrate: Bool
    /// Whether media for this track arrived in the last 20 s while its stream is published.
    public var isReceiving: Bool
    public var health: ChannelHealth
    public var healthDescriptions: [String]
    /// Not poor.
    public var healthy: Bool { health != .poor }
    /// The bitrate in ids (`video_2500000`): expected, else incoming.
    public var bitrate: Int { expectedBitrate > 0 ? expectedBitrate : incomingBitrate }
    /// `<trackName>_<bitrate>`, the service's track id and stream id.
    public var trackId: String { "\(trackName)_\(bitrate)" }
}

/// One stream event (BeginIngest, Discontinuity, …) with the data fields that apply to it.
public struct ChannelStreamEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case beginIngest = "BeginIngest", endIngest = "EndIngest", firstChunkReceived = "FirstChunkReceived"
        case chunkDropped = "ChunkDropped", discontinuity = "Discontinuity", invalidConnection = "InvalidConnection"
        case unalignedKeyFrames = "UnalignedKeyFrames"
    }
    public enum Level: String, Sendable, Hashable, CaseIterable {
        case critical = "Critical", error = "Error", warning = "Warning", information = "Information"
    }

    public var kind: Kind
    public var time: Int64
    public var level: Level
    public var streamName: String?
    public var trackName: String?
    public var trackID: UInt32?
    public var mediaType: MediaKind?
    public var bitrate: Int?
    public var mediaTimestamp: Int64?
    public var timescale: Int64?
    public var duration: Int64?
    public var previousFragmentTimestamp: Int64?
    public var currentFragmentTimestamp: Int64?
    public var discontinuityGap: Int64?
    public var fragmentDropReason: String?
    public var resultCode: String?
    public var resultMessage: String?
    public var remoteAddress: String?
    public var remotePort: Int?

    public init(kind: Kind, time: Int64, level: Level, streamName: String? = nil, resultCode: String? = nil,
                resultMessage: String? = nil, remoteAddress: String? = nil, remotePort: Int? = nil) {
        self.kind = kind
        self.time = time
        self.level = level
        self.streamName = streamName
        self.resultCode = resultCode
        self.resultMessage = resultMessage
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
    }
}

// MARK: - Per-track meter

/// Figures of one second of one track.
private struct SecondBucket: Sendable {
    var second: Int64 = -1
    var bytes = 0
    var discontinuities = 0
    var largeDiscontinuities = 0
    var overlaps = 0
    var nonIncreasing = 0
    var dropped = 0
    /// Wall and media time covered by consecutive frames in this second (for drift).
    var wallAdvance: Int64 = 0
    var mediaAdvance: Int64 = 0
}

private struct TrackMeter: Sendable {
    let key: TrackKey
    var declaredBitrate: Int?
    var published: (trackID: UInt32, bitrate: Int)?
    var requestsReceived = 0
    var requestsSucceeded = 0
    var lastFragmentArrival: Int64?
    var firstFragmentSeen = false
    var isReceiving = false
    var firstArrival: Int64?
    var lastArrival: Int64?
    var lastDecodeTime: Int64?
    var timescale: Int64 = 1000
    var lastDropEventSecond: Int64 = -1
    /// One bucket per second of the drift window, indexed by second modulo its count.
    var buckets = [SecondBucket](repeating: SecondBucket(), count: Int(ChannelTelemetry.driftWindowSeconds))

    init(key: TrackKey) { self.key = key }

    mutating func beginSession() {
        firstFragmentSeen = false
        lastArrival = nil
        lastDecodeTime = nil
        firstArrival = nil
    }

    mutating func count(now: Int64, _ update: (inout SecondBucket) -> Void) {
        let second = now / MediaTime.ticksPerSecond
        let index = Int(second % Int64(buckets.count))
        if buckets[index].second != second { buckets[index] = SecondBucket(second: second) }
        update(&buckets[index])
    }

    mutating func frame(byteCount: Int, decodeTime: Int64, timescale: Int64, now: Int64) {
        isReceiving = true
        if firstArrival == nil { firstArrival = now }
        let previousArrival = lastArrival, previousTime = lastDecodeTime, previousTimescale = self.timescale
        count(now: now) { bucket in
            bucket.bytes += byteCount
            guard let previousTime, let previousArrival, previousTimescale == timescale, timescale > 0 else { return }
            if decodeTime == previousTime {
                bucket.overlaps += 1
            } else if decodeTime < previousTime {
                bucket.nonIncreasing += 1
            } else {
                let media = MediaTime.rescale(decodeTime - previousTime, from: timescale, to: MediaTime.ticksPerSecond)
                let wall = now - previousArrival
                if media < ChannelTelemetry.driftBreak && wall >= 0 && wall < ChannelTelemetry.driftBreak {
                    bucket.mediaAdvance += media
                    bucket.wallAdvance += wall
                }
            }
        }
        // Keep the newest time even when it went backwards: the next frame is compared with it.
        lastDecodeTime = decodeTime
        self.timescale = timescale
        lastArrival = now
    }

    func event(_ kind: ChannelStreamEvent.Kind, time: Int64, level: ChannelStreamEvent.Level,
               _ fill: (inout ChannelStreamEvent) -> Void) -> ChannelStreamEvent {
        var event = ChannelStreamEvent(kind: kind, time: time, level: level, streamName: key.stream)
        event.trackName = key.kind.rawValue
        event.mediaType = key.kind
        event.trackID = published?.trackID
        event.bitrate = declaredBitrate ?? published?.bitrate
        fill(&event)
        return event
    }

    func figures(now: Int64, streamActive: Bool) -> TrackTelemetry {
        let second = now / MediaTime.ticksPerSecond
        var window = SecondBucket()
        var wallAdvance: Int64 = 0, mediaAdvance: Int64 = 0, framesInDriftWindow = false
        for bucket in buckets where bucket.second >= 0 && bucket.second <= second {
            let age = second - bucket.second
            if age < Int64(buckets.count) {
                wallAdvance += bucket.wallAdvance
                mediaAdvance += bucket.mediaAdvance
                if bucket.bytes > 0 { framesInDriftWindow = true }
            }
            // Counters cover the current second and the 20 before it (nothing is lost at the edge).
            if age <= ChannelTelemetry.windowSeconds {
                window.discontinuities += bucket.discontinuities
                window.largeDiscontinuities += bucket.largeDiscontinuities
                window.overlaps += bucket.overlaps
                window.nonIncreasing += bucket.nonIncreasing
                window.dropped += bucket.dropped
            }
            // The rate uses whole seconds only: the current one is still filling.
            if age >= 1 && age <= ChannelTelemetry.windowSeconds { window.bytes += bucket.bytes }
        }
        var incoming = 0
        if let first = firstArrival {
            let firstSecond = first / MediaTime.ticksPerSecond
            // A track younger than the window is averaged over the whole seconds it has existed.
            let seconds = min(ChannelTelemetry.windowSeconds, second - firstSecond)
            if seconds > 0 { incoming = Int(Int64(window.bytes) * 8 / seconds) }
        }
        var drift: Int?
        if framesInDriftWindow {
            if wallAdvance > 0 {
                let delay = Double(wallAdvance - mediaAdvance) / Double(wallAdvance) * 60
                drift = max(0, Int(delay.rounded()))
            } else {
                drift = 0
            }
        }
        let receiving = streamActive && isReceiving && (lastArrival.map { now - $0 <= ChannelTelemetry.windowSeconds * MediaTime.ticksPerSecond } ?? false)
        let expected = declaredBitrate ?? published?.bitrate ?? 0

        // Health of this track by the service's rule.
        var descriptions: [String] = []
        var health = ChannelHealth.excellent
        func lower(to level: ChannelHealth, _ why: String) {
            health = max(health, level)
            descriptions.append(why)
        }
        let id = "\(key.kind.rawValue)_\(expected > 0 ? expected : incoming) (\(key.stream))"
        if !receiving {
            lower(to: .poor, "\(id): no media in the last \(ChannelTelemetry.windowSeconds) s")
        } else if expected > 0 {
            let percent = incoming * 100 / expected
            if percent < 20 {
                lower(to: .poor, "\(id): incoming bitrate \(incoming / 1000) kbit/s is \(percent) % of the expected \(expected / 1000) kbit/s")
            } else if percent < 75 {
                lower(to: .good, "\(id): incoming bitrate \(incoming / 1000) kbit/s is \(percent) % of the expected \(expected / 1000) kbit/s")
            }
        }
        if window.largeDiscontinuities > 0 {
            lower(to: .poor, "\(id): \(window.largeDiscontinuities) discontinuities of 10 s or more in the last \(ChannelTelemetry.windowSeconds) s")
        }
        if window.discontinuities > window.largeDiscontinuities {
            lower(to: .good, "\(id): \(window.discontinuities - window.largeDiscontinuities) discontinuities shorter than 10 s in the last \(ChannelTelemetry.windowSeconds) s")
        }
        if window.overlaps + window.nonIncreasing + window.dropped > 0 {
            lower(to: .poor, "\(id): \(window.overlaps) overlapping and \(window.nonIncreasing) non-increasing timestamps, \(window.dropped) frames dropped in the last \(ChannelTelemetry.windowSeconds) s")
        }
        if let drift, drift != 0 {
            lower(to: .good, "\(id): ingest drift \(drift) s per minute")
        }
        let unexpected = receiving && expected > 0 && abs(incoming - expected) * 2 > expected

        return TrackTelemetry(key: key, trackID: published?.trackID, expectedBitrate: expected, incomingBitrate: incoming,
                              ingestDrift: drift, requestsReceived: requestsReceived, requestsSucceeded: requestsSucceeded,
                              lastTimestamp: lastDecodeTime, timescale: timescale, lastFragmentArrival: lastFragmentArrival,
                              discontinuitiesInWindow: window.discontinuities, overlapsInWindow: window.overlaps,
                              nonIncreasingInWindow: window.nonIncreasing, droppedInWindow: window.dropped,
                              unexpectedBitrate: unexpected, isReceiving: receiving, health: health,
                              healthDescriptions: descriptions)
    }
}

// MARK: - Bounded list

/// A list that keeps its newest `capacity` elements.
private struct BoundedList<Element: Sendable>: Sendable {
    private var storage: [Element]
    private var start = 0
    let capacity: Int

    init(_ elements: [Element] = [], capacity: Int) {
        self.capacity = capacity
        self.storage = Array(elements.suffix(capacity))
    }

    mutating func append(_ element: Element) {
        if storage.count < capacity {
            storage.append(element)
        } else {
            storage[start] = element
            start = (start + 1) % capacity
        }
    }

    /// Oldest first.
    var elements: [Element] { Array(storage[start...] + storage[..<start]) }
}
