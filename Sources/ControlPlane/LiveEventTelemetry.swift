// Live event telemetry (Streaming 2022-11-01: getStatus, getStreamEvents, getTrackIngestHeartbeats), JSON names
// exactly as the swagger, and the pure mapping from a channel's ChannelTelemetrySnapshot.
import Foundation
import Live
import Media

// MARK: - Enums

/// `LiveEventState` of the status (`Stopped` or `Running`).
public enum LiveEventState: String, ARMEnum {
    case stopped = "Stopped", running = "Running"
}

/// `LiveEventHealthStatus`.
public enum LiveEventHealthStatus: String, ARMEnum {
    case excellent = "Excellent", good = "Good", poor = "Poor"
}

/// `LiveEventStreamEventType`.
public enum LiveEventStreamEventType: String, ARMEnum {
    case beginIngest = "StreamEvent/BeginIngest", endIngest = "StreamEvent/EndIngest"
    case firstChunkReceived = "StreamEvent/FirstChunkReceived", chunkDropped = "StreamEvent/ChunkDropped"
    case unalignedKeyFrames = "StreamEvent/UnalignedKeyFrames", unalignedPresentation = "StreamEvent/UnalignedPresentation"
    case discontinuity = "StreamEvent/Discontinuity", invalidConnection = "StreamEvent/InvalidConnection"
}

/// `LiveEventStreamEventLevel`.
public enum LiveEventStreamEventLevel: String, ARMEnum {
    case critical = "Critical", error = "Error", warning = "Warning", information = "Information"
}

/// `LiveEventStreamEventMediaType` (lower case, as the swagger).
public enum LiveEventStreamEventMediaType: String, ARMEnum {
    case audio, video
}

/// `LiveEventStreamEventMinTimeMediaType` / `…MaxTimeMediaType`.
public enum LiveEventStreamEventTimeMediaType: String, ARMEnum {
    case audio = "Audio", video = "Video"
}

/// `LiveEventTrackEventType`.
public enum LiveEventTrackEventType: String, ARMEnum {
    case ingestHeartbeat = "TrackEvent/IngestHeartbeat"
}

/// `LiveEventTrackEventTrackType`.
public enum LiveEventTrackEventTrackType: String, ARMEnum {
    case audio, video
}

// MARK: - getStatus

/// `LiveEventGetStatusResult`: the body of `POST …/liveEvents/{name}/getStatus`.
public struct LiveEventGetStatusResult: Codable, Sendable, Equatable {
    /// One status entry.
    public var value: [LiveEventStatus]?
    /// Creates a result.
    public init(value: [LiveEventStatus]? = nil) { self.value = value }
}

/// `LiveEventStatus`.
public struct LiveEventStatus: Codable, Sendable, Equatable {
    public var state: LiveEventState?
    /// Health over the last 20 s.
    public var healthStatus: LiveEventHealthStatus?
    public var healthDescriptions: [String]?
    public var lastUpdatedTime: Date?
    public var ingestion: LiveEventIngestion?
    public var trackStatus: [LiveEventTrackStatus]?

    /// Creates a status.
    public init(state: LiveEventState? = nil, healthStatus: LiveEventHealthStatus? = nil, healthDescriptions: [String]? = nil,
                lastUpdatedTime: Date? = nil, ingestion: LiveEventIngestion? = nil, trackStatus: [LiveEventTrackStatus]? = nil) {
        self.state = state
        self.healthStatus = healthStatus
        self.healthDescriptions = healthDescriptions
        self.lastUpdatedTime = lastUpdatedTime
        self.ingestion = ingestion
        self.trackStatus = trackStatus
    }
}

/// `LiveEventIngestion`.
public struct LiveEventIngestion: Codable, Sendable, Equatable {
    public var streamName: String?
    public var begin: Date?
    /// Absent while ingesting.
    public var end: Date?
    /// Absent while ingesting.
    public var endReason: String?
    public var ingestInterruptions: [LiveEventIngestInterruption]?

