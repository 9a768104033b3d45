// NAL unit framing shared by H.264 and H.265: MP4 length prefixes, Annex-B start codes and
// emulation-prevention bytes (H.264 §7.4.1, H.265 §7.4.2).

/// Helpers for NAL units as they travel in MP4 samples (length-prefixed) and in elementary streams (Annex B).
public enum NALUnit {
    // MARK: - Types

    /// H.264 `nal_unit_type` values the pipeline cares about.
    public enum AVCType {
        public static let nonIDRSlice: UInt8 = 1
        public static let idrSlice: UInt8 = 5
        public static let sei: UInt8 = 6
        public static let sequenceParameterSet: UInt8 = 7
        public static let pictureParameterSet: UInt8 = 8
        public static let accessUnitDelimiter: UInt8 = 9
    }

    /// H.265 `nal_unit_type` values the pipeline cares about.
    public enum HEVCType {
        public static let videoParameterSet: UInt8 = 32
        public static let sequenceParameterSet: UInt8 = 33
        public static let pictureParameterSet: UInt8 = 34
        public static let accessUnitDelimiter: UInt8 = 35
        /// IRAP pictures (BLA, IDR, CRA) are types 16...23.
        public static let irapRange: ClosedRange<UInt8> = 16...23
    }

    /// The H.264 `nal_unit_type` (low 5 bits of the first byte), or nil for an empty unit.
    @inline(__always)
    public static func avcType(_ unit: ArraySlice<UInt8>) -> UInt8? {
        unit.first.map { $0 & 0x1F }
    }

    /// The H.265 `nal_unit_type` (bits 1...6 of the first byte), or nil for an empty unit.
    @inline(__always)
    public static func hevcType(_ unit: ArraySlice<UInt8>) -> UInt8? {
        unit.first.map { ($0 >> 1) & 0x3F }
    }

    // MARK: - Emulation prevention

    /// Removes the `0x03` bytes an encoder inserts after every `00 00` so the RBSP can be bit-parsed.
    public static func removingEmulationPrevention(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var zeros = 0
        for byte in bytes {
            if zeros >= 2 && byte == 0x03 {
                // Dropped: it only exists to break a start-code-like pattern.
                zeros = 0
                continue
            }
            zeros = byte == 0 ? zeros + 1 : 0
            out.append(byte)
        }
        return out
    }

    // MARK: - Length-prefixed (MP4) samples

    /// Splits an MP4 sample into its NAL units; each slice shares storage with `data`.
    /// Throws when a length prefix runs past the end of the sample.
    public static func lengthPrefixed(_ data: ArraySlice<UInt8>, lengthSize: Int) throws(MediaParseError) -> [ArraySlice<UInt8>] {
        guard [1, 2, 4].contains(lengthSize) else {
            throw .invalid("NAL unit length size \(lengthSize) (must be 1, 2 or 4)")
        }
        var reader = ByteReader(data)
        var units: [ArraySlice<UInt8>] = []
        while !reader.isAtEnd {
            let length: Int
            switch lengthSize {
            case 1: length = Int(try reader.readUInt8())
            case 2: length = Int(try reader.readUInt16())
            default: length = Int(try reader.readUInt32())
            }
            guard length <= reader.remaining else {
                throw .invalid("NAL unit length \(length) exceeds the \(reader.remaining) bytes left in the sample")
            }
            units.append(try reader.readBytes(length))
        }
        return units
    }

    /// Joins NAL units into an MP4 sample with big-endian length prefixes of `lengthSize` bytes.
    public static func lengthPrefixing(_ units: [ArraySlice<UInt8>], lengthSize: Int = 4) -> [UInt8] {
        precondition([1, 2, 4].contains(lengthSize), "NAL unit length size must be 1, 2 or 4")
        var out: [UInt8] = []
        out.reserveCapacity(units.reduce(0) { $0 + $1.count + lengthSize })
        for unit in units {
            let length = UInt32(truncatingIfNeeded: unit.count)
            precondition(lengthSize == 4 || unit.count < 1 << (8 * lengthSize), "NAL unit too long for its length prefix")
            for shift in stride(from: 8 * (lengthSize - 1), through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: length >> UInt32(shift)))
            }
            out.append(contentsOf: unit)
        }
        return out
    }

    // MARK: - Annex B

    /// Splits an Annex-B byte stream on `00 00 01` / `00 00 00 01` start codes. Bytes before the first
    /// start code and trailing zero bytes of each unit are dropped; slices share storage with `data`.
    public static func annexBUnits(_ data: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var units: [ArraySlice<UInt8>] = []
        var unitStart: Int? = nil
        var i = data.startIndex
        let end = data.endIndex
        while i + 2 < end {
            if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
                if let start = unitStart { units.append(trimmingTrailingZeros(data[start..<i])) }
                i += 3
                unitStart = i
            } else if data[i + 2] > 1 {
                // No start code can begin at i, i+1 or i+2.
                i += 3
            } else {
                i += 1
            }
        }
        if let start = unitStart, start < end { units.append(trimmingTrailingZeros(data[start..<end])) }
        return units.filter { !$0.isEmpty }
    }

    private static func trimmingTrailingZeros(_ unit: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var end = unit.endIndex
        while end > unit.startIndex && unit[end - 1] == 0 { end -= 1 }
        return unit[unit.startIndex..<end]
    }
}
