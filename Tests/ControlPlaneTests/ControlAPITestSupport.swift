// Drives ControlAPI in-process (no sockets) over a fresh account, and checks JSON bodies against the swagger definitions.
import AMSModels
import EventLoop
import Foundation
import HTTP
import Logging
import Testing
import TestSupport
@testable import ControlPlane

// MARK: - Harness

/// One account: an event loop, a store, `MediaServices` and the `ControlAPI` in front of it.
struct APIHarness {
    static let token = "unit-test-token-0123456789"
    static let account = "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Media/mediaservices/acct1"
    static let logger = Logger(label: "api-test") { _ in SwiftLogNoOpLogHandler() }
    static let configurationHost = "box.test"

    let loop: EventLoop
    let store: ControlStore
    let services: MediaServices
    let api: ControlAPI
    let directory: String

    /// Opens a `MediaServices` over `store` (the directory holds asset archives) and puts the API in front of it.
    static func open(loop: EventLoop, store: ControlStore, directory: String, liveEncoding: LiveEncodingEnvironment? = nil) async throws -> APIHarness {
        var configuration = ControlPlaneConfiguration(dataDirectory: directory, publicHost: configurationHost, rtmpPort: 1935, httpPort: 8080)
        configuration.liveEncoding = liveEncoding
        let services = MediaServices(loop: loop, store: store, configuration: configuration, logger: logger)
        try await services.open(importing: nil)
        let api = ControlAPI(services: services, token: APIToken(value: token, file: nil), logger: logger)
        return APIHarness(loop: loop, store: store, services: services, api: api, directory: directory)
    }

    /// Sends one request; `body` is a JSON object/array (serialised) or raw bytes.
    func send(_ method: String, _ suffix: String, body: Any? = nil, raw: [UInt8]? = nil, query: String? = "api-version=2022-11-01",
              authorization: String? = "Bearer \(APIHarness.token)", host: String = "api.test:9000") async -> APIResponse {
        var headers = HTTPHeaders()
        headers.set(name: "Host", value: host)
        if let authorization { headers.set(name: "Authorization", value: authorization) }
        var bytes = raw ?? []
        if let body, let data = try? JSONSerialization.data(withJSONObject: body) {
            bytes = Array(data)
            headers.set(name: "Content-Type", value: "application/json")
        }
        let path = suffix.hasPrefix("/subscriptions") ? suffix : Self.account + suffix
        let target = query.map { path.contains("?") ? "\(path)&\($0)" : "\(path)?\($0)" } ?? path
        let response = await api.respond(to: HTTPRequest(method: method, target: target, headers: headers), body: HTTPRequestBody(bytes: bytes))
        return APIResponse(response)
    }

    /// Follows an absolute link the API returned (LRO header, next link): same host, path and query.
    func follow(_ link: String) async throws -> APIResponse {
        let url = try #require(URLComponents(string: link), "not a URL: \(link)")
        #expect(url.host == "api.test" && url.port == 9000, "link does not point back at the requesting host: \(link)")
        return await send("GET", url.percentEncodedPath, query: url.percentEncodedQuery)
    }
}

/// Runs `body` over a fresh in-memory account, then stops recording and proves uv_loop_close returned 0.
func withAPI(liveEncoding: LiveEncodingEnvironment? = nil, _ body: (APIHarness) async throws -> Void) async throws {
    let directory = NSTemporaryDirectory() + "edgelive-api-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let loop = try EventLoop(name: "api-test")
    do {
        let harness = try await APIHarness.open(loop: loop, store: try ControlStore(), directory: directory, liveEncoding: liveEncoding)
        try await body(harness)
        await harness.services.shutdown()
    } catch {
        try? await loop.shutdownGracefully()
        throw error
    }
    // Throws unless uv_loop_close returned 0: nothing the services opened on the loop was left behind.
    try await loop.shutdownGracefully()
}

/// A response with its body parsed as JSON (when it is JSON).
struct APIResponse {
    let status: Int
    let headers: HTTPHeaders
    let bytes: [UInt8]
    let json: Any?

    init(_ response: HTTPResponse) {
        status = response.status
        headers = response.headers
        if case .bytes(let bytes) = response.body { self.bytes = bytes } else { bytes = [] }
        json = bytes.isEmpty ? nil : try? JSONSerialization.jsonObject(with: Data(bytes))
    }

