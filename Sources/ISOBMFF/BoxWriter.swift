import Media

/// Writes ISO BMFF boxes (ISO/IEC 14496-12 §4.2) into a ``ByteWriter``, patching each box size when it closes.
public struct BoxWriter: Sendable {
    /// The bytes written so far.
    public private(set) var output: ByteWriter
    /// Start offsets of the boxes not closed yet.
    private var openBoxes: [Int] = []

    public init(capacity: Int = 1024) {
        output = ByteWriter(capacity: capacity)
    }

    /// Bytes written so far; every box must be closed.
    public var bytes: [UInt8] {
        precondition(openBoxes.isEmpty, "box \(openBoxes.count) level(s) deep still open")
        return output.bytes
    }

    public var count: Int { output.count }

    // MARK: - Boxes

    /// Opens a box: a size placeholder and the four-character type.
    public mutating func begin(_ type: String) {
        openBoxes.append(output.count)
        output.write(UInt32(0))
        writeFourCC(type)
    }

    /// Opens a full box: a plain box followed by version and 24-bit flags.
    public mutating func beginFull(_ type: String, version: UInt8, flags: UInt32) {
        begin(type)
        output.write(UInt32(version) << 24 | (flags & 0x00FF_FFFF))
    }

    /// Closes the innermost open box and writes its size.
    public mutating func end() {
        guard let start = openBoxes.popLast() else { preconditionFailure("end() without an open box") }
        let size = output.count - start
        precondition(size <= Int(UInt32.max), "box larger than 4 GiB needs a largesize header")
        output.patch(UInt32(size), at: start)
    }

    /// Writes a complete box whose payload `body` produces.
    public mutating func box(_ type: String, _ body: (inout BoxWriter) -> Void) {
        begin(type)
        body(&self)
        end()
    }

    /// Writes a complete full box whose payload (after version and flags) `body` produces.
    public mutating func fullBox(_ type: String, version: UInt8 = 0, flags: UInt32 = 0, _ body: (inout BoxWriter) -> Void) {
        beginFull(type, version: version, flags: flags)
        body(&self)
        end()
    }

    // MARK: - Fields

    public mutating func write(_ v: UInt8) { output.write(v) }
    public mutating func write(_ v: UInt16) { output.write(v) }
    public mutating func write(_ v: UInt32) { output.write(v) }
    public mutating func write(_ v: UInt64) { output.write(v) }
    public mutating func write(_ v: Int32) { output.write(v) }
    public mutating func writeUInt24(_ v: UInt32) { output.writeUInt24(v) }
    public mutating func write(contentsOf bytes: some Collection<UInt8>) { output.write(contentsOf: bytes) }
    public mutating func writeZeros(_ count: Int) {
        for _ in 0..<count { output.write(UInt8(0)) }
    }

    /// Writes a four-character code; the code is a compile-time constant or a validated value.
    public mutating func writeFourCC(_ code: String) {
        precondition(code.utf8.count == 4, "four-character code '\(code)' is not 4 bytes")
        output.writeASCII(code)
    }

    /// Overwrites a UInt32 written earlier (a data offset known only once the box is complete).
    public mutating func patch(_ v: UInt32, at index: Int) { output.patch(v, at: index) }
}
