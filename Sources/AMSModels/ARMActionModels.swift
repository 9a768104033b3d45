// Bodies of the POST actions and operation-status resources: swagger-exact request and result models.
import Foundation

// MARK: - Long-running operation status

/// `AsyncOperationStatus`.
public enum AsyncOperationStatus: String, ARMEnum {
    case inProgress = "InProgress", succeeded = "Succeeded", failed = "Failed"
}

/// `AsyncOperationResult`: the body of `GET .../{family}Operations/{operationId}`.
public struct AsyncOperationResult: Codable, Sendable, Equatable {
    /// The operation id.
    public var name: String?
    /// Progress.
    public var status: AsyncOperationStatus?
    /// The failure, when `status` is `Failed`.
    public var error: ARMErrorDetail?

    /// Creates a result; leave `error` nil unless the operation failed.
    public init(name: String? = nil, status: AsyncOperationStatus? = nil, error: ARMErrorDetail? = nil) {
        self.name = name
        self.status = status
        self.error = error
    }

    private enum CodingKeys: String, CodingKey { case name, status, error }

    /// The service's in-progress answers carry `error: {code: "None", message: null}`, so the error decodes with null fields allowed.
    private struct LenientErrorDetail: Decodable {
        var code: String?
        var message: String?
        var target: String?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        status = try container.decodeIfPresent(AsyncOperationStatus.self, forKey: .status)
        error = try container.decodeIfPresent(LenientErrorDetail.self, forKey: .error).map {
            ARMErrorDetail(code: $0.code ?? "", message: $0.message ?? "", target: $0.target)
        }
    }
}

// MARK: - Live events and streaming endpoints

/// `LiveEventActionInput`: the body of live event `stop`.
public struct LiveEventActionInput: Codable, Sendable, Equatable {
    /// Delete the live outputs (never their assets) as part of stopping.
    public var removeOutputsOnStop: Bool?
    /// Creates an input.
    public init(removeOutputsOnStop: Bool? = nil) { self.removeOutputsOnStop = removeOutputsOnStop }
}

/// `StreamingEntityScaleUnit`: the body of streaming endpoint `scale`.
public struct StreamingEntityScaleUnit: Codable, Sendable, Equatable {
    /// The new scale unit count.
    public var scaleUnit: Int32?
    /// Creates an input.
    public init(scaleUnit: Int32? = nil) { self.scaleUnit = scaleUnit }
}

/// `StreamingEndpointSkuInfoListResult`: the body of `GET .../streamingEndpoints/{se}/skus`.
public struct StreamingEndpointSkuInfoListResult: Codable, Sendable, Equatable {
    /// The SKUs.
    public var value: [ArmStreamingEndpointSkuInfo]?
    /// Creates a result.
    public init(value: [ArmStreamingEndpointSkuInfo]? = nil) { self.value = value }

    /// The SKUs edgelive reports: Standard (no scale units) and Premium (1 to `maxScaleUnits`).
    public static func standardAndPremium(maxScaleUnits: Int32 = 10) -> StreamingEndpointSkuInfoListResult {
        let type = "Microsoft.Media/mediaservices/streamingEndpoints"
        return StreamingEndpointSkuInfoListResult(value: [
            ArmStreamingEndpointSkuInfo(resourceType: type, capacity: ArmStreamingEndpointCapacity(scaleType: "None", default: 0, minimum: 0, maximum: 0),
                                        sku: ArmStreamingEndpointSku(name: "Standard")),
            ArmStreamingEndpointSkuInfo(resourceType: type, capacity: ArmStreamingEndpointCapacity(scaleType: "Automatic", default: 1, minimum: 1, maximum: maxScaleUnits),
                                        sku: ArmStreamingEndpointSku(name: "Premium")),
        ])
    }
}

/// `ArmStreamingEndpointSkuInfo`.
public struct ArmStreamingEndpointSkuInfo: Codable, Sendable, Equatable {
    /// Resource type the SKU applies to.
    public var resourceType: String?
    /// Allowed capacity.
    public var capacity: ArmStreamingEndpointCapacity?
    /// The SKU.
    public var sku: ArmStreamingEndpointSku?
    /// Creates SKU info.
    public init(resourceType: String? = nil, capacity: ArmStreamingEndpointCapacity? = nil, sku: ArmStreamingEndpointSku? = nil) {
        self.resourceType = resourceType
        self.capacity = capacity
        self.sku = sku
    }
}

/// `ArmStreamingEndpointCapacity`.
public struct ArmStreamingEndpointCapacity: Codable, Sendable, Equatable {
    /// Scale type (read-only).
    public var scaleType: String?
    /// Default scale units.
    public var `default`: Int32?
    /// Minimum scale units.
    public var minimum: Int32?
    /// Maximum scale units.
    public var maximum: Int32?
    /// Creates a capacity.
    public init(scaleType: String? = nil, default: Int32? = nil, minimum: Int32? = nil, maximum: Int32? = nil) {
        self.scaleType = scaleType
        self.default = `default`
        self.minimum = minimum
        self.maximum = maximum
    }
}

