import Foundation
import Live
import Packaging
import Protection

/// Which client addresses an IP allow list lets in. The control plane compiles the API's `accessControl.ip` into one
/// (`IPAllowList`); the directory only asks it. A nil list in an entry means unrestricted.
public protocol AddressAllowList: Sendable {
    /// True when `address` (IPv4 or IPv6 text as the socket reports it, no port) may connect.
    func allows(_ address: String) -> Bool
}

/// A live event as the media path sees it: where its access token's encoders go and what its preview serves.
public struct DirectoryChannel: Sendable {
    /// The live event's name, for refusal messages.
    public var eventName: String
    /// The access token in the ingest URL (matched without case); nil: no ingest.
    public var accessToken: String?
    /// The preview's locator id (matched without case); nil: no preview.
    public var previewLocator: String?
    /// The event's resource state as the API reports it (`Running`, `Stopping`, …), for refusal messages.
    public var state: String
    /// True when the event is Running: only then are encoders admitted.
    public var isRunning: Bool
    /// The live pipeline, while it exists.
    public var channel: LiveChannel?
    /// `input.accessControl.ip`: who may push; nil: everyone.
    public var inputAllowList: (any AddressAllowList)?
    /// `preview.accessControl.ip`: who may watch the preview; nil: everyone.
    public var previewAllowList: (any AddressAllowList)?
    /// What `filter=` may name on the preview (the account filters; the preview has no locator filters).
    public var previewFilters: FilterSet

    public init(eventName: String, accessToken: String?, previewLocator: String?, state: String, isRunning: Bool,
                channel: LiveChannel?, inputAllowList: (any AddressAllowList)? = nil,
                previewAllowList: (any AddressAllowList)? = nil, previewFilters: FilterSet = .none) {
        self.eventName = eventName
        self.accessToken = accessToken
        self.previewLocator = previewLocator
        self.state = state
        self.isRunning = isRunning
        self.channel = channel
        self.inputAllowList = inputAllowList
        self.previewAllowList = previewAllowList
        self.previewFilters = previewFilters
    }
}

/// A moment a locator's validity starts or ends, with the text refusal messages show (the API's date format).
public struct LocatorTime: Sendable, Hashable {
    public var date: Date
    public var text: String

    public init(date: Date, text: String) {
        self.date = date
        self.text = text
    }
}

/// A streaming locator as the origin sees it: its validity window, the asset it publishes, its filters and its
/// protection.
public struct DirectoryLocator: Sendable {
    /// The locator's name (nil: refusal messages show the id asked for).
    public var name: String?
    /// `startTime`: before it, 404.
    public var validFrom: LocatorTime?
    /// `endTime`: from it on, 404.
    public var validUntil: LocatorTime?
    /// The asset it publishes; nil: the asset no longer exists.
    public var asset: DirectoryAsset?
    /// The locator's filters (always applied) and what `filter=` may name (asset filters over account filters).
    public var filters: FilterSet
    /// The schemes and keys its streaming policy asks for; nil: clear streaming.
    public var protection: ProtectionPlan?

    public init(name: String?, validFrom: LocatorTime? = nil, validUntil: LocatorTime? = nil, asset: DirectoryAsset?,
                filters: FilterSet = .none, protection: ProtectionPlan? = nil) {
        self.name = name
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.asset = asset
        self.filters = filters
        self.protection = protection
    }
}

/// An asset as the origin sees it: the manifest name it is published under and its archive.
public struct DirectoryAsset: Sendable {
    /// The asset's name, for messages and for asking an ``ArchiveOpener`` to open its archive.
    public var name: String
    /// The manifest name of the live output that recorded it (`<manifestName>.ism`); nil: nothing recorded into it.
    public var manifestName: String?
    /// The recording live output's `hls.fragmentsPerTsSegment` (nil: one fragment per TS segment).
    public var fragmentsPerTSSegment: Int?
    /// The archive when it is open; nil: opened on first request through the ``ArchiveOpener``.
    public var archive: AssetArchive?

    public init(name: String, manifestName: String?, fragmentsPerTSSegment: Int? = nil, archive: AssetArchive? = nil) {
        self.name = name
        self.manifestName = manifestName
        self.fragmentsPerTSSegment = fragmentsPerTSSegment
        self.archive = archive
    }
}

/// Everything the directory answers from, replaced as a whole by its writer.
public struct DirectoryContents: Sendable {
    /// Live events by name.
    public var channels: [DirectoryChannel]
    /// Streaming locators by id (matched without case).
    public var locators: [String: DirectoryLocator]
    /// True when some streaming endpoint is Running: streaming locators are served only then (503 otherwise).
    public var isStreaming: Bool
    /// Every protected locator's keys with the content key policies guarding them, by key id: what key delivery answers
    /// from.
    public var keyGrants: [UUID: KeyGrant]

    public init(channels: [DirectoryChannel] = [], locators: [String: DirectoryLocator] = [:], isStreaming: Bool = true,
                keyGrants: [UUID: KeyGrant] = [:]) {
        self.channels = channels
        self.locators = locators
        self.isStreaming = isStreaming
        self.keyGrants = keyGrants
    }

    public static let empty = DirectoryContents()
}

/// Opens an asset's archive (recovering it after a crash) the first time the origin serves it: the archives belong to
/// whoever records into them (the control plane), which hands the directory this narrow door.
public protocol ArchiveOpener: AnyObject, Sendable {
    /// The asset's archive, opened once and shared; nil when it cannot be opened (logged by the opener).
    func openArchive(assetName: String) async -> AssetArchive?
}

/// Something that runs encoder sessions (the RTMP listener, fragmented MP4 ingest) and ends them on request.
public protocol EncoderSessionOwner: AnyObject, Sendable {
    /// Ends every session publishing with `accessToken` (its live event stopped, was reset or deleted).
    func endSessions(accessToken: String, reason: String) async
}
