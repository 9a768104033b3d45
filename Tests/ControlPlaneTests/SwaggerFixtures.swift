// Loads the shared swagger files that sit beside the repository checkout (../shared/spec/...).
import Foundation
import Testing
@testable import ControlPlane

enum SwaggerFixtures {
    /// `…/resource-manager/Microsoft.Media`, found from this file's path: repo/Tests/ControlPlaneTests/<file>.
    static let mediaFolder: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ControlPlaneTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
        .deletingLastPathComponent()  // folder holding the checkout and `shared`
        .appendingPathComponent("shared/spec/ams-swagger/mediaservices/resource-manager/Microsoft.Media")

    static let streamingSwagger = "Streaming/stable/2022-11-01/streamingservice.json"
    static let streamingExamples = "Streaming/stable/2022-11-01/examples/"

    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: mediaFolder.appendingPathComponent(relativePath))
    }

    static func json(_ relativePath: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: data(relativePath))
        return try #require(object as? [String: Any], "\(relativePath) is not a JSON object")
    }

    /// Walks `keys` into nested dictionaries.
    static func dig(_ object: Any?, _ keys: String...) -> Any? {
        var current = object
        for key in keys { current = (current as? [String: Any])?[key] }
        return current
    }

    /// Re-serialises a JSON fragment so it can be decoded with `ARMJSON.decoder()`.
    static func fragmentData(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object)
    }
}

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
