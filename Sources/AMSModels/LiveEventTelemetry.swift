// Live event telemetry (Streaming 2022-11-01: getStatus, getStreamEvents, getTrackIngestHeartbeats), JSON names
// exactly as the swagger. ControlPlane maps a channel's telemetry into these (LiveEventTelemetry+Channel.swift).
import Foundation

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
