import CFFmpeg
import EncodeModel
import Media

/// What the transcoder gives back for the worker to send, in order.
public enum TranscoderOutput: Sendable, Hashable {
    /// A track, announced before its first sample (again after a ``LadderTranscoder/flush()`` or when it changes).
    case track(OutputTrackDescription)
    case sample(WorkerSample)
    /// A line for the daemon's log (`info`, `notice`, `warning`, `error`).
    case log(level: String, message: String)
    /// The ladder's rungs, when first planned: the daemon pins them for the event.
    case ladder([LadderRung])
}

/// The figures a heartbeat reports.
public struct TranscoderStatistics: Sendable, Hashable {
    /// Video samples pushed.
    public var framesIn: Int
    /// Video samples produced, all rungs together.
    public var framesOut: Int
    /// Input samples (video or audio) skipped: corrupt, undecodable, before the first keyframe or before their
    /// configuration, or with a timestamp not after the previous one. Frames left out by the frame-rate ceiling
    /// are not counted.
    public var framesDropped: Int
    /// What encodes: `libx264 veryfast (software)`, `h264_vaapi on /dev/dri/renderD128`.
    public var backendDescription: String

    public init(framesIn: Int, framesOut: Int, framesDropped: Int, backendDescription: String) {
        self.framesIn = framesIn
        self.framesOut = framesOut
        self.framesDropped = framesDropped
        self.backendDescription = backendDescription
    }
}

/// The live-encoding engine: one contribution (H.264 + AAC) in, the job's ABR ladder (H.264 or HEVC rungs and
/// AAC-LC stereo) out. Synchronous and single-threaded: call it from one thread; libavcodec's encoders and
/// decoders run their own worker threads inside.
///
/// Call order: ``configure(kind:record:)`` for each input kind, then ``push(_:)`` samples (in decode order per
/// track), then ``flush()`` at the end of the encoder's session; after a flush a new session may start with
/// `configure`/`push` (the last configurations are kept, so `push` alone also works). Video rung tracks are
/// announced once the first frames are decoded (the transcoder holds ``framesToMeasure`` frames to measure the
/// input's frame rate); the audio track, whose index is the number of video rungs, once the ladder is known —
/// audio produced before that is held (up to ``maximumHeldAudio`` samples) and released then.
public final class LadderTranscoder {
    /// Decoded frames held to measure the input's frame rate before the ladder is opened.
    public static let framesToMeasure = 9
    /// Audio samples held while no video ladder exists yet (about 10 s at 48 kHz); older ones are dropped.
    public static let maximumHeldAudio = 480

    /// The job; its ladder is pinned at the first plan (``EncodeJob/pinnedRungs``).
    public private(set) var job: EncodeJob
    private let device: HardwareDevice?
    private let backendDescription: String
    private var framesIn = 0
    private var framesOut = 0
    private var framesDropped = 0
    private var dropLog = LogThrottle()

    // MARK: Video state
    private var videoConfiguration: AVCConfiguration?
    private var decoder: VideoDecoder?
    private var ladder: VideoLadder?
    /// Frames decoded before the input's frame rate is known.
    private var heldFrames: [FrameBox] = []
    private var inputFrameRate: Double?
    /// The number of video tracks this session: the audio track's index.
    private var videoTrackCount: Int?
    /// Whether the VAAPI backend was told its decoder gives system-memory frames.
    private var loggedSoftwareDecode = false

    // MARK: Audio state
    private var audioConfiguration: AudioSpecificConfig?
    private var audio: AudioTranscoder?
    /// The encoder's track (index not yet assigned) and what was last announced.
    private var audioTrack: OutputTrackDescription?
    private var announcedAudioTrack: OutputTrackDescription?
    private var heldAudio: [WorkerSample] = []
    private var heldAudioDropped = 0

