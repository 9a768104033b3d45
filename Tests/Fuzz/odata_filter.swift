// Fuzz target: OData `$filter` (and the raw query string around it) as list operations of the control API read them.
// Invariant beyond "no crash": evaluating a parsed filter terminates for any property values.
import Foundation
@testable import AMSModels

@_cdecl("LLVMFuzzerTestOneInput")
public func odataFilterFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let query = try? ODataQuery(items: [(name: "$filter", value: text), (name: "$orderby", value: text)]) {
        exercise(query)
    }
    if let query = try? ODataQuery(rawQuery: text) { exercise(query) }
    return 0
}

private func exercise(_ query: ODataQuery) {
    guard let filter = query.filter else { return }
    let values: [ODataValue?] = [nil, .null, .string("event1"), .string("2024-01-01T00:00:00Z"), .string(""), .int(3),
                                 .bool(true), .date(Date(timeIntervalSince1970: 1_700_000_000))]
    for value in values {
        _ = filter.evaluate { _ in value }
    }
    _ = try? query.validate(allowedPaths: ["name", "properties/created", "properties/lastModified"])
}