    /// Creates an ingestion entry.
    public init(streamName: String? = nil, begin: Date? = nil, end: Date? = nil, endReason: String? = nil,
                ingestInterruptions: [LiveEventIngestInterruption]? = nil) {
        self.streamName = streamName
        self.begin = begin
        self.end = end
        self.endReason = endReason
        self.ingestInterruptions = ingestInterruptions
    }
}

/// `LiveEventIngestInterruption`.
public struct LiveEventIngestInterruption: Codable, Sendable, Equatable {
    public var begin: Date?
    public var end: Date?
    /// ISO 8601 duration (`PT1.5S`).
    public var duration: String?
    public var reason: String?

    /// Creates an interruption entry.
    public init(begin: Date? = nil, end: Date? = nil, duration: String? = nil, reason: String? = nil) {
        self.begin = begin
        self.end = end
        self.duration = duration
        self.reason = reason
    }
}

/// `LiveEventTrackStatus`.
public struct LiveEventTrackStatus: Codable, Sendable, Equatable {
    /// `video_<bitrate>` / `audio_<bitrate>`.
    public var trackId: String?
    public var expectedBitrate: Int64?
    /// Average over the last 20 s.
    public var incomingBitrate: Int64?
    /// Seconds of delay over the last minute, or `n/a`.
    public var ingestDrift: String?
    public var requestReceived: Int64?
    public var requestSucceeded: Int64?

    /// Creates a track status.
    public init(trackId: String? = nil, expectedBitrate: Int64? = nil, incomingBitrate: Int64? = nil, ingestDrift: String? = nil,
                requestReceived: Int64? = nil, requestSucceeded: Int64? = nil) {
        self.trackId = trackId
        self.expectedBitrate = expectedBitrate
        self.incomingBitrate = incomingBitrate
        self.ingestDrift = ingestDrift
        self.requestReceived = requestReceived
        self.requestSucceeded = requestSucceeded
    }
}

// MARK: - getStreamEvents

/// `LiveEventGetStreamEventsResult`: the body of `POST …/liveEvents/{name}/getStreamEvents`.
public struct LiveEventGetStreamEventsResult: Codable, Sendable, Equatable {
    public var value: [LiveEventStreamEvent]?
    /// Creates a result.
    public init(value: [LiveEventStreamEvent]? = nil) { self.value = value }
}

/// `LiveEventStreamEvent`.
public struct LiveEventStreamEvent: Codable, Sendable, Equatable {
    public var eventType: LiveEventStreamEventType?
    public var eventTime: Date?
    public var eventLevel: LiveEventStreamEventLevel?
    public var data: LiveEventStreamEventData?

    /// Creates a stream event.
    public init(eventType: LiveEventStreamEventType? = nil, eventTime: Date? = nil, eventLevel: LiveEventStreamEventLevel? = nil,
                data: LiveEventStreamEventData? = nil) {
        self.eventType = eventType
        self.eventTime = eventTime
        self.eventLevel = eventLevel
        self.data = data
    }
}

/// `LiveEventStreamEventData`: the fields that apply to the event type are set, the others omitted.
public struct LiveEventStreamEventData: Codable, Sendable, Equatable {
    public var trackName: String?
    /// `trackName_bitrate`.
    public var streamId: String?
    public var trackId: Int32?
    public var mediaType: LiveEventStreamEventMediaType?
    public var bitrate: Int64?
    public var mediaTimestamp: String?
    public var timescale: String?
    public var previousFragmentTimestamp: String?
    public var previousFragmentDuration: String?
    public var currentFragmentTimestamp: String?
    public var fragmentOneTimestamp: String?
    public var fragmentOneDuration: String?
    public var fragmentTwoTimestamp: String?
    public var fragmentTwoDuration: String?
    public var fragmentDropReason: String?
    public var discontinuityGap: Int64?
    public var streamName: String?
    public var resultCode: String?
    public var resultMessage: String?
    public var duration: String?
    public var resolution: String?
    public var minTime: String?
    public var minTimeMediaType: LiveEventStreamEventTimeMediaType?
    public var maxTime: String?
    public var maxTimeMediaType: LiveEventStreamEventTimeMediaType?
    public var timescaleOfMinTime: String?
    public var timescaleOfMaxTime: String?
    /// The encoder's address, truncated (last IPv4 byte, last IPv6 groups hidden).
    public var remoteIp: String?
    public var remotePort: String?

