// The pure mapping from a channel's ChannelTelemetrySnapshot to the live event telemetry answers (AMSModels).
import AMSModels
import Foundation
import Live
import Media

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
