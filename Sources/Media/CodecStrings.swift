// RFC 6381 `codecs` values (with ISO/IEC 14496-15 Annex E for HEVC).

extension AVCConfiguration {
    /// `avc1.PPCCLL`: profile_idc, constraint flags byte, level_idc in hex.
    public var codecString: String {
        "avc1." + hex2(profileIndication) + hex2(profileCompatibility) + hex2(levelIndication)
    }
}

extension HEVCConfiguration {
    /// `hvc1.<space><profile>.<compat reversed>.<tier><level>[.<constraint bytes>]`.
    public var codecString: String {
        let space = ["", "A", "B", "C"][Int(generalProfileSpace & 3)]
        // The 32 compatibility flags are written in reverse bit order, hex, no leading zeros.
        var reversed: UInt32 = 0
        for bit in 0..<32 where generalProfileCompatibilityFlags & (1 << UInt32(bit)) != 0 {
            reversed |= 1 << UInt32(31 - bit)
        }
        var parts = ["hvc1", space + String(generalProfileIDC), String(reversed, radix: 16, uppercase: true),
                     (generalTierFlag ? "H" : "L") + String(generalLevelIDC)]
        // Six constraint bytes, trailing zero bytes omitted.
        var constraint = (0..<6).map { UInt8(truncatingIfNeeded: generalConstraintIndicatorFlags >> UInt64(40 - 8 * $0)) }
        while let last = constraint.last, last == 0 { constraint.removeLast() }
        parts += constraint.map { String($0, radix: 16, uppercase: true) }
        return parts.joined(separator: ".")
    }
}

extension AudioSpecificConfig {
    /// `mp4a.40.<audio object type>`.
    public var codecString: String { "mp4a.40.\(objectType)" }
}

@inline(__always)
func hex2(_ v: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(v >> 4)], digits[Int(v & 0xF)]])
}
