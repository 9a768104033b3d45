// A JWT as key delivery reads it: header, claims and the bytes its signature covers, parsed once per request.
import Foundation
import JWTKit

/// One claim's JSON value; claims are compared as the service compares them, by their text.
enum ClaimValue: Codable, Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([ClaimValue])
    case object([String: ClaimValue])
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([ClaimValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: ClaimValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    /// The values a required claim's `claimValue` is compared with: a string as it is, a number as written without a
    /// fraction when it has none (`2`, not `2.0`), a boolean as `true`/`false`, every element of an array.
    var comparableTexts: [String] {
        switch self {
        case .string(let value): [value]
        case .number(let value): [Self.text(value)]
        case .bool(let value): [value ? "true" : "false"]
        case .array(let values): values.flatMap(\.comparableTexts)
        case .object, .null: []
        }
    }

    /// A NumericDate or count: a JSON number, or a string holding one (some issuers quote them).
    var number: Double? {
        switch self {
        case .number(let value): value
        case .string(let text): Double(text.trimmingCharacters(in: .whitespaces))
        default: nil
        }
    }

    static func text(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }
}

/// The claims of a token, any names and shapes.
struct ClaimSet: JWTPayload {
    var claims: [String: ClaimValue]

    init(from decoder: any Decoder) throws {
        claims = try decoder.singleValueContainer().decode([String: ClaimValue].self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(claims)
    }

    /// Claims are checked by `TokenRestrictionCheck` with the policy's rules, not by jwt-kit's claim types.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// A token taken apart: what it claims, how it says it was signed, and what the signature covers.
struct PresentedToken: Sendable {
    var algorithm: String
    /// The header's `kid`, used to pick a discovery document's key.
    var keyIdentifier: String?
    var claims: [String: ClaimValue]
    /// `base64url(header) "." base64url(claims)`: the signed bytes.
    var signingInput: [UInt8]
    var signature: [UInt8]
    /// Identifies the token for `maxuses` counting (the service identifies a token by its signature).
    var signatureText: String

    /// Parses `text` as a compact JWT; the error says what is malformed, without repeating the token.
    init(_ text: String) throws(KeyDenial) {
        let parser = DefaultJWTParser()
        let bytes = Array(text.utf8)
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw KeyDenial(.malformedToken, "the token is not a JWT (\(parts.count) dot-separated parts, not 3); SWT and other formats are not accepted")
        }
        let parsed: (header: JWTHeader, payload: ClaimSet, signature: Data)
        do {
            parsed = try parser.parse(bytes, as: ClaimSet.self)
        } catch {
            throw KeyDenial(.malformedToken, "the token is not a readable JWT: its header or claims are not base64url JSON objects")
        }
        guard let algorithm = parsed.header.alg else {
            throw KeyDenial(.malformedToken, "the token's header has no 'alg'")
        }
        self.algorithm = algorithm
        keyIdentifier = parsed.header.kid
        claims = parsed.payload.claims
        signingInput = Array(bytes[..<(parts[0].count + 1 + parts[1].count)])
        signature = Array(parsed.signature)
        signatureText = String(decoding: parts[2], as: UTF8.self)
    }
}
