/// Big-endian byte writer appending into a growable array.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    @inline(__always) public mutating func write(_ v: UInt8) { bytes.append(v) }
    @inline(__always) public mutating func write(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 8)); bytes.append(UInt8(truncatingIfNeeded: v))
    }
    public mutating func writeUInt24(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }
    @inline(__always) public mutating func write(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 24)); bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8)); bytes.append(UInt8(truncatingIfNeeded: v))
    }
    @inline(__always) public mutating func write(_ v: UInt64) {
        write(UInt32(truncatingIfNeeded: v >> 32)); write(UInt32(truncatingIfNeeded: v))
    }
    public mutating func write(_ v: Int32) { write(UInt32(bitPattern: v)) }
    public mutating func write(_ v: Int64) { write(UInt64(bitPattern: v)) }
    public mutating func writeUInt32LE(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v)); bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16)); bytes.append(UInt8(truncatingIfNeeded: v >> 24))
    }
    public mutating func write<C: Collection>(contentsOf c: C) where C.Element == UInt8 { bytes.append(contentsOf: c) }
    /// Writes ASCII (four-character codes, strings without terminator).
    public mutating func writeASCII(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// Overwrites a big-endian UInt32 at `index` (box sizes patched after the payload is known).
    public mutating func patch(_ v: UInt32, at index: Int) {
        precondition(index >= 0 && index + 4 <= bytes.count, "patch outside written bytes")
        bytes[index] = UInt8(truncatingIfNeeded: v >> 24); bytes[index + 1] = UInt8(truncatingIfNeeded: v >> 16)
        bytes[index + 2] = UInt8(truncatingIfNeeded: v >> 8); bytes[index + 3] = UInt8(truncatingIfNeeded: v)
    }
}
