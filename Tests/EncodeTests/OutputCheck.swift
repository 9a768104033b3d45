import CFFmpeg
import Encode
import EncodeModel
import Media

/// What the transcoder returned, sorted by track, with the checks every test makes on it.
struct TranscoderRun {
    var outputs: [TranscoderOutput] = []

    mutating func append(_ more: [TranscoderOutput]) { outputs += more }

    var tracks: [OutputTrackDescription] {
        outputs.compactMap { if case .track(let t) = $0 { return t } else { return nil } }
    }
    var videoTracks: [OutputTrackDescription] { tracks.filter { $0.kind == .video } }
    var audioTracks: [OutputTrackDescription] { tracks.filter { $0.kind == .audio } }

    func samples(track: Int) -> [WorkerSample] {
        outputs.compactMap { if case .sample(let s) = $0, s.track == track { return s } else { return nil } }
    }

    /// The ladders the transcoder pinned (one per plan that was not pinned already).
    var ladders: [[LadderRung]] {
        outputs.compactMap { if case .ladder(let rungs) = $0 { return rungs } else { return nil } }
    }

    var logs: [String] {
        outputs.compactMap { if case let .log(level, message) = $0 { return "\(level): \(message)" } else { return nil } }
    }

    /// A track's announcements, each with the samples that followed it (a track is announced again when its
    /// encoder restarts).
    func segments(track: Int) -> [(track: OutputTrackDescription, samples: [WorkerSample])] {
        var result: [(track: OutputTrackDescription, samples: [WorkerSample])] = []
        for output in outputs {
            switch output {
            case .track(let t) where t.index == track: result.append((t, []))
            case .sample(let s) where s.track == track && !result.isEmpty: result[result.count - 1].samples.append(s)
            default: break
            }
        }
        return result
    }

    /// Every sample's track was announced before it.
    var tracksPrecedeSamples: Bool {
        var announced: Set<Int> = []
        for output in outputs {
            switch output {
            case .track(let t): announced.insert(t.index)
            case .sample(let s): if !announced.contains(s.track) { return false }
            case .log, .ladder: break
            }
        }
        return true
    }

    /// Presentation times (90 kHz) of a video track's keyframes.
    func keyframeTimes(track: Int) -> [Int64] {
        samples(track: track).filter(\.isKeyframe).map { $0.decodeTime + Int64($0.compositionOffset) }
    }
}

/// Decodes a video track's samples with libavcodec's h264 decoder, as a player would.
struct DecodedVideo {
    var frames = 0
    var width = 0
    var height = 0
    var errors = 0
    /// Luma of the first frame's row at mid height, for geometry checks.
    var middleRow: [UInt8] = []
    /// Luma of the first frame's top row.
    var topRow: [UInt8] = []

    init(track: OutputTrackDescription, samples: [WorkerSample]) throws {
        guard let codec = avcodec_find_decoder_by_name("h264"), let context = avcodec_alloc_context3(codec) else { throw TestFailure("no h264 decoder") }
        var owned: UnsafeMutablePointer<AVCodecContext>? = context
        defer { avcodec_free_context(&owned) }
        let record = track.codecRecord
        let extra = av_mallocz(record.count + 64)!.assumingMemoryBound(to: UInt8.self)
        extra.update(from: record, count: record.count)
        context.pointee.extradata = extra
        context.pointee.extradata_size = Int32(record.count)
        context.pointee.thread_count = 1
        guard avcodec_open2(context, codec, nil) >= 0 else { throw TestFailure("the h264 decoder refused the avcC") }
        var packet: UnsafeMutablePointer<AVPacket>? = av_packet_alloc()
        var frame: UnsafeMutablePointer<AVFrame>? = av_frame_alloc()
        defer { av_packet_free(&packet); av_frame_free(&frame) }
        func receive() {
            while avcodec_receive_frame(context, frame) >= 0 {
                frames += 1
                width = Int(frame!.pointee.width)
                height = Int(frame!.pointee.height)
                if frame!.pointee.decode_error_flags != 0 { errors += 1 }
                if frames == 1, let luma = frame!.pointee.data.0 {
                    let stride = Int(frame!.pointee.linesize.0)
                    middleRow = Array(UnsafeBufferPointer(start: luma + stride * (height / 2), count: width))
                    topRow = Array(UnsafeBufferPointer(start: luma, count: width))
                }
                av_frame_unref(frame)
            }
        }
        for sample in samples {
            av_new_packet(packet, Int32(sample.data.count))
            packet!.pointee.data.update(from: sample.data, count: sample.data.count)
            packet!.pointee.dts = sample.decodeTime
            packet!.pointee.pts = sample.decodeTime + Int64(sample.compositionOffset)
            if avcodec_send_packet(context, packet) < 0 { errors += 1 }
            av_packet_unref(packet)
            receive()
        }
        avcodec_send_packet(context, nil)
        receive()
    }
}

