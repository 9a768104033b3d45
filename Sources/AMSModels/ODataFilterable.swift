// The properties each resource exposes to $filter and $orderby, so list handlers can call `ODataQuery.apply` directly.
import Foundation

/// A resource whose properties `$filter`/`$orderby` can read.
public protocol ODataFilterable {
    /// The property paths accepted in `$filter` and `$orderby` (compared case-insensitively).
    static var filterablePaths: Set<String> { get }
    /// The value of `path` (lower-cased comparison), nil when the resource has no such property.
    func odataValue(_ path: String) -> ODataValue?
}

extension ODataQuery {
    /// Validates the paths against `T.filterablePaths`, then filters, sorts and pages `items`.
    public func apply<T: ODataFilterable>(_ items: [T], pageSize: Int = ODataQuery.defaultPageSize) throws(ARMError) -> (page: [T], nextSkip: Int?) {
        try validate(allowedPaths: T.filterablePaths)
        return apply(items, pageSize: pageSize) { $0.odataValue($1) }
    }
}

extension ODataValue {
    static func of(_ text: String?) -> ODataValue { text.map(ODataValue.string) ?? .null }
    static func of(_ date: Date?) -> ODataValue { date.map(ODataValue.date) ?? .null }
}

extension Asset: ODataFilterable {
    public static let filterablePaths: Set<String> = ["name", "properties/alternateId", "properties/assetId", "properties/created", "properties/lastModified"]

    public func odataValue(_ path: String) -> ODataValue? {
        switch path.lowercased() {
        case "name": .of(name)
        case "properties/alternateid": .of(properties?.alternateId)
        case "properties/assetid": .of(properties?.assetId)
        case "properties/created": .of(properties?.created)
        case "properties/lastmodified": .of(properties?.lastModified)
        default: nil
        }
    }
}

extension StreamingLocator: ODataFilterable {
    public static let filterablePaths: Set<String> = [
        "name", "properties/assetName", "properties/created", "properties/startTime", "properties/endTime", "properties/streamingLocatorId",
        "properties/streamingPolicyName",
    ]

    public func odataValue(_ path: String) -> ODataValue? {
        switch path.lowercased() {
        case "name": .of(name)
        case "properties/assetname": .of(properties?.assetName)
        case "properties/created": .of(properties?.created)
        case "properties/starttime": .of(properties?.startTime)
        case "properties/endtime": .of(properties?.endTime)
        case "properties/streaminglocatorid": .of(properties?.streamingLocatorId)
        case "properties/streamingpolicyname": .of(properties?.streamingPolicyName)
        default: nil
        }
    }
}

extension StreamingPolicy: ODataFilterable {
    public static let filterablePaths: Set<String> = ["name", "properties/created"]

    public func odataValue(_ path: String) -> ODataValue? {
        switch path.lowercased() {
        case "name": .of(name)
        case "properties/created": .of(properties?.created)
        default: nil
        }
    }
}

extension LiveEvent: ODataFilterable {
    public static let filterablePaths: Set<String> = ["name", "properties/created", "properties/lastModified", "properties/resourceState"]

    public func odataValue(_ path: String) -> ODataValue? {
        switch path.lowercased() {
        case "name": .of(name)
        case "properties/created": .of(properties?.created)
        case "properties/lastmodified": .of(properties?.lastModified)
        case "properties/resourcestate": .of(properties?.resourceState?.rawValue)
        default: nil
        }
    }
}

extension LiveOutput: ODataFilterable {
    public static let filterablePaths: Set<String> = ["name", "properties/created", "properties/lastModified", "properties/assetName", "properties/resourceState"]

    public func odataValue(_ path: String) -> ODataValue? {
        switch path.lowercased() {
        case "name": .of(name)
        case "properties/created": .of(properties?.created)
        case "properties/lastmodified": .of(properties?.lastModified)
        case "properties/assetname": .of(properties?.assetName)
        case "properties/resourcestate": .of(properties?.resourceState?.rawValue)
        default: nil
        }
    }
}

extension StreamingEndpoint: ODataFilterable {
    public static let filterablePaths: Set<String> = ["name", "properties/created", "properties/lastModified", "properties/resourceState"]

    public func odataValue(_ path: String) -> ODataValue? {
        switch path.lowercased() {
        case "name": .of(name)
        case "properties/created": .of(properties?.created)
        case "properties/lastmodified": .of(properties?.lastModified)
        case "properties/resourcestate": .of(properties?.resourceState?.rawValue)
        default: nil
        }
    }
}
