// `Microsoft.Media/mediaservices/streamingEndpoints` (TrackedResource), JSON names as Streaming 2022-11-01.
import Foundation

/// A streaming endpoint: the origin that serves every locator of the account.
public struct StreamingEndpoint: Codable, Sendable, Equatable {
    /// ARM id (read-only).
    public var id: String?
    /// Resource name (read-only).
    public var name: String?
    /// `Microsoft.Media/mediaservices/streamingendpoints` (read-only).
    public var type: String?
    /// Azure region; required on create.
    public var location: String?
    /// Resource tags.
    public var tags: [String: String]?
    /// Creation/modification metadata (read-only).
    public var systemData: SystemData?
    /// Current SKU.
    public var sku: StreamingEndpointSku?
    /// The streaming endpoint properties.
    public var properties: StreamingEndpointProperties?

    /// Creates a streaming endpoint.
    public init(id: String? = nil, name: String? = nil, type: String? = nil, location: String? = nil, tags: [String: String]? = nil,
                systemData: SystemData? = nil, sku: StreamingEndpointSku? = nil, properties: StreamingEndpointProperties? = nil) {
        self.id = id
        self.name = name
        self.type = type
        self.location = location
        self.tags = tags
        self.systemData = systemData
        self.sku = sku
        self.properties = properties
    }
}

/// `ArmStreamingEndpointCurrentSku`.
public struct StreamingEndpointSku: Codable, Sendable, Equatable {
    /// `Standard` or `Premium` (read-only).
    public var name: String?
    /// Capacity.
    public var capacity: Int32?

    /// Creates a SKU.
    public init(name: String? = nil, capacity: Int32? = nil) {
        self.name = name
        self.capacity = capacity
    }
}

/// `StreamingEndpointProperties`.
public struct StreamingEndpointProperties: Codable, Sendable, Equatable {
    /// Free-text description.
    public var description: String?
    /// Scale units (0 = Standard); required.
    public var scaleUnits: Int32?
    /// Deprecated; accepted and echoed.
    public var availabilitySetName: String?
    /// Akamai and IP access control.
    public var accessControl: StreamingEndpointAccessControl?
    /// `Cache-Control: max-age` in seconds.
    public var maxCacheAge: Int64?
    /// Custom host names.
    public var customHostNames: [String]?
    /// Host name (read-only).
    public var hostName: String?
    /// Whether a CDN fronts the endpoint.
    public var cdnEnabled: Bool?
    /// CDN provider name.
    public var cdnProvider: String?
    /// CDN profile name.
    public var cdnProfile: String?
    /// Provisioning state (read-only).
    public var provisioningState: String?
    /// Lifecycle state (read-only).
    public var resourceState: StreamingEndpointResourceState?
    /// Silverlight/Flash policy files.
    public var crossSiteAccessPolicies: CrossSiteAccessPolicies?
    /// End of the free trial (read-only).
    public var freeTrialEndTime: Date?
    /// Creation time (read-only).
    public var created: Date?
    /// Last modification time (read-only).
    public var lastModified: Date?

    /// Creates streaming endpoint properties.
    public init(description: String? = nil, scaleUnits: Int32? = nil, availabilitySetName: String? = nil, accessControl: StreamingEndpointAccessControl? = nil,
                maxCacheAge: Int64? = nil, customHostNames: [String]? = nil, hostName: String? = nil, cdnEnabled: Bool? = nil, cdnProvider: String? = nil,
                cdnProfile: String? = nil, provisioningState: String? = nil, resourceState: StreamingEndpointResourceState? = nil,
                crossSiteAccessPolicies: CrossSiteAccessPolicies? = nil, freeTrialEndTime: Date? = nil, created: Date? = nil, lastModified: Date? = nil) {
        self.description = description
        self.scaleUnits = scaleUnits
        self.availabilitySetName = availabilitySetName
        self.accessControl = accessControl
        self.maxCacheAge = maxCacheAge
        self.customHostNames = customHostNames
        self.hostName = hostName
        self.cdnEnabled = cdnEnabled
        self.cdnProvider = cdnProvider
        self.cdnProfile = cdnProfile
        self.provisioningState = provisioningState
        self.resourceState = resourceState
        self.crossSiteAccessPolicies = crossSiteAccessPolicies
        self.freeTrialEndTime = freeTrialEndTime
        self.created = created
        self.lastModified = lastModified
    }
}

/// `StreamingEndpointAccessControl`.
public struct StreamingEndpointAccessControl: Codable, Sendable, Equatable {
    /// Akamai signature-header authentication.
    public var akamai: AkamaiAccessControl?
    /// IP allow list (only without CDN).
    public var ip: IPAccessControl?

    /// Creates an access control.
    public init(akamai: AkamaiAccessControl? = nil, ip: IPAccessControl? = nil) {
        self.akamai = akamai
        self.ip = ip
    }
}

/// `AkamaiAccessControl`.
public struct AkamaiAccessControl: Codable, Sendable, Equatable {
    /// Authentication keys.
    public var akamaiSignatureHeaderAuthenticationKeyList: [AkamaiSignatureHeaderAuthenticationKey]?

    /// Creates an Akamai access control.
    public init(akamaiSignatureHeaderAuthenticationKeyList: [AkamaiSignatureHeaderAuthenticationKey]? = nil) {
        self.akamaiSignatureHeaderAuthenticationKeyList = akamaiSignatureHeaderAuthenticationKeyList
    }
}

/// `AkamaiSignatureHeaderAuthenticationKey`.
public struct AkamaiSignatureHeaderAuthenticationKey: Codable, Sendable, Equatable {
    /// Key identifier.
    public var identifier: String?
    /// Base64 key.
    public var base64Key: String?
    /// Expiry.
    public var expiration: Date?

    /// Creates a key.
    public init(identifier: String? = nil, base64Key: String? = nil, expiration: Date? = nil) {
        self.identifier = identifier
        self.base64Key = base64Key
        self.expiration = expiration
    }
}
