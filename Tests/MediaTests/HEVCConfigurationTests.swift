import TestSupport
import Testing
@testable import Media

/// hvcC payloads written by ffmpeg 5 / libx265 3.5 (`-x265-params info=0 -tag:v hvc1`).
enum HEVCVectors {
    /// testsrc2 1280x720 30 fps, Main, level 3.1.
    static let main720 = hexBytes("0101600000009000000000005df000fcfdf8f800000f03a00001001840010c01ffff01600000030090000003000003005d959809a10001002b42010101600000030090000003000003005da00280802d165959a4932bc05a020000030002000003003c10a2000100074401c172b46240")
    /// testsrc2 1920x1080 30 fps, Main, level 4.
    static let main1080 = hexBytes("01016000000090000000000078f000fcfdf8f800000f03a00001001840010c01ffff016000000300900000030000030078959809a10001002a420101016000000300900000030000030078a003c08010e596566924caf0168080000003008000000f04a2000100074401c172b46240")
    /// testsrc2 854x480 yuv420p10le, Main 10, level 3 (856 coded, cropped by the conformance window).
    static let main10_480 = hexBytes("0102200000009000000000005af000fcfdfafa00000f03a00001001840010c01ffff02200000030090000003000003005a959809a10001002c42010102200000030090000003000003005aa006b201e1d6d96566924caf016808000003000800000300f040a2000100074401c172b46240")
}

@Suite struct HEVCConfigurationTests {
    @Test func parsesMain720() throws {
        let config = try HEVCConfiguration(record: HEVCVectors.main720)
        #expect(config.generalProfileSpace == 0 && !config.generalTierFlag)
        #expect(config.generalProfileIDC == 1)
        #expect(config.generalProfileCompatibilityFlags == 0x6000_0000)
        #expect(config.generalConstraintIndicatorFlags == 0x9000_0000_0000)
        #expect(config.generalLevelIDC == 93)
        #expect(config.nalUnitLengthSize == 4)
        #expect(config.width == 1280 && config.height == 720)
        #expect(config.codecString == "hvc1.1.6.L93.90")
    }

    @Test func parsesMain1080() throws {
        let config = try HEVCConfiguration(record: HEVCVectors.main1080)
        #expect(config.width == 1920 && config.height == 1080)
        #expect(config.codecString == "hvc1.1.6.L120.90")
    }

    @Test func appliesTheConformanceWindow() throws {
        let config = try HEVCConfiguration(record: HEVCVectors.main10_480)
        #expect(config.generalProfileIDC == 2)
        #expect(config.width == 854 && config.height == 480)
        #expect(config.codecString == "hvc1.2.4.L90.90")
    }

    @Test func everyTruncationThrows() {
        for vector in [HEVCVectors.main720, HEVCVectors.main1080, HEVCVectors.main10_480] {
            for length in 0..<vector.count {
                #expect(throws: MediaParseError.self) { try HEVCConfiguration(record: Array(vector.prefix(length))) }
            }
        }
    }

    @Test func rejectsBadRecords() {
        var wrongVersion = HEVCVectors.main720; wrongVersion[0] = 0
        #expect(throws: MediaParseError.self) { try HEVCConfiguration(record: wrongVersion) }
        // Drop the SPS array: numOfArrays 3 → 1 keeps only the VPS.
        var onlyVPS = Array(HEVCVectors.main720.prefix(22 + 1 + 3 + 2 + 0x18)); onlyVPS[22] = 1
        #expect(throws: MediaParseError.self) { try HEVCConfiguration(record: onlyVPS) }
    }

    @Test func garbageNeverTraps() {
        var random = TestRandom(state: 99)
        for round in 0..<3000 {
            var record = HEVCVectors.main1080
            if round % 2 == 0 {
                for _ in 0..<3 { record[58 + Int(random.next() % 40)] = UInt8(truncatingIfNeeded: random.next()) }
            } else {
                record = [0x01] + random.bytes(Int(random.next() % 96))
            }
            if let config = try? HEVCConfiguration(record: record) {
                #expect(config.width > 0 && config.height > 0)
            }
        }
    }
}
