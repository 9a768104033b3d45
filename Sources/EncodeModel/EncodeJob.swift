import Media

/// One rung of a ladder as a preset names it: the box it must fit and its bitrate.
public struct LadderRung: Codable, Sendable, Hashable {
    public var width: Int
    public var height: Int
    /// Target video bitrate, bits per second.
    public var bitrate: Int

    public init(width: Int, height: Int, bitrate: Int) {
        self.width = width
        self.height = height
        self.bitrate = bitrate
    }
}

/// How a rung's picture is fitted to the rung's box (the live event's `encoding.stretchMode`).
public enum StretchMode: String, Codable, Sendable, Hashable, CaseIterable {
    /// The rung is exactly the preset's size; the picture is scaled to it, whatever the input's aspect.
    case none = "None"
    /// The input's display aspect is kept; the rung shrinks to fit inside the preset's box, no padding.
    case autoSize = "AutoSize"
    /// The input's display aspect is kept inside a rung of the preset's size, padded with black bars.
    case autoFit = "AutoFit"
}

/// A named ladder: the video rungs, highest first, and the audio bitrate.
public struct LadderPreset: Codable, Sendable, Hashable {
    public var name: String
    public var rungs: [LadderRung]
    /// AAC-LC stereo bitrate, bits per second.
    public var audioBitrate: Int

    public init(name: String, rungs: [LadderRung], audioBitrate: Int = 128_000) {
        self.name = name
        self.rungs = rungs
        self.audioBitrate = audioBitrate
    }
}

/// Which encoder a worker drives.
public enum EncoderBackend: Codable, Sendable, Hashable {
    /// libx264 through libavcodec; `preset` is x264's (`veryfast`, …), `threads` 0 lets x264 choose.
    case software(preset: String, threads: Int)
    /// `h264_vaapi` (or `hevc_vaapi` when `codec` is `hevc`) on the DRM render node `device`
    /// (`/dev/dri/renderD128`); `lowPower` selects the VDEnc / low-power entrypoint.
    case vaapi(device: String, codec: String, lowPower: Bool)

    /// The libavcodec encoder name: `libx264`, `h264_vaapi`, `hevc_vaapi`.
    public var encoderName: String {
        switch self {
        case .software: return "libx264"
        case .vaapi(_, let codec, _): return codec == "hevc" ? "hevc_vaapi" : "h264_vaapi"
        }
    }
}

/// Everything a worker needs to run one live event's encode: sent as the first message on its stdin.
public struct EncodeJob: Codable, Sendable, Hashable {
    /// The live event, for the worker's log lines.
    public var eventName: String
    public var preset: LadderPreset
    public var stretchMode: StretchMode
    /// GOP and fragment length in seconds (`encoding.keyFrameInterval`, 0.5–20, default 2).
    public var keyFrameInterval: Double
    /// Output frame rate ceiling: inputs above it are halved (60 → 30, 50 → 25).
    public var maxFrameRate: Double
    public var backend: EncoderBackend
    /// Extra encoder options from the hardware profile, set on the codec context with `av_opt_set`
    /// (e.g. `rc_mode=CBR`, `x264-params=…`).
    public var encoderOptions: [String: String]
    /// The rungs this event's ladder was first planned with (``WorkerMessage/ladder(_:)``), kept for the event's run as
    /// the service kept its ingest configuration until a Reset: a later contribution of another size is scaled to
    /// the same rungs, so every output track goes on (after a discontinuity) instead of changing size or ending.
    /// Nil until the first plan.
    public var pinnedRungs: [LadderRung]?

    public init(eventName: String, preset: LadderPreset, stretchMode: StretchMode = .none, keyFrameInterval: Double = 2,
                maxFrameRate: Double = 30, backend: EncoderBackend, encoderOptions: [String: String] = [:],
                pinnedRungs: [LadderRung]? = nil) {
        self.eventName = eventName
        self.preset = preset
        self.stretchMode = stretchMode
        self.keyFrameInterval = keyFrameInterval
        self.maxFrameRate = maxFrameRate
        self.backend = backend
        self.encoderOptions = encoderOptions
        self.pinnedRungs = pinnedRungs
    }

    /// Whether a first plan has pinned the ladder.
    public var hasPinnedLadder: Bool { pinnedRungs?.isEmpty == false }

    /// The ladder to plan from: the pinned rungs once there are some, else the preset's.
    public var plannedPreset: LadderPreset {
        guard let pinnedRungs, hasPinnedLadder else { return preset }
        return LadderPreset(name: preset.name, rungs: pinnedRungs, audioBitrate: preset.audioBitrate)
    }
}

/// A track the worker produces, announced before its first sample.
public struct OutputTrackDescription: Codable, Sendable, Hashable {
    /// The `track` number its samples carry: video rungs 0… highest first, then audio.
    public var index: Int
    public var kind: MediaKind
    /// `avcC`/`hvcC` record or AudioSpecificConfig bytes.
    public var codecRecord: [UInt8]
    /// `avc`, `hevc` or `aac`: how to read `codecRecord`.
    public var codecFamily: String
    /// Coded size (video; 0 for audio).
    public var width: Int
    public var height: Int
    /// The rung's (or the audio's) target bitrate, bits per second: `QualityLevels(…)` in URLs.
    public var bitrate: Int
    /// Output frame rate (video), 0 for audio.
    public var frameRate: Double
    /// The libavcodec encoder that makes it: `libx264`, `h264_vaapi`, `aac`.
    public var encoderName: String

    public init(index: Int, kind: MediaKind, codecRecord: [UInt8], codecFamily: String, width: Int = 0, height: Int = 0,
                bitrate: Int, frameRate: Double = 0, encoderName: String) {
        self.index = index
        self.kind = kind
        self.codecRecord = codecRecord
        self.codecFamily = codecFamily
        self.width = width
        self.height = height
        self.bitrate = bitrate
        self.frameRate = frameRate
        self.encoderName = encoderName
    }
}

/// A coded sample crossing the pipe, either way.
public struct WorkerSample: Sendable, Hashable {
    /// Input: 0 video, 1 audio. Output: the ``OutputTrackDescription/index``.
    public var track: Int
    public var isKeyframe: Bool
    public var timescale: UInt32
    public var decodeTime: Int64
    /// `pts - dts` in `timescale`.
    public var compositionOffset: Int32
    /// MP4 form: length-prefixed NAL units (4-byte lengths) or a raw AAC access unit.
    public var data: [UInt8]

    public init(track: Int, isKeyframe: Bool, timescale: UInt32, decodeTime: Int64, compositionOffset: Int32 = 0, data: [UInt8]) {
        self.track = track
        self.isKeyframe = isKeyframe
        self.timescale = timescale
        self.decodeTime = decodeTime
        self.compositionOffset = compositionOffset
        self.data = data
    }

    public static let inputVideo = 0
    public static let inputAudio = 1
}

/// The worker's periodic report: proves its encode loop is alive and gives the figures status shows.
public struct WorkerHeartbeat: Codable, Sendable, Hashable {
    public var framesIn: Int
    public var framesOut: Int
    public var framesDropped: Int
    /// `libx264 (software)`, `h264_vaapi on /dev/dri/renderD128`: what actually encodes.
    public var backend: String
    /// Input frames per second processed over the last interval.
    public var framesPerSecond: Double

    public init(framesIn: Int, framesOut: Int, framesDropped: Int, backend: String, framesPerSecond: Double) {
        self.framesIn = framesIn
        self.framesOut = framesOut
        self.framesDropped = framesDropped
        self.backend = backend
        self.framesPerSecond = framesPerSecond
    }
}
