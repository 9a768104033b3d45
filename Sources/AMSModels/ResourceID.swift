// ARM resource ids for Microsoft.Media: built with the service's casing, parsed case-insensitively.

/// A parsed `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Media/mediaservices/{account}[/{kind}/{name}]*` id.
public struct ResourceID: Sendable, Hashable, CustomStringConvertible {
    /// One `{kind}/{name}` pair below the account.
    public struct Segment: Sendable, Hashable {
        /// The resource kind.
        public var kind: ResourceKind
        /// The resource name, as given.
        public var name: String

        /// Creates a segment.
        public init(kind: ResourceKind, name: String) {
            self.kind = kind
            self.name = name
        }
    }

    /// Subscription id.
    public var subscriptionId: String
    /// Resource group name.
    public var resourceGroup: String
    /// Media services account name.
    public var accountName: String
    /// The chain of child resources, outermost first (empty for the account itself).
    public var segments: [Segment]

    /// Creates an id; `segments` must nest as the kinds require.
    public init(subscriptionId: String, resourceGroup: String, accountName: String, segments: [Segment] = []) {
        precondition(ResourceID.nestsCorrectly(segments), "resource segments \(segments.map(\.kind)) do not nest")
        self.subscriptionId = subscriptionId
        self.resourceGroup = resourceGroup
        self.accountName = accountName
        self.segments = segments
    }

    /// The id of a child resource of `kind` named `name` below this one.
    public func appending(_ kind: ResourceKind, _ name: String) -> ResourceID {
        ResourceID(subscriptionId: subscriptionId, resourceGroup: resourceGroup, accountName: accountName,
                   segments: segments + [Segment(kind: kind, name: name)])
    }

    /// The kind of the innermost resource (nil for the account).
    public var kind: ResourceKind? { segments.last?.kind }
    /// The name of the innermost resource (the account name for the account).
    public var name: String { segments.last?.name ?? accountName }
    /// The ARM `type` of the innermost resource.
    public var armType: String { kind?.armType ?? "Microsoft.Media/mediaservices" }

    /// The id of the account.
    public var accountPath: String {
        "/subscriptions/\(subscriptionId)/resourceGroups/\(resourceGroup)/providers/Microsoft.Media/mediaservices/\(accountName)"
    }

    /// The id text with the service's casing.
    public var description: String {
        segments.reduce(accountPath) { $0 + "/\($1.kind.idSegment)/\($1.name)" }
    }

    /// A case-folded form for lookups: ARM treats every segment and name as case-insensitive.
    public var lookupKey: String { description.lowercased() }

    /// True when `other` names the same resource, ignoring case.
    public func matches(_ other: ResourceID) -> Bool { lookupKey == other.lookupKey }

    // MARK: - Parsing

    /// Parses an id or request path (query string ignored), matching fixed segments case-insensitively.
    public init(parsing text: String) throws(ARMError) {
        func fail(_ reason: String) -> ARMError {
            .badRequest("'\(text)' is not a Microsoft.Media resource id: \(reason).")
        }
        let path = text.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)[...]
        func take(_ expected: String) throws(ARMError) {
            guard let part = parts.popFirst() else { throw fail("it ends before '\(expected)'") }
            guard part.lowercased() == expected.lowercased() else { throw fail("expected '\(expected)' but found '\(part)'") }
        }
        func takeName(_ what: String) throws(ARMError) -> String {
            guard let part = parts.popFirst() else { throw fail("the \(what) is missing") }
            return part
        }
        try take("subscriptions")
        let subscription = try takeName("subscription id")
        try take("resourceGroups")
        let group = try takeName("resource group name")
        try take("providers")
        try take("Microsoft.Media")
        try take("mediaservices")
        let account = try takeName("account name")
        var segments: [Segment] = []
        while let segment = parts.popFirst() {
            guard let kind = ResourceKind(segment: segment) else { throw fail("unknown resource type '\(segment)'") }
            guard kind.parent == segments.last?.kind else {
                let under = segments.last.map { "a \($0.kind.displayName)" } ?? "the account"
                throw fail("a \(kind.displayName) cannot be nested under \(under)")
            }
            segments.append(Segment(kind: kind, name: try takeName("\(kind.displayName) name")))
        }
        self.init(subscriptionId: subscription, resourceGroup: group, accountName: account, segments: segments)
    }

    private static func nestsCorrectly(_ segments: [Segment]) -> Bool {
        var previous: ResourceKind?
        for segment in segments {
            guard segment.kind.parent == previous else { return false }
            previous = segment.kind
        }
        return true
    }
}
