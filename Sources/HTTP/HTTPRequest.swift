// A parsed request head.

/// The protocol version of a message.
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)
    public var description: String { "HTTP/\(major).\(minor)" }
}

/// A request head as received; the body arrives separately as an `HTTPRequestBody`.
public struct HTTPRequest: Sendable {
    /// The method, upper case as sent ("GET").
    public var method: String
    /// The raw request-target ("/a/b?c=d").
    public var target: String
    /// The target before '?', not percent-decoded (origin URLs carry `(`, `)`, `=` and `,`).
    public var path: String
    /// The text after '?' (without it), not decoded; nil when there is no '?'.
    public var query: String?
    /// The header fields.
    public var headers: HTTPHeaders
    /// The protocol version.
    public var version: HTTPVersion
    /// The client's IP address (no port), "" when unknown.
    public var remoteAddress: String
    /// Whether the connection stays open after this exchange (as the client asked).
    public var isKeepAlive: Bool

    /// Builds a request; `path` and `query` are split from `target`.
    public init(method: String, target: String, headers: HTTPHeaders = HTTPHeaders(),
                version: HTTPVersion = .http1_1, remoteAddress: String = "", isKeepAlive: Bool = true) {
        self.method = method
        self.target = target
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            query = String(target[target.index(after: mark)...])
        } else {
            path = target
            query = nil
        }
        self.headers = headers
        self.version = version
        self.remoteAddress = remoteAddress
        self.isKeepAlive = isKeepAlive
    }

    /// The query as (name, value) pairs, '+' as space and percent escapes decoded.
    public var queryItems: [(String, String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { item in
            if let equals = item.firstIndex(of: "=") {
                return (Self.formDecode(item[..<equals]), Self.formDecode(item[item.index(after: equals)...]))
            }
            return (Self.formDecode(item), "")
        }
    }

    /// The first query value named `name`.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.0 == name }?.1
    }

    /// Decodes `%XX` escapes (invalid ones are kept as they are) and, for forms, '+' as space.
    public static func percentDecode<S: StringProtocol>(_ text: S, plusAsSpace: Bool = false) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func formDecode<S: StringProtocol>(_ text: S) -> String { percentDecode(text, plusAsSpace: true) }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
