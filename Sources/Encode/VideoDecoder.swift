import CFFmpeg
import Media

/// Decodes the contribution's H.264 (MP4 samples, NAL lengths as its `avcC` says) into frames with libavcodec's
/// `h264` decoder, on a VAAPI device when one is given and the stream suits it, in software otherwise.
final class VideoDecoder {
    enum Result {
        case decoded
        /// A fresh decoder skips everything before the first keyframe (its pictures would reference nothing).
        case waitingForKeyframe
        case corrupt(String)
    }

    let configuration: AVCConfiguration
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private let packet: PacketBox
    private let frame: FrameBox
    private var waitingForKeyframe = true

    /// Opens the decoder; on `device`, hardware decoding is tried first and software is the fallback (logged).
    init(configuration: AVCConfiguration, device: HardwareDevice?, log: (String, String) -> Void) throws(EncodeError) {
        self.configuration = configuration
        packet = try PacketBox()
        frame = try FrameBox()
        if let device {
            do {
                context = try Self.open(configuration, device: device)
                return
            } catch {
                log("warning", "hardware H.264 decoding on \(device.path) failed (\(error)); decoding in software")
            }
        }
        context = try Self.open(configuration, device: nil)
    }

    deinit { freeCodecContext(&context) }

    private static func open(_ configuration: AVCConfiguration, device: HardwareDevice?) throws(EncodeError) -> UnsafeMutablePointer<AVCodecContext> {
        guard let codec = avcodec_find_decoder_by_name("h264") else {
            throw EncodeError(.codecMissing, "libavcodec has no h264 decoder; install Debian's libavcodec59 (not a stripped build)")
        }
        guard let context = avcodec_alloc_context3(codec) else { throw .outOfMemory("the H.264 decoder") }
        var owned: UnsafeMutablePointer<AVCodecContext>? = context
        context.pointee.extradata = avCopy(configuration.record)
        context.pointee.extradata_size = Int32(configuration.record.count)
        context.pointee.pkt_timebase = AVRational(num: 1, den: Int32(AVCode.videoTimescale))
        context.pointee.thread_count = 0
        if let device {
            context.pointee.hw_device_ctx = av_buffer_ref(device.reference)
            context.pointee.get_format = chooseVAAPI
            // The transcoder holds the first frames while it measures the input's frame rate.
            context.pointee.extra_hw_frames = Int32(LadderTranscoder.framesToMeasure + 4)
        }
        let status = avcodec_open2(context, codec, nil)
        guard status >= 0 else {
            freeCodecContext(&owned)
            throw EncodeError(.codecOpenFailed, "cannot open the H.264 decoder for a \(configuration.width)x\(configuration.height) input: \(avErrorString(status))")
        }
        return context
    }

    /// Decodes one sample; `body` sees each completed frame (valid only during the call).
    func decode(_ data: [UInt8], pts: Int64, dts: Int64, isKeyframe: Bool, body: (UnsafeMutablePointer<AVFrame>) -> Void) -> Result {
        guard let context else { return .corrupt("decoder closed") }
        if waitingForKeyframe && !isKeyframe { return .waitingForKeyframe }
        guard !data.isEmpty else { return .corrupt("an empty video sample") }
        do {
            _ = try NALUnit.lengthPrefixed(data[...], lengthSize: configuration.nalUnitLengthSize)
        } catch {
            return .corrupt("a video sample whose NAL unit lengths do not add up (\(error))")
        }
        waitingForKeyframe = false
        let packet = self.packet.packet
        guard fill(packet, with: data) else { return .corrupt("cannot allocate a packet of \(data.count) bytes") }
        packet.pointee.pts = pts
        packet.pointee.dts = dts
        if isKeyframe { packet.pointee.flags |= AV_PKT_FLAG_KEY }
        defer { av_packet_unref(packet) }

        var status = avcodec_send_packet(context, packet)
        if status == AVCode.again {
            if let failure = receive(body) { return .corrupt(failure) }
            status = avcodec_send_packet(context, packet)
        }
        guard status >= 0 else { return .corrupt("the H.264 decoder rejected a sample: \(avErrorString(status))") }
        if let failure = receive(body) { return .corrupt(failure) }
        return .decoded
    }

    /// Drains the decoder: every frame it still holds goes to `body`. The decoder cannot be used afterwards.
    func drain(_ body: (UnsafeMutablePointer<AVFrame>) -> Void) {
        guard let context else { return }
        avcodec_send_packet(context, nil)
        _ = receive(body)
    }

    /// Takes every frame that is ready; returns a message when the decoder reported an error on the way.
    private func receive(_ body: (UnsafeMutablePointer<AVFrame>) -> Void) -> String? {
        guard let context else { return nil }
        let frame = self.frame.frame
        while true {
            let status = avcodec_receive_frame(context, frame)
            if status == AVCode.again || status == AVCode.endOfFile { return nil }
            guard status >= 0 else { return "the H.264 decoder failed on a picture: \(avErrorString(status))" }
            body(frame)
            av_frame_unref(frame)
        }
    }
}

/// `get_format`: VAAPI surfaces when offered, otherwise the software format (always last in the list).
private func chooseVAAPI(_ context: UnsafeMutablePointer<AVCodecContext>?, _ formats: UnsafePointer<AVPixelFormat>?) -> AVPixelFormat {
    guard var format = formats else { return AV_PIX_FMT_NONE }
    var last = AV_PIX_FMT_NONE
    while format.pointee != AV_PIX_FMT_NONE {
        if format.pointee == AV_PIX_FMT_VAAPI { return AV_PIX_FMT_VAAPI }
        last = format.pointee
        format += 1
    }
    return last
}

/// `avcodec_free_context` for an optional held in a property.
func freeCodecContext(_ context: inout UnsafeMutablePointer<AVCodecContext>?) {
    guard context != nil else { return }
    avcodec_free_context(&context)
    context = nil
}