    /// Checks the job and that this libavcodec can run it; on the VAAPI backend opens the device.
    public init(job: EncodeJob) throws(EncodeError) {
        guard !job.preset.rungs.isEmpty else {
            throw EncodeError(.invalidJob, "the ladder preset \(job.preset.name) has no video rungs; choose a preset with at least one")
        }
        guard job.keyFrameInterval.isFinite, job.keyFrameInterval > 0 else {
            throw EncodeError(.invalidJob, "keyFrameInterval \(job.keyFrameInterval) s is not a duration; use 0.5 to 20 s (default 2)")
        }
        guard job.maxFrameRate.isFinite, job.maxFrameRate > 0 else {
            throw EncodeError(.invalidJob, "maxFrameRate \(job.maxFrameRate) is not a frame rate; use 30")
        }
        guard job.preset.audioBitrate > 0 else {
            throw EncodeError(.invalidJob, "the preset \(job.preset.name) has an audio bitrate of \(job.preset.audioBitrate); use 128000")
        }
        for (name, isEncoder) in [(job.backend.encoderName, true), ("aac", true), ("h264", false), ("aac", false)] {
            let found = isEncoder ? avcodec_find_encoder_by_name(name) != nil : avcodec_find_decoder_by_name(name) != nil
            guard found else {
                throw EncodeError(.codecMissing, "libavcodec has no \(name) \(isEncoder ? "encoder" : "decoder"); install Debian's libavcodec59, "
                    + "which has libx264, aac and the VAAPI encoders")
            }
        }
        self.job = job
        // libavcodec's informational lines (x264's statistics per rung at every flush) would flood the journal
        // through the worker's stderr; warnings and errors still go there.
        if av_log_get_level() > AV_LOG_WARNING { av_log_set_level(AV_LOG_WARNING) }
        switch job.backend {
        case let .software(preset, _):
            device = nil
            backendDescription = "libx264 \(preset) (software)"
        case let .vaapi(path, _, lowPower):
            device = try HardwareDevice(vaapi: path)
            backendDescription = "\(job.backend.encoderName) on \(path)" + (lowPower ? " (low power)" : "")
        }
    }

    public var statistics: TranscoderStatistics {
        TranscoderStatistics(framesIn: framesIn, framesOut: framesOut, framesDropped: framesDropped, backendDescription: backendDescription)
    }

    // MARK: - Public operations

    /// Takes the contribution's decoder configuration (`avcC` for video, AudioSpecificConfig for audio). The same
    /// record again changes nothing; a different one drains that side's decoder and opens a new one (video rungs
    /// go on unless the picture size changes). An unusable record is logged, and that kind's samples are dropped
    /// until a usable one arrives.
    public func configure(kind: MediaKind, record: [UInt8]) throws(EncodeError) -> [TranscoderOutput] {
        var outputs: [TranscoderOutput] = []
        switch kind {
        case .video:
            guard record != videoConfiguration?.record else { break }
            try closeVideoDecoder(into: &outputs)
            do {
                videoConfiguration = try AVCConfiguration(record: record)
            } catch {
                videoConfiguration = nil
                outputs.append(.log(level: "error", message: "the contribution's H.264 configuration (avcC) is unusable: \(error); "
                    + "video is dropped until the encoder sends a valid one (H.264 only; restart the encoder)"))
            }
        case .audio:
            guard record != audioConfiguration?.bytes else { break }
            try closeAudio(into: &outputs)
            do {
                audioConfiguration = try AudioSpecificConfig(bytes: record)
            } catch {
                audioConfiguration = nil
                outputs.append(.log(level: "error", message: "the contribution's AAC configuration is unusable: \(error); "
                    + "audio is dropped until the encoder sends AAC-LC or HE-AAC"))
            }
        case .text:
            outputs.append(.log(level: "info", message: "a text track in the contribution is not encoded"))
        }
        return outputs
    }

