// Loads the shared swagger files that sit beside the repository checkout (../shared/spec/...), for the models' and the
// API's tests alike. Plain throwing functions (no Testing), so any test target can link it.
import Foundation

public enum SwaggerFixtures {
    /// `…/resource-manager/Microsoft.Media`, found from this file's path: repo/Tests/TestSupport/<file>.
    public static let mediaFolder: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
        .deletingLastPathComponent()  // folder holding the checkout and `shared`
        .appendingPathComponent("shared/spec/ams-swagger/mediaservices/resource-manager/Microsoft.Media")

    public static let streamingSwagger = "Streaming/stable/2022-11-01/streamingservice.json"
    public static let streamingExamples = "Streaming/stable/2022-11-01/examples/"
    public static let locatorsSwagger = "Metadata/stable/2023-01-01/StreamingPoliciesAndStreamingLocators.json"
    public static let assetsSwagger = "Metadata/stable/2023-01-01/AssetsAndAssetFilters.json"

    /// A swagger file or fragment that is not what the test expects.
    public struct Mismatch: Error, CustomStringConvertible {
        public var description: String
    }

    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: mediaFolder.appendingPathComponent(relativePath))
    }

    public static func json(_ relativePath: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: data(relativePath))
        guard let dictionary = object as? [String: Any] else { throw Mismatch(description: "\(relativePath) is not a JSON object") }
        return dictionary
    }

    /// Walks `keys` into nested dictionaries.
    public static func dig(_ object: Any?, _ keys: String...) -> Any? {
        var current = object
        for key in keys { current = (current as? [String: Any])?[key] }
        return current
    }

    /// Re-serialises a JSON fragment so it can be decoded with `ARMJSON.decoder()`.
    public static func fragmentData(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object)
    }

    /// The property names the swagger `file` declares for `definition`.
    public static func swaggerProperties(_ file: String, _ definition: String) throws -> Set<String> {
        let swagger = try json(file)
        guard let properties = dig(swagger, "definitions", definition, "properties") as? [String: Any] else {
            throw Mismatch(description: "\(definition) not in \(file)")
        }
        return Set(properties.keys)
    }
}
