// Helpers shared by the Media tests (hex vectors: TestSupport): an MSB-first bit writer for hand-built headers,
// and a deterministic byte generator for garbage-input tests.
@testable import Media

/// MSB-first bit writer with Exp-Golomb codes, for building SPS/ASC test vectors field by field.
struct TestBitWriter {
    private(set) var bytes: [UInt8] = []
    private var bitCount = 0

    mutating func bits(_ value: UInt64, _ count: Int) {
        for i in stride(from: count - 1, through: 0, by: -1) { bit(value >> UInt64(i) & 1 == 1) }
    }
    mutating func bit(_ set: Bool) {
        if bitCount % 8 == 0 { bytes.append(0) }
        if set { bytes[bytes.count - 1] |= 0x80 >> UInt8(bitCount % 8) }
        bitCount += 1
    }
    mutating func flag(_ set: Bool) { bit(set) }
    mutating func ue(_ value: UInt32) {
        let v = UInt64(value) + 1
        let length = 64 - v.leadingZeroBitCount
        bits(0, length - 1)
        bits(v, length)
    }
    mutating func se(_ value: Int32) { ue(value > 0 ? UInt32(2 * Int64(value) - 1) : UInt32(-2 * Int64(value))) }
    /// rbsp_trailing_bits: a stop bit, then zeros to the byte boundary.
    mutating func trailingBits() {
        bit(true)
        while bitCount % 8 != 0 { bit(false) }
    }
}

/// Inserts emulation-prevention bytes as an encoder would (the inverse of NALUnit.removingEmulationPrevention).
func addingEmulationPrevention(_ rbsp: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [], zeros = 0
    for byte in rbsp {
        if zeros >= 2 && byte <= 3 { out.append(3); zeros = 0 }
        out.append(byte)
        zeros = byte == 0 ? zeros + 1 : 0
    }
    return out
}

/// Deterministic pseudo-random bytes (64-bit LCG) so garbage tests are reproducible.
struct TestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0..<count { out.append(UInt8(truncatingIfNeeded: next() >> 33)) }
        return out
    }
}