    /// Decodes one contribution sample (track ``WorkerSample/inputVideo``: MP4-form H.264; ``WorkerSample/inputAudio``:
    /// a raw AAC access unit) and returns what it completes.
    public func push(_ sample: WorkerSample) throws(EncodeError) -> [TranscoderOutput] {
        var outputs: [TranscoderOutput] = []
        switch sample.track {
        case WorkerSample.inputVideo:
            framesIn += 1
            try pushVideo(sample, into: &outputs)
        case WorkerSample.inputAudio:
            try pushAudio(sample, into: &outputs)
        default:
            drop("a sample on input track \(sample.track) (only 0 = video and 1 = audio exist)", into: &outputs)
        }
        return outputs
    }

    /// Ends the session: drains decoders and encoders so every input sample that can be is encoded and returned.
    /// The transcoder then takes a new session; its tracks are announced again.
    public func flush() throws(EncodeError) -> [TranscoderOutput] {
        var outputs: [TranscoderOutput] = []
        try closeVideoDecoder(into: &outputs)
        try releaseHeldFrames(into: &outputs)
        if let ladder {
            framesOut += try ladder.drain(into: &outputs)
            self.ladder = nil
        }
        try closeAudio(into: &outputs)
        if !heldAudio.isEmpty {
            // No video this session: the audio is the only track.
            if videoTrackCount == nil { videoTrackCount = 0 }
            releaseHeldAudio(into: &outputs)
        }
        inputFrameRate = nil
        videoTrackCount = nil
        audioTrack = nil
        announcedAudioTrack = nil
        heldAudio = []
        return outputs
    }

    // MARK: - Video

    private func pushVideo(_ sample: WorkerSample, into outputs: inout [TranscoderOutput]) throws(EncodeError) {
        guard sample.timescale > 0 else { return drop("a video sample with timescale 0", into: &outputs) }
        if decoder == nil {
            guard let configuration = videoConfiguration else {
                return drop("a video sample before a usable H.264 configuration (avcC)", into: &outputs)
            }
            do {
                decoder = try VideoDecoder(configuration: configuration, device: device) { level, message in
                    outputs.append(.log(level: level, message: message))
                }
            } catch where error.code == .codecOpenFailed {
                videoConfiguration = nil
                outputs.append(.log(level: "error", message: "\(error); video is dropped until the encoder sends another configuration"))
                return drop("a video sample the decoder cannot take", into: &outputs)
            }
        }
        guard let decoder else { return }
        let timescale = Int64(sample.timescale)
        let dts = rescale(sample.decodeTime, from: timescale, to: AVCode.videoTimescale)
        let pts = rescale(sample.decodeTime + Int64(sample.compositionOffset), from: timescale, to: AVCode.videoTimescale)
        var failure: EncodeError?
        let result = decoder.decode(sample.data, pts: pts, dts: dts, isKeyframe: sample.isKeyframe) { frame in
            guard failure == nil else { return }
            do throws(EncodeError) { try self.handleDecoded(frame, into: &outputs) } catch { failure = error }
        }
        if let failure { throw failure }
        switch result {
        case .decoded: break
        case .waitingForKeyframe: drop("a video sample before the first keyframe", into: &outputs)
        case .corrupt(let reason): drop(reason, into: &outputs)
        }
    }

