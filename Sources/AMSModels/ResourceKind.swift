// The Microsoft.Media resource kinds edgelive serves: id segments, ARM types and naming rules from the swagger.

/// A kind of Microsoft.Media resource below a media services account.
public enum ResourceKind: String, Sendable, CaseIterable, Hashable {
    case liveEvent, liveOutput, streamingEndpoint
    case asset, assetFilter, accountFilter, streamingLocator, streamingPolicy, contentKeyPolicy

    /// The path segment in returned ids: the Streaming family is lower-case, the Metadata family camelCase (as the service returns them).
    public var idSegment: String {
        switch self {
        case .liveEvent: "liveevents"
        case .liveOutput: "liveoutputs"
        case .streamingEndpoint: "streamingendpoints"
        case .asset: "assets"
        case .assetFilter: "assetFilters"
        case .accountFilter: "accountFilters"
        case .streamingLocator: "streamingLocators"
        case .streamingPolicy: "streamingPolicies"
        case .contentKeyPolicy: "contentKeyPolicies"
        }
    }

    /// The kind this one nests under (nil means directly under the account).
    public var parent: ResourceKind? {
        switch self {
        case .liveOutput: .liveEvent
        case .assetFilter: .asset
        default: nil
        }
    }

    /// The ARM `type` value, e.g. `Microsoft.Media/mediaservices/liveevents/liveoutputs`.
    public var armType: String {
        var segments = [idSegment]
        var current = parent
        while let kind = current {
            segments.insert(kind.idSegment, at: 0)
            current = kind.parent
        }
        return "Microsoft.Media/mediaservices/" + segments.joined(separator: "/")
    }

    /// Human wording for messages, e.g. "live event".
    public var displayName: String {
        switch self {
        case .liveEvent: "live event"
        case .liveOutput: "live output"
        case .streamingEndpoint: "streaming endpoint"
        case .asset: "asset"
        case .assetFilter: "asset filter"
        case .accountFilter: "account filter"
        case .streamingLocator: "streaming locator"
        case .streamingPolicy: "streaming policy"
        case .contentKeyPolicy: "content key policy"
        }
    }

    /// Maximum name length (swagger `maxLength` for Streaming kinds, 260 from the docs for Metadata kinds).
    public var maxNameLength: Int {
        switch self {
        case .liveEvent: 32
        case .liveOutput: 256
        case .streamingEndpoint: 24
        default: 260
        }
    }

    /// True when names must match `^[a-zA-Z0-9]+(-*[a-zA-Z0-9])*$` (the Streaming swagger's name parameters).
    public var usesAlphanumericHyphenNames: Bool {
        switch self {
        case .liveEvent, .liveOutput, .streamingEndpoint: true
        default: false
        }
    }

    /// Finds the kind whose id segment is `segment`, ignoring case (ARM paths are case-insensitive).
    public init?(segment: String) {
        let lowered = segment.lowercased()
        guard let kind = ResourceKind.allCases.first(where: { $0.idSegment.lowercased() == lowered }) else { return nil }
        self = kind
    }
}
