// A small MPEG-TS reader for the tests (independent of the muxer's code), and tools to run ffmpeg/ffprobe.

import Foundation
import ISOBMFF
import Media
import TestSupport
@testable import Packaging

/// Real configurations written by ffmpeg 5 (libx264, aac).
enum TSVectors {
    /// avcC of 1280x720 High, level 3.1, 30 fps.
    static let avcHigh720 = hexBytes("0164001fffe1001a6764001facd9405005bb0110000003001000000303c0f183196001000668ebe3cb22c0fdf8f800")

    static func video(timescale: UInt32 = 10_000_000) throws -> TrackInfo {
        TrackInfo(trackID: 1, kind: .video, name: "video", timescale: timescale,
                  codec: .avc(try AVCConfiguration(record: avcHigh720)), bitrate: 3_000_000)
    }

    static func audio(timescale: UInt32 = 48_000) -> TrackInfo {
        TrackInfo(trackID: 2, kind: .audio, name: "audio", timescale: timescale,
                  codec: .aac(AudioSpecificConfig.make(objectType: 2, sampleRate: 48_000, channelCount: 2)),
                  bitrate: 128_000, language: "eng")
    }

    /// `count` video access units of `frameTicks` from `start`: an IDR then P slices, each a few hundred bytes of
    /// length-prefixed NAL units (contents are not decodable; the structure is what is checked).
    static func videoSamples(start: Int64, count: Int, frameTicks: Int64, size: Int = 700) -> [FragmentSample] {
        (0..<count).map { i in
            let type: UInt8 = i == 0 ? 0x65 : 0x41
            let nal = [type] + [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: size)
            let data = NALUnit.lengthPrefixing([nal[...]], lengthSize: 4)
            return FragmentSample(decodeTime: start + Int64(i) * frameTicks, duration: UInt32(frameTicks), isSync: i == 0, data: data[...])
        }
    }

    /// AAC frames of 1024 samples at 48 kHz (timescale 48000).
    static func audioSamples(start: Int64, count: Int, size: Int = 300) -> [FragmentSample] {
        (0..<count).map { i in
            FragmentSample(decodeTime: start + Int64(i) * 1024, duration: 1024, isSync: true,
                           data: [UInt8](repeating: 0x21, count: size)[...])
        }
    }
}

/// One parsed TS packet.
struct TSPacket {
    var pid: UInt16
    var payloadStart: Bool
    var counter: UInt8
    var hasPayload: Bool
    var pcr: Int64?
    var randomAccess: Bool
    var payload: ArraySlice<UInt8>
}

enum TSReader {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func packets(_ bytes: [UInt8]) throws -> [TSPacket] {
        guard bytes.count % 188 == 0 else { throw Failure(description: "\(bytes.count) bytes is not a whole number of packets") }
        var out: [TSPacket] = []
        for start in stride(from: 0, to: bytes.count, by: 188) {
            let p = bytes[start..<start + 188]
            guard p[start] == 0x47 else { throw Failure(description: "no sync byte at \(start)") }
            let pid = UInt16(p[start + 1] & 0x1F) << 8 | UInt16(p[start + 2])
            let control = p[start + 3] >> 4 & 3
            var index = start + 4
            var pcr: Int64?
            var randomAccess = false
            if control & 2 != 0 {
                let length = Int(p[index])
                if length > 0 {
                    let flags = p[index + 1]
                    randomAccess = flags & 0x40 != 0
                    if flags & 0x10 != 0 {
                        let b = (0..<5).map { Int64(p[index + 2 + $0]) }
                        pcr = b[0] << 25 | b[1] << 17 | b[2] << 9 | b[3] << 1 | b[4] >> 7
                    }
                }
                index += 1 + length
            }
            out.append(TSPacket(pid: pid, payloadStart: p[start + 1] & 0x40 != 0, counter: p[start + 3] & 0x0F,
                                hasPayload: control & 1 != 0, pcr: pcr, randomAccess: randomAccess,
                                payload: control & 1 != 0 ? p[index..<start + 188] : []))
        }
        return out
    }

