// Swagger round trips: a fragment decoded into the models and encoded again keeps every field.
import Foundation
import Testing
import TestSupport
@testable import AMSModels

/// Asserts every non-null leaf of `original` is present and equal in `reencoded` (dates compared as instants).
func expectFieldsSurvive(_ original: Any, _ reencoded: Any?, path: String = "", ignoring: Set<String> = [],
                         sourceLocation: SourceLocation = #_sourceLocation) {
    if ignoring.contains(path) { return }
    switch original {
    case let dictionary as [String: Any]:
        guard let other = reencoded as? [String: Any] else {
            Issue.record("\(path) is missing or not an object after re-encoding", sourceLocation: sourceLocation)
            return
        }
        for (key, value) in dictionary where !(value is NSNull) {
            expectFieldsSurvive(value, other[key], path: path.isEmpty ? key : "\(path).\(key)", ignoring: ignoring, sourceLocation: sourceLocation)
        }
    case let array as [Any]:
        guard let other = reencoded as? [Any], other.count == array.count else {
            Issue.record("\(path) array differs after re-encoding", sourceLocation: sourceLocation)
            return
        }
        for (index, value) in array.enumerated() {
            expectFieldsSurvive(value, other[index], path: "\(path)[\(index)]", ignoring: ignoring, sourceLocation: sourceLocation)
        }
    case let string as String:
        if let date = ARMDateTime.parse(string), let otherString = reencoded as? String, let otherDate = ARMDateTime.parse(otherString) {
            #expect(abs(date.timeIntervalSince(otherDate)) < 1e-6, "\(path): \(string) vs \(otherString)", sourceLocation: sourceLocation)
        } else {
            #expect(reencoded as? String == string, "\(path): expected \(string), got \(String(describing: reencoded))", sourceLocation: sourceLocation)
        }
    case let number as NSNumber:
        #expect((reencoded as? NSNumber) == number, "\(path): expected \(number), got \(String(describing: reencoded))", sourceLocation: sourceLocation)
    default:
        Issue.record("\(path): unexpected JSON value \(original)", sourceLocation: sourceLocation)
    }
}

/// Decodes `object` as `T` with the ARM decoder, re-encodes it and returns the re-encoded JSON object.
func roundTrip<T: Codable>(_ type: T.Type, _ object: Any) throws -> (T, Any) {
    let model = try ARMJSON.decoder().decode(T.self, from: SwaggerFixtures.fragmentData(object))
    let encoded = try ARMJSON.encode(model)
    return (model, try JSONSerialization.jsonObject(with: encoded))
}
