import CFFmpeg
import EncodeModel
import Foundation
import Media

/// A real contribution for the transcoder: made by the `ffmpeg` CLI (libx264 + the native AAC encoder, as an
/// encoder on the LAN would send) and read back with libavformat into the worker's input form.
struct Contribution {
    var videoRecord: [UInt8]
    var audioRecord: [UInt8]
    /// Samples in file (decode) order, tracks interleaved: 0 video (MP4 form), 1 audio (raw AAC).
    var samples: [WorkerSample]

    var videoSamples: [WorkerSample] { samples.filter { $0.track == WorkerSample.inputVideo } }
    var audioSamples: [WorkerSample] { samples.filter { $0.track == WorkerSample.inputAudio } }

    /// `seconds` of a moving test pattern at `width`x`height` and `rate` fps with B-frames and a 1 s GOP, and a
    /// 440 Hz tone with `channels` channels at `sampleRate` Hz.
    static func make(width: Int, height: Int, rate: Int, seconds: Double, sampleRate: Int = 48_000, channels: Int = 2,
                     sampleAspect: String = "1:1") throws -> Contribution {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("edgelive-contribution-\(getpid())-\(UUID().uuidString).mp4")
        defer { try? FileManager.default.removeItem(at: url) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = [
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=\(width)x\(height):rate=\(rate):duration=\(seconds)",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=\(sampleRate):duration=\(seconds)",
            "-vf", "setsar=\(sampleAspect)",
            "-c:v", "libx264", "-preset", "ultrafast", "-x264-params", "bframes=2:keyint=\(rate):min-keyint=\(rate):scenecut=0",
            "-pix_fmt", "yuv420p", "-b:v", "2M",
            "-c:a", "aac", "-b:a", "96k", "-ac", "\(channels)",
            url.path,
        ]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("ffmpeg could not make the contribution (status \(process.terminationStatus))") }
        return try read(url.path)
    }

    /// Demuxes an MP4 with libavformat.
    static func read(_ path: String) throws -> Contribution {
        var format: UnsafeMutablePointer<AVFormatContext>?
        guard avformat_open_input(&format, path, nil, nil) >= 0, let context = format else { throw TestFailure("cannot open \(path)") }
        defer { avformat_close_input(&format) }
        guard avformat_find_stream_info(context, nil) >= 0 else { throw TestFailure("no stream info in \(path)") }
        var video: Int32 = -1, audio: Int32 = -1
        var videoRecord: [UInt8] = [], audioRecord: [UInt8] = []
        var timescales: [Int32: Int64] = [:]
        for index in 0..<Int(context.pointee.nb_streams) {
            guard let stream = context.pointee.streams[index], let parameters = stream.pointee.codecpar else { continue }
            let extra = parameters.pointee.extradata.map { Array(UnsafeBufferPointer(start: $0, count: Int(parameters.pointee.extradata_size))) } ?? []
            if parameters.pointee.codec_type == AVMEDIA_TYPE_VIDEO { video = Int32(index); videoRecord = extra }
            if parameters.pointee.codec_type == AVMEDIA_TYPE_AUDIO { audio = Int32(index); audioRecord = extra }
            guard stream.pointee.time_base.num == 1 else { throw TestFailure("time base \(stream.pointee.time_base.num)/\(stream.pointee.time_base.den)") }
            timescales[Int32(index)] = Int64(stream.pointee.time_base.den)
        }
        var samples: [WorkerSample] = []
        guard let packet = av_packet_alloc() else { throw TestFailure("no packet") }
        var owned: UnsafeMutablePointer<AVPacket>? = packet
        defer { av_packet_free(&owned) }
        while av_read_frame(context, packet) >= 0 {
            defer { av_packet_unref(packet) }
            let index = packet.pointee.stream_index
            guard index == video || index == audio, let timescale = timescales[index], let data = packet.pointee.data else { continue }
            let dts = packet.pointee.dts != Int64.min ? packet.pointee.dts : packet.pointee.pts
            samples.append(WorkerSample(track: index == video ? WorkerSample.inputVideo : WorkerSample.inputAudio,
                                        isKeyframe: packet.pointee.flags & AV_PKT_FLAG_KEY != 0, timescale: UInt32(timescale),
                                        decodeTime: dts, compositionOffset: Int32(packet.pointee.pts - dts),
                                        data: Array(UnsafeBufferPointer(start: data, count: Int(packet.pointee.size)))))
        }
        return Contribution(videoRecord: videoRecord, audioRecord: audioRecord, samples: samples)
    }

    /// The same contribution with every timestamp moved by `seconds`.
    func shifted(by seconds: Double) -> Contribution {
        var copy = self
        copy.samples = samples.map { sample in
            var s = sample
            s.decodeTime += Int64((seconds * Double(sample.timescale)).rounded())
            return s
        }
        return copy
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