    /// Creates empty event data; set the fields that apply.
    public init() {}
}

// MARK: - getTrackIngestHeartbeats

/// `LiveEventGetTrackIngestHeartbeatsResult`: the body of `POST …/liveEvents/{name}/getTrackIngestHeartbeats`.
public struct LiveEventGetTrackIngestHeartbeatsResult: Codable, Sendable, Equatable {
    public var value: [LiveEventTrackEvent]?
    /// Creates a result.
    public init(value: [LiveEventTrackEvent]? = nil) { self.value = value }
}

/// `LiveEventTrackEvent`.
public struct LiveEventTrackEvent: Codable, Sendable, Equatable {
    public var eventType: LiveEventTrackEventType?
    public var eventTime: Date?
    public var data: LiveEventTrackEventData?

    /// Creates a track event.
    public init(eventType: LiveEventTrackEventType? = nil, eventTime: Date? = nil, data: LiveEventTrackEventData? = nil) {
        self.eventType = eventType
        self.eventTime = eventTime
        self.data = data
    }
}

/// `LiveEventTrackEventData`: one track's heartbeat; counters cover the last 20 s.
public struct LiveEventTrackEventData: Codable, Sendable, Equatable {
    public var trackName: String?
    public var trackType: LiveEventTrackEventTrackType?
    public var bitrate: Int64?
    public var incomingBitrate: Int64?
    public var lastTimestamp: String?
    public var timescale: String?
    public var overlapCount: Int64?
    public var discontinuityCount: Int64?
    public var nonincreasingCount: Int64?
    public var unexpectedBitrate: Bool?
    public var state: String?
    public var healthy: Bool?
    public var lastFragmentArrivalTime: Date?
    /// Seconds of delay per minute, or `n/a`.
    public var ingestDriftValue: String?
    /// `On` for audio when live transcription runs, else empty.
    public var transcriptionState: String?
    public var transcriptionLanguage: String?

    /// Creates empty heartbeat data; set the fields that apply.
    public init() {}
}

// MARK: - Mapping from the channel's telemetry

/// Time and text conversions shared by the telemetry mappings.
public enum LiveEventTelemetryTime {
    /// Ticks (100 ns since 1970) as a `Date`.
    public static func date(_ ticks: Int64) -> Date {
        Date(timeIntervalSince1970: Double(ticks) / Double(MediaTime.ticksPerSecond))
    }

    /// An ISO 8601 duration for ticks: whole seconds as `PT12S`, fractions to the millisecond (`PT1.5S`), zero as `PT0S`.
    public static func duration(_ ticks: Int64) -> String {
        let milliseconds = max(0, ticks) / 10_000
        let seconds = milliseconds / 1000, fraction = milliseconds % 1000
        var text = "PT"
        let hours = seconds / 3600, minutes = seconds % 3600 / 60, rest = seconds % 60
        if hours > 0 { text += "\(hours)H" }
        if minutes > 0 { text += "\(minutes)M" }
        if rest > 0 || fraction > 0 || (hours == 0 && minutes == 0) {
            if fraction > 0 {
                var digits = String(fraction)
                digits = String(repeating: "0", count: 3 - digits.count) + digits
                while digits.hasSuffix("0") { digits.removeLast() }
                text += "\(rest).\(digits)S"
            } else {
                text += "\(rest)S"
            }
        }
        return text
    }

