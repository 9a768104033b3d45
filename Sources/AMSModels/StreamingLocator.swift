// `Microsoft.Media/mediaservices/streamingLocators` (ProxyResource), JSON names as Metadata 2023-01-01.
import Foundation

/// A streaming locator: publishes an asset under a locator id with a streaming policy.
public struct StreamingLocator: Codable, Sendable, Equatable {
    /// ARM id (read-only).
    public var id: String?
    /// Resource name (read-only).
    public var name: String?
    /// `Microsoft.Media/mediaservices/streamingLocators` (read-only).
    public var type: String?
    /// Creation/modification metadata (read-only).
    public var systemData: SystemData?
    /// The locator properties.
    public var properties: StreamingLocatorProperties?

    /// Creates a locator.
    public init(id: String? = nil, name: String? = nil, type: String? = nil, systemData: SystemData? = nil, properties: StreamingLocatorProperties? = nil) {
        self.id = id
        self.name = name
        self.type = type
        self.systemData = systemData
        self.properties = properties
    }
}

/// `StreamingLocatorProperties`.
public struct StreamingLocatorProperties: Codable, Sendable, Equatable {
    /// Asset to publish; required.
    public var assetName: String?
    /// Creation time (read-only).
    public var created: Date?
    /// Start of validity.
    public var startTime: Date?
    /// End of validity.
    public var endTime: Date?
    /// UUID that is the first path element of streaming URLs; generated when omitted.
    public var streamingLocatorId: String?
    /// Streaming policy (custom or `Predefined_*`); required.
    public var streamingPolicyName: String?
    /// Default content key policy.
    public var defaultContentKeyPolicyName: String?
    /// Content keys.
    public var contentKeys: [StreamingLocatorContentKey]?
    /// Alternative media id for key/license URL templates.
    public var alternativeMediaId: String?
    /// Asset or account filters always applied.
    public var filters: [String]?

    /// Creates locator properties.
    public init(assetName: String? = nil, created: Date? = nil, startTime: Date? = nil, endTime: Date? = nil, streamingLocatorId: String? = nil,
                streamingPolicyName: String? = nil, defaultContentKeyPolicyName: String? = nil, contentKeys: [StreamingLocatorContentKey]? = nil,
                alternativeMediaId: String? = nil, filters: [String]? = nil) {
        self.assetName = assetName
        self.created = created
        self.startTime = startTime
        self.endTime = endTime
        self.streamingLocatorId = streamingLocatorId
        self.streamingPolicyName = streamingPolicyName
        self.defaultContentKeyPolicyName = defaultContentKeyPolicyName
        self.contentKeys = contentKeys
        self.alternativeMediaId = alternativeMediaId
        self.filters = filters
    }
}

/// `StreamingLocatorContentKey`.
public struct StreamingLocatorContentKey: Codable, Sendable, Equatable {
    /// Key id (UUID); required.
    public var id: String
    /// Encryption type (read-only).
    public var type: StreamingLocatorContentKeyType?
    /// Label of the key in the streaming policy.
    public var labelReferenceInStreamingPolicy: String?
    /// Base64 key value.
    public var value: String?
    /// Content key policy (read-only).
    public var policyName: String?
    /// Tracks using this key (read-only).
    public var tracks: [TrackSelection]?

    /// Creates a content key.
    public init(id: String, type: StreamingLocatorContentKeyType? = nil, labelReferenceInStreamingPolicy: String? = nil, value: String? = nil,
                policyName: String? = nil, tracks: [TrackSelection]? = nil) {
        self.id = id
        self.type = type
        self.labelReferenceInStreamingPolicy = labelReferenceInStreamingPolicy
        self.value = value
        self.policyName = policyName
        self.tracks = tracks
    }
}

/// `TrackSelection`: a list of track property conditions.
public struct TrackSelection: Codable, Sendable, Equatable {
    /// Conditions, all of which must match.
    public var trackSelections: [TrackPropertyCondition]?

    /// Creates a selection.
    public init(trackSelections: [TrackPropertyCondition]? = nil) { self.trackSelections = trackSelections }
}

/// `TrackPropertyCondition`: `{property, operation, value}`.
public struct TrackPropertyCondition: Codable, Sendable, Equatable {
    /// Track property, e.g. `FourCC`.
    public var property: String
    /// Operation, e.g. `Equal`.
    public var operation: String
    /// Value to compare.
    public var value: String?

    /// Creates a condition.
    public init(property: String, operation: String, value: String? = nil) {
        self.property = property
        self.operation = operation
        self.value = value
    }
}
