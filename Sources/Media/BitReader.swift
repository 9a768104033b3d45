/// MSB-first bit reader for codec headers (SPS, AudioSpecificConfig), with Exp-Golomb codes.
/// Emulation-prevention bytes must already be removed (see ``NALUnit/removingEmulationPrevention(_:)``).
public struct BitReader: Sendable {
    private let bytes: [UInt8]
    public private(set) var bitPosition: Int = 0

    public init<C: Collection>(_ bytes: C) where C.Element == UInt8 { self.bytes = Array(bytes) }

    public var bitsRemaining: Int { bytes.count * 8 - bitPosition }

    public mutating func readBit() throws(MediaParseError) -> UInt32 {
        guard bitPosition < bytes.count * 8 else { throw .truncated(context: "bit", needed: 1, available: 0) }
        let byte = bytes[bitPosition >> 3]
        let bit = (byte >> (7 - UInt8(bitPosition & 7))) & 1
        bitPosition += 1
        return UInt32(bit)
    }

    public mutating func readBits(_ count: Int) throws(MediaParseError) -> UInt32 {
        precondition(count <= 32, "readBits reads at most 32 bits")
        guard count <= bitsRemaining else {
            throw .truncated(context: "bits", needed: (count + 7) / 8, available: bitsRemaining / 8)
        }
        var value: UInt32 = 0
        for _ in 0..<count { value = value << 1 | (try readBit()) }
        return value
    }

    public mutating func readFlag() throws(MediaParseError) -> Bool { try readBit() == 1 }

    public mutating func skipBits(_ count: Int) throws(MediaParseError) {
        guard count <= bitsRemaining else { throw .truncated(context: "skip bits", needed: count, available: bitsRemaining) }
        bitPosition += count
    }

    /// Unsigned Exp-Golomb, ue(v).
    public mutating func readUE() throws(MediaParseError) -> UInt32 {
        var leadingZeros = 0
        while try readBit() == 0 {
            leadingZeros += 1
            guard leadingZeros < 32 else { throw .invalid("Exp-Golomb code longer than 32 bits") }
        }
        if leadingZeros == 0 { return 0 }
        let suffix = try readBits(leadingZeros)
        return UInt32((UInt64(1) << leadingZeros) - 1 + UInt64(suffix))
    }

    /// Signed Exp-Golomb, se(v).
    public mutating func readSE() throws(MediaParseError) -> Int32 {
        let k = try readUE()
        return k & 1 == 1 ? Int32((k + 1) / 2) : -Int32(k / 2)
    }
}
