import TestSupport
import Testing
@testable import Media

/// avcC payloads written by ffmpeg 5 / libx264 (see the comments for the command), and what ffprobe reports for them.
enum AVCVectors {
    /// testsrc2 1280x720 30 fps, `-profile:v high`.
    static let high720 = hexBytes("0164001fffe1001a6764001facd9405005bb0110000003001000000303c0f183196001000668ebe3cb22c0fdf8f800")
    /// testsrc2 640x360 25 fps, `-profile:v baseline` (368 coded lines, cropped).
    static let baseline360 = hexBytes("0142c01effe100196742c01ed900a02ff97011000003000100000300320f162e4801000568cb83cb20")
    /// testsrc2 1920x1080 50 fps, `-profile:v main` (no High tail in the record).
    static let main1080 = hexBytes("014d402affe1001a674d402aeca03c0113f2e022000003000200000300c81e30632c01000568ebe3cb20")
    /// testsrc2 720x576 25 fps, `-vf setsar=16/11` (aspect_ratio_idc 4).
    static let sar720x576 = hexBytes("0164001effe100196764001eacd940b4126c1040000003004000000c83c58b658001000668ebe3cb22c0fdf8f800")
    /// testsrc2 1920x1080 25 fps, `-x264-params interlaced=1` (frame_mbs_only_flag 0).
    static let interlaced1080 = hexBytes("01640028ffe1001a67640028acd94078044fde0220000003002000000643e2c5b2c001000668fba3cb22c0fdf8f800")
    /// testsrc2 320x240 30000/1001 fps, yuv444p (High 4:4:4 Predictive).
    static let high444 = hexBytes("01f4000dffe1001767f4000d919b28283f6022000007d20001d4c01e28532c01000868ebe3c44c000440fff8f800")
    /// testsrc2 854x480 24 fps, yuv420p10le (High 10).
    static let high10 = hexBytes("016e001effe1001b676e001ea6cd940d83de6f011000000300100000030300f162d96001000668ebe3cb22c0fdfafa00")
}

@Suite struct AVCConfigurationTests {
    struct Expected: Sendable, CustomTestStringConvertible {
        var name: String, record: [UInt8], codec: String, width: Int, height: Int
        var sar: (Int, Int) = (1, 1), fps: Double
        var testDescription: String { name }
    }

    static let cases: [Expected] = [
        .init(name: "high720", record: AVCVectors.high720, codec: "avc1.64001f", width: 1280, height: 720, fps: 30),
        .init(name: "baseline360", record: AVCVectors.baseline360, codec: "avc1.42c01e", width: 640, height: 360, fps: 25),
        .init(name: "main1080", record: AVCVectors.main1080, codec: "avc1.4d402a", width: 1920, height: 1080, fps: 50),
        .init(name: "sar", record: AVCVectors.sar720x576, codec: "avc1.64001e", width: 720, height: 576, sar: (16, 11), fps: 25),
        .init(name: "interlaced1080", record: AVCVectors.interlaced1080, codec: "avc1.640028", width: 1920, height: 1080, fps: 25),
        .init(name: "high444", record: AVCVectors.high444, codec: "avc1.f4000d", width: 320, height: 240, fps: 30000.0 / 1001),
        .init(name: "high10", record: AVCVectors.high10, codec: "avc1.6e001e", width: 854, height: 480, fps: 24),
    ]

    @Test(arguments: cases)
    func parsesEncoderRecords(_ expected: Expected) throws {
        let config = try AVCConfiguration(record: expected.record)
        #expect(config.codecString == expected.codec)
        #expect(config.width == expected.width)
        #expect(config.height == expected.height)
        #expect(config.sarWidth == expected.sar.0 && config.sarHeight == expected.sar.1)
        let fps = try #require(config.frameRate)
        #expect(abs(fps - expected.fps) < 1e-9)
        #expect(config.nalUnitLengthSize == 4)
        #expect(config.sequenceParameterSets.count == 1 && config.pictureParameterSets.count == 1)
        #expect(config.record == expected.record)
    }

    @Test func exposesSPSDetails() throws {
        let interlaced = try AVCConfiguration(record: AVCVectors.interlaced1080).parsedSequenceParameterSet()
        #expect(!interlaced.frameMBsOnly)
        #expect(interlaced.timeScale == 50 && interlaced.numUnitsInTick == 1)
        let high10 = try AVCConfiguration(record: AVCVectors.high10).parsedSequenceParameterSet()
        #expect(high10.bitDepthLuma == 10 && high10.bitDepthChroma == 10 && high10.chromaFormatIDC == 1)
        let high444 = try AVCConfiguration(record: AVCVectors.high444).parsedSequenceParameterSet()
        #expect(high444.chromaFormatIDC == 3 && high444.profileIDC == 244)
        let baseline = try AVCConfiguration(record: AVCVectors.baseline360).parsedSequenceParameterSet()
        #expect(baseline.constraintFlags == 0xC0 && baseline.chromaFormatIDC == 1)
    }

    @Test(arguments: cases)
    func rebuildsTheRecordFromItsParameterSets(_ expected: Expected) throws {
        let parsed = try AVCConfiguration(record: expected.record)
        let rebuilt = try AVCConfiguration(sps: parsed.sequenceParameterSets[0], pps: parsed.pictureParameterSets[0])
        #expect(rebuilt.record == expected.record)
        #expect(rebuilt.width == parsed.width && rebuilt.height == parsed.height)
    }

