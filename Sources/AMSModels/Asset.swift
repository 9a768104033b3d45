// `Microsoft.Media/mediaservices/assets` (ProxyResource), JSON names as Metadata 2023-01-01.
import Foundation

/// An asset: the storage container a live output archives into.
public struct Asset: Codable, Sendable, Equatable {
    /// ARM id (read-only).
    public var id: String?
    /// Resource name (read-only).
    public var name: String?
    /// `Microsoft.Media/mediaservices/assets` (read-only).
    public var type: String?
    /// Creation/modification metadata (read-only).
    public var systemData: SystemData?
    /// The asset properties.
    public var properties: AssetProperties?

    /// Creates an asset.
    public init(id: String? = nil, name: String? = nil, type: String? = nil, systemData: SystemData? = nil, properties: AssetProperties? = nil) {
        self.id = id
        self.name = name
        self.type = type
        self.systemData = systemData
        self.properties = properties
    }
}

/// `AssetProperties`.
public struct AssetProperties: Codable, Sendable, Equatable {
    /// Asset UUID (read-only).
    public var assetId: String?
    /// Creation time (read-only).
    public var created: Date?
    /// Last modification time (read-only).
    public var lastModified: Date?
    /// Caller's external id.
    public var alternateId: String?
    /// Free-text description.
    public var description: String?
    /// Container name; defaults to `asset-{assetId}`.
    public var container: String?
    /// Storage account name.
    public var storageAccountName: String?
    /// Client-side encryption format (read-only).
    public var storageEncryptionFormat: AssetStorageEncryptionFormat?
    /// Storage encryption scope.
    public var encryptionScope: String?

    /// Creates asset properties.
    public init(assetId: String? = nil, created: Date? = nil, lastModified: Date? = nil, alternateId: String? = nil, description: String? = nil,
                container: String? = nil, storageAccountName: String? = nil, storageEncryptionFormat: AssetStorageEncryptionFormat? = nil,
                encryptionScope: String? = nil) {
        self.assetId = assetId
        self.created = created
        self.lastModified = lastModified
        self.alternateId = alternateId
        self.description = description
        self.container = container
        self.storageAccountName = storageAccountName
        self.storageEncryptionFormat = storageEncryptionFormat
        self.encryptionScope = encryptionScope
    }
}
