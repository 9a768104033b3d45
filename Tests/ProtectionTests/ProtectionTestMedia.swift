// Real media for the protection tests: a short H.264 (B-frames, several slices per picture, SEI) and AAC clip from
// ffmpeg, re-fragmented by the project's own CMAFWriter exactly as the live pipeline stores tracks: one CMAF header
// and one fragment per GOP.
import Foundation
import ISOBMFF
import Media
import TestSupport

/// The real tracks the tests protect.
enum TestTrack: String, CaseIterable, CustomStringConvertible {
    case h264, hevc, aac

    var clear: ClearTrack {
        get throws {
            switch self {
            case .h264: try ProtectionTestMedia.video()
            case .hevc: try ProtectionTestMedia.hevc()
            case .aac: try ProtectionTestMedia.audio()
            }
        }
    }

    var isVideo: Bool { self != .aac }
    var description: String { rawValue }
}

/// One stored clear track: its header and fragments, as the origin reads them.
struct ClearTrack {
    var info: TrackInfo
    var initSegment: [UInt8]
    var fragments: [[UInt8]]
    var sampleCount: Int

    /// The header followed by every fragment: a file ffmpeg plays.
    var file: [UInt8] { fragments.reduce(initSegment, +) }
}

enum ProtectionTestMedia {
    static let ffmpegMissing = "ffmpeg not found on PATH (apt install ffmpeg): the interop tests decode with it"
    static var hasFFmpeg: Bool { ExternalTool.isAvailable("ffmpeg") }

    /// 1.7e9 s after the epoch, as live tracks are stored.
    static let epochSeconds: Int64 = 1_700_000_000

    /// Made once per test run; tests only read it.
    static let clip: Result<(video: ClearTrack, audio: ClearTrack), any Error> = Result { try makeClip() }
    static let hevcClip: Result<ClearTrack, any Error> = Result { try makeHEVC() }

    static func video() throws -> ClearTrack { try clip.get().video }
    static func audio() throws -> ClearTrack { try clip.get().audio }
    static func hevc() throws -> ClearTrack { try hevcClip.get() }

    /// 2 s of HEVC (libx265, two closed GOPs with B-frames) in `hvc1`.
    private static func makeHEVC() throws -> ClearTrack {
        let dir = try TemporaryDirectory()
        let file = dir.path("h.mp4")
        try ExternalTool.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2",
                                        "-c:v", "libx265", "-x265-params", "log-level=error:keyint=25:min-keyint=25:scenecut=0:open-gop=0",
                                        "-tag:v", "hvc1", "-video_track_timescale", "90000",
                                        "-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", file],
                             rejectingErrorOutput: true)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        guard let hvcC = try Box.parseAll(bytes).first(path: "moov/trak/mdia/minf/stbl/stsd/hvc1/hvcC") else {
            throw MediaError(description: "ffmpeg's HEVC file has no hvc1/hvcC")
        }
        let info = TrackInfo(trackID: 1, kind: .video, name: "video", timescale: 90000,
                             codec: .hevc(try HEVCConfiguration(record: Array(hvcC.payload))), bitrate: 400_000)
        return try restore(info, from: bytes)
    }

    private static func makeClip() throws -> (video: ClearTrack, audio: ClearTrack) {
        let dir = try TemporaryDirectory()
        let fragmented = ["-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4"]
        let videoFile = dir.path("v.mp4"), audioFile = dir.path("a.mp4")
        try ExternalTool.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2",
                                        "-c:v", "libx264", "-profile:v", "high", "-bf", "2", "-g", "25", "-sc_threshold", "0",
                                        "-x264-params", "slices=3", "-video_track_timescale", "90000"] + fragmented + [videoFile],
                             rejectingErrorOutput: true)
        try ExternalTool.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "2",
                                        "-ac", "2", "-c:a", "aac", "-b:a", "128k", "-frag_duration", "500000"] + fragmented + [audioFile],
                             rejectingErrorOutput: true)
        let videoBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: videoFile)))
        let audioBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: audioFile)))

        let videoBoxes = try Box.parseAll(videoBytes)
        guard let avcC = videoBoxes.first(path: "moov/trak/mdia/minf/stbl/stsd/avc1/avcC") else {
            throw MediaError(description: "ffmpeg's H.264 file has no avc1/avcC")
        }
        let videoInfo = TrackInfo(trackID: 1, kind: .video, name: "video", timescale: 90000,
                                  codec: .avc(try AVCConfiguration(record: Array(avcC.payload))), bitrate: 500_000)
        let audioInfo = TrackInfo(trackID: 2, kind: .audio, name: "audio", timescale: 48000,
                                  codec: .aac(AudioSpecificConfig.make(objectType: 2, sampleRate: 48000, channelCount: 2)),
                                  bitrate: 128_000, language: "eng")
        return (try restore(videoInfo, from: videoBytes), try restore(audioInfo, from: audioBytes))
    }

    /// ffmpeg's fragments read with the project's parser and written again by CMAFWriter (one fragment each).
    private static func restore(_ info: TrackInfo, from bytes: [UInt8]) throws -> ClearTrack {
        let boxes = try Box.parseAll(bytes)
        var fragments: [[UInt8]] = []
        var count = 0
        let base = epochSeconds * Int64(info.timescale)
        for (index, box) in boxes.enumerated() where box.type == "moof" {
            guard index + 1 < boxes.count, boxes[index + 1].type == "mdat" else { continue }
            let parsed = try MovieFragment(parsing: Array(bytes[box.range.lowerBound..<boxes[index + 1].range.upperBound]))
            let samples = parsed.samples.map {
                Sample(decodeTime: base + $0.decodeTime, compositionOffset: $0.compositionOffset, duration: $0.duration,
                       isSync: $0.isSync, data: Array($0.data))
            }
            count += samples.count
            fragments.append(CMAFWriter.mediaSegment(track: info, sequenceNumber: UInt32(fragments.count + 1), samples: samples))
        }
        return ClearTrack(info: info, initSegment: CMAFWriter.initSegment(for: info), fragments: fragments, sampleCount: count)
    }

    // MARK: - Decoding

    /// `ffmpeg -f framemd5` of a file: one line per decoded frame with its hash. Throws when ffmpeg fails.
    static func frameHashes(of file: [UInt8], key: [UInt8]? = nil, rejectingErrors: Bool = true) throws -> [String] {
        let dir = try TemporaryDirectory()
        let path = dir.path("in.mp4")
        try Data(file).write(to: URL(fileURLWithPath: path))
        let keyArguments = key.map { ["-decryption_key", hex($0)] } ?? []
        let output = try ExternalTool.run("ffmpeg", ["-v", "error"] + keyArguments + ["-i", path, "-f", "framemd5", "-"],
                                          rejectingErrorOutput: rejectingErrors)
        return String(decoding: output, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
            .filter { !$0.hasPrefix("#") }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

struct MediaError: Error, CustomStringConvertible {
    var description: String
}

/// A directory removed when the value goes away.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("edgelive-protection-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}
