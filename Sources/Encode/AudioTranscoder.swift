import CFFmpeg
import EncodeModel
import Media

/// The audio side: AAC (LC or HE-AAC) in, stereo AAC-LC at the preset's bitrate out, in 1024-sample frames.
///
/// Output timestamps are the first input timestamp (in the output rate) plus the samples encoded since, so the
/// track is gapless; a jump in the input's timestamps of more than ``discontinuityThreshold`` restarts that count
/// at the new time (the encoder is drained and reopened, as after a reconnect).
final class AudioTranscoder {
    /// Output sample rates kept as they are; any other input rate is resampled to 48 kHz.
    static let keptSampleRates: Set<Int32> = [48_000, 44_100, 32_000]
    static let discontinuityThreshold = 0.5
    static let encoderName = "aac"

    enum Output {
        /// The output track (its `index` is the caller's to set).
        case track(OutputTrackDescription)
        /// A sample (its `track` is the caller's to set).
        case sample(WorkerSample)
        case log(level: String, message: String)
        /// An input sample that could not be used (counted and logged by the caller).
        case corrupt(String)
    }

    let configuration: AudioSpecificConfig
    private let bitrate: Int
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private var resampler: OpaquePointer?
    private var resamplerSource: (rate: Int32, format: Int32, layout: String)?
    private let packet: PacketBox
    private let decoded: FrameBox
    private let resampled: FrameBox
    private let encoderInput: FrameBox
    private var fifo = PlanarFIFO(channels: 2)
    private var stereo = AVChannelLayout()

    /// The output rate, once the first frame is decoded.
    private var outputRate: Int32?
    /// The track the encoder makes, announced by the caller before the first sample.
    private(set) var track: OutputTrackDescription?
    /// The input's time of the first sample since the last (re)start, in its own timescale.
    private var startTime: (value: Int64, timescale: Int64)?
    /// Samples given to the encoder and samples it has returned, since `startTime`.
    private var samplesQueued: Int64 = 0
    private var samplesEmitted: Int64 = 0
    /// Where the next input packet should start, in seconds, if the input is continuous.
    private var expectedNext: Double?

    init(configuration: AudioSpecificConfig, bitrate: Int) throws(EncodeError) {
        self.configuration = configuration
        self.bitrate = bitrate
        packet = try PacketBox()
        decoded = try FrameBox()
        resampled = try FrameBox()
        encoderInput = try FrameBox()
        av_channel_layout_default(&stereo, 2)

        guard let codec = avcodec_find_decoder_by_name("aac") else {
            throw EncodeError(.codecMissing, "libavcodec has no aac decoder; install Debian's libavcodec59")
        }
        guard avcodec_find_encoder_by_name(Self.encoderName) != nil else {
            throw EncodeError(.codecMissing, "libavcodec has no aac encoder; install Debian's libavcodec59")
        }
        guard let context = avcodec_alloc_context3(codec) else { throw .outOfMemory("the AAC decoder") }
        decoder = context
        context.pointee.extradata = avCopy(configuration.bytes)
        context.pointee.extradata_size = Int32(configuration.bytes.count)
        let status = avcodec_open2(context, codec, nil)
        guard status >= 0 else {
            throw EncodeError(.codecOpenFailed, "cannot open the AAC decoder for \(configuration.sampleRate) Hz, \(configuration.channelCount) channels: "
                + avErrorString(status))
        }
    }

    deinit {
        freeCodecContext(&decoder)
        freeCodecContext(&encoder)
        swr_free(&resampler)
        av_channel_layout_uninit(&stereo)
    }

    // MARK: - Input

