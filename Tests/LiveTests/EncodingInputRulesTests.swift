import Testing
import Media
@testable import Live

/// An encoding event's contribution rules, on sequence parameter sets written by libx264 (ffmpeg 5.1,
/// `-f lavfi -i testsrc2=size=S -c:v libx264 -pix_fmt P -f h264`).
struct EncodingInputRulesTests {
    static let pps: [UInt8] = [0x68, 0xEE, 0x3C, 0x80]

    static func avc(_ spsHex: String) throws -> CodecConfiguration {
        let digits = Array(spsHex)
        let sps = stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
        return .avc(try AVCConfiguration(sps: sps, pps: pps))
    }

    @Test func takes8Bit420H264UpTo1080pLandscapeOrPortrait() throws {
        let landscape = try Self.avc("67640028acd940780227e5c044000003000400000300f03c60c658")  // 1920x1080 High
        let portrait = try Self.avc("67640028acd9404403c6c044000003000400000300f03c60c658")  // 1088x1920 High
        #expect(EncodingInputRules.refusal(for: landscape) == nil)
        #expect(EncodingInputRules.refusal(for: portrait) == nil)
        let aac = CodecConfiguration.aac(AudioSpecificConfig(bytes: [0x11, 0x90], objectType: 2, sampleRate: 48_000, channelCount: 2))
        #expect(EncodingInputRules.refusal(for: aac) == nil)
    }

    @Test func refusesPicturesAbove1080p() throws {
        let refusal = try #require(EncodingInputRules.refusal(for: Self.avc("67640032acd9402800b5b0110000030001000003003c0f183196")))
        #expect(refusal.code == "MPE_INGEST_VIDEO_RESOLUTION_NOT_SUPPORTED")
        #expect(refusal.message.contains("2560x1440"))
    }

    @Test func refusesHigh10AndHigh422() throws {
        let high10 = try #require(EncodingInputRules.refusal(for: Self.avc("676e001fa6cd9405005bb0110000030001000003003c0f183196")))
        #expect(high10.code == "MPE_INGEST_CODEC_NOT_SUPPORTED")
        #expect(high10.message.contains("10-bit 4:2:0"))
        let high422 = try #require(EncodingInputRules.refusal(for: Self.avc("677a001fbcd9405005bb0110000003001000000303c0f1831960")))
        #expect(high422.code == "MPE_INGEST_CODEC_NOT_SUPPORTED")
        #expect(high422.message.contains("8-bit 4:2:2"))
    }

    @Test func refusesHEVC() throws {
        let hevc = CodecConfiguration.hevc(HEVCConfiguration(
            record: [1], generalProfileSpace: 0, generalTierFlag: false, generalProfileIDC: 1, generalProfileCompatibilityFlags: 0,
            generalConstraintIndicatorFlags: 0, generalLevelIDC: 93, nalUnitLengthSize: 4, width: 1280, height: 720))
        let refusal = try #require(EncodingInputRules.refusal(for: hevc))
        #expect(refusal.code == "MPE_INGEST_CODEC_NOT_SUPPORTED")
        #expect(refusal.message.contains("HEVC"))
    }
}
