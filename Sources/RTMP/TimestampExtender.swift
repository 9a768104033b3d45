/// Extends 32-bit RTMP timestamps to 64 bits: each value is taken as the one nearest the previous,
/// so wrapping past 2^32 ms (49.7 days) and small steps back across the wrap both come out right.
struct TimestampExtender: Sendable {
    private var lastRaw: UInt32 = 0
    private var lastExtended: Int64?

    mutating func extend(_ raw: UInt32) -> Int64 {
        let extended = lastExtended.map { $0 + Int64(Int32(bitPattern: raw &- lastRaw)) } ?? Int64(raw)
        lastRaw = raw
        lastExtended = extended
        return extended
    }
}