    /// Routes a decoded frame: to the ladder, or held until the frame rate is measured, or to a new ladder when
    /// the picture's geometry changed.
    private func handleDecoded(_ frame: UnsafeMutablePointer<AVFrame>, into outputs: inout [TranscoderOutput]) throws(EncodeError) {
        if let device, !loggedSoftwareDecode, frame.pointee.format != AV_PIX_FMT_VAAPI.rawValue {
            loggedSoftwareDecode = true
            outputs.append(.log(level: "notice", message: "\(device.path) does not decode this H.264 stream: it is decoded in software "
                + "and uploaded for scaling and encoding (more CPU)"))
        }
        if let ladder {
            if ladder.geometry == VideoLadder.geometry(of: frame, backend: job.backend) {
                return try encode(frame, on: ladder, into: &outputs)
            }
            let next = VideoLadder.geometry(of: frame, backend: job.backend)
            outputs.append(.log(level: "notice", message: "the input changed from \(ladder.geometry) to \(next): the \(ladder.rungs.count) rungs "
                + "go on at their sizes after a discontinuity (reset the live event to plan a ladder for this input)"))
            framesOut += try ladder.drain(into: &outputs)
            self.ladder = nil
        }
        if let inputFrameRate {
            let ladder = try VideoLadder(job: job, device: device, first: frame, inputFrameRate: inputFrameRate) { level, message in
                outputs.append(.log(level: level, message: message))
            }
            self.ladder = ladder
            if !job.hasPinnedLadder {
                let rungs = ladder.rungs.map(\.source)
                job.pinnedRungs = rungs
                outputs.append(.ladder(rungs))
            }
            ladder.announce(into: &outputs)
            videoTrackCount = ladder.rungs.count
            announceAudioTrack(into: &outputs)
            releaseHeldAudio(into: &outputs)
            return try encode(frame, on: ladder, into: &outputs)
        }
        guard let clone = av_frame_clone(frame) else { throw .outOfMemory("a decoded frame") }
        heldFrames.append(FrameBox(owning: clone))
        if heldFrames.count >= Self.framesToMeasure { try releaseHeldFrames(into: &outputs) }
    }

    private func encode(_ frame: UnsafeMutablePointer<AVFrame>, on ladder: VideoLadder, into outputs: inout [TranscoderOutput]) throws(EncodeError) {
        switch try ladder.encode(frame, time: Self.presentationTime(frame), into: &outputs) {
        case .encoded(let samples): framesOut += samples
        case .skipped: break
        case .dropped(let reason): drop(reason, into: &outputs)
        case let .timelineRestarted(from, to):
            // Encoders need increasing timestamps: finish these, start new ones on the new timeline.
            outputs.append(.log(level: "notice", message: String(format: "the input's video clock went back from %.3f s to %.3f s: "
                + "the rungs restart there", Double(from) / Double(AVCode.videoTimescale), Double(to) / Double(AVCode.videoTimescale))))
            framesOut += try ladder.drain(into: &outputs)
            self.ladder = nil
            try handleDecoded(frame, into: &outputs)
        }
    }

    /// Measures the input frame rate from the held frames and sends them on.
    private func releaseHeldFrames(into outputs: inout [TranscoderOutput]) throws(EncodeError) {
        guard !heldFrames.isEmpty else { return }
        let frames = heldFrames
        heldFrames = []
        let measured = LadderPlanner.measuredFrameRate(presentationTimes: frames.compactMap { Self.presentationTime($0.frame) },
                                                       timescale: AVCode.videoTimescale)
        inputFrameRate = chooseFrameRate(measured: measured, signalled: videoConfiguration?.frameRate, into: &outputs)
        for held in frames { try handleDecoded(held.frame, into: &outputs) }
    }

    /// The measured rate, or the SPS's when it agrees (it is exact), or the SPS's alone, or 30.
    private func chooseFrameRate(measured: Double?, signalled: Double?, into outputs: inout [TranscoderOutput]) -> Double {
        let plausible = signalled.flatMap { $0 >= 1 && $0 <= 240 ? $0 : nil }
        if let measured {
            if let plausible, abs(plausible - measured) <= measured * 0.03 { return plausible }
            return measured
        }
        if let plausible { return plausible }
        outputs.append(.log(level: "warning", message: "too few video frames to measure the input frame rate and none in its SPS: assuming 30 fps"))
        return 30
    }

    /// Drains the decoder (its frames are encoded) and closes it; the ladder stays.
    private func closeVideoDecoder(into outputs: inout [TranscoderOutput]) throws(EncodeError) {
        guard let decoder else { return }
        var failure: EncodeError?
        decoder.drain { frame in
            guard failure == nil else { return }
            do throws(EncodeError) { try self.handleDecoded(frame, into: &outputs) } catch { failure = error }
        }
        self.decoder = nil
        if let failure { throw failure }
    }