    @Test func acceptsAHighRecordWithoutItsOptionalTail() throws {
        let withoutTail = Array(AVCVectors.high720.dropLast(4))
        let config = try AVCConfiguration(record: withoutTail)
        #expect(config.codecString == "avc1.64001f" && config.width == 1280)
    }

    @Test func parsesHandBuiltSPSWithScalingListsPOCType1AndExtendedSAR() throws {
        var w = TestBitWriter()
        w.bits(0x67, 8); w.bits(100, 8); w.bits(0, 8); w.bits(40, 8)
        w.ue(0)                       // seq_parameter_set_id
        w.ue(1); w.ue(0); w.ue(0)     // 4:2:0, 8-bit luma and chroma
        w.flag(false)                 // qpprime_y_zero_transform_bypass
        w.flag(true)                  // seq_scaling_matrix_present
        for list in 0..<8 {
            switch list {
            case 0:  // explicit 4x4 list: 16 deltas
                w.flag(true); for j in 0..<16 { w.se(Int32(j % 5) - 2) }
            case 2:  // useDefaultScalingMatrix: first delta makes nextScale 0, nothing more follows
                w.flag(true); w.se(-8)
            case 6:  // explicit 8x8 list: 64 deltas, some large
                w.flag(true); for j in 0..<64 { w.se(j % 2 == 0 ? 100 : -100) }
            default:
                w.flag(false)
            }
        }
        w.ue(0)                       // log2_max_frame_num_minus4
        w.ue(1)                       // pic_order_cnt_type 1
        w.flag(false); w.se(-3); w.se(5); w.ue(3); w.se(2); w.se(-7); w.se(11)
        w.ue(4); w.flag(false)        // max_num_ref_frames, gaps
        w.ue(79); w.ue(44)            // 1280 x 720
        w.flag(true); w.flag(true)    // frame_mbs_only, direct_8x8
        w.flag(true); w.ue(0); w.ue(4); w.ue(0); w.ue(2)  // crop right 8, bottom 4
        w.flag(true)                  // VUI
        w.flag(true); w.bits(255, 8); w.bits(4, 16); w.bits(3, 16)
        w.flag(true); w.flag(false)   // overscan
        w.flag(true); w.bits(5, 3); w.flag(true); w.flag(true); w.bits(1, 8); w.bits(1, 8); w.bits(1, 8)
        w.flag(true); w.ue(0); w.ue(0)  // chroma location
        w.flag(true); w.bits(1001, 32); w.bits(60000, 32); w.flag(true)
        w.flag(false); w.flag(false); w.flag(false); w.flag(false)
        w.trailingBits()
        let sps = addingEmulationPrevention(w.bytes)

        let parsed = try H264SequenceParameterSet(nalUnit: sps)
        #expect(parsed.width == 1272 && parsed.height == 716)
        #expect(parsed.sarWidth == 4 && parsed.sarHeight == 3)
        #expect(parsed.videoFullRange == true && parsed.colourPrimaries == 1 && parsed.matrixCoefficients == 1)
        #expect(parsed.timeScale == 60000 && parsed.numUnitsInTick == 1001 && parsed.fixedFrameRate == true)

        let config = try AVCConfiguration(sps: sps, pps: [0x68, 0xEE, 0x3C, 0x80])
        #expect(config.codecString == "avc1.640028")
        #expect(config.width == 1272 && config.sarWidth == 4)
        #expect(try abs(#require(config.frameRate) - 29.97002997) < 1e-6)
    }

    @Test(arguments: cases)
    func everyTruncationThrows(_ expected: Expected) {
        // The High tail (4 bytes) is optional, so only cuts before it must fail.
        let tail = [66, 77, 88].contains(expected.record[1]) ? 0 : 4
        for length in 0..<(expected.record.count - tail) {
            #expect(throws: MediaParseError.self) { try AVCConfiguration(record: Array(expected.record.prefix(length))) }
        }
    }

    @Test func rejectsBadRecords() {
        var wrongVersion = AVCVectors.high720; wrongVersion[0] = 2
        #expect(throws: MediaParseError.self) { try AVCConfiguration(record: wrongVersion) }
        var threeByteLengths = AVCVectors.high720; threeByteLengths[4] = 0xFE
        #expect(throws: MediaParseError.self) { try AVCConfiguration(record: threeByteLengths) }
        var noSPS = AVCVectors.high720; noSPS[5] = 0xE0
        #expect(throws: MediaParseError.self) { try AVCConfiguration(record: noSPS) }
        var ppsNotSPS = AVCVectors.high720; ppsNotSPS[8] = 0x68
        #expect(throws: MediaParseError.self) { try AVCConfiguration(record: ppsNotSPS) }
        #expect(throws: MediaParseError.self) { try AVCConfiguration(sps: [0x67], pps: [0x68]) }
        #expect(throws: MediaParseError.self) { try AVCConfiguration(sequenceParameterSets: [], pictureParameterSets: [[0x68]]) }
    }

    @Test func garbageNeverTraps() {
        var random = TestRandom(state: 42)
        for round in 0..<3000 {
            var record = AVCVectors.high720
            // Corrupt the SPS body in place, or replace everything.
            if round % 2 == 0 {
                for _ in 0..<3 { record[8 + Int(random.next() % 26)] = UInt8(truncatingIfNeeded: random.next()) }
            } else {
                record = [0x01] + random.bytes(Int(random.next() % 64))
            }
            if let config = try? AVCConfiguration(record: record) {
                #expect(config.width > 0 && config.height > 0)
            }
        }
    }
}
