import Live

/// Whether an encoder may publish: the channel its access token feeds, or why it is refused.
public enum IngestAdmission: Sendable {
    case accept(LiveChannel)
    /// `code` is the service's error code (see ``IngestRefusalCode``); `reason` says what to fix.
    case refuse(code: String, reason: String)
}

/// The service's codes for refused encoders, sent in the RTMP error description and logged.
public enum IngestRefusalCode {
    /// No live event has this access token.
    public static let unknownAccessToken = "MPE_RTMP_APPID_AUTH_FAILURE"
    /// The encoder's address is outside the live event's `input.accessControl.ip.allow` ranges.
    public static let connectionDenied = "MPE_INGEST_ENCODER_CONNECTION_DENIED"
    /// A second quality pushed to an encoding live event, which takes a single bitrate.
    public static let qualitiesExceeded = "MPE_INGEST_MEDIA_QUALITIES_EXCEEDED"
    /// The live event exists but is not Running (edgelive's code: the service has no such endpoint then).
    public static let eventNotRunning = "MPE_INGEST_LIVE_EVENT_NOT_RUNNING"
}
