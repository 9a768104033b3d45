#if canImport(Glibc)
import Glibc
#endif
import CFFmpeg
import EncodeModel
import Media

/// `make bench`'s ladder figure: a file's H.264 + AAC run through ``LadderTranscoder`` as fast as it goes, the
/// way the worker runs it live but without the pipe or the clock, so it compares with the `ffmpeg` CLI
/// encoding the same ladder offline.
public enum LadderBenchmark {
    public struct Result: Sendable {
        /// Contribution video frames pushed in.
        public var framesIn: Int
        /// Samples out over all rungs and audio.
        public var samplesOut: Int
        public var wallSeconds: Double
        /// User + system CPU of this process over the run.
        public var cpuSeconds: Double
        public var backend: String
        public var framesPerSecond: Double { wallSeconds > 0 ? Double(framesIn) / wallSeconds : 0 }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Demuxes `path` with libavformat and encodes it into `job`'s ladder.
    public static func run(path: String, job: EncodeJob) throws -> Result {
        var format: UnsafeMutablePointer<AVFormatContext>?
        guard avformat_open_input(&format, path, nil, nil) == 0, let context = format else {
            throw Failure(description: "cannot open \(path) with libavformat")
        }
        defer { avformat_close_input(&format) }
        guard avformat_find_stream_info(context, nil) >= 0 else { throw Failure(description: "cannot read the streams of \(path)") }
        let transcoder = try LadderTranscoder(job: job)
        var streamTracks: [Int32: (track: Int, timeBase: AVRational)] = [:]
        for index in 0..<Int(context.pointee.nb_streams) {
            guard let stream = context.pointee.streams[index], let parameters = stream.pointee.codecpar else { continue }
            let kind: MediaKind
            switch parameters.pointee.codec_id {
            case AV_CODEC_ID_H264: kind = .video
            case AV_CODEC_ID_AAC: kind = .audio
            default: continue
            }
            guard let extradata = parameters.pointee.extradata, parameters.pointee.extradata_size > 0 else {
                throw Failure(description: "\(path): stream \(index) has no decoder configuration (avcC / AudioSpecificConfig)")
            }
            let record = Array(UnsafeBufferPointer(start: extradata, count: Int(parameters.pointee.extradata_size)))
            _ = try transcoder.configure(kind: kind, record: record)
            streamTracks[Int32(index)] = (kind == .video ? WorkerSample.inputVideo : WorkerSample.inputAudio, stream.pointee.time_base)
        }
        guard streamTracks.values.contains(where: { $0.track == WorkerSample.inputVideo }) else {
            throw Failure(description: "\(path) has no H.264 video stream")
        }

        guard let packet = av_packet_alloc() else { throw Failure(description: "out of memory") }
        var packetPointer: UnsafeMutablePointer<AVPacket>? = packet
        defer { av_packet_free(&packetPointer) }
        var framesIn = 0, samplesOut = 0
        let cpuStart = cpuSeconds(), wallStart = EncodeWorker.monotonicSeconds()
        while av_read_frame(context, packet) >= 0 {
            defer { av_packet_unref(packet) }
            guard let (track, timeBase) = streamTracks[packet.pointee.stream_index], let data = packet.pointee.data else { continue }
            // Times go over in the stream's own timescale when it is 1/N (FLV: 1/1000, MP4: 1/timescale), as ingest sends them.
            let timescale = UInt32(clamping: timeBase.num == 1 ? timeBase.den : 90_000)
            func ticks(_ value: Int64) -> Int64 {
                timeBase.num == 1 ? value : av_rescale_q(value, timeBase, AVRational(num: 1, den: 90_000))
            }
            let dts = packet.pointee.dts == Int64.min ? packet.pointee.pts : packet.pointee.dts
            let pts = packet.pointee.pts == Int64.min ? dts : packet.pointee.pts
            let sample = WorkerSample(track: track, isKeyframe: packet.pointee.flags & AV_PKT_FLAG_KEY != 0, timescale: timescale,
                                      decodeTime: ticks(dts), compositionOffset: Int32(clamping: ticks(pts) - ticks(dts)),
                                      data: Array(UnsafeBufferPointer(start: data, count: Int(packet.pointee.size))))
            if track == WorkerSample.inputVideo { framesIn += 1 }
            samplesOut += try transcoder.push(sample).count { if case .sample = $0 { true } else { false } }
        }
        samplesOut += try transcoder.flush().count { if case .sample = $0 { true } else { false } }
        return Result(framesIn: framesIn, samplesOut: samplesOut, wallSeconds: EncodeWorker.monotonicSeconds() - wallStart,
                      cpuSeconds: cpuSeconds() - cpuStart, backend: transcoder.statistics.backendDescription)
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
