// The ARM error body (common-types v2 `ErrorResponse`/`ErrorDetail`) and the codes edgelive returns.
import Foundation

/// One ARM error detail: `{code, message, target?, details?, additionalInfo?}`.
public struct ARMErrorDetail: Codable, Sendable, Equatable {
    /// Machine-readable code, e.g. `ResourceNotFound`.
    public var code: String
    /// Human-readable message telling the caller what to change.
    public var message: String
    /// The field or resource the error is about, if any.
    public var target: String?
    /// Nested errors (e.g. one per invalid field).
    public var details: [ARMErrorDetail]?
    /// Extra typed information; `info` is kept as a JSON string map for simplicity.
    public var additionalInfo: [ARMErrorAdditionalInfo]?

    /// Creates a detail.
    public init(code: String, message: String, target: String? = nil, details: [ARMErrorDetail]? = nil, additionalInfo: [ARMErrorAdditionalInfo]? = nil) {
        self.code = code
        self.message = message
        self.target = target
        self.details = details
        self.additionalInfo = additionalInfo
    }
}

/// `ErrorAdditionalInfo`: a type name and a flat object of strings.
public struct ARMErrorAdditionalInfo: Codable, Sendable, Equatable {
    /// The additional info type.
    public var type: String
    /// The additional info object.
    public var info: [String: String]?

    /// Creates additional info.
    public init(type: String, info: [String: String]? = nil) {
        self.type = type
        self.info = info
    }
}

/// An ARM error with the HTTP status it is returned with; encodes as `{"error": {...}}`.
public struct ARMError: Error, Sendable, Equatable, CustomStringConvertible {
    /// HTTP status code for the response.
    public var status: Int
    /// The body's `error` object.
    public var error: ARMErrorDetail

    /// Creates an error with an explicit status.
    public init(status: Int, code: String, message: String, target: String? = nil, details: [ARMErrorDetail]? = nil) {
        self.status = status
        self.error = ARMErrorDetail(code: code, message: message, target: target, details: details)
    }

    /// Convenience: the error code.
    public var code: String { error.code }
    /// Convenience: the message.
    public var message: String { error.message }

    public var description: String { "\(status) \(error.code): \(error.message)" }

    // MARK: - Codes the service uses

    /// 400 `BadRequest`: the body or a parameter is malformed or out of range.
    public static func badRequest(_ message: String, target: String? = nil) -> ARMError {
        ARMError(status: 400, code: "BadRequest", message: message, target: target)
    }

    /// 400 `InvalidResourceName`: a path name breaks the resource's naming rule.
    public static func invalidResourceName(_ message: String, target: String? = nil) -> ARMError {
        ARMError(status: 400, code: "InvalidResourceName", message: message, target: target)
    }

    /// 404 `ResourceNotFound` for a resource of `type` named `name`.
    public static func resourceNotFound(type: String, name: String) -> ARMError {
        ARMError(status: 404, code: "ResourceNotFound", message: "The \(type) '\(name)' was not found.")
    }

    /// 409 `Conflict`: the resource already exists or another operation is running on it.
    public static func conflict(_ message: String) -> ARMError {
        ARMError(status: 409, code: "Conflict", message: message)
    }

    /// 400 `InvalidOperation`: the action is not allowed in the resource's current state.
    public static func invalidOperation(_ message: String) -> ARMError {
        ARMError(status: 400, code: "InvalidOperation", message: message)
    }

    /// 401 `AuthenticationFailed`: missing or invalid bearer token.
    public static func authenticationFailed(_ message: String = "Authentication failed. The 'Authorization' header is missing or its bearer token is invalid.") -> ARMError {
        ARMError(status: 401, code: "AuthenticationFailed", message: message)
    }

    /// 400 `MissingApiVersionParameter`: the `api-version` query parameter is absent.
    public static func missingApiVersion(supported: [String]) -> ARMError {
        ARMError(status: 400, code: "MissingApiVersionParameter",
                 message: "The api-version query parameter (?api-version=) is required for all requests. Supported api-versions are '\(supported.joined(separator: ", "))'.")
    }

    /// 400 `InvalidApiVersionParameter`: the `api-version` value is not one the service implements.
    public static func invalidApiVersion(_ version: String, supported: [String]) -> ARMError {
        ARMError(status: 400, code: "InvalidApiVersionParameter",
                 message: "The api-version '\(version)' is invalid. The supported versions are '\(supported.joined(separator: ", "))'.")
    }

    /// 400 `BadRequest` built from a JSON decoding failure, naming the JSON path of the bad field.
    public static func badRequest(decoding failure: any Error) -> ARMError {
        guard let decodingError = failure as? DecodingError else {
            return .badRequest("The request body could not be read: \(failure)")
        }
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
                .joined().drop { $0 == "." }.description
        }
        switch decodingError {
        case let .typeMismatch(_, context) where context.codingPath.isEmpty, let .valueNotFound(_, context) where context.codingPath.isEmpty:
            // `null`, `[]` or `"text"` as the whole body: there is no field to name.
            return .badRequest("The request body must be a JSON object: the resource document, as the API reference shows it.")
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                return .badRequest("The request body is not valid JSON.")
            }
            return .badRequest("Invalid value for '\(path(context.codingPath))': \(context.debugDescription)", target: path(context.codingPath))
        case let .typeMismatch(type, context):
            return .badRequest("The field '\(path(context.codingPath))' has the wrong type; expected \(typeName(type)).", target: path(context.codingPath))
        case let .valueNotFound(type, context):
            return .badRequest("The field '\(path(context.codingPath))' must not be null; expected \(typeName(type)).", target: path(context.codingPath))
        case let .keyNotFound(key, context):
            let full = path(context.codingPath + [key])
            return .badRequest("The required field '\(full)' is missing.", target: full)
        @unknown default:
            return .badRequest("The request body could not be read: \(decodingError)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int32.Type, is Int64.Type: return "an integer"
        case is Double.Type: return "a number"
        default: return "\(type)"
        }
    }
}

// MARK: - Codable

extension ARMError: Codable {
    private enum CodingKeys: String, CodingKey { case error }

    /// Decodes `{"error": {...}}`; the status is not in the body, so it decodes as 0.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.status = 0
        self.error = try container.decode(ARMErrorDetail.self, forKey: .error)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(error, forKey: .error)
    }
}
