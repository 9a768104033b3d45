// IP allow lists of live event input/preview and streaming endpoints: parse the IPRange entries once, then match client addresses.
//
// Semantics (spec §2.3):
// - a nil `accessControl` or a nil `ip` means no restriction: everything is allowed;
// - an `ip` whose `allow` list is empty (or absent) allows nothing — the service's "no rule ⇒ nothing allowed";
// - `0.0.0.0/0` is the documented "allow all" and matches IPv6 clients too, so the usual AMS body keeps working on dual-stack hosts.
import AMSModels
import Foundation
import MediaDirectory

/// A parsed IPv4 or IPv6 address; IPv4 is held as the IPv4-mapped IPv6 address `::ffff:a.b.c.d`.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The 16 address bytes, network order.
    public let bytes: [UInt8]

    /// True when the address is IPv4 (or IPv4-mapped IPv6).
    public var isIPv4: Bool { bytes[0 ..< 10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF }

    /// Parses dotted IPv4, or IPv6 text (with `::`, an embedded IPv4 tail, optional `[...]` brackets and `%zone`); nil otherwise.
    public init?(_ text: String) {
        var text = Substring(text)
        if text.first == "[", text.last == "]" { text = text.dropFirst().dropLast() }
        // A zone id (fe80::1%eth0) scopes a link-local address to an interface; it does not change the address.
        if let percent = text.firstIndex(of: "%"), text.contains(":") { text = text[..<percent] }
        if let v4 = IPAddress.parseIPv4(text) {
            bytes = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + v4
        } else if let v6 = IPAddress.parseIPv6(text) {
            bytes = v6
        } else {
            return nil
        }
    }

    /// Dotted text for IPv4, lower-case uncompressed hex groups for IPv6.
    public var description: String {
        if isIPv4 { return bytes[12...].map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }

    // MARK: - Parsing

    static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt8(part) else { return nil }
            result.append(value)
        }
        return result
    }

    static func parseIPv6(_ text: Substring) -> [UInt8]? {
        guard text.contains(":") else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String, allowIPv4Tail: Bool) -> [UInt8]? {
            if part.isEmpty { return [] }
            let items = part.split(separator: ":", omittingEmptySubsequences: false)
            var result: [UInt8] = []
            for (index, item) in items.enumerated() {
                if allowIPv4Tail, index == items.count - 1, item.contains(".") {
                    guard let v4 = parseIPv4(item) else { return nil }
                    result += v4
                    continue
                }
                guard !item.isEmpty, item.count <= 4, item.allSatisfy({ $0.isASCII && $0.isHexDigit }), let value = UInt16(item, radix: 16) else { return nil }
                result += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return result
        }
        if halves.count == 1 {
            guard let all = groups(halves[0], allowIPv4Tail: true), all.count == 16 else { return nil }
            return all
        }
        guard let head = groups(halves[0], allowIPv4Tail: false), let tail = groups(halves[1], allowIPv4Tail: true),
              head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}

/// One allowed network: an address and a prefix length counted on the 128-bit (IPv4-mapped) form.
public struct IPNetwork: Sendable, Hashable {
    /// The network address with host bits cleared.
    public let network: IPAddress
    /// Prefix length in bits on the 128-bit form (an IPv4 /24 is 120).
    public let prefixLength: Int
    /// True for the documented allow-all `0.0.0.0/0` (or `::/0`), which matches every client, IPv4 or IPv6.
    public let matchesEverything: Bool

