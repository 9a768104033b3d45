/// A coded sample in a CMAF track: times in the track's timescale, data in MP4 form
/// (length-prefixed NAL units for AVC/HEVC, a raw access unit for AAC).
public struct Sample: Sendable, Hashable {
    public var decodeTime: Int64
    /// `pts - dts` in the track timescale (B-frames make it positive).
    public var compositionOffset: Int32
    public var duration: UInt32
    /// A sync sample (IDR / audio frame): fragments start on one.
    public var isSync: Bool
    public var data: [UInt8]

    public init(decodeTime: Int64, compositionOffset: Int32 = 0, duration: UInt32, isSync: Bool, data: [UInt8]) {
        self.decodeTime = decodeTime
        self.compositionOffset = compositionOffset
        self.duration = duration
        self.isSync = isSync
        self.data = data
    }

    public var presentationTime: Int64 { decodeTime + Int64(compositionOffset) }
}

/// A coded frame as an ingest protocol delivers it, before timeline normalisation: times in the
/// protocol's own timescale (milliseconds for RTMP), no duration yet.
public struct MediaFrame: Sendable, Hashable {
    public var kind: MediaKind
    public var decodeTime: Int64
    public var compositionOffset: Int32
    public var timescale: Int64
    public var isKeyframe: Bool
    /// MP4 form, as in ``Sample/data``.
    public var data: [UInt8]

    public init(kind: MediaKind, decodeTime: Int64, compositionOffset: Int32 = 0, timescale: Int64,
                isKeyframe: Bool, data: [UInt8]) {
        self.kind = kind
        self.decodeTime = decodeTime
        self.compositionOffset = compositionOffset
        self.timescale = timescale
        self.isKeyframe = isKeyframe
        self.data = data
    }
}