    /// The encoder's address with its host part hidden, as the service reports it: `10.1.2.xxx`, `2001:db8:1:2:xxxx`.
    public static func truncatedAddress(_ address: String) -> String {
        if address.contains(":") {
            let groups = address.split(separator: ":", omittingEmptySubsequences: false)
            return groups.prefix(4).joined(separator: ":") + ":xxxx"
        }
        let octets = address.split(separator: ".")
        guard octets.count == 4 else { return address }
        return octets.prefix(3).joined(separator: ".") + ".xxx"
    }

    /// Drift text: whole seconds per minute, or `n/a` when no media arrived.
    static func drift(_ value: Int?) -> String { value.map(String.init) ?? "n/a" }
}

extension LiveEventHealthStatus {
    /// The channel's health level.
    public init(_ health: ChannelHealth) {
        switch health {
        case .excellent: self = .excellent
        case .good: self = .good
        case .poor: self = .poor
        }
    }
}

extension LiveEventStatus {
    /// The status of a running live event from its channel's telemetry.
    public init(snapshot: ChannelTelemetrySnapshot) {
        self.init(state: .running, healthStatus: LiveEventHealthStatus(snapshot.health),
                  healthDescriptions: snapshot.healthDescriptions,
                  lastUpdatedTime: LiveEventTelemetryTime.date(snapshot.time),
                  ingestion: snapshot.ingestion.map(LiveEventIngestion.init(ingestion:)),
                  trackStatus: snapshot.tracks.map(LiveEventTrackStatus.init(track:)))
    }

    /// The status of a live event with no running channel (Stopped, StandBy, …): no ingestion, no tracks.
    public static func stopped(at time: Date) -> LiveEventStatus {
        LiveEventStatus(state: .stopped, healthStatus: .poor, healthDescriptions: ["the live event is not running"],
                        lastUpdatedTime: time, trackStatus: [])
    }
}

extension LiveEventGetStatusResult {
    /// The getStatus body of a running live event.
    public init(snapshot: ChannelTelemetrySnapshot) { self.init(value: [LiveEventStatus(snapshot: snapshot)]) }
}

extension LiveEventIngestion {
    /// The ingestion entry from the channel's ingestion period.
    public init(ingestion: IngestionTelemetry) {
        self.init(streamName: ingestion.streamName, begin: LiveEventTelemetryTime.date(ingestion.begin),
                  end: ingestion.end.map(LiveEventTelemetryTime.date), endReason: ingestion.endReason?.code,
                  ingestInterruptions: ingestion.interruptions.map {
                      LiveEventIngestInterruption(begin: LiveEventTelemetryTime.date($0.begin), end: LiveEventTelemetryTime.date($0.end),
                                                  duration: LiveEventTelemetryTime.duration($0.duration), reason: $0.reason)
                  })
    }
}

extension LiveEventTrackStatus {
    /// One track's status entry.
    public init(track: TrackTelemetry) {
        self.init(trackId: track.trackId, expectedBitrate: Int64(track.expectedBitrate), incomingBitrate: Int64(track.incomingBitrate),
                  ingestDrift: LiveEventTelemetryTime.drift(track.ingestDrift),
                  requestReceived: Int64(track.requestsReceived), requestSucceeded: Int64(track.requestsSucceeded))
    }
}