    /// PES packets per PID: (PTS, DTS, payload after the PES header).
    static func pes(_ packets: [TSPacket], pid: UInt16) -> [(pts: Int64, dts: Int64?, data: [UInt8])] {
        var units: [[UInt8]] = []
        for packet in packets where packet.pid == pid && packet.hasPayload {
            if packet.payloadStart { units.append([]) }
            if !units.isEmpty { units[units.count - 1] += packet.payload }
        }
        return units.map { unit in
            func timestamp(_ at: Int) -> Int64 {
                let b = (0..<5).map { Int64(unit[at + $0]) }
                return (b[0] >> 1 & 7) << 30 | b[1] << 22 | (b[2] >> 1) << 15 | b[3] << 7 | b[4] >> 1
            }
            let flags = unit[7] >> 6
            let headerLength = Int(unit[8])
            return (timestamp(9), flags == 3 ? timestamp(14) : nil, Array(unit[(9 + headerLength)...]))
        }
    }

    /// CRC-32/MPEG-2 over a section including its CRC is 0.
    static func sectionCRCIsValid(_ packet: TSPacket) -> Bool {
        let payload = Array(packet.payload)
        let pointer = Int(payload[0])
        let section = Array(payload[(1 + pointer)...])
        let length = Int(section[1] & 0x0F) << 8 | Int(section[2])
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in section[0..<(3 + length)] {
            crc ^= UInt32(byte) << 24
            for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? crc << 1 ^ 0x04C1_1DB7 : crc << 1 }
        }
        return crc == 0
    }
}

// MARK: - Tools

/// A directory removed when the test ends.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("edgelive-packaging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

struct ToolError: Error, CustomStringConvertible {
    var description: String
}

/// ffmpeg and ffprobe are required test tools in this project; a missing one fails the test.
enum Tool {
    @discardableResult
    static func run(_ name: String, _ arguments: [String]) throws -> Data {
        // ffprobe runs with `-v error`: anything on its standard error is a decoding problem.
        try ExternalTool.run(name, arguments, rejectingErrorOutput: name == "ffprobe")
    }

    /// Frames decoded per stream type (`-count_frames`), and every stream's codec.
    static func countFrames(_ path: String) throws -> [String: (codec: String, frames: Int)] {
        let data = try run("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "stream=codec_type,codec_name,nb_read_frames",
                                       "-of", "json", path])
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        var out: [String: (String, Int)] = [:]
        for stream in json?["streams"] as? [[String: Any]] ?? [] {
            guard let type = stream["codec_type"] as? String else { continue }
            out[type] = (stream["codec_name"] as? String ?? "", Int(stream["nb_read_frames"] as? String ?? "") ?? -1)
        }
        return out
    }

    struct Packet { var pts: Int64; var dts: Int64; var duration: Int64; var size: Int; var pos: Int; var isKey: Bool }

    static func packets(_ path: String, stream: String) throws -> [Packet] {
        let data = try run("ffprobe", ["-v", "error", "-select_streams", stream, "-show_entries",
                                       "packet=pts,dts,duration,size,pos,flags", "-of", "json", path])
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let list = json?["packets"] as? [[String: Any]] ?? []
        return try list.map { p in
            func int(_ key: String) throws -> Int64 {
                if let n = p[key] as? Int { return Int64(n) }
                if let s = p[key] as? String, let n = Int64(s) { return n }
                throw ToolError(description: "ffprobe packet without \(key): \(p)")
            }
            return Packet(pts: try int("pts"), dts: try int("dts"), duration: try int("duration"), size: Int(try int("size")),
                          pos: Int(try int("pos")), isKey: (p["flags"] as? String)?.hasPrefix("K") == true)
        }
    }
}
