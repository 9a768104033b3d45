// The ARM list envelope: `{"value": [...], "@odata.count": n, "@odata.nextLink": "..."}`.

/// A page of resources as ARM list operations return it.
public struct ARMList<Element: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    /// The resources on this page.
    public var value: [Element]
    /// Total count (live events, live outputs and streaming endpoints carry it).
    public var odataCount: Int?
    /// Absolute URL of the next page, if any.
    public var odataNextLink: String?

    private enum CodingKeys: String, CodingKey {
        case value
        case odataCount = "@odata.count"
        case odataNextLink = "@odata.nextLink"
    }

    /// Creates a page.
    public init(value: [Element], odataCount: Int? = nil, odataNextLink: String? = nil) {
        self.value = value
        self.odataCount = odataCount
        self.odataNextLink = odataNextLink
    }
}
