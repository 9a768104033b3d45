/// What a track carries.
public enum MediaKind: String, Sendable, Hashable, Codable, CaseIterable {
    case video, audio, text
}

/// A decoder configuration, as carried in FLV sequence headers and in `stsd`.
public enum CodecConfiguration: Sendable, Hashable {
    case avc(AVCConfiguration)
    case hevc(HEVCConfiguration)
    case aac(AudioSpecificConfig)

    public var kind: MediaKind {
        switch self {
        case .avc, .hevc: return .video
        case .aac: return .audio
        }
    }

    /// RFC 6381 `codecs` parameter value (`avc1.64001f`, `hvc1.1.6.L93.B0`, `mp4a.40.2`).
    public var codecString: String {
        switch self {
        case .avc(let c): return c.codecString
        case .hevc(let c): return c.codecString
        case .aac(let c): return c.codecString
        }
    }

    /// The sample entry four-character code used in `stsd`.
    public var fourCC: String {
        switch self {
        case .avc: return "avc1"
        case .hevc: return "hvc1"
        case .aac: return "mp4a"
        }
    }
}

/// One track of a presentation: the unit manifests list and fragments belong to.
public struct TrackInfo: Sendable, Hashable {
    /// `track_ID` in the CMAF init segment; unique within a live event.
    public var trackID: UInt32
    public var kind: MediaKind
    /// Name used in URLs (`Fragments(<name>=<t>)`): `video`, `audio`, or an encoder-given name.
    public var name: String
    /// Ticks per second of sample times in this track (``MediaTime/ticksPerSecond`` for canonical tracks).
    public var timescale: UInt32
    public var codec: CodecConfiguration
    /// Declared or measured bitrate in bits per second; `QualityLevels(<bitrate>)` in URLs.
    public var bitrate: Int
    /// ISO 639-2/T language code, `und` when unknown.
    public var language: String

    public init(trackID: UInt32, kind: MediaKind, name: String, timescale: UInt32, codec: CodecConfiguration,
                bitrate: Int, language: String = "und") {
        self.trackID = trackID
        self.kind = kind
        self.name = name
        self.timescale = timescale
        self.codec = codec
        self.bitrate = bitrate
        self.language = language
    }
}