    var object: [String: Any]? { json as? [String: Any] }
    var text: String { String(decoding: bytes, as: UTF8.self) }
    var errorCode: String? { (object?["error"] as? [String: Any])?["code"] as? String }
    var errorTarget: String? { (object?["error"] as? [String: Any])?["target"] as? String }
    var errorMessage: String { (object?["error"] as? [String: Any])?["message"] as? String ?? "" }
    /// `value` of a list body.
    var values: [[String: Any]] { object?["value"] as? [[String: Any]] ?? [] }
    var names: [String] { values.compactMap { $0["name"] as? String } }

    /// `object["a"]["b"]...`.
    func at(_ keys: String...) -> Any? {
        keys.reduce(json) { ($0 as? [String: Any])?[$1] }
    }
}

// MARK: - Swagger schema checks

/// The swagger files, with `$ref` resolution across files (common-types included), and a walker that reports every place
/// a JSON value departs from its definition: keys the definition lacks, enum values outside the enum, bad date-times.
final class SwaggerSchema {
    static let streaming = SwaggerFixtures.streamingSwagger
    static let assets = "Metadata/stable/2023-01-01/AssetsAndAssetFilters.json"
    static let locators = "Metadata/stable/2023-01-01/StreamingPoliciesAndStreamingLocators.json"
    static let contentKeyPolicies = "Metadata/stable/2023-01-01/ContentKeyPolicies.json"
    static let commonTypes = "../../../common-types/resource-management/v2/types.json"

    private var documents: [URL: [String: Any]] = [:]

    private func document(_ url: URL) throws -> [String: Any] {
        if let cached = documents[url] { return cached }
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        let document = try #require(object as? [String: Any], "\(url.path) is not a JSON object")
        documents[url] = document
        return document
    }

    private func url(_ file: String) -> URL { SwaggerFixtures.mediaFolder.appendingPathComponent(file).standardizedFileURL }

    /// The definition `name` of `file`.
    func definition(_ name: String, in file: String) throws -> (schema: [String: Any], file: URL) {
        let location = url(file)
        let schema = try #require(SwaggerFixtures.dig(try document(location), "definitions", name) as? [String: Any], "\(name) not in \(file)")
        return (schema, location)
    }

