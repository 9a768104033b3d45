import Media

/// Writes ISO-BMFF boxes: the size is patched in when the body is complete, so nested boxes are
/// written in one pass without measuring first.
public struct BoxWriter: Sendable {
    public private(set) var writer: ByteWriter

    public init(capacity: Int = 1024) { writer = ByteWriter(capacity: capacity) }

    public var bytes: [UInt8] { writer.bytes }
    public var count: Int { writer.count }

    /// A plain box: size, four-character type, body.
    public mutating func box(_ type: StaticString, _ body: (inout BoxWriter) -> Void) {
        let start = writer.count
        writer.write(UInt32(0))
        writeFourCC(type)
        body(&self)
        writer.patch(UInt32(writer.count - start), at: start)
    }

    /// A full box: a box whose body starts with an 8-bit version and 24-bit flags.
    public mutating func fullBox(_ type: StaticString, version: UInt8, flags: UInt32, _ body: (inout BoxWriter) -> Void) {
        box(type) { b in
            b.writer.write(UInt32(version) << 24 | (flags & 0xFF_FFFF))
            body(&b)
        }
    }

    public mutating func writeFourCC(_ code: StaticString) {
        precondition(code.utf8CodeUnitCount == 4, "four-character codes have four characters")
        code.withUTF8Buffer { writer.write(contentsOf: $0) }
    }

    public mutating func writeFourCC(_ code: String) {
        let utf8 = Array(code.utf8)
        precondition(utf8.count == 4, "four-character codes have four characters")
        writer.write(contentsOf: utf8)
    }

    public mutating func u8(_ v: UInt8) { writer.write(v) }
    public mutating func u16(_ v: UInt16) { writer.write(v) }
    public mutating func u24(_ v: UInt32) { writer.writeUInt24(v) }
    public mutating func u32(_ v: UInt32) { writer.write(v) }
    public mutating func u64(_ v: UInt64) { writer.write(v) }
    public mutating func i32(_ v: Int32) { writer.write(v) }
    public mutating func zeros(_ n: Int) { for _ in 0..<n { writer.write(UInt8(0)) } }
    public mutating func bytes<C: Collection>(_ c: C) where C.Element == UInt8 { writer.write(contentsOf: c) }
    public mutating func patchUInt32(_ v: UInt32, at index: Int) { writer.patch(v, at: index) }
}
