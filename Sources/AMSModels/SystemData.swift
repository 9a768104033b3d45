// ARM `systemData` (common-types v2): who created and last modified a resource, and when.
import Foundation

/// Read-only metadata about the creation and last modification of a resource.
public struct SystemData: Codable, Sendable, Equatable {
    /// Identity that created the resource.
    public var createdBy: String?
    /// Kind of identity that created the resource.
    public var createdByType: CreatedByType?
    /// Creation time (UTC).
    public var createdAt: Date?
    /// Identity that last modified the resource.
    public var lastModifiedBy: String?
    /// Kind of identity that last modified the resource.
    public var lastModifiedByType: CreatedByType?
    /// Last modification time (UTC).
    public var lastModifiedAt: Date?

    /// Creates system data; every field is optional.
    public init(createdBy: String? = nil, createdByType: CreatedByType? = nil, createdAt: Date? = nil,
                lastModifiedBy: String? = nil, lastModifiedByType: CreatedByType? = nil, lastModifiedAt: Date? = nil) {
        self.createdBy = createdBy
        self.createdByType = createdByType
        self.createdAt = createdAt
        self.lastModifiedBy = lastModifiedBy
        self.lastModifiedByType = lastModifiedByType
        self.lastModifiedAt = lastModifiedAt
    }
}

// MARK: - Shared sub-models

/// `IPRange`: one allowed address range in CIDR form.
public struct IPRange: Codable, Sendable, Equatable {
    /// Friendly name of the range.
    public var name: String?
    /// The IP address.
    public var address: String?
    /// CIDR prefix length.
    public var subnetPrefixLength: Int32?

    /// Creates a range.
    public init(name: String? = nil, address: String? = nil, subnetPrefixLength: Int32? = nil) {
        self.name = name
        self.address = address
        self.subnetPrefixLength = subnetPrefixLength
    }
}

/// `IPAccessControl`: the allow list.
public struct IPAccessControl: Codable, Sendable, Equatable {
    /// Allowed ranges; an empty list allows nothing.
    public var allow: [IPRange]?

    /// Creates an access control.
    public init(allow: [IPRange]? = nil) { self.allow = allow }
}

/// `CrossSiteAccessPolicies`: Silverlight/Flash policy documents.
public struct CrossSiteAccessPolicies: Codable, Sendable, Equatable {
    /// Content of clientaccesspolicy.xml.
    public var clientAccessPolicy: String?
    /// Content of crossdomain.xml.
    public var crossDomainPolicy: String?

    /// Creates policies.
    public init(clientAccessPolicy: String? = nil, crossDomainPolicy: String? = nil) {
        self.clientAccessPolicy = clientAccessPolicy
        self.crossDomainPolicy = crossDomainPolicy
    }
}
