import CFFmpeg
import EncodeModel
import Media

/// Encodes one rung of the ladder: frames at the rung's coded size in, MP4 samples (90 kHz) out, its track
/// announced before the first of them.
final class RungEncoder {
    let rung: PlannedRung
    let encoderName: String
    let family: AnnexB.Family
    private let frameRate: Double
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private let packet: PacketBox
    /// The decoder configuration record, once the encoder has given its parameter sets.
    private var record: [UInt8]?
    private var announced = false
    private var reportedMissingRecord = false

    /// Opens the encoder the job's backend names. `hardwareFrames` is the VAAPI frames context the rung's frames
    /// come from (VAAPI backend only).
    init(rung: PlannedRung, job: EncodeJob, frameRate: Double, hardwareFrames: UnsafeMutablePointer<AVBufferRef>?,
         log: (String, String) -> Void) throws(EncodeError) {
        self.rung = rung
        self.frameRate = frameRate
        encoderName = job.backend.encoderName
        family = encoderName == "hevc_vaapi" ? .hevc : .avc
        packet = try PacketBox()

        guard let codec = avcodec_find_encoder_by_name(encoderName) else {
            throw EncodeError(.codecMissing, "libavcodec has no \(encoderName) encoder; install Debian's libavcodec59 "
                + "(it has libx264 and the VAAPI encoders) or choose another hardware profile")
        }
        guard let context = avcodec_alloc_context3(codec) else { throw .outOfMemory("the \(encoderName) encoder") }
        self.context = context
        context.pointee.width = Int32(rung.width)
        context.pointee.height = Int32(rung.height)
        context.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
        context.pointee.time_base = AVRational(num: 1, den: Int32(AVCode.videoTimescale))
        context.pointee.framerate = rational(frameRate)
        context.pointee.bit_rate = Int64(rung.bitrate)
        context.pointee.rc_max_rate = Int64(rung.bitrate)
        context.pointee.rc_buffer_size = Int32(clamping: 2 * rung.bitrate)
        // Keyframes are forced by the ladder (same frames on every rung); the encoder must never add its own, so its
        // own GOP is ten keyframe intervals long (x264's scene cuts are off too). Not unbounded: some VA drivers
        // reject an absurd intra period.
        context.pointee.gop_size = Int32(clamping: max(600, Int((10 * job.keyFrameInterval * frameRate).rounded(.up))))
        context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER

        var options: [(String, String)] = []
        switch job.backend {
        case let .software(preset, threads):
            context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            context.pointee.thread_count = Int32(clamping: max(0, threads))
            // force-cfr: the rung is constant-rate (decimated to ≤ 30 fps), so x264 rate-controls on the frame rate
            // and writes it in the SPS timing info; without it the VUI carries the 1/90000 time base (90000 fps).
            var x264Params = "scenecut=0:open-gop=0:force-cfr=1"
            if let extra = job.encoderOptions["x264-params"], !extra.isEmpty { x264Params += ":" + extra }
            options = [("preset", preset), ("profile", "high"), ("forced-idr", "1"), ("x264-params", x264Params)]
        case let .vaapi(_, _, lowPower):
            guard let hardwareFrames else {
                throw EncodeError(.codecOpenFailed, "\(encoderName) needs VAAPI frames but the scaler gave none")
            }
            context.pointee.pix_fmt = AV_PIX_FMT_VAAPI
            context.pointee.hw_frames_ctx = av_buffer_ref(hardwareFrames)
            options = [("profile", family == .hevc ? "main" : "high"), ("low_power", lowPower ? "1" : "0")]
        }
        options += job.encoderOptions.filter { $0.key != "x264-params" }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let unknown = applyOptions(options, to: context)
        if !unknown.isEmpty {
            log("warning", "\(encoderName) has no option \(unknown.joined(separator: ", ")); check the hardware profile's encoder options")
        }

        let status = avcodec_open2(context, codec, nil)
        guard status >= 0 else {
            throw EncodeError(.codecOpenFailed, "cannot open \(encoderName) for the \(rung.width)x\(rung.height) rung at \(rung.bitrate / 1000) kbps: "
                + "\(avErrorString(status)); check the hardware profile's encoder options")
        }
        record = AnnexB.record(extradata: extradata(of: context), family: family)
    }

    deinit { freeCodecContext(&context) }

    /// The rung's track, once the encoder has given its parameter sets.
    var track: OutputTrackDescription? {
        guard let record else { return nil }
        return OutputTrackDescription(index: rung.index, kind: .video, codecRecord: record, codecFamily: family.rawValue,
                                      width: rung.width, height: rung.height, bitrate: rung.bitrate, frameRate: frameRate,
                                      encoderName: encoderName)
    }

    /// Announces the track now when its record is already known (libx264 gives it when it opens).
    func announce(into outputs: inout [TranscoderOutput]) {
        guard !announced, let track else { return }
        outputs.append(.track(track))
        announced = true
    }

    /// Encodes `frame` (nil drains the encoder) and appends the samples it completes; returns how many, or a
    /// message when the encoder failed.
    func encode(_ frame: UnsafeMutablePointer<AVFrame>?, into outputs: inout [TranscoderOutput]) -> Result<Int, EncodeError> {
        guard let context else { return .success(0) }
        var status = avcodec_send_frame(context, frame)
        var produced = 0
        if status == AVCode.again {
            switch receive(into: &outputs) {
            case .success(let n): produced += n
            case .failure(let error): return .failure(error)
            }
            status = avcodec_send_frame(context, frame)
        }
        if status < 0 && status != AVCode.endOfFile {
            return .failure(EncodeError(.codecOpenFailed, "\(encoderName) (\(rung.width)x\(rung.height)) refused a frame: \(avErrorString(status))"))
        }
        return receive(into: &outputs).map { $0 + produced }
    }

    private func receive(into outputs: inout [TranscoderOutput]) -> Result<Int, EncodeError> {
        guard let context else { return .success(0) }
        let packet = self.packet.packet
        var produced = 0
        while true {
            let status = avcodec_receive_packet(context, packet)
            if status == AVCode.again || status == AVCode.endOfFile { return .success(produced) }
            guard status >= 0 else {
                return .failure(EncodeError(.codecOpenFailed, "\(encoderName) (\(rung.width)x\(rung.height)) failed: \(avErrorString(status))"))
            }
            defer { av_packet_unref(packet) }
            let (data, parameterSets) = AnnexB.sample(bytes(of: packet), family: family)
            if record == nil, !parameterSets.isEmpty {
                // Encoders that do not fill extradata repeat SPS/PPS in keyframes: the first one makes the record.
                record = AnnexB.record(parameterSets: parameterSets, family: family)
            }
            announce(into: &outputs)
            guard announced else {
                if !reportedMissingRecord {
                    reportedMissingRecord = true
                    outputs.append(.log(level: "error", message: "\(encoderName) (\(rung.width)x\(rung.height)) gave no parameter sets "
                        + "before its first picture: the rung's samples are dropped until it does"))
                }
                continue
            }
            guard !data.isEmpty else { continue }
            let dts = packet.pointee.dts != AVCode.noTimestamp ? packet.pointee.dts : packet.pointee.pts
            let pts = packet.pointee.pts != AVCode.noTimestamp ? packet.pointee.pts : dts
            outputs.append(.sample(WorkerSample(track: rung.index, isKeyframe: packet.pointee.flags & AV_PKT_FLAG_KEY != 0,
                                                timescale: UInt32(AVCode.videoTimescale), decodeTime: dts,
                                                compositionOffset: Int32(clamping: max(0, pts - dts)), data: data)))
            produced += 1
        }
    }
}