    /// Resolves `$ref` (local `#/definitions/X` or `relative/file.json#/definitions/X`).
    private func resolve(_ reference: String, from file: URL) throws -> (schema: [String: Any], file: URL) {
        let parts = reference.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let target = parts[0].isEmpty ? file : URL(fileURLWithPath: String(parts[0]), relativeTo: file.deletingLastPathComponent()).standardizedFileURL
        let pointer = parts.count > 1 ? parts[1].split(separator: "/").map(String.init) : []
        var current: Any? = try document(target)
        for key in pointer { current = (current as? [String: Any])?[key] }
        return (try #require(current as? [String: Any], "cannot resolve \(reference) from \(file.lastPathComponent)"), target)
    }

    /// The schema with `$ref` chains followed.
    private func dereferenced(_ schema: [String: Any], _ file: URL) throws -> (schema: [String: Any], file: URL) {
        var current = (schema: schema, file: file)
        while let reference = current.schema["$ref"] as? String { current = try resolve(reference, from: current.file) }
        return current
    }

    /// Every property of an object schema, own and inherited through `allOf`, with the file its schema is read in;
    /// `readOnly` on the property itself (siblings of a `$ref`) is kept.
    func properties(of schema: [String: Any], _ file: URL) throws -> [String: (schema: [String: Any], file: URL)] {
        let (resolved, location) = try dereferenced(schema, file)
        var result: [String: (schema: [String: Any], file: URL)] = [:]
        for parent in resolved["allOf"] as? [[String: Any]] ?? [] {
            result.merge(try properties(of: parent, location)) { own, _ in own }
        }
        for (name, property) in resolved["properties"] as? [String: Any] ?? [:] {
            if let property = property as? [String: Any] { result[name] = (property, location) }
        }
        return result
    }

    /// Problems with `value` against the definition `name` of `file` (empty when it conforms).
    func problems(_ value: Any?, definition name: String, in file: String) throws -> [String] {
        let (schema, location) = try definition(name, in: file)
        var problems: [String] = []
        try check(value ?? NSNull(), schema, location, path: name, into: &problems)
        return problems
    }

    /// The definition of `file` whose `x-ms-discriminator-value` is `value` (a polymorphic object's concrete type).
    private func discriminated(_ value: String, in file: URL) throws -> [String: Any]? {
        let definitions = try document(file)["definitions"] as? [String: Any] ?? [:]
        return definitions.values.compactMap { $0 as? [String: Any] }.first { $0["x-ms-discriminator-value"] as? String == value }
    }

    private func check(_ value: Any, _ schema: [String: Any], _ file: URL, path: String, into problems: inout [String]) throws {
        var (resolved, location) = try dereferenced(schema, file)
        if let object = value as? [String: Any], let type = object["@odata.type"] as? String, resolved["discriminator"] != nil {
            guard let concrete = try discriminated(type, in: location) else {
                problems.append("\(path).@odata.type: '\(type)' is no x-ms-discriminator-value of the swagger")
                return
            }
            resolved = concrete
        }
        switch value {
        case let object as [String: Any]:
            let properties = try self.properties(of: resolved, location)
            let additional = resolved["additionalProperties"]
            if properties.isEmpty, additional == nil, resolved["type"] as? String != "object", resolved["allOf"] == nil {
                problems.append("\(path): an object where the swagger has \(resolved["type"] ?? "no type")")
            }
            for (key, member) in object {
                if let property = properties[key] {
                    try check(member, property.schema, property.file, path: "\(path).\(key)", into: &problems)
                } else if let extra = additional as? [String: Any] {
                    try check(member, extra, location, path: "\(path).\(key)", into: &problems)
                } else if (additional as? Bool) != true {
                    problems.append("\(path).\(key): not a property of the swagger definition")
                }
            }
        case let array as [Any]:
            guard let items = resolved["items"] as? [String: Any] else {
                problems.append("\(path): an array where the swagger has \(resolved["type"] ?? "no type")")
                return
            }
            for (index, element) in array.enumerated() {
                try check(element, items, location, path: "\(path)[\(index)]", into: &problems)
            }
        case let string as String:
            let type = resolved["type"] as? String
            if let type, type != "string" { problems.append("\(path): a string '\(string)' where the swagger has \(type)") }
            if let values = resolved["enum"] as? [String], !values.contains(string) {
                problems.append("\(path): '\(string)' is not one of the swagger's values \(values)")
            }
            if resolved["format"] as? String == "date-time", parseISO8601(string) == nil {
                problems.append("\(path): '\(string)' is not an ISO 8601 date-time")
            }
            if resolved["format"] as? String == "duration", (try? ISO8601Duration(parsing: string)) == nil {
                problems.append("\(path): '\(string)' is not an ISO 8601 duration")
            }
        case is NSNumber:
            let type = resolved["type"] as? String
            if let type, !["integer", "number", "boolean"].contains(type) {
                problems.append("\(path): a number or boolean where the swagger has \(type)")
            }
        case is NSNull:
            break
        default:
            problems.append("\(path): unexpected JSON value \(value)")
        }
    }

    /// Dotted paths (below the definition) of every property the swagger marks `readOnly`, `depth` levels deep.
    func readOnlyPaths(definition name: String, in file: String, depth: Int = 3) throws -> Set<String> {
        let (schema, location) = try definition(name, in: file)
        var result: Set<String> = []
        try collectReadOnly(schema, location, prefix: "", depth: depth, into: &result)
        return result
    }

    private func collectReadOnly(_ schema: [String: Any], _ file: URL, prefix: String, depth: Int, into result: inout Set<String>) throws {
        guard depth > 0 else { return }
        for (name, property) in try properties(of: schema, file) {
            let path = prefix.isEmpty ? name : "\(prefix).\(name)"
            if property.schema["readOnly"] as? Bool == true { result.insert(path) }
            let (resolved, location) = try dereferenced(property.schema, property.file)
            if resolved["readOnly"] as? Bool == true { result.insert(path) }
            try collectReadOnly(resolved, location, prefix: path, depth: depth - 1, into: &result)
        }
    }
}

/// Parses an ISO 8601 date-time with or without fractional seconds.
func parseISO8601(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)
}

