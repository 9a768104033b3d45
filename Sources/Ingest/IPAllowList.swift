/// The ranges of encoder addresses a live event admits (`input.accessControl.ip.allow`).
///
/// The service's rule: an empty list admits nobody; `0.0.0.0/0` admits every IPv4 address (and `::/0` every
/// IPv6 one). IPv4 ranges also match IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`), which a dual-stack listener reports.
public struct IPAllowList: Sendable, Hashable {
    public var ranges: [IPAddressRange]
    public init(_ ranges: [IPAddressRange]) { self.ranges = ranges }

    /// Whether `address` (IPv4 or IPv6 text, no port) is inside one of the ranges; false for unparsable text.
    public func permits(_ address: String) -> Bool {
        guard let bytes = IPAddressRange.parseAddress(address) else { return false }
        return ranges.contains { $0.contains(bytes) }
    }
}

/// An address and prefix length (`10.0.0.0/8`, `2001:db8::/32`), the swagger's IPRange.
public struct IPAddressRange: Sendable, Hashable, CustomStringConvertible {
    /// Sixteen bytes; IPv4 is stored IPv4-mapped (`::ffff:a.b.c.d`).
    private let bytes: [UInt8]
    /// Prefix length over the sixteen bytes (IPv4 lengths are stored plus 96).
    private let prefixBits: Int
    public let description: String

    /// Why a range is refused: the message names the text and the fix.
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
    }

    /// - Parameters:
    ///   - address: IPv4 or IPv6 text.
    ///   - subnetPrefixLength: leading bits that must match; nil means the single address (32 or 128).
    public init(address: String, subnetPrefixLength: Int? = nil) throws(Invalid) {
        guard let parsed = Self.parseAddress(address) else {
            throw Invalid(description: "'\(address.prefix(64))' is not an IPv4 or IPv6 address (e.g. 10.0.0.0 or 2001:db8::)")
        }
        let isV4 = Self.isMappedV4(parsed) && !address.contains(":")
        let maximum = isV4 ? 32 : 128
        let length = subnetPrefixLength ?? maximum
        guard (0 ... maximum).contains(length) else {
            throw Invalid(description: "subnet prefix length \(length) for '\(address)' is outside 0…\(maximum)")
        }
        bytes = parsed
        prefixBits = isV4 ? 96 + length : length
        description = "\(address)/\(length)"
    }

    /// Parses the portal's forms: `10.0.0.1`, `10.0.0.1/22`, `10.0.0.1(255.255.252.0)`, `2001:db8::/32`.
    public init(parsing text: String) throws(Invalid) {
        if let slash = text.firstIndex(of: "/") {
            guard let length = Int(text[text.index(after: slash)...]) else {
                throw Invalid(description: "'\(text.prefix(64))' has no numeric prefix length after '/'")
            }
            try self.init(address: String(text[..<slash]), subnetPrefixLength: length)
        } else if let open = text.firstIndex(of: "("), text.hasSuffix(")") {
            let maskText = text[text.index(after: open) ..< text.index(before: text.endIndex)]
            guard let mask = Self.parseAddress(String(maskText)), Self.isMappedV4(mask), let length = Self.contiguousLength(mask.suffix(4)) else {
                throw Invalid(description: "'\(text.prefix(64))' does not end in a contiguous IPv4 mask such as (255.255.252.0)")
            }
            try self.init(address: String(text[..<open]), subnetPrefixLength: length)
        } else {
            try self.init(address: text)
        }
    }

    /// Whether `address` (IPv4 or IPv6 text, no port) is in the range.
    public func contains(_ address: String) -> Bool {
        Self.parseAddress(address).map(contains) ?? false
    }

    func contains(_ other: [UInt8]) -> Bool {
        var remaining = prefixBits
        var index = 0
        while remaining > 0, index < 16 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if bytes[index] & mask != other[index] & mask { return false }
            remaining -= bits
            index += 1
        }
        return true
    }

    // MARK: - Address text

    private static func isMappedV4(_ bytes: [UInt8]) -> Bool {
        bytes.prefix(10).allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
    }

    private static func contiguousLength(_ mask: ArraySlice<UInt8>) -> Int? {
        let value = mask.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let length = (~value).leadingZeroBitCount
        guard value == (length == 0 ? 0 : UInt32.max << (32 - length)) else { return nil }
        return length
    }

    /// Sixteen bytes for IPv4 (mapped) or IPv6 text; a zone (`%eth0`) is ignored; nil for anything else.
    static func parseAddress(_ text: String) -> [UInt8]? {
        var text = Substring(text)
        if let percent = text.firstIndex(of: "%") { text = text[..<percent] }
        if !text.contains(":") {
            guard let v4 = parseIPv4(text) else { return nil }
            return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + v4
        }
        return parseIPv6(text)
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt8(part) else { return nil }
            result.append(value)
        }
        return result
    }

    private static func parseIPv6(_ text: Substring) -> [UInt8]? {
        // Split at the one `::` allowed (two colons in a row).
        var halves: [String] = []
        var rest = text
        while let colon = rest.firstIndex(of: ":") {
            let next = rest.index(after: colon)
            guard next < rest.endIndex, rest[next] == ":" else {
                rest = rest[next...]
                continue
            }
            halves = [String(text[..<colon]), String(rest[rest.index(after: next)...])]
            break
        }
        if halves.isEmpty { halves = [String(text)] }
        guard !halves.contains(where: { $0.contains("::") }) else { return nil }
        func groups(_ part: String, allowV4Tail: Bool) -> [UInt8]? {
            if part.isEmpty { return [] }
            var result: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if allowV4Tail, index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = parseIPv4(piece) else { return nil }
                    result += v4
                } else {
                    guard !piece.isEmpty, piece.count <= 4, let value = UInt16(piece, radix: 16) else { return nil }
                    result += [UInt8(value >> 8), UInt8(truncatingIfNeeded: value)]
                }
            }
            return result
        }
        if halves.count == 1 {
            guard let all = groups(halves[0], allowV4Tail: true), all.count == 16 else { return nil }
            return all
        }
        guard let head = groups(halves[0], allowV4Tail: false), let tail = groups(halves[1], allowV4Tail: true),
              head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}
