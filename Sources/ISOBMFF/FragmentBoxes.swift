import Media

// Parsed forms of the boxes inside a movie fragment (ISO/IEC 14496-12 §8.8), for fMP4 ingest and tests.

// MARK: - mfhd

/// `mfhd`: the fragment's sequence number.
public struct MovieFragmentHeader: Sendable, Hashable {
    public var sequenceNumber: UInt32

    public init(sequenceNumber: UInt32) { self.sequenceNumber = sequenceNumber }

    public init(_ box: Box) throws(MediaParseError) {
        try box.expect("mfhd")
        var reader = ByteReader(try box.fullBoxHeader().body)
        sequenceNumber = try reader.readUInt32()
    }
}

// MARK: - tfhd

/// `tfhd`: the track a fragment belongs to and the defaults its runs fall back on.
public struct TrackFragmentHeader: Sendable, Hashable {
    public static let baseDataOffsetPresent: UInt32 = 0x000001
    public static let sampleDescriptionIndexPresent: UInt32 = 0x000002
    public static let defaultSampleDurationPresent: UInt32 = 0x000008
    public static let defaultSampleSizePresent: UInt32 = 0x000010
    public static let defaultSampleFlagsPresent: UInt32 = 0x000020
    public static let durationIsEmpty: UInt32 = 0x010000
    public static let defaultBaseIsMoof: UInt32 = 0x020000

    public var flags: UInt32
    public var trackID: UInt32
    public var baseDataOffset: UInt64?
    public var sampleDescriptionIndex: UInt32?
    public var defaultSampleDuration: UInt32?
    public var defaultSampleSize: UInt32?
    public var defaultSampleFlags: UInt32?

    public init(_ box: Box) throws(MediaParseError) {
        try box.expect("tfhd")
        let (_, flags, body) = try box.fullBoxHeader()
        var reader = ByteReader(body)
        self.flags = flags
        trackID = try reader.readUInt32()
        if flags & Self.baseDataOffsetPresent != 0 { baseDataOffset = try reader.readUInt64() }
        if flags & Self.sampleDescriptionIndexPresent != 0 { sampleDescriptionIndex = try reader.readUInt32() }
        if flags & Self.defaultSampleDurationPresent != 0 { defaultSampleDuration = try reader.readUInt32() }
        if flags & Self.defaultSampleSizePresent != 0 { defaultSampleSize = try reader.readUInt32() }
        if flags & Self.defaultSampleFlagsPresent != 0 { defaultSampleFlags = try reader.readUInt32() }
    }

    /// Data offsets count from the `moof` start rather than from the previous fragment's data.
    public var isDefaultBaseMoof: Bool { flags & Self.defaultBaseIsMoof != 0 }
}

// MARK: - tfdt

/// `tfdt`: the decode time of a fragment's first sample, in the track timescale.
public struct TrackFragmentDecodeTime: Sendable, Hashable {
    public var version: UInt8
    public var baseMediaDecodeTime: UInt64

    public init(_ box: Box) throws(MediaParseError) {
        try box.expect("tfdt")
        let (version, _, body) = try box.fullBoxHeader()
        var reader = ByteReader(body)
        self.version = version
        switch version {
        case 0: baseMediaDecodeTime = UInt64(try reader.readUInt32())
        case 1: baseMediaDecodeTime = try reader.readUInt64()
        default: throw .unsupported("tfdt version \(version)")
        }
    }
}

// MARK: - trun

/// `trun`: a run of contiguous samples with their durations, sizes, flags and composition offsets.
public struct TrackRun: Sendable, Hashable {
    public static let dataOffsetPresent: UInt32 = 0x000001
    public static let firstSampleFlagsPresent: UInt32 = 0x000004
    public static let sampleDurationPresent: UInt32 = 0x000100
    public static let sampleSizePresent: UInt32 = 0x000200
    public static let sampleFlagsPresent: UInt32 = 0x000400
    public static let sampleCompositionTimeOffsetsPresent: UInt32 = 0x000800

    /// Per-sample fields; nil where the run leaves them to `tfhd`/`trex` defaults.
    public struct Entry: Sendable, Hashable {
        public var duration: UInt32?
        public var size: UInt32?
        public var flags: UInt32?
        /// Signed in version 1; version 0 offsets are read as the same bit pattern (encoders never exceed 2^31).
        public var compositionOffset: Int32?
    }

    /// Most samples accepted in one run: a 10 s fragment of 48 kHz PCM has 480 000; a declared count beyond this is
    /// a broken or hostile stream, refused before an entry is allocated.
    public static let maximumSampleCount = 1 << 20

    public var version: UInt8
    public var flags: UInt32
    public var dataOffset: Int32?
    public var firstSampleFlags: UInt32?
    public var entries: [Entry]

    public init(_ box: Box) throws(MediaParseError) {
        try box.expect("trun")
        let (version, flags, body) = try box.fullBoxHeader()
        var reader = ByteReader(body)
        self.version = version
        self.flags = flags
        let count = Int(try reader.readUInt32())
        if flags & Self.dataOffsetPresent != 0 { dataOffset = Int32(bitPattern: try reader.readUInt32()) }
        if flags & Self.firstSampleFlagsPresent != 0 { firstSampleFlags = try reader.readUInt32() }
        let fields = [Self.sampleDurationPresent, Self.sampleSizePresent, Self.sampleFlagsPresent,
                      Self.sampleCompositionTimeOffsetsPresent].filter { flags & $0 != 0 }.count
        // Check the declared count against the bytes present, and against a ceiling for runs whose samples all take
        // the defaults (no per-sample field, so no bytes to check against), before allocating anything for it.
        guard count <= Self.maximumSampleCount else {
            throw .unsupported("trun with \(count) samples: more than the \(Self.maximumSampleCount) accepted in one run")
        }
        guard count * fields * 4 <= reader.remaining else {
            throw .truncated(context: "trun with \(count) samples", needed: count * fields * 4, available: reader.remaining)
        }
        entries = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            var entry = Entry()
            if flags & Self.sampleDurationPresent != 0 { entry.duration = try reader.readUInt32() }
            if flags & Self.sampleSizePresent != 0 { entry.size = try reader.readUInt32() }
            if flags & Self.sampleFlagsPresent != 0 { entry.flags = try reader.readUInt32() }
            if flags & Self.sampleCompositionTimeOffsetsPresent != 0 {
                entry.compositionOffset = Int32(bitPattern: try reader.readUInt32())
            }
            entries.append(entry)
        }
    }
}

// MARK: - Sample flags

/// The 32-bit sample flags of `trun`/`tfhd`/`trex` (ISO/IEC 14496-12 §8.8.3.1).
public enum SampleFlags {
    /// A sync sample: depends on no other (sample_depends_on = 2).
    public static let sync: UInt32 = 0x0200_0000
    /// A non-sync sample: depends on others (sample_depends_on = 1) and sample_is_non_sync_sample set.
    public static let nonSync: UInt32 = 0x0101_0000

    /// Whether flags mark a sync sample (sample_is_non_sync_sample clear).
    public static func isSync(_ flags: UInt32) -> Bool { flags & 0x0001_0000 == 0 }
}
