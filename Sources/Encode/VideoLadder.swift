import CFFmpeg
import EncodeModel

/// The ladder for one input geometry: the scaler, an encoder per rung, and the two rules every rung shares so
/// that they fragment at identical times — which frames are kept (frame-rate ceiling) and which are keyframes.
final class VideoLadder {
    /// What the plan depends on; a decoded frame that differs needs a new ladder.
    struct Geometry: Equatable, CustomStringConvertible {
        var width: Int32
        var height: Int32
        var sampleAspect: AVRational
        /// Only the VAAPI graph is built for one pixel format; swscale adapts by itself.
        var format: Int32?

        static func == (a: Geometry, b: Geometry) -> Bool {
            a.width == b.width && a.height == b.height && a.format == b.format
                && a.sampleAspect.num == b.sampleAspect.num && a.sampleAspect.den == b.sampleAspect.den
        }

        var description: String {
            let sar = sampleAspect.num > 0 && sampleAspect.den > 0 && sampleAspect.num != sampleAspect.den
                ? " (SAR \(sampleAspect.num):\(sampleAspect.den))" : ""
            return "\(width)x\(height)\(sar)"
        }
    }

    enum FrameResult {
        case encoded(samples: Int)
        /// Above the frame-rate ceiling: not this one.
        case skipped
        case dropped(String)
        /// The input's clock went back by more than ``restartThreshold``: the encoders need a new timeline (a new
        /// ladder); the frame was not used.
        case timelineRestarted(from: Int64, to: Int64)
    }

    /// How far back the input's clock may step before it counts as a new timeline rather than a bad timestamp.
    static let restartThreshold: Int64 = AVCode.videoTimescale

    let geometry: Geometry
    let rungs: [PlannedRung]
    let frameRate: Double
    let keepEvery: Int
    private let scaler: RungScaler
    private let encoders: [RungEncoder]
    private let keyFrameTicks: Int64
    private var framesSeen = 0
    private var lastKeySlot: Int64?
    private var lastTime: Int64?

    static func geometry(of frame: UnsafeMutablePointer<AVFrame>, backend: EncoderBackend) -> Geometry {
        let format: Int32?
        if case .vaapi = backend { format = frame.pointee.format } else { format = nil }
        return Geometry(width: frame.pointee.width, height: frame.pointee.height, sampleAspect: frame.pointee.sample_aspect_ratio,
                        format: format)
    }

    /// Plans the ladder for frames like `first` at `inputFrameRate` and opens its scaler and encoders.
    init(job: EncodeJob, device: HardwareDevice?, first: UnsafeMutablePointer<AVFrame>, inputFrameRate: Double,
         log: (String, String) -> Void) throws(EncodeError) {
        geometry = Self.geometry(of: first, backend: job.backend)
        let sar = first.pointee.sample_aspect_ratio
        // A pinned ladder keeps its rungs whatever the input (upscaling a smaller one); see EncodeJob.pinnedRungs.
        rungs = LadderPlanner.plan(preset: job.plannedPreset, inputWidth: Int(geometry.width), inputHeight: Int(geometry.height),
                                   inputSampleAspect: (Int(sar.num), Int(sar.den)), stretchMode: job.stretchMode,
                                   upscaling: job.hasPinnedLadder)
        guard !rungs.isEmpty else {
            throw EncodeError(.invalidJob, "the preset \(job.preset.name) gives no rung for a \(geometry) input")
        }
        (frameRate, keepEvery) = LadderPlanner.outputFrameRate(input: inputFrameRate, maximum: job.maxFrameRate)
        keyFrameTicks = max(1, Int64((job.keyFrameInterval * Double(AVCode.videoTimescale)).rounded()))

        if let device {
            scaler = try VAAPIScaler(rungs: rungs, first: first, device: device)
        } else {
            scaler = try SoftwareScaler(rungs: rungs)
        }
        var encoders: [RungEncoder] = []
        for (position, rung) in rungs.enumerated() {
            encoders.append(try RungEncoder(rung: rung, job: job, frameRate: frameRate,
                                            hardwareFrames: scaler.hardwareFrames(forRung: position), log: log))
        }
        self.encoders = encoders

        let list = rungs.map { "\($0.width)x\($0.height)@\($0.bitrate / 1000)k" }.joined(separator: ", ")
        log("info", String(format: "input %@ at %.3f fps: %d rungs (%@) at %.3f fps, a keyframe every %g s",
                           geometry.description, inputFrameRate, rungs.count, list, frameRate, job.keyFrameInterval))
        // Upscaled: a picture larger than the input's display size (its width corrected by its sample aspect), as the
        // planner measures it.
        let displayWidth = Double(geometry.width) * (sar.num > 0 && sar.den > 0 ? Double(sar.num) / Double(sar.den) : 1)
        let upscaled = rungs.filter { Double($0.pictureWidth) > displayWidth + 1 || $0.pictureHeight > Int(geometry.height) + 1 }
        if !upscaled.isEmpty {
            log("notice", "the event keeps the ladder it first planned: "
                + upscaled.map { "\($0.pictureWidth)x\($0.pictureHeight)" }.joined(separator: ", ")
                + " \(upscaled.count == 1 ? "is" : "are") above this \(geometry.description) input and upscaled; reset the live event to plan a ladder for this input")
        }
        if keepEvery > 1 {
            log("notice", String(format: "the input's %.3f fps is above the %g fps ceiling: one frame in %d is encoded",
                                 inputFrameRate, job.maxFrameRate, keepEvery))
        }
    }

    /// Announces every rung whose record is known (all of them with libx264).
    func announce(into outputs: inout [TranscoderOutput]) {
        for encoder in encoders { encoder.announce(into: &outputs) }
    }

    /// Encodes one decoded frame on every rung, or skips it (frame-rate ceiling) or drops it (bad timestamp).
    func encode(_ frame: UnsafeMutablePointer<AVFrame>, time: Int64?, into outputs: inout [TranscoderOutput]) throws(EncodeError) -> FrameResult {
        let count = framesSeen
        framesSeen += 1
        guard let time = time ?? lastTime.map({ $0 + Int64((Double(AVCode.videoTimescale) / frameRate).rounded()) }) else {
            return .dropped("a decoded picture without a timestamp")
        }
        if let lastTime, time <= lastTime {
            if lastTime - time > Self.restartThreshold { return .timelineRestarted(from: lastTime, to: time) }
            return .dropped("a picture at \(time) (90 kHz) that is not after the previous one at \(lastTime)")
        }
        guard count % keepEvery == 0 else { return .skipped }
        lastTime = time
        // The same frames on every rung, by absolute time: restarts and every rung agree on where GOPs start.
        let slot = floorDivide(time, keyFrameTicks)
        let isKeyframe = slot != lastKeySlot
        lastKeySlot = slot

        var produced = 0
        var failure: EncodeError?
        let scaleFailure = scaler.scale(frame) { position, picture in
            guard failure == nil else { return }
            picture.pointee.pts = time
            picture.pointee.pict_type = isKeyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE
            switch encoders[position].encode(picture, into: &outputs) {
            case .success(let count): produced += count
            case .failure(let error): failure = error
            }
        }
        if let failure { throw failure }
        if let scaleFailure { return .dropped(scaleFailure) }
        return .encoded(samples: produced)
    }

    /// Drains every encoder; returns the samples that came out.
    func drain(into outputs: inout [TranscoderOutput]) throws(EncodeError) -> Int {
        var produced = 0
        for encoder in encoders {
            switch encoder.encode(nil, into: &outputs) {
            case .success(let count): produced += count
            case .failure(let error): throw error
            }
        }
        return produced
    }
}
