/// The fields of an H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1 and Annex E VUI) that
/// packaging needs: profile, level, chroma format, displayed size, sample aspect ratio and timing.
public struct H264SequenceParameterSet: Sendable, Hashable {
    public var profileIDC: UInt8
    /// constraint_set0..5 flags and the two reserved bits, as one byte.
    public var constraintFlags: UInt8
    public var levelIDC: UInt8
    public var id: UInt32
    /// 0 = monochrome, 1 = 4:2:0, 2 = 4:2:2, 3 = 4:4:4.
    public var chromaFormatIDC: UInt32
    public var separateColourPlane: Bool
    public var bitDepthLuma: Int
    public var bitDepthChroma: Int
    public var frameMBsOnly: Bool
    /// Decoded size after the cropping window, in pixels.
    public var width: Int
    public var height: Int
    /// Sample aspect ratio from VUI; 1:1 when absent or unspecified.
    public var sarWidth: Int
    public var sarHeight: Int
    public var videoFullRange: Bool?
    public var colourPrimaries: UInt8?
    public var transferCharacteristics: UInt8?
    public var matrixCoefficients: UInt8?
    public var numUnitsInTick: UInt32?
    public var timeScale: UInt32?
    public var fixedFrameRate: Bool?

    /// Frames per second from VUI timing: one frame is two ticks (field-based clock, H.264 Annex E).
    public var frameRate: Double? {
        guard let tick = numUnitsInTick, let scale = timeScale, tick > 0, scale > 0 else { return nil }
        return Double(scale) / (2 * Double(tick))
    }

    // MARK: - Parsing

    /// Parses a complete SPS NAL unit (header byte included, emulation prevention still present).
    public init(nalUnit: some Collection<UInt8>) throws(MediaParseError) {
        let rbsp = NALUnit.removingEmulationPrevention(nalUnit)
        var bits = BitReader(rbsp)
        let header = try bits.readBits(8)
        guard header & 0x80 == 0 else { throw .invalid("H.264 SPS: forbidden_zero_bit is set") }
        guard header & 0x1F == UInt32(NALUnit.AVCType.sequenceParameterSet) else {
            throw .invalid("H.264 SPS: NAL unit type \(header & 0x1F) is not 7 (sequence parameter set)")
        }
        profileIDC = UInt8(try bits.readBits(8))
        constraintFlags = UInt8(try bits.readBits(8))
        levelIDC = UInt8(try bits.readBits(8))
        id = try bits.readUE()
        guard id <= 31 else { throw .invalid("H.264 SPS: seq_parameter_set_id \(id) exceeds 31") }

        chromaFormatIDC = 1
        separateColourPlane = false
        bitDepthLuma = 8
        bitDepthChroma = 8
        if Self.profilesWithChromaInfo.contains(profileIDC) {
            chromaFormatIDC = try bits.readUE()
            guard chromaFormatIDC <= 3 else { throw .invalid("H.264 SPS: chroma_format_idc \(chromaFormatIDC)") }
            if chromaFormatIDC == 3 { separateColourPlane = try bits.readFlag() }
            let lumaMinus8 = try bits.readUE(), chromaMinus8 = try bits.readUE()
            guard lumaMinus8 <= 6, chromaMinus8 <= 6 else { throw .invalid("H.264 SPS: bit depth above 14") }
            bitDepthLuma = Int(lumaMinus8) + 8
            bitDepthChroma = Int(chromaMinus8) + 8
            try bits.skipBits(1)  // qpprime_y_zero_transform_bypass_flag
            if try bits.readFlag() {  // seq_scaling_matrix_present_flag
                let listCount = chromaFormatIDC == 3 ? 12 : 8
                for index in 0..<listCount {
                    if try bits.readFlag() { try Self.skipScalingList(&bits, size: index < 6 ? 16 : 64) }
                }
            }
        }

        _ = try bits.readUE()  // log2_max_frame_num_minus4
        let pocType = try bits.readUE()
        switch pocType {
        case 0:
            _ = try bits.readUE()  // log2_max_pic_order_cnt_lsb_minus4
        case 1:
            try bits.skipBits(1)  // delta_pic_order_always_zero_flag
            _ = try bits.readSE()  // offset_for_non_ref_pic
            _ = try bits.readSE()  // offset_for_top_to_bottom_field
            let cycle = try bits.readUE()
            guard cycle <= 255 else { throw .invalid("H.264 SPS: num_ref_frames_in_pic_order_cnt_cycle \(cycle) exceeds 255") }
            for _ in 0..<cycle { _ = try bits.readSE() }
        case 2:
            break
        default:
            throw .invalid("H.264 SPS: pic_order_cnt_type \(pocType)")
        }
        _ = try bits.readUE()  // max_num_ref_frames
        try bits.skipBits(1)  // gaps_in_frame_num_value_allowed_flag
        let widthInMBs = Int(try bits.readUE()) + 1
        let heightInMapUnits = Int(try bits.readUE()) + 1
        frameMBsOnly = try bits.readFlag()
        if !frameMBsOnly { try bits.skipBits(1) }  // mb_adaptive_frame_field_flag
        try bits.skipBits(1)  // direct_8x8_inference_flag

        var cropLeft = 0, cropRight = 0, cropTop = 0, cropBottom = 0
        if try bits.readFlag() {
            cropLeft = Int(try bits.readUE())
            cropRight = Int(try bits.readUE())
            cropTop = Int(try bits.readUE())
            cropBottom = Int(try bits.readUE())
        }
        // Crop offsets count chroma samples (and field pairs for interlaced coding), H.264 (7-19)...(7-22).
        let chromaArrayType = separateColourPlane ? 0 : chromaFormatIDC
        let fieldFactor = frameMBsOnly ? 1 : 2
        let cropUnitX = chromaArrayType == 0 || chromaArrayType == 3 ? 1 : 2
        let cropUnitY = (chromaArrayType == 1 ? 2 : 1) * fieldFactor
        let codedWidth = widthInMBs * 16
        let codedHeight = heightInMapUnits * 16 * fieldFactor
        width = codedWidth - cropUnitX * (cropLeft + cropRight)
        height = codedHeight - cropUnitY * (cropTop + cropBottom)
        guard width > 0, height > 0 else {
            throw .invalid("H.264 SPS: cropping (\(cropLeft),\(cropRight),\(cropTop),\(cropBottom)) leaves no picture of \(codedWidth)x\(codedHeight)")
        }

        sarWidth = 1
        sarHeight = 1
        if try bits.readFlag() {  // vui_parameters_present_flag
            try parseVUI(&bits)
        }
    }

