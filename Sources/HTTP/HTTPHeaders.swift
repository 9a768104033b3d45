// Ordered header fields with case-insensitive lookup.

/// HTTP header fields in wire order; names compare case-insensitively (ASCII).
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public typealias Element = (name: String, value: String)
    private var fields: [Element]

    /// Empty headers.
    public init() { fields = [] }

    /// Headers from (name, value) pairs, in order.
    public init(_ pairs: [(String, String)]) { fields = pairs.map { (name: $0.0, value: $0.1) } }

    public init(dictionaryLiteral elements: (String, String)...) { self.init(elements) }

    /// The first value of `name`, or nil; setting nil removes every field of that name.
    public subscript(name: String) -> String? {
        get { fields.first { Self.namesMatch($0.name, name) }?.value }
        set {
            if let newValue { set(name: name, value: newValue) } else { remove(name: name) }
        }
    }

    /// Every value of `name`, in order.
    public func values(for name: String) -> [String] {
        fields.filter { Self.namesMatch($0.name, name) }.map(\.value)
    }

    /// True when a field `name` exists.
    public func contains(name: String) -> Bool { fields.contains { Self.namesMatch($0.name, name) } }

    /// Appends a field (duplicates allowed).
    public mutating func add(name: String, value: String) { fields.append((name: name, value: value)) }

    /// Replaces every field `name` with one field, kept where the first one was.
    public mutating func set(name: String, value: String) {
        if let index = fields.firstIndex(where: { Self.namesMatch($0.name, name) }) {
            fields[index] = (name: name, value: value)
            var next = index + 1
            while next < fields.count {
                if Self.namesMatch(fields[next].name, name) { fields.remove(at: next) } else { next += 1 }
            }
        } else {
            add(name: name, value: value)
        }
    }

    /// Removes every field `name`.
    public mutating func remove(name: String) { fields.removeAll { Self.namesMatch($0.name, name) } }

    /// True when a comma-separated field `name` lists `token` (case-insensitive), e.g. Connection: close.
    public func hasToken(_ token: String, in name: String) -> Bool {
        values(for: name).contains { value in
            value.split(separator: ",").contains { Self.namesMatch($0.trimmingSpaces, token) }
        }
    }

    /// The number of fields.
    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[Element]> { fields.makeIterator() }

    public var description: String { fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n") }

    /// ASCII case-insensitive comparison; header names are ASCII tokens.
    static func namesMatch<A: StringProtocol, B: StringProtocol>(_ a: A, _ b: B) -> Bool {
        let left = a.utf8, right = b.utf8
        guard left.count == right.count else { return false }
        for (x, y) in zip(left, right) where x != y {
            if lowercased(x) != lowercased(y) { return false }
        }
        return true
    }

    @inline(__always) static func lowercased(_ byte: UInt8) -> UInt8 {
        (byte >= 65 && byte <= 90) ? byte | 0x20 : byte
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: Substring {
        let text = Substring(self)
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isSpace($0) }),
              let last = text.lastIndex(where: { !isSpace($0) }) else { return "" }
        return text[first...last]
    }
}
