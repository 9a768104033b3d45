// `Microsoft.Media/mediaservices/liveEvents/liveOutputs` (ProxyResource), JSON names as Streaming 2022-11-01.
import Foundation

/// A live output: archives a live event into an asset with a DVR window.
public struct LiveOutput: Codable, Sendable, Equatable {
    /// ARM id (read-only).
    public var id: String?
    /// Resource name (read-only).
    public var name: String?
    /// `Microsoft.Media/mediaservices/liveevents/liveoutputs` (read-only).
    public var type: String?
    /// Creation/modification metadata (read-only).
    public var systemData: SystemData?
    /// The live output properties.
    public var properties: LiveOutputProperties?

    /// Creates a live output.
    public init(id: String? = nil, name: String? = nil, type: String? = nil, systemData: SystemData? = nil, properties: LiveOutputProperties? = nil) {
        self.id = id
        self.name = name
        self.type = type
        self.systemData = systemData
        self.properties = properties
    }
}

/// `LiveOutputProperties`.
public struct LiveOutputProperties: Codable, Sendable, Equatable {
    /// Free-text description.
    public var description: String?
    /// Asset the output writes to; required.
    public var assetName: String?
    /// ISO-8601 archive (DVR) window, PT1M…PT25H; required. Kept as sent.
    public var archiveWindowLength: String?
    /// ISO-8601 seekable window during live, PT1M…archiveWindowLength. Kept as sent.
    public var rewindWindowLength: String?
    /// Manifest base name (`{manifestName}.ism`); generated when omitted.
    public var manifestName: String?
    /// HLS TS packing.
    public var hls: Hls?
    /// Timestamp before which content is not archived.
    public var outputSnapTime: Int64?
    /// Creation time (read-only).
    public var created: Date?
    /// Last modification time (read-only).
    public var lastModified: Date?
    /// Provisioning state (read-only).
    public var provisioningState: String?
    /// Lifecycle state (read-only).
    public var resourceState: LiveOutputResourceState?

    /// Creates live output properties.
    public init(description: String? = nil, assetName: String? = nil, archiveWindowLength: String? = nil, rewindWindowLength: String? = nil,
                manifestName: String? = nil, hls: Hls? = nil, outputSnapTime: Int64? = nil, created: Date? = nil, lastModified: Date? = nil,
                provisioningState: String? = nil, resourceState: LiveOutputResourceState? = nil) {
        self.description = description
        self.assetName = assetName
        self.archiveWindowLength = archiveWindowLength
        self.rewindWindowLength = rewindWindowLength
        self.manifestName = manifestName
        self.hls = hls
        self.outputSnapTime = outputSnapTime
        self.created = created
        self.lastModified = lastModified
        self.provisioningState = provisioningState
        self.resourceState = resourceState
    }
}

/// `Hls`: packing of HLS TS output.
public struct Hls: Codable, Sendable, Equatable {
    /// Fragments per TS segment (no effect on CMAF HLS).
    public var fragmentsPerTsSegment: Int32?

    /// Creates HLS settings.
    public init(fragmentsPerTsSegment: Int32? = nil) { self.fragmentsPerTsSegment = fragmentsPerTsSegment }
}

// MARK: - Parsed durations

extension LiveOutputProperties {
    /// `archiveWindowLength` parsed; nil when absent or not a valid duration (run `validateForCreate` first).
    public var archiveWindow: ISO8601Duration? { archiveWindowLength.flatMap { try? ISO8601Duration(parsing: $0) } }
    /// `rewindWindowLength` parsed; nil when absent or invalid.
    public var rewindWindow: ISO8601Duration? { rewindWindowLength.flatMap { try? ISO8601Duration(parsing: $0) } }
}