    /// Profiles whose SPS carries chroma format, bit depths and scaling matrices (H.264 §7.3.2.1.1).
    static let profilesWithChromaInfo: Set<UInt8> = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]

    /// Sample aspect ratios for aspect_ratio_idc 1...16 (H.264 Table E-1).
    static let sampleAspectRatios: [(Int, Int)] = [
        (1, 1), (12, 11), (10, 11), (16, 11), (40, 33), (24, 11), (20, 11), (32, 11),
        (80, 33), (18, 11), (15, 11), (64, 33), (160, 99), (4, 3), (3, 2), (2, 1),
    ]

    /// Extended_SAR: the ratio follows as two 16-bit fields.
    static let extendedSAR: UInt32 = 255

    /// Walks a scaling_list() (H.264 §7.3.2.1.1.1) only to stay bit-aligned with what follows.
    private static func skipScalingList(_ bits: inout BitReader, size: Int) throws(MediaParseError) {
        var lastScale: Int32 = 8, nextScale: Int32 = 8
        for _ in 0..<size {
            if nextScale != 0 {
                let delta = try bits.readSE()
                guard (-128...127).contains(delta) else { throw .invalid("H.264 SPS: delta_scale \(delta) out of range") }
                nextScale = (lastScale + delta + 256) % 256
            }
            if nextScale != 0 { lastScale = nextScale }
        }
    }

    private mutating func parseVUI(_ bits: inout BitReader) throws(MediaParseError) {
        if try bits.readFlag() {  // aspect_ratio_info_present_flag
            let idc = try bits.readBits(8)
            if idc == Self.extendedSAR {
                let w = Int(try bits.readBits(16)), h = Int(try bits.readBits(16))
                // 0:0 means "unspecified"; keep square pixels then.
                if w > 0 && h > 0 { sarWidth = w; sarHeight = h }
            } else if idc >= 1 && Int(idc) <= Self.sampleAspectRatios.count {
                (sarWidth, sarHeight) = Self.sampleAspectRatios[Int(idc) - 1]
            }
        }
        if try bits.readFlag() { try bits.skipBits(1) }  // overscan_info_present → overscan_appropriate
        if try bits.readFlag() {  // video_signal_type_present_flag
            try bits.skipBits(3)  // video_format
            videoFullRange = try bits.readFlag()
            if try bits.readFlag() {  // colour_description_present_flag
                colourPrimaries = UInt8(try bits.readBits(8))
                transferCharacteristics = UInt8(try bits.readBits(8))
                matrixCoefficients = UInt8(try bits.readBits(8))
            }
        }
        if try bits.readFlag() {  // chroma_loc_info_present_flag
            _ = try bits.readUE()
            _ = try bits.readUE()
        }
        if try bits.readFlag() {  // timing_info_present_flag
            numUnitsInTick = try bits.readBits(32)
            timeScale = try bits.readBits(32)
            fixedFrameRate = try bits.readFlag()
        }
        // HRD parameters and bitstream restrictions follow; packaging needs none of them.
    }
}
