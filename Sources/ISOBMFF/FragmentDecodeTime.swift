// Moving a stored fragment onto another media timeline by rewriting its `tfdt`s in place.

/// Shifts the `baseMediaDecodeTime` of CMAF fragments without parsing their samples.
///
/// The origin presents HLS-CMAF relative to the start of the presentation (players that take `tfdt` as the playback
/// position, such as GStreamer's `hlsdemux`, need the first listed segment near 0), while every other format keeps the
/// stored time. Only the 8 (or 4) bytes of each `tfdt` value change: box sizes, `trun` data offsets and the sample data
/// stay as they were, so the cost is one copy and a walk over box headers.
public enum FragmentDecodeTime {
    /// `bytes` (one or more `moof` + `mdat` pairs, e.g. a fragment or a run of CMAF chunks) with every
    /// `moof/traf/tfdt` decreased by `offset` track-timescale ticks, clamped at 0; nothing else changes.
    /// Bytes that are not well-formed boxes are returned from that point unchanged.
    public static func shifted(_ bytes: [UInt8], by offset: Int64) -> [UInt8] {
        guard offset != 0 else { return bytes }
        var result = bytes
        result.withUnsafeMutableBufferPointer { buffer in
            forEachBox(in: buffer, from: 0, to: buffer.count) { type, body, end in
                guard type == Self.moof else { return }
                forEachBox(in: buffer, from: body, to: end) { type, body, end in
                    guard type == Self.traf else { return }
                    forEachBox(in: buffer, from: body, to: end) { type, body, end in
                        guard type == Self.tfdt else { return }
                        shiftDecodeTime(in: buffer, fullBox: body, end: end, by: offset)
                    }
                }
            }
        }
        return result
    }

    /// The first `tfdt` value in `bytes` (for tests and checks), nil when there is none.
    public static func firstDecodeTime(_ bytes: [UInt8]) -> UInt64? {
        var found: UInt64?
        bytes.withUnsafeBufferPointer { buffer in
            forEachBox(in: buffer, from: 0, to: buffer.count) { type, body, end in
                guard type == Self.moof, found == nil else { return }
                forEachBox(in: buffer, from: body, to: end) { type, body, end in
                    guard type == Self.traf, found == nil else { return }
                    forEachBox(in: buffer, from: body, to: end) { type, body, end in
                        guard type == Self.tfdt, found == nil, end - body >= 8 else { return }
                        found = buffer[body] == 1 && end - body >= 12
                            ? readUInt64(buffer, body + 4) : UInt64(readUInt32(buffer, body + 4))
                    }
                }
            }
        }
        return found
    }

    // MARK: - Box walking

    private static let moof: UInt32 = 0x6D6F_6F66
    private static let traf: UInt32 = 0x7472_6166
    private static let tfdt: UInt32 = 0x7466_6474

    /// Calls `visit(type, bodyStart, boxEnd)` for each box in `start..<end`; stops at the first malformed header.
    private static func forEachBox<Buffer: RandomAccessCollection<UInt8>>(
        in buffer: Buffer, from start: Int, to end: Int, _ visit: (UInt32, Int, Int) -> Void
    ) where Buffer.Index == Int {
        var position = start
        while end - position >= 8 {
            var size = Int(readUInt32(buffer, position))
            let type = readUInt32(buffer, position + 4)
            var header = 8
            if size == 1 {
                guard end - position >= 16 else { return }
                let large = readUInt64(buffer, position + 8)
                guard large <= UInt64(Int.max) else { return }
                size = Int(large)
                header = 16
            } else if size == 0 {
                size = end - position
            }
            guard size >= header, size <= end - position else { return }
            visit(type, position + header, position + size)
            position += size
        }
    }

    /// Rewrites the value of a `tfdt` whose full-box header starts at `body` (version, flags, then 32 or 64 bits).
    private static func shiftDecodeTime(in buffer: UnsafeMutableBufferPointer<UInt8>, fullBox body: Int, end: Int, by offset: Int64) {
        guard end - body >= 8 else { return }
        if buffer[body] == 1 {
            guard end - body >= 12 else { return }
            let value = Int64(clamping: readUInt64(buffer, body + 4))
            let shifted = UInt64(max(0, value - offset))
            for index in 0..<8 { buffer[body + 4 + index] = UInt8(truncatingIfNeeded: shifted >> (56 - 8 * UInt64(index))) }
        } else {
            let value = Int64(readUInt32(buffer, body + 4))
            let shifted = UInt32(clamping: max(0, value - offset))
            for index in 0..<4 { buffer[body + 4 + index] = UInt8(truncatingIfNeeded: shifted >> (24 - 8 * UInt32(index))) }
        }
    }

    private static func readUInt32<Buffer: RandomAccessCollection<UInt8>>(_ buffer: Buffer, _ at: Int) -> UInt32
    where Buffer.Index == Int {
        (0..<4).reduce(0) { $0 << 8 | UInt32(buffer[at + $1]) }
    }

    private static func readUInt64<Buffer: RandomAccessCollection<UInt8>>(_ buffer: Buffer, _ at: Int) -> UInt64
    where Buffer.Index == Int {
        (0..<8).reduce(0) { $0 << 8 | UInt64(buffer[at + $1]) }
    }
}