    /// Decodes one raw AAC access unit stamped `time` in `timescale` ticks and encodes what it completes.
    func push(_ data: [UInt8], time: Int64, timescale: Int64, into outputs: inout [Output]) throws(EncodeError) {
        guard let decoder else { return }
        let seconds = Double(time) / Double(timescale)
        if let expectedNext, abs(seconds - expectedNext) > Self.discontinuityThreshold {
            outputs.append(.log(level: "notice", message: String(format: "audio timestamps jump by %.3f s: the audio timeline restarts there",
                                                                 seconds - expectedNext)))
            try drainEncoding(into: &outputs)
            freeCodecContext(&encoder)
            startTime = nil
        }
        expectedNext = seconds + Double(configuration.samplesPerFrame) / Double(configuration.sampleRate)
        if startTime == nil {
            startTime = (time, timescale)
            samplesQueued = 0
            samplesEmitted = 0
        }
        guard !data.isEmpty, fill(packet.packet, with: data) else {
            outputs.append(.corrupt("an empty audio sample"))
            return
        }
        defer { av_packet_unref(packet.packet) }
        let status = avcodec_send_packet(decoder, packet.packet)
        guard status >= 0 else {
            outputs.append(.corrupt("the AAC decoder rejected a sample: \(avErrorString(status))"))
            return
        }
        try receiveDecoded(into: &outputs)
    }

    /// Drains decoder, resampler and encoder: everything buffered comes out. The transcoder cannot be used afterwards.
    func drain(into outputs: inout [Output]) throws(EncodeError) {
        if let decoder {
            avcodec_send_packet(decoder, nil)
            try receiveDecoded(into: &outputs)
        }
        try drainEncoding(into: &outputs)
        freeCodecContext(&decoder)
    }

    // MARK: - Decode → resample

    private func receiveDecoded(into outputs: inout [Output]) throws(EncodeError) {
        guard let decoder else { return }
        let frame = decoded.frame
        while true {
            let status = avcodec_receive_frame(decoder, frame)
            if status == AVCode.again || status == AVCode.endOfFile { return }
            guard status >= 0 else {
                outputs.append(.corrupt("the AAC decoder failed on a frame: \(avErrorString(status))"))
                return
            }
            defer { av_frame_unref(frame) }
            guard frame.pointee.nb_samples > 0, frame.pointee.sample_rate > 0, frame.pointee.ch_layout.nb_channels > 0 else { continue }
            try prepare(for: frame, into: &outputs)
            try resample(frame, into: &outputs)
        }
    }

    /// Opens the resampler for this frame's format and the encoder for the output rate, when not yet done.
    private func prepare(for frame: UnsafeMutablePointer<AVFrame>, into outputs: inout [Output]) throws(EncodeError) {
        let layout = Self.describe(&frame.pointee.ch_layout)
        let source = (rate: frame.pointee.sample_rate, format: frame.pointee.format, layout: layout)
        if resamplerSource.map({ $0.rate != source.rate || $0.format != source.format || $0.layout != source.layout }) ?? true {
            if resampler != nil {
                try flushResampler(into: &outputs)
                swr_free(&resampler)
            }
            let rate = Self.keptSampleRates.contains(source.rate) ? source.rate : 48_000
            if let outputRate, outputRate != rate {
                // A new input rate needs another output rate: finish the old encoder first.
                try drainEncoder(into: &outputs)
                freeCodecContext(&encoder)
            }
            var inputLayout = AVChannelLayout()
            defer { av_channel_layout_uninit(&inputLayout) }
            if frame.pointee.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC {
                av_channel_layout_default(&inputLayout, frame.pointee.ch_layout.nb_channels)
            } else {
                av_channel_layout_copy(&inputLayout, &frame.pointee.ch_layout)
            }
            let status = swr_alloc_set_opts2(&resampler, &stereo, AV_SAMPLE_FMT_FLTP, rate, &inputLayout,
                                             AVSampleFormat(rawValue: source.format), source.rate, 0, nil)
            guard status >= 0, swr_init(resampler) >= 0 else {
                swr_free(&resampler)
                throw EncodeError(.codecOpenFailed, "libswresample cannot convert \(layout) audio at \(source.rate) Hz to stereo at \(rate) Hz")
            }
            resamplerSource = source
            outputRate = rate
            if source.rate != rate || frame.pointee.ch_layout.nb_channels != 2 {
                outputs.append(.log(level: "info", message: "audio: \(layout) at \(source.rate) Hz is encoded as stereo at \(rate) Hz"))
            }
        }
        if encoder == nil, let outputRate { try openEncoder(rate: outputRate, into: &outputs) }
    }

