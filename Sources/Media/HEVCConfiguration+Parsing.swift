// HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1) and the size fields of the H.265 SPS
// (ITU-T H.265 §7.3.2.2.1).

extension HEVCConfiguration {
    // MARK: - Parsing

    /// Parses an `hvcC` payload; width and height come from the first SPS in its arrays.
    public init(record: [UInt8]) throws(MediaParseError) {
        var reader = ByteReader(record)
        let version = try reader.readUInt8()
        guard version == 1 else {
            throw .unsupported("HEVCDecoderConfigurationRecord version \(version) (only version 1 exists)")
        }
        let profileByte = try reader.readUInt8()
        let compatibility = try reader.readUInt32()
        let constraint = UInt64(try reader.readUInt32()) << 16 | UInt64(try reader.readUInt16())
        let level = try reader.readUInt8()
        // min_spatial_segmentation, parallelismType, chromaFormat, bit depths, avgFrameRate.
        try reader.skip(2 + 1 + 1 + 1 + 1 + 2)
        let lengthSize = Int(try reader.readUInt8() & 0x03) + 1
        guard lengthSize != 3 else { throw .invalid("hvcC: lengthSizeMinusOne is 2 (NAL length prefixes are 1, 2 or 4 bytes)") }

        var firstSPS: ArraySlice<UInt8>? = nil
        let arrayCount = Int(try reader.readUInt8())
        for _ in 0..<arrayCount {
            let type = try reader.readUInt8() & 0x3F
            let unitCount = Int(try reader.readUInt16())
            for _ in 0..<unitCount {
                let length = Int(try reader.readUInt16())
                let unit = try reader.readBytes(length)
                if type == NALUnit.HEVCType.sequenceParameterSet && firstSPS == nil { firstSPS = unit }
            }
        }
        guard let sps = firstSPS else {
            throw .invalid("hvcC carries no sequence parameter set; the encoder must send VPS, SPS and PPS")
        }
        let (width, height) = try Self.pictureSize(sps: sps)
        self.init(record: record, generalProfileSpace: profileByte >> 6, generalTierFlag: profileByte & 0x20 != 0,
                  generalProfileIDC: profileByte & 0x1F, generalProfileCompatibilityFlags: compatibility,
                  generalConstraintIndicatorFlags: constraint, generalLevelIDC: level,
                  nalUnitLengthSize: lengthSize, width: width, height: height)
    }

    /// Displayed size (after the conformance window) from an H.265 SPS NAL unit.
    public static func pictureSize(sps: some Collection<UInt8>) throws(MediaParseError) -> (width: Int, height: Int) {
        var bits = BitReader(NALUnit.removingEmulationPrevention(sps))
        let header = try bits.readBits(16)
        guard (header >> 9) & 0x3F == UInt32(NALUnit.HEVCType.sequenceParameterSet) else {
            throw .invalid("H.265 SPS: NAL unit type \((header >> 9) & 0x3F) is not 33 (sequence parameter set)")
        }
        try bits.skipBits(4)  // sps_video_parameter_set_id
        let maxSubLayersMinus1 = Int(try bits.readBits(3))
        guard maxSubLayersMinus1 < 7 else { throw .invalid("H.265 SPS: sps_max_sub_layers_minus1 is 7") }
        try bits.skipBits(1)  // sps_temporal_id_nesting_flag
        try skipProfileTierLevel(&bits, maxSubLayersMinus1: maxSubLayersMinus1)
        _ = try bits.readUE()  // sps_seq_parameter_set_id
        let chromaFormat = try bits.readUE()
        guard chromaFormat <= 3 else { throw .invalid("H.265 SPS: chroma_format_idc \(chromaFormat)") }
        var separateColourPlane = false
        if chromaFormat == 3 { separateColourPlane = try bits.readFlag() }
        let codedWidth = Int(try bits.readUE())
        let codedHeight = Int(try bits.readUE())
        var width = codedWidth, height = codedHeight
        if try bits.readFlag() {  // conformance_window_flag
            let left = Int(try bits.readUE()), right = Int(try bits.readUE())
            let top = Int(try bits.readUE()), bottom = Int(try bits.readUE())
            // Offsets count chroma samples (H.265 Table 6-1): SubWidthC/SubHeightC.
            let chromaArrayType = separateColourPlane ? 0 : chromaFormat
            let subWidth = chromaArrayType == 1 || chromaArrayType == 2 ? 2 : 1
            let subHeight = chromaArrayType == 1 ? 2 : 1
            width -= subWidth * (left + right)
            height -= subHeight * (top + bottom)
        }
        guard width > 0, height > 0 else {
            throw .invalid("H.265 SPS: picture \(codedWidth)x\(codedHeight) is empty after its conformance window")
        }
        return (width, height)
    }

    /// profile_tier_level(1, maxSubLayersMinus1), H.265 §7.3.3: skipped, the record header repeats the general part.
    private static func skipProfileTierLevel(_ bits: inout BitReader, maxSubLayersMinus1: Int) throws(MediaParseError) {
        // general profile space..level: 2+1+5 + 32 + 48 + 8 bits.
        try bits.skipBits(96)
        var profilePresent: [Bool] = [], levelPresent: [Bool] = []
        for _ in 0..<maxSubLayersMinus1 {
            profilePresent.append(try bits.readFlag())
            levelPresent.append(try bits.readFlag())
        }
        if maxSubLayersMinus1 > 0 {
            try bits.skipBits(2 * (8 - maxSubLayersMinus1))  // reserved_zero_2bits
        }
        for i in 0..<maxSubLayersMinus1 {
            if profilePresent[i] { try bits.skipBits(88) }
            if levelPresent[i] { try bits.skipBits(8) }
        }
    }
}