    static func presentationTime(_ frame: UnsafeMutablePointer<AVFrame>) -> Int64? {
        if frame.pointee.pts != AVCode.noTimestamp { return frame.pointee.pts }
        if frame.pointee.best_effort_timestamp != AVCode.noTimestamp { return frame.pointee.best_effort_timestamp }
        return nil
    }

    // MARK: - Audio

    private func pushAudio(_ sample: WorkerSample, into outputs: inout [TranscoderOutput]) throws(EncodeError) {
        guard sample.timescale > 0 else { return drop("an audio sample with timescale 0", into: &outputs) }
        if audio == nil {
            guard let configuration = audioConfiguration else {
                return drop("an audio sample before a usable AAC configuration", into: &outputs)
            }
            do {
                audio = try AudioTranscoder(configuration: configuration, bitrate: job.preset.audioBitrate)
            } catch where error.code == .codecOpenFailed {
                audioConfiguration = nil
                outputs.append(.log(level: "error", message: "\(error); audio is dropped until the encoder sends another configuration"))
                return drop("an audio sample the decoder cannot take", into: &outputs)
            }
        }
        guard let audio else { return }
        var produced: [AudioTranscoder.Output] = []
        try audio.push(sample.data, time: sample.decodeTime + Int64(sample.compositionOffset), timescale: Int64(sample.timescale),
                       into: &produced)
        route(produced, into: &outputs)
    }

    private func closeAudio(into outputs: inout [TranscoderOutput]) throws(EncodeError) {
        guard let audio else { return }
        var produced: [AudioTranscoder.Output] = []
        try audio.drain(into: &produced)
        route(produced, into: &outputs)
        self.audio = nil
    }

    /// Gives audio its track index (the number of video rungs), or holds it until the ladder is known.
    private func route(_ produced: [AudioTranscoder.Output], into outputs: inout [TranscoderOutput]) {
        for output in produced {
            switch output {
            case let .log(level, message): outputs.append(.log(level: level, message: message))
            case .corrupt(let reason): drop(reason, into: &outputs)
            case .track(let track):
                audioTrack = track
                announceAudioTrack(into: &outputs)
            case .sample(var sample):
                if let index = videoTrackCount {
                    sample.track = index
                    outputs.append(.sample(sample))
                } else {
                    heldAudio.append(sample)
                    if heldAudio.count > Self.maximumHeldAudio {
                        heldAudio.removeFirst(heldAudio.count - Self.maximumHeldAudio)
                        heldAudioDropped += 1
                        if heldAudioDropped == 1 {
                            outputs.append(.log(level: "warning", message: "audio is arriving without decodable video: "
                                + "only its last \(Self.maximumHeldAudio) frames are kept until the video starts"))
                        }
                    }
                }
            }
        }
    }

    private func announceAudioTrack(into outputs: inout [TranscoderOutput]) {
        guard var track = audioTrack, let index = videoTrackCount else { return }
        track.index = index
        guard track != announcedAudioTrack else { return }
        outputs.append(.track(track))
        announcedAudioTrack = track
    }

    private func releaseHeldAudio(into outputs: inout [TranscoderOutput]) {
        guard let index = videoTrackCount, !heldAudio.isEmpty else { return }
        announceAudioTrack(into: &outputs)
        for var sample in heldAudio {
            sample.track = index
            outputs.append(.sample(sample))
        }
        heldAudio = []
        heldAudioDropped = 0
    }

    // MARK: - Bookkeeping

    private func drop(_ reason: String, into outputs: inout [TranscoderOutput]) {
        framesDropped += 1
        if dropLog.shouldLog() {
            outputs.append(.log(level: "warning", message: "\(reason): skipped (\(dropLog.count) skipped so far)"))
        }
    }
}