    /// Converts `frame` (nil flushes the resampler) into the FIFO and encodes every whole frame it then holds.
    private func resample(_ frame: UnsafeMutablePointer<AVFrame>?, into outputs: inout [Output]) throws(EncodeError) {
        guard let resampler, let outputRate else { return }
        let out = resampled.frame
        av_frame_unref(out)
        out.pointee.format = AV_SAMPLE_FMT_FLTP.rawValue
        out.pointee.sample_rate = outputRate
        av_channel_layout_copy(&out.pointee.ch_layout, &stereo)
        let inputSamples = frame?.pointee.nb_samples ?? 0
        out.pointee.nb_samples = swr_get_out_samples(resampler, inputSamples) + 32
        guard av_frame_get_buffer(out, 0) >= 0 else { throw .outOfMemory("an audio frame") }
        defer { av_frame_unref(out) }
        let input = frame?.pointee.extended_data.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: UnsafePointer<UInt8>?.self) }
        let converted = swr_convert(resampler, out.pointee.extended_data, out.pointee.nb_samples, input, inputSamples)
        guard converted >= 0 else {
            outputs.append(.corrupt("libswresample failed on a frame: \(avErrorString(converted))"))
            return
        }
        out.pointee.nb_samples = converted
        fifo.append(out)
        try encodeWholeFrames(into: &outputs)
    }

    private func flushResampler(into outputs: inout [Output]) throws(EncodeError) {
        try resample(nil, into: &outputs)
    }

    // MARK: - Encode

    private func openEncoder(rate: Int32, into outputs: inout [Output]) throws(EncodeError) {
        guard let codec = avcodec_find_encoder_by_name(Self.encoderName) else {
            throw EncodeError(.codecMissing, "libavcodec has no aac encoder; install Debian's libavcodec59")
        }
        guard let context = avcodec_alloc_context3(codec) else { throw .outOfMemory("the AAC encoder") }
        encoder = context
        context.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
        context.pointee.sample_rate = rate
        av_channel_layout_copy(&context.pointee.ch_layout, &stereo)
        context.pointee.bit_rate = Int64(bitrate)
        context.pointee.time_base = AVRational(num: 1, den: rate)
        context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        let status = avcodec_open2(context, codec, nil)
        guard status >= 0 else {
            freeCodecContext(&encoder)
            throw EncodeError(.codecOpenFailed, "cannot open the AAC encoder at \(rate) Hz, \(bitrate / 1000) kbps: \(avErrorString(status))")
        }
        let record = extradata(of: context)
        guard let config = try? AudioSpecificConfig(bytes: record) else {
            freeCodecContext(&encoder)
            throw EncodeError(.codecOpenFailed, "the AAC encoder gave no AudioSpecificConfig")
        }
        let description = OutputTrackDescription(index: 0, kind: .audio, codecRecord: config.bytes, codecFamily: "aac",
                                                 bitrate: bitrate, encoderName: Self.encoderName)
        if description != track {
            track = description
            outputs.append(.track(description))
        }
    }

    /// The encoder's frame size (1024 for AAC-LC).
    private var frameSize: Int {
        guard let encoder, encoder.pointee.frame_size > 0 else { return 1024 }
        return Int(encoder.pointee.frame_size)
    }

    private func encodeWholeFrames(into outputs: inout [Output]) throws(EncodeError) {
        while fifo.count >= frameSize {
            try encodeFromFIFO(count: frameSize, into: &outputs)
        }
    }

    private func encodeFromFIFO(count: Int, into outputs: inout [Output]) throws(EncodeError) {
        guard let encoder, let outputRate else { return }
        let frame = encoderInput.frame
        av_frame_unref(frame)
        frame.pointee.format = AV_SAMPLE_FMT_FLTP.rawValue
        frame.pointee.sample_rate = outputRate
        frame.pointee.nb_samples = Int32(count)
        av_channel_layout_copy(&frame.pointee.ch_layout, &stereo)
        guard av_frame_get_buffer(frame, 0) >= 0 else { throw .outOfMemory("an audio frame") }
        defer { av_frame_unref(frame) }
        fifo.read(count, into: frame)
        frame.pointee.pts = samplesQueued
        samplesQueued += Int64(count)
        let status = avcodec_send_frame(encoder, frame)
        guard status >= 0 else {
            throw EncodeError(.codecOpenFailed, "the AAC encoder refused a frame: \(avErrorString(status))")
        }
        try receiveEncoded(into: &outputs)
    }

    /// Encodes what the resampler and the FIFO hold (the last frame short) and drains the encoder.
    private func drainEncoding(into outputs: inout [Output]) throws(EncodeError) {
        if resampler != nil {
            try flushResampler(into: &outputs)
            swr_free(&resampler)
            resamplerSource = nil
        }
        try drainEncoder(into: &outputs)
    }

    private func drainEncoder(into outputs: inout [Output]) throws(EncodeError) {
        guard let encoder else {
            fifo.removeAll()
            return
        }
        try encodeWholeFrames(into: &outputs)
        if fifo.count > 0 { try encodeFromFIFO(count: fifo.count, into: &outputs) }
        avcodec_send_frame(encoder, nil)
        try receiveEncoded(into: &outputs)
        freeCodecContext(&self.encoder)
    }

    private func receiveEncoded(into outputs: inout [Output]) throws(EncodeError) {
        guard let encoder, let outputRate else { return }
        let packet = self.packet.packet
        while true {
            let status = avcodec_receive_packet(encoder, packet)
            if status == AVCode.again || status == AVCode.endOfFile { return }
            guard status >= 0 else { throw EncodeError(.codecOpenFailed, "the AAC encoder failed: \(avErrorString(status))") }
            defer { av_packet_unref(packet) }
            let start = startTime.map { rescale($0.value, from: $0.timescale, to: Int64(outputRate)) } ?? 0
            outputs.append(.sample(WorkerSample(track: 0, isKeyframe: true, timescale: UInt32(outputRate),
                                                decodeTime: start + samplesEmitted, data: bytes(of: packet))))
            samplesEmitted += packet.pointee.duration > 0 ? packet.pointee.duration : Int64(frameSize)
        }
    }

    private static func describe(_ layout: UnsafeMutablePointer<AVChannelLayout>) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        guard av_channel_layout_describe(layout, &buffer, buffer.count) >= 0 else { return "\(layout.pointee.nb_channels) channels" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Planar float samples waiting to fill whole encoder frames.
struct PlanarFIFO {
    private var planes: [[Float]]
    private var start = 0

    init(channels: Int) { planes = Array(repeating: [], count: channels) }

    var count: Int { (planes.first?.count ?? 0) - start }

    /// Appends a planar float frame's samples (its channel count must be this FIFO's).
    mutating func append(_ frame: UnsafeMutablePointer<AVFrame>) {
        let samples = Int(frame.pointee.nb_samples)
        guard samples > 0, let data = frame.pointee.extended_data else { return }
        for channel in planes.indices {
            guard let plane = data[channel] else { continue }
            let floats = UnsafeRawPointer(plane).assumingMemoryBound(to: Float.self)
            planes[channel].append(contentsOf: UnsafeBufferPointer(start: floats, count: samples))
        }
    }

    /// Moves `n` samples per channel into a planar float frame that has room for them.
    mutating func read(_ n: Int, into frame: UnsafeMutablePointer<AVFrame>) {
        guard let data = frame.pointee.extended_data else { return }
        for channel in planes.indices {
            guard let plane = data[channel] else { continue }
            let floats = UnsafeMutableRawPointer(plane).assumingMemoryBound(to: Float.self)
            planes[channel].withUnsafeBufferPointer { source in
                if let base = source.baseAddress { floats.update(from: base + start, count: n) }
            }
        }
        start += n
        if start >= 4096, start * 2 >= (planes.first?.count ?? 0) {
            for channel in planes.indices { planes[channel].removeFirst(start) }
            start = 0
        }
    }

    mutating func removeAll() {
        for channel in planes.indices { planes[channel].removeAll(keepingCapacity: true) }
        start = 0
    }
}