/// Records every swagger problem of `value` as an issue.
func expectConforms(_ value: Any?, to definition: String, in file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let problems = try SwaggerSchema().problems(value, definition: definition, in: file)
    #expect(problems.isEmpty, "\(definition): \(problems.joined(separator: "; "))", sourceLocation: sourceLocation)
}

/// Checks that every path in `expected` is marked readOnly by the swagger and is present (non-null) in `object`.
func expectReadOnlyPresent(_ object: [String: Any]?, _ expected: [String], definition: String, in file: String,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
    let marked = try SwaggerSchema().readOnlyPaths(definition: definition, in: file)
    for path in expected {
        #expect(marked.contains(path), "\(definition).\(path) is not readOnly in the swagger", sourceLocation: sourceLocation)
        let value = path.split(separator: ".").reduce(object as Any?) { ($0 as? [String: Any])?[String($1)] }
        #expect(value != nil && !(value is NSNull), "\(definition).\(path) (readOnly) is missing from the response", sourceLocation: sourceLocation)
    }
}

/// Checks an ARM error answer: status, `{"error": {code, message}}` per the common-types ErrorResponse, and the code.
func expectARMError(_ response: APIResponse, status: Int, code: String? = nil, naming field: String? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(response.status == status, "expected \(status), got \(response.status): \(response.text)", sourceLocation: sourceLocation)
    let problems = try SwaggerSchema().problems(response.json, definition: "ErrorResponse", in: SwaggerSchema.commonTypes)
    #expect(problems.isEmpty, "error body: \(problems)", sourceLocation: sourceLocation)
    #expect(response.errorCode?.isEmpty == false && !response.errorMessage.isEmpty, "no error code/message: \(response.text)", sourceLocation: sourceLocation)
    if let code { #expect(response.errorCode == code, "code \(response.errorCode ?? "nil"), expected \(code): \(response.text)", sourceLocation: sourceLocation) }
    if let field {
        #expect(response.errorTarget == field || response.errorMessage.contains(field),
                "the error does not name '\(field)': \(response.text)", sourceLocation: sourceLocation)
    }
}

/// Checks the headers of a long-running operation's first answer and that both poll targets answer "done".
func expectLRO(_ harness: APIHarness, _ response: APIResponse, status: Int, operations: String, location: String,
               sourceLocation: SourceLocation = #_sourceLocation) async throws {
    #expect(response.status == status, "expected \(status), got \(response.status): \(response.text)", sourceLocation: sourceLocation)
    let asyncOperation = try #require(response.headers["Azure-AsyncOperation"], "no Azure-AsyncOperation", sourceLocation: sourceLocation)
    let locationHeader = try #require(response.headers["Location"], "no Location", sourceLocation: sourceLocation)
    #expect(response.headers["Retry-After"].flatMap(Int.init).map { $0 >= 1 } == true, "Retry-After", sourceLocation: sourceLocation)
    #expect(asyncOperation.lowercased().contains("/\(operations.lowercased())/"), "\(asyncOperation)", sourceLocation: sourceLocation)
    #expect(asyncOperation.contains("api-version=2022-11-01"), "\(asyncOperation)", sourceLocation: sourceLocation)
    #expect(locationHeader.lowercased().contains("/\(location.lowercased())/operationlocations/"), "\(locationHeader)", sourceLocation: sourceLocation)

    let status = try await harness.follow(asyncOperation)
    #expect(status.status == 200, sourceLocation: sourceLocation)
    try expectConforms(status.json, to: "AsyncOperationResult", in: SwaggerSchema.streaming, sourceLocation: sourceLocation)
    #expect(status.at("status") as? String == "Succeeded", "\(status.text)", sourceLocation: sourceLocation)
    #expect(asyncOperation.contains(status.at("name") as? String ?? "?"), "operation name is the id in the URL", sourceLocation: sourceLocation)
    let final = try await harness.follow(locationHeader)
    #expect([200, 204].contains(final.status), "Location answered \(final.status)", sourceLocation: sourceLocation)
}
