/// Big-endian reader over bytes that came from the network or a file: every read is bounds-checked
/// and throws ``MediaParseError/truncated`` instead of trapping.
public struct ByteReader: Sendable {
    public let bytes: ArraySlice<UInt8>
    /// Absolute index into `bytes` of the next byte to read.
    public private(set) var position: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    public init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    public var remaining: Int { bytes.endIndex - position }
    public var isAtEnd: Bool { position >= bytes.endIndex }
    /// Bytes consumed since the start.
    public var offset: Int { position - bytes.startIndex }

    @inline(__always)
    private func need(_ count: Int, _ what: StaticString) throws(MediaParseError) {
        guard count >= 0, remaining >= count else {
            throw .truncated(context: "\(what)", needed: count, available: remaining)
        }
    }

    public mutating func readUInt8() throws(MediaParseError) -> UInt8 {
        try need(1, "UInt8")
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func readUInt16() throws(MediaParseError) -> UInt16 {
        try need(2, "UInt16")
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    public mutating func readUInt24() throws(MediaParseError) -> UInt32 {
        try need(3, "UInt24")
        defer { position += 3 }
        return UInt32(bytes[position]) << 16 | UInt32(bytes[position + 1]) << 8 | UInt32(bytes[position + 2])
    }

    public mutating func readUInt32() throws(MediaParseError) -> UInt32 {
        try need(4, "UInt32")
        var value: UInt32 = 0
        for i in 0..<4 { value = value << 8 | UInt32(bytes[position + i]) }
        position += 4
        return value
    }

    public mutating func readUInt64() throws(MediaParseError) -> UInt64 {
        try need(8, "UInt64")
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(bytes[position + i]) }
        position += 8
        return value
    }

    /// Little-endian 32-bit read (RTMP message stream ids are little-endian).
    public mutating func readUInt32LE() throws(MediaParseError) -> UInt32 {
        try need(4, "UInt32LE")
        var value: UInt32 = 0
        for i in (0..<4).reversed() { value = value << 8 | UInt32(bytes[position + i]) }
        position += 4
        return value
    }

    /// Returns a slice sharing storage with the input (no copy).
    public mutating func readBytes(_ count: Int) throws(MediaParseError) -> ArraySlice<UInt8> {
        try need(count, "bytes")
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    public mutating func skip(_ count: Int) throws(MediaParseError) {
        try need(count, "skip")
        position += count
    }

    public func peekUInt8() throws(MediaParseError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated(context: "peek", needed: 1, available: 0) }
        return bytes[position]
    }

    /// Everything not read yet, as a slice.
    public mutating func readRemaining() -> ArraySlice<UInt8> {
        defer { position = bytes.endIndex }
        return bytes[position...]
    }
}

/// Errors any parser of network or file input may throw. They describe the input, never a bug.
public enum MediaParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case truncated(context: String, needed: Int, available: Int)
    case invalid(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case let .truncated(context, needed, available):
            return "truncated input while reading \(context): needed \(needed) bytes, \(available) available"
        case let .invalid(why): return "invalid input: \(why)"
        case let .unsupported(what): return "unsupported: \(what)"
        }
    }
}
