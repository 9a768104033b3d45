// Shared by the ISOBMFF tests: hex vectors, real codec configurations, and tracks built from them.
import Media
import TestSupport
@testable import ISOBMFF

/// avcC/hvcC payloads written by ffmpeg 5 with libx264/libx265 (same vectors as MediaTests).
enum Vectors {
    /// 1280x720 High, level 3.1, 30 fps.
    static let avcHigh720 = hexBytes("0164001fffe1001a6764001facd9405005bb0110000003001000000303c0f183196001000668ebe3cb22c0fdf8f800")
    /// 720x576 High, SAR 16:11, 25 fps.
    static let avcSAR720x576 = hexBytes("0164001effe100196764001eacd940b4126c1040000003004000000c83c58b658001000668ebe3cb22c0fdf8f800")
    /// 1280x720 HEVC Main, level 3.1.
    static let hevcMain720 = hexBytes("0101600000009000000000005df000fcfdf8f800000f03a00001001840010c01ffff01600000030090000003000003005d959809a10001002b42010101600000030090000003000003005da00280802d165959a4932bc05a020000030002000003003c10a2000100074401c172b46240")

    static func videoTrack(_ record: [UInt8], id: UInt32 = 1) throws -> TrackInfo {
        TrackInfo(trackID: id, kind: .video, name: "video", timescale: UInt32(MediaTime.ticksPerSecond),
                  codec: .avc(try AVCConfiguration(record: record)), bitrate: 3_000_000)
    }

    static func audioTrack(id: UInt32 = 2, language: String = "eng") -> TrackInfo {
        TrackInfo(trackID: id, kind: .audio, name: "audio", timescale: 48000,
                  codec: .aac(AudioSpecificConfig.make(objectType: 2, sampleRate: 48000, channelCount: 2)),
                  bitrate: 128_000, language: language)
    }
}

/// Reads big-endian fields from a box payload in tests.
struct PayloadReader {
    var reader: ByteReader
    init(_ payload: ArraySlice<UInt8>) { reader = ByteReader(payload) }
    mutating func u8() throws -> UInt8 { try reader.readUInt8() }
    mutating func u16() throws -> UInt16 { try reader.readUInt16() }
    mutating func u32() throws -> UInt32 { try reader.readUInt32() }
    mutating func u64() throws -> UInt64 { try reader.readUInt64() }
    mutating func fourCC() throws -> String { String(decoding: try reader.readBytes(4), as: UTF8.self) }
    mutating func skip(_ n: Int) throws { try reader.skip(n) }
}