/// Decodes an AAC track with libavcodec's decoder.
struct DecodedAudio {
    var samples = 0
    var channels = 0
    var sampleRate = 0
    var errors = 0
    /// The largest absolute sample value: the tone is there, not silence.
    var peak: Float = 0

    init(track: OutputTrackDescription, samples input: [WorkerSample]) throws {
        guard let codec = avcodec_find_decoder_by_name("aac"), let context = avcodec_alloc_context3(codec) else { throw TestFailure("no aac decoder") }
        var owned: UnsafeMutablePointer<AVCodecContext>? = context
        defer { avcodec_free_context(&owned) }
        let record = track.codecRecord
        let extra = av_mallocz(record.count + 64)!.assumingMemoryBound(to: UInt8.self)
        extra.update(from: record, count: record.count)
        context.pointee.extradata = extra
        context.pointee.extradata_size = Int32(record.count)
        guard avcodec_open2(context, codec, nil) >= 0 else { throw TestFailure("the aac decoder refused the AudioSpecificConfig") }
        var packet: UnsafeMutablePointer<AVPacket>? = av_packet_alloc()
        var frame: UnsafeMutablePointer<AVFrame>? = av_frame_alloc()
        defer { av_packet_free(&packet); av_frame_free(&frame) }
        for sample in input {
            av_new_packet(packet, Int32(sample.data.count))
            packet!.pointee.data.update(from: sample.data, count: sample.data.count)
            if avcodec_send_packet(context, packet) < 0 { errors += 1 }
            av_packet_unref(packet)
            while avcodec_receive_frame(context, frame) >= 0 {
                let f = frame!.pointee
                samples += Int(f.nb_samples)
                channels = Int(f.ch_layout.nb_channels)
                sampleRate = Int(f.sample_rate)
                if f.format == AV_SAMPLE_FMT_FLTP.rawValue, let plane = f.extended_data[0] {
                    let floats = UnsafeRawPointer(plane).assumingMemoryBound(to: Float.self)
                    for i in 0..<Int(f.nb_samples) { peak = max(peak, abs(floats[i])) }
                }
                av_frame_unref(frame)
            }
        }
    }
}

/// Drives a transcoder through a whole contribution as the worker would: configurations, samples, flush.
func transcode(_ contribution: Contribution, with transcoder: LadderTranscoder, configure: Bool = true,
               edit: (Int, inout WorkerSample) -> Bool = { _, _ in true }) throws -> TranscoderRun {
    var run = TranscoderRun()
    if configure {
        run.append(try transcoder.configure(kind: .video, record: contribution.videoRecord))
        run.append(try transcoder.configure(kind: .audio, record: contribution.audioRecord))
    }
    for (position, original) in contribution.samples.enumerated() {
        var sample = original
        guard edit(position, &sample) else { continue }
        run.append(try transcoder.push(sample))
    }
    run.append(try transcoder.flush())
    return run
}

func softwareJob(_ preset: LadderPreset, stretchMode: StretchMode = .none, keyFrameInterval: Double = 1) -> EncodeJob {
    EncodeJob(eventName: "test", preset: preset, stretchMode: stretchMode, keyFrameInterval: keyFrameInterval, maxFrameRate: 30,
              backend: .software(preset: "ultrafast", threads: 1))
}