    /// Parses an `IPRange`: `address` may carry `/prefix`; `subnetPrefixLength` nil means a single host. `field` names it in errors.
    public init(_ range: IPRange, field: String) throws(ARMError) {
        guard let text = range.address?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            throw .badRequest("The required field '\(field).address' is missing.", target: "\(field).address")
        }
        let display = range.name.map { "'\($0)' (\(text))" } ?? "'\(text)'"
        var addressText = Substring(text)
        var inlinePrefix: Int?
        if let slash = text.firstIndex(of: "/") {
            addressText = text[..<slash]
            let suffix = text[text.index(after: slash)...]
            guard !suffix.isEmpty, suffix.count <= 3, suffix.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(suffix) else {
                throw .badRequest("The value of '\(field).address' (IP range \(display)) has an invalid prefix length after '/'.", target: "\(field).address")
            }
            inlinePrefix = value
        }
        guard let address = IPAddress(String(addressText)), !addressText.contains("%") else {
            throw .badRequest("The value of '\(field).address' (IP range \(display)) is not an IPv4 or IPv6 address; use e.g. 10.0.0.0 with subnetPrefixLength 8.", target: "\(field).address")
        }
        // IPv4 text is matched on its IPv4-mapped form, so its prefix is shifted by 96 bits.
        let isIPv4Text = IPAddress.parseIPv4(addressText) != nil
        let maxPrefix = isIPv4Text ? 32 : 128
        if let inline = inlinePrefix, let explicit = range.subnetPrefixLength, Int(explicit) != inline {
            throw .badRequest("The IP range \(display) in '\(field)' gives prefix /\(inline) in the address but '\(field).subnetPrefixLength' is \(explicit); give one or make them equal.",
                              target: "\(field).subnetPrefixLength")
        }
        let prefix = inlinePrefix ?? range.subnetPrefixLength.map(Int.init) ?? maxPrefix
        guard (0 ... maxPrefix).contains(prefix) else {
            throw .badRequest("The value of '\(field).subnetPrefixLength' (IP range \(display)) must be between 0 and \(maxPrefix); got \(prefix).",
                              target: "\(field).subnetPrefixLength")
        }
        let fullPrefix = isIPv4Text ? prefix + 96 : prefix
        self.prefixLength = fullPrefix
        self.network = IPNetwork.masked(address, fullPrefix)
        self.matchesEverything = prefix == 0
    }

    /// True when `address` lies in this network.
    public func contains(_ address: IPAddress) -> Bool {
        matchesEverything || IPNetwork.masked(address, prefixLength) == network
    }

    static func masked(_ address: IPAddress, _ prefix: Int) -> IPAddress {
        var bytes = address.bytes
        for index in 0 ..< 16 {
            let keep = max(0, min(8, prefix - index * 8))
            bytes[index] &= keep == 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        return IPAddress(validatedBytes: bytes)
    }
}

extension IPAddress {
    fileprivate init(validatedBytes: [UInt8]) {
        precondition(validatedBytes.count == 16, "an IP address has 16 bytes")
        bytes = validatedBytes
    }
}

/// A compiled allow list: `nil` ranges mean unrestricted. The channel directory asks it at ingest admission and for
/// previews.
public struct IPAllowList: AddressAllowList, Hashable {
    /// The allowed networks; nil means every address is allowed (no access control configured).
    public let networks: [IPNetwork]?

    /// An allow list with no restriction.
    public static let unrestricted = IPAllowList(networks: nil)

    /// Creates a list from parsed networks (nil = unrestricted, empty = deny all).
    public init(networks: [IPNetwork]?) { self.networks = networks }

    /// Compiles an `IPAccessControl`; nil allows everything, an empty or absent `allow` allows nothing. Throws 400 naming a bad range.
    public init(_ control: IPAccessControl?, field: String) throws(ARMError) {
        guard let control else { self.networks = nil; return }
        var networks: [IPNetwork] = []
        for (index, range) in (control.allow ?? []).enumerated() {
            networks.append(try IPNetwork(range, field: "\(field).allow[\(index)]"))
        }
        self.networks = networks
    }

    /// True when the parsed `address` may connect.
    public func allows(_ address: IPAddress) -> Bool {
        guard let networks else { return true }
        return networks.contains { $0.contains(address) }
    }

    /// True when `address` (text as a socket reports it) may connect; unparseable text is refused unless the list is unrestricted.
    public func allows(_ address: String) -> Bool {
        guard networks != nil else { return true }
        guard let parsed = IPAddress(address) else { return false }
        return allows(parsed)
    }
}

// MARK: - Model conveniences

extension LiveEventAccessControl? {
    /// The compiled allow list of a live event input or preview access control (nil control or nil ip ⇒ unrestricted).
    public func allowList(field: String) throws(ARMError) -> IPAllowList {
        try IPAllowList(self?.ip, field: "\(field).ip")
    }
}

extension LiveEventAccessControl {
    /// The compiled allow list (nil `ip` ⇒ unrestricted, empty `allow` ⇒ nothing allowed); `field` names it in errors.
    public func allowList(field: String) throws(ARMError) -> IPAllowList {
        try IPAllowList(ip, field: "\(field).ip")
    }
}

extension IPAccessControl {
    /// True when `address` may connect under this list (an empty `allow` allows nothing).
    public func allows(_ address: String) -> Bool {
        (try? IPAllowList(self, field: "ip"))?.allows(address) ?? false
    }
}
