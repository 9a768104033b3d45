// `Microsoft.Media/mediaservices/liveEvents` (TrackedResource), JSON names exactly as Streaming 2022-11-01.
import Foundation

/// A live event: the ingest point for one contribution stream.
public struct LiveEvent: Codable, Sendable, Equatable {
    /// ARM id (read-only).
    public var id: String?
    /// Resource name (read-only).
    public var name: String?
    /// `Microsoft.Media/mediaservices/liveevents` (read-only).
    public var type: String?
    /// Azure region; required on create, immutable.
    public var location: String?
    /// Resource tags.
    public var tags: [String: String]?
    /// Creation/modification metadata (read-only).
    public var systemData: SystemData?
    /// The live event properties.
    public var properties: LiveEventProperties?

    /// Creates a live event.
    public init(id: String? = nil, name: String? = nil, type: String? = nil, location: String? = nil, tags: [String: String]? = nil,
                systemData: SystemData? = nil, properties: LiveEventProperties? = nil) {
        self.id = id
        self.name = name
        self.type = type
        self.location = location
        self.tags = tags
        self.systemData = systemData
        self.properties = properties
    }
}

extension LiveEvent {
    /// The tag that sets one event's encode fallback policy (`auto` or `never`), overriding the box's
    /// `[encoding] encode-policy`. A tag, so the service's API and SDKs carry it unchanged; the CLI's `--encode-policy` sets it.
    public static let encodePolicyTag = "edgelive.encodePolicy"
}

/// `LiveEventProperties`.
public struct LiveEventProperties: Codable, Sendable, Equatable {
    /// Free-text description.
    public var description: String?
    /// Input settings; required.
    public var input: LiveEventInput?
    /// Preview settings.
    public var preview: LiveEventPreview?
    /// Encoding settings (create-only).
    public var encoding: LiveEventEncoding?
    /// Live transcription settings.
    public var transcriptions: [LiveEventTranscription]?
    /// `InProgress`, `Succeeded`, `Failed` (read-only, free string in the swagger).
    public var provisioningState: String?
    /// Lifecycle state (read-only).
    public var resourceState: LiveEventResourceState?
    /// Silverlight/Flash policy files.
    public var crossSiteAccessPolicies: CrossSiteAccessPolicies?
    /// Whether ingest/preview host names are stable across stop/start.
    public var useStaticHostname: Bool?
    /// Host name prefix used when `useStaticHostname` is true.
    public var hostnamePrefix: String?
    /// Latency options (create-only).
    public var streamOptions: [StreamOptionsFlag]?
    /// Creation time (read-only).
    public var created: Date?
    /// Last modification time (read-only).
    public var lastModified: Date?

    /// Creates live event properties.
    public init(description: String? = nil, input: LiveEventInput? = nil, preview: LiveEventPreview? = nil, encoding: LiveEventEncoding? = nil,
                transcriptions: [LiveEventTranscription]? = nil, provisioningState: String? = nil, resourceState: LiveEventResourceState? = nil,
                crossSiteAccessPolicies: CrossSiteAccessPolicies? = nil, useStaticHostname: Bool? = nil, hostnamePrefix: String? = nil,
                streamOptions: [StreamOptionsFlag]? = nil, created: Date? = nil, lastModified: Date? = nil) {
        self.description = description
        self.input = input
        self.preview = preview
        self.encoding = encoding
        self.transcriptions = transcriptions
        self.provisioningState = provisioningState
        self.resourceState = resourceState
        self.crossSiteAccessPolicies = crossSiteAccessPolicies
        self.useStaticHostname = useStaticHostname
        self.hostnamePrefix = hostnamePrefix
        self.streamOptions = streamOptions
        self.created = created
        self.lastModified = lastModified
    }
}

/// `LiveEventInput`.
public struct LiveEventInput: Codable, Sendable, Equatable {
    /// RTMP or FragmentedMP4; required, create-only.
    public var streamingProtocol: LiveEventInputProtocol?
    /// Allowed encoder addresses.
    public var accessControl: LiveEventAccessControl?
    /// ISO-8601 key frame interval of the input (pass-through only), kept as sent.
    public var keyFrameIntervalDuration: String?
    /// Path element of the ingest URLs; generated when omitted.
    public var accessToken: String?
    /// Ingest URLs (read-only).
    public var endpoints: [LiveEventEndpoint]?
    /// Timed-metadata insertion URLs (read-only).
    public var timedMetadataEndpoints: [LiveEventTimedMetadataEndpoint]?

    /// Creates an input.
    public init(streamingProtocol: LiveEventInputProtocol? = nil, accessControl: LiveEventAccessControl? = nil, keyFrameIntervalDuration: String? = nil,
                accessToken: String? = nil, endpoints: [LiveEventEndpoint]? = nil, timedMetadataEndpoints: [LiveEventTimedMetadataEndpoint]? = nil) {
        self.streamingProtocol = streamingProtocol
        self.accessControl = accessControl
        self.keyFrameIntervalDuration = keyFrameIntervalDuration
        self.accessToken = accessToken
        self.endpoints = endpoints
        self.timedMetadataEndpoints = timedMetadataEndpoints
    }
}

