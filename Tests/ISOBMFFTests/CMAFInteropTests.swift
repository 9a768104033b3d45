// Interop: CMAF written by CMAFWriter from real encoder output must play in ffmpeg.
// ffmpeg and ffprobe are required test tools in this project; a missing one fails the test.
import Foundation
import Testing
import TestSupport
import Media
@testable import ISOBMFF

@Suite(.serialized) struct CMAFInteropTests {
    static let liveBase: Int64 = 17_000_000_000_000_000  // 1.7e9 s since 1970 in 100 ns ticks

    // MARK: - H.264 from an Annex-B elementary stream

    @Test func h264AnnexBStreamPlaysInFFprobe() throws {
        let dir = try TemporaryDirectory()
        let es = dir.path("v.h264")
        try Tool.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-t", "3",
                                "-c:v", "libx264", "-profile:v", "high", "-bf", "0", "-g", "25", "-keyint_min", "25",
                                "-sc_threshold", "0", "-bsf:v", "h264_metadata=aud=insert", "-f", "h264", es])
        let stream = try [UInt8](Data(contentsOf: URL(fileURLWithPath: es)))

        // Access units start at each AUD; parameter sets go into avcC, everything else into the sample.
        var sps: [UInt8]? = nil, pps: [UInt8]? = nil
        var accessUnits: [(units: [ArraySlice<UInt8>], isSync: Bool)] = []
        for unit in NALUnit.annexBUnits(stream[...]) {
            switch NALUnit.avcType(unit) {
            case NALUnit.AVCType.accessUnitDelimiter: accessUnits.append(([], false))
            case NALUnit.AVCType.sequenceParameterSet: sps = sps ?? Array(unit)
            case NALUnit.AVCType.pictureParameterSet: pps = pps ?? Array(unit)
            default:
                guard !accessUnits.isEmpty else { continue }
                accessUnits[accessUnits.count - 1].units.append(unit)
                if NALUnit.avcType(unit) == NALUnit.AVCType.idrSlice { accessUnits[accessUnits.count - 1].isSync = true }
            }
        }
        #expect(accessUnits.count == 75)
        let config = try AVCConfiguration(sps: try #require(sps), pps: try #require(pps))
        #expect(config.width == 640 && config.height == 360 && config.frameRate == 25)

        let frameTicks: Int64 = 400_000
        let samples = accessUnits.enumerated().map { i, au in
            Sample(decodeTime: Self.liveBase + Int64(i) * frameTicks, duration: UInt32(frameTicks), isSync: au.isSync,
                   data: NALUnit.lengthPrefixing(au.units, lengthSize: config.nalUnitLengthSize))
        }
        let track = TrackInfo(trackID: 1, kind: .video, name: "video", timescale: UInt32(MediaTime.ticksPerSecond),
                              codec: .avc(config), bitrate: 1_000_000)
        let file = try writeCMAF(track: track, samples: samples, into: dir, name: "v.mp4", expectedSegments: 3)

        let probe = try Tool.probe(file, entries: "stream=codec_name,width,height,nb_read_frames,start_time")
        #expect(probe["codec_name"] as? String == "h264")
        #expect(probe["width"] as? Int == 640 && probe["height"] as? Int == 360)
        #expect(probe["nb_read_frames"] as? String == "75")
        #expect(Double(probe["start_time"] as? String ?? "") == 1_700_000_000)
    }

    // MARK: - H.264 with B-frames, from an MP4 ffmpeg wrote

    @Test func h264WithBFramesKeepsItsPresentationTimes() throws {
        let dir = try TemporaryDirectory()
        let source = try encodeMP4(dir, name: "b.mp4", codec: ["-c:v", "libx264", "-profile:v", "main", "-bf", "2"])
        let original = try Tool.framePTS(source)
        let (config, samples) = try samplesFromMP4(source, sampleEntry: "avc1", configBox: "avcC", base: 900_000)
        #expect(samples.contains { $0.compositionOffset != 0 })
        let track = TrackInfo(trackID: 1, kind: .video, name: "video", timescale: 90000,
                              codec: .avc(try AVCConfiguration(record: config)), bitrate: 2_000_000)
        let file = try writeCMAF(track: track, samples: samples, into: dir, name: "b-cmaf.mp4", expectedSegments: 3)

        let probe = try Tool.probe(file, entries: "stream=codec_name,width,height,nb_read_frames")
        #expect(probe["codec_name"] as? String == "h264" && probe["width"] as? Int == 1280 && probe["height"] as? Int == 720)
        #expect(probe["nb_read_frames"] as? String == String(samples.count))
        let ours = try Tool.framePTS(file)
        #expect(ours.count == original.count)
        #expect(ours.map { $0 - ours[0] } == original.map { $0 - original[0] })
    }

    // MARK: - HEVC

    @Test func hevcPlaysInFFprobe() throws {
        let dir = try TemporaryDirectory()
        let source = try encodeMP4(dir, name: "h.mp4", codec: ["-c:v", "libx265", "-x265-params", "log-level=error:keyint=30:min-keyint=30:scenecut=0", "-tag:v", "hvc1"])
        let (config, samples) = try samplesFromMP4(source, sampleEntry: "hvc1", configBox: "hvcC", base: 900_000)
        let track = TrackInfo(trackID: 1, kind: .video, name: "video", timescale: 90000,
                              codec: .hevc(try HEVCConfiguration(record: config)), bitrate: 2_000_000)
        let file = try writeCMAF(track: track, samples: samples, into: dir, name: "h-cmaf.mp4", expectedSegments: 3)
        let probe = try Tool.probe(file, entries: "stream=codec_name,width,height,nb_read_frames")
        #expect(probe["codec_name"] as? String == "hevc" && probe["width"] as? Int == 1280 && probe["height"] as? Int == 720)
        #expect(probe["nb_read_frames"] as? String == String(samples.count))
    }

    // MARK: - AAC from ADTS

    @Test func aacFromADTSPlaysInFFprobe() throws {
        let dir = try TemporaryDirectory()
        let adts = dir.path("a.aac")
        try Tool.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-ac", "2",
                                "-t", "3", "-c:a", "aac", "-b:a", "128k", "-f", "adts", adts])
        let stream = try [UInt8](Data(contentsOf: URL(fileURLWithPath: adts)))

        var reader = ByteReader(stream)
        var frames: [[UInt8]] = []
        var asc: AudioSpecificConfig? = nil
        while !reader.isAtEnd {
            let header = try reader.readBytes(7)
            let h = Array(header)
            try #require(h[0] == 0xFF && h[1] & 0xF0 == 0xF0, "ADTS sync word missing")
            let headerSize = h[1] & 1 == 1 ? 7 : 9
            let objectType = Int(h[2] >> 6) + 1
            let rate = AudioSpecificConfig.samplingFrequencies[Int(h[2] >> 2 & 0xF)]
            let channels = Int(h[2] & 1) << 2 | Int(h[3] >> 6)
            let length = Int(h[3] & 3) << 11 | Int(h[4]) << 3 | Int(h[5] >> 5)
            try reader.skip(headerSize - 7)
            frames.append(Array(try reader.readBytes(length - headerSize)))
            asc = asc ?? AudioSpecificConfig.make(objectType: objectType, sampleRate: rate, channelCount: channels)
        }
        let config = try #require(asc)
        #expect(config.bytes == [0x11, 0x90])
        let samples = frames.enumerated().map { i, frame in
            Sample(decodeTime: 48000 * 1_700_000_000 + Int64(i) * 1024, duration: 1024, isSync: true, data: frame)
        }
        let track = TrackInfo(trackID: 2, kind: .audio, name: "audio", timescale: 48000, codec: .aac(config),
                              bitrate: 128_000, language: "eng")
        let file = try writeCMAF(track: track, samples: samples, into: dir, name: "a.mp4", segmentLength: 48)

        let probe = try Tool.probe(file, entries: "stream=codec_name,sample_rate,channels,nb_read_frames")
        #expect(probe["codec_name"] as? String == "aac")
        #expect(probe["sample_rate"] as? String == "48000" && probe["channels"] as? Int == 2)
        #expect(probe["nb_read_frames"] as? String == String(frames.count))
    }

    // MARK: - Helpers

    /// 3 s of 1280x720 at 30 fps: three closed GOPs of 30 frames, in a 90 kHz MP4 track.
    private func encodeMP4(_ dir: TemporaryDirectory, name: String, codec: [String]) throws -> String {
        let out = dir.path(name)
        try Tool.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-t", "3"]
                     + codec + ["-g", "30", "-sc_threshold", "0", "-video_track_timescale", "90000", "-f", "mp4", out])
        return out
    }

    /// The decoder configuration (via our Box reader) and the samples (via ffprobe's packet list) of an MP4.
    private func samplesFromMP4(_ path: String, sampleEntry: String, configBox: String,
                                base: Int64) throws -> (config: [UInt8], samples: [Sample]) {
        let file = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let boxes = try Box.parseAll(file)
        let config = try #require(boxes.first(path: "moov/trak/mdia/minf/stbl/stsd/\(sampleEntry)/\(configBox)"))
        let packets = try Tool.packets(path)
        let samples = try packets.map { p in
            let range = p.pos..<(p.pos + p.size)
            try #require(range.upperBound <= file.count, "packet outside the file")
            return Sample(decodeTime: base + p.dts, compositionOffset: Int32(p.pts - p.dts), duration: UInt32(p.duration),
                          isSync: p.isKey, data: Array(file[range]))
        }
        return (Array(config.payload), samples)
    }

    /// Writes init + one segment per GOP (or per `segmentLength` samples) and checks the count.
    private func writeCMAF(track: TrackInfo, samples: [Sample], into dir: TemporaryDirectory, name: String,
                           expectedSegments: Int? = nil, segmentLength: Int? = nil) throws -> String {
        var segments: [[Sample]] = []
        for (i, sample) in samples.enumerated() {
            let startsSegment = segmentLength.map { i % $0 == 0 } ?? sample.isSync
            if startsSegment || segments.isEmpty { segments.append([]) }
            segments[segments.count - 1].append(sample)
        }
        if let expected = expectedSegments { #expect(segments.count == expected) }
        var bytes = CMAFWriter.initSegment(for: track)
        for (number, segment) in segments.enumerated() {
            let fragment = CMAFWriter.mediaSegment(track: track, sequenceNumber: UInt32(number + 1), samples: segment)
            #expect(fragment.count == CMAFWriter.mediaSegmentSize(samples: segment))
            bytes += fragment
        }
        let path = dir.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

// MARK: - Tools

/// A directory removed when the test ends.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("edgelive-isobmff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

struct ToolError: Error, CustomStringConvertible {
    var description: String
}

enum Tool {
    struct Packet { var pts: Int64; var dts: Int64; var duration: Int64; var size: Int; var pos: Int; var isKey: Bool }

    /// Runs a tool from PATH; fails with a clear message when it is missing or exits non-zero.
    @discardableResult
    static func run(_ name: String, _ arguments: [String]) throws -> Data {
        // ffprobe runs with `-v error`: anything on its standard error is a decoding problem.
        try ExternalTool.run(name, arguments, rejectingErrorOutput: name == "ffprobe")
    }

    /// The first stream's entries, decoding every frame (`-count_frames`).
    static func probe(_ path: String, entries: String) throws -> [String: Any] {
        let data = try run("ffprobe", ["-v", "error", "-count_frames", "-show_entries", entries, "-of", "json", path])
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard let stream = (json?["streams"] as? [[String: Any]])?.first else {
            throw ToolError(description: "ffprobe found no stream in \(path)")
        }
        return stream
    }

    /// Presentation times of every decoded frame, in decode output order.
    static func framePTS(_ path: String) throws -> [Int64] {
        let data = try run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts", "-of", "csv=p=0", path])
        return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap { Int64($0) }
    }

    static func packets(_ path: String) throws -> [Packet] {
        let data = try run("ffprobe", ["-v", "error", "-select_streams", "0", "-show_entries",
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