/// `ArmStreamingEndpointSku`.
public struct ArmStreamingEndpointSku: Codable, Sendable, Equatable {
    /// `Standard` or `Premium` (read-only).
    public var name: String?
    /// Creates a SKU.
    public init(name: String? = nil) { self.name = name }
}

// MARK: - Assets

/// `AssetStreamingLocator`: one entry of `listStreamingLocators` (all read-only).
public struct AssetStreamingLocator: Codable, Sendable, Equatable {
    /// Locator name.
    public var name: String?
    /// Asset name.
    public var assetName: String?
    /// Creation time.
    public var created: Date?
    /// Start of validity.
    public var startTime: Date?
    /// End of validity.
    public var endTime: Date?
    /// Locator id (UUID).
    public var streamingLocatorId: String?
    /// Streaming policy name.
    public var streamingPolicyName: String?
    /// Default content key policy name.
    public var defaultContentKeyPolicyName: String?

    /// Creates an entry.
    public init(name: String? = nil, assetName: String? = nil, created: Date? = nil, startTime: Date? = nil, endTime: Date? = nil,
                streamingLocatorId: String? = nil, streamingPolicyName: String? = nil, defaultContentKeyPolicyName: String? = nil) {
        self.name = name
        self.assetName = assetName
        self.created = created
        self.startTime = startTime
        self.endTime = endTime
        self.streamingLocatorId = streamingLocatorId
        self.streamingPolicyName = streamingPolicyName
        self.defaultContentKeyPolicyName = defaultContentKeyPolicyName
    }

    /// The entry for a stored locator named `name`.
    public init(name: String, locator: StreamingLocatorProperties) {
        self.init(name: name, assetName: locator.assetName, created: locator.created, startTime: locator.startTime, endTime: locator.endTime,
                  streamingLocatorId: locator.streamingLocatorId, streamingPolicyName: locator.streamingPolicyName,
                  defaultContentKeyPolicyName: locator.defaultContentKeyPolicyName)
    }
}

/// `ListStreamingLocatorsResponse`.
public struct ListStreamingLocatorsResponse: Codable, Sendable, Equatable {
    /// The asset's locators.
    public var streamingLocators: [AssetStreamingLocator]?
    /// Creates a response.
    public init(streamingLocators: [AssetStreamingLocator]? = nil) { self.streamingLocators = streamingLocators }
}

/// `AssetContainerPermission`.
public enum AssetContainerPermission: String, ARMEnum {
    case read = "Read", readWrite = "ReadWrite", readWriteDelete = "ReadWriteDelete"
}

/// `ListContainerSasInput`: the body of asset `listContainerSas`.
public struct ListContainerSasInput: Codable, Sendable, Equatable {
    /// Requested permissions.
    public var permissions: AssetContainerPermission?
    /// Expiry of the SAS URLs (the service allows less than 24 h ahead).
    public var expiryTime: Date?
    /// Creates an input.
    public init(permissions: AssetContainerPermission? = nil, expiryTime: Date? = nil) {
        self.permissions = permissions
        self.expiryTime = expiryTime
    }
}

/// `AssetContainerSas`: the result of `listContainerSas`.
public struct AssetContainerSas: Codable, Sendable, Equatable {
    /// One URL per storage key.
    public var assetContainerSasUrls: [String]?
    /// Creates a result.
    public init(assetContainerSasUrls: [String]? = nil) { self.assetContainerSasUrls = assetContainerSasUrls }
}

/// `StorageEncryptedAssetDecryptionData`: the result of `getEncryptionKey` (legacy storage-encrypted assets only).
public struct StorageEncryptedAssetDecryptionData: Codable, Sendable, Equatable {
    /// Base64 key.
    public var key: String?
    /// Per-file metadata.
    public var assetFileEncryptionMetadata: [AssetFileEncryptionMetadata]?
    /// Creates a result.
    public init(key: String? = nil, assetFileEncryptionMetadata: [AssetFileEncryptionMetadata]? = nil) {
        self.key = key
        self.assetFileEncryptionMetadata = assetFileEncryptionMetadata
    }
}

/// `AssetFileEncryptionMetadata`.
public struct AssetFileEncryptionMetadata: Codable, Sendable, Equatable {
    /// Initialization vector.
    public var initializationVector: String?
    /// File name.
    public var assetFileName: String?
    /// File id (UUID); required.
    public var assetFileId: String
    /// Creates metadata.
    public init(initializationVector: String? = nil, assetFileName: String? = nil, assetFileId: String) {
        self.initializationVector = initializationVector
        self.assetFileName = assetFileName
        self.assetFileId = assetFileId
    }
}