extension LiveEventStreamEvent {
    /// A stream event from the channel's event ring.
    public init(event: ChannelStreamEvent) {
        let type: LiveEventStreamEventType
        switch event.kind {
        case .beginIngest: type = .beginIngest
        case .endIngest: type = .endIngest
        case .firstChunkReceived: type = .firstChunkReceived
        case .chunkDropped: type = .chunkDropped
        case .discontinuity: type = .discontinuity
        case .invalidConnection: type = .invalidConnection
        case .unalignedKeyFrames: type = .unalignedKeyFrames
        }
        let level = LiveEventStreamEventLevel(rawValue: event.level.rawValue) ?? .information
        var data = LiveEventStreamEventData()
        data.trackName = event.trackName
        if let name = event.trackName, let bitrate = event.bitrate { data.streamId = "\(name)_\(bitrate)" }
        data.trackId = event.trackID.map { Int32(truncatingIfNeeded: $0) }
        data.mediaType = event.mediaType.flatMap { LiveEventStreamEventMediaType(rawValue: $0.rawValue) }
        data.bitrate = event.bitrate.map(Int64.init)
        data.mediaTimestamp = event.mediaTimestamp.map(String.init)
        data.timescale = event.timescale.map(String.init)
        data.duration = event.duration.map(String.init)
        data.previousFragmentTimestamp = event.previousFragmentTimestamp.map(String.init)
        data.currentFragmentTimestamp = event.currentFragmentTimestamp.map(String.init)
        data.discontinuityGap = event.discontinuityGap
        data.fragmentDropReason = event.fragmentDropReason
        data.streamName = event.streamName
        data.resultCode = event.resultCode
        data.resultMessage = event.resultMessage
        data.remoteIp = event.remoteAddress.map(LiveEventTelemetryTime.truncatedAddress)
        data.remotePort = event.remotePort.map(String.init)
        self.init(eventType: type, eventTime: LiveEventTelemetryTime.date(event.time), eventLevel: level, data: data)
    }
}

extension LiveEventGetStreamEventsResult {
    /// The getStreamEvents body: the channel's events, oldest first.
    public init(snapshot: ChannelTelemetrySnapshot) { self.init(value: snapshot.events.map(LiveEventStreamEvent.init(event:))) }
}

extension LiveEventTrackEvent {
    /// One track's heartbeat as of the snapshot time.
    /// - Parameters:
    ///   - state: the live event's state reported in `data.state` (default `Running`).
    ///   - transcriptionLanguage: BCP-47 language when live transcription runs on this event (audio heartbeats say `On`).
    public init(track: TrackTelemetry, time: Int64, state: String = LiveEventState.running.rawValue, transcriptionLanguage: String? = nil) {
        var data = LiveEventTrackEventData()
        data.trackName = track.trackName
        data.trackType = LiveEventTrackEventTrackType(rawValue: track.key.kind.rawValue)
        data.bitrate = Int64(track.bitrate)
        data.incomingBitrate = Int64(track.incomingBitrate)
        data.lastTimestamp = track.lastTimestamp.map(String.init) ?? "0"
        data.timescale = String(track.timescale)
        data.overlapCount = Int64(track.overlapsInWindow)
        data.discontinuityCount = Int64(track.discontinuitiesInWindow)
        data.nonincreasingCount = Int64(track.nonIncreasingInWindow)
        data.unexpectedBitrate = track.unexpectedBitrate
        data.state = state
        data.healthy = track.healthy
        data.lastFragmentArrivalTime = track.lastFragmentArrival.map(LiveEventTelemetryTime.date)
        data.ingestDriftValue = LiveEventTelemetryTime.drift(track.ingestDrift)
        let transcribed = transcriptionLanguage != nil && track.key.kind == .audio
        data.transcriptionState = transcribed ? "On" : ""
        data.transcriptionLanguage = transcribed ? transcriptionLanguage : ""
        self.init(eventType: .ingestHeartbeat, eventTime: LiveEventTelemetryTime.date(time), data: data)
    }
}

extension LiveEventGetTrackIngestHeartbeatsResult {
    /// The getTrackIngestHeartbeats body: one heartbeat per track of the snapshot.
    public init(snapshot: ChannelTelemetrySnapshot, transcriptionLanguage: String? = nil) {
        self.init(value: snapshot.tracks.map {
            LiveEventTrackEvent(track: $0, time: snapshot.time, transcriptionLanguage: transcriptionLanguage)
        })
    }
}