/// `LiveEventInputAccessControl` / `LiveEventPreviewAccessControl` (same shape: `{ip}`).
public struct LiveEventAccessControl: Codable, Sendable, Equatable {
    /// IP allow list.
    public var ip: IPAccessControl?

    /// Creates an access control.
    public init(ip: IPAccessControl? = nil) { self.ip = ip }
}

/// `LiveEventEndpoint`: one ingest or preview URL.
public struct LiveEventEndpoint: Codable, Sendable, Equatable {
    /// Protocol name, e.g. `RTMP`, `FragmentedMP4`.
    public var `protocol`: String?
    /// The URL.
    public var url: String?

    /// Creates an endpoint.
    public init(protocol: String? = nil, url: String? = nil) {
        self.protocol = `protocol`
        self.url = url
    }
}

/// `LiveEventTimedMetadataEndpoint`.
public struct LiveEventTimedMetadataEndpoint: Codable, Sendable, Equatable {
    /// The metadata insertion URL.
    public var url: String?

    /// Creates an endpoint.
    public init(url: String? = nil) { self.url = url }
}

/// `LiveEventPreview`.
public struct LiveEventPreview: Codable, Sendable, Equatable {
    /// Preview URLs (read-only).
    public var endpoints: [LiveEventEndpoint]?
    /// Allowed preview client addresses.
    public var accessControl: LiveEventAccessControl?
    /// GUID of the preview locator (create-only, generated when omitted).
    public var previewLocator: String?
    /// Streaming policy of the preview (create-only).
    public var streamingPolicyName: String?
    /// Alternative media id for key/license URL templates (create-only).
    public var alternativeMediaId: String?

    /// Creates preview settings.
    public init(endpoints: [LiveEventEndpoint]? = nil, accessControl: LiveEventAccessControl? = nil, previewLocator: String? = nil,
                streamingPolicyName: String? = nil, alternativeMediaId: String? = nil) {
        self.endpoints = endpoints
        self.accessControl = accessControl
        self.previewLocator = previewLocator
        self.streamingPolicyName = streamingPolicyName
        self.alternativeMediaId = alternativeMediaId
    }
}

/// `LiveEventEncoding` (create-only).
public struct LiveEventEncoding: Codable, Sendable, Equatable {
    /// Pass-through or encoding type; omitted means `None`.
    public var encodingType: LiveEventEncodingType?
    /// Encoder preset (encoding types only).
    public var presetName: String?
    /// Resize mode (encoding types only).
    public var stretchMode: StretchMode?
    /// ISO-8601 output fragment/GOP length (encoding types only), kept as sent.
    public var keyFrameInterval: String?

    /// Creates encoding settings.
    public init(encodingType: LiveEventEncodingType? = nil, presetName: String? = nil, stretchMode: StretchMode? = nil, keyFrameInterval: String? = nil) {
        self.encodingType = encodingType
        self.presetName = presetName
        self.stretchMode = stretchMode
        self.keyFrameInterval = keyFrameInterval
    }
}

/// `LiveEventTranscription`.
public struct LiveEventTranscription: Codable, Sendable, Equatable {
    /// BCP-47 language of the spoken audio, e.g. `en-US`.
    public var language: String?
    /// Reserved by the service; kept for round-trips.
    public var inputTrackSelection: [LiveEventInputTrackSelection]?
    /// Reserved by the service; kept for round-trips.
    public var outputTranscriptionTrack: LiveEventOutputTranscriptionTrack?

    /// Creates a transcription setting.
    public init(language: String? = nil, inputTrackSelection: [LiveEventInputTrackSelection]? = nil,
                outputTranscriptionTrack: LiveEventOutputTranscriptionTrack? = nil) {
        self.language = language
        self.inputTrackSelection = inputTrackSelection
        self.outputTranscriptionTrack = outputTranscriptionTrack
    }
}

/// `LiveEventInputTrackSelection` (reserved).
public struct LiveEventInputTrackSelection: Codable, Sendable, Equatable {
    /// Property name to select.
    public var property: String?
    /// Comparison operation.
    public var operation: String?
    /// Property value.
    public var value: String?

    /// Creates a selection.
    public init(property: String? = nil, operation: String? = nil, value: String? = nil) {
        self.property = property
        self.operation = operation
        self.value = value
    }
}

/// `LiveEventOutputTranscriptionTrack` (reserved).
public struct LiveEventOutputTranscriptionTrack: Codable, Sendable, Equatable {
    /// Output track name.
    public var trackName: String

    /// Creates a track.
    public init(trackName: String) { self.trackName = trackName }
}

// MARK: - Parsed durations

extension LiveEventInput {
    /// `keyFrameIntervalDuration` parsed; nil when absent, empty or invalid.
    public var keyFrameInterval: ISO8601Duration? { keyFrameIntervalDuration.flatMap { try? ISO8601Duration(parsing: $0) } }
}
