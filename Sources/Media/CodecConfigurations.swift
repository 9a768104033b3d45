/// H.264 decoder configuration: the AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3) and
/// what its first SPS says. Built by `AVCConfiguration(record:)` (see AVCConfiguration+Parsing.swift).
public struct AVCConfiguration: Sendable, Hashable {
    /// The record exactly as received: the payload of `avcC`.
    public var record: [UInt8]
    public var profileIndication: UInt8
    public var profileCompatibility: UInt8
    public var levelIndication: UInt8
    /// Bytes in each NAL unit length prefix (1, 2 or 4).
    public var nalUnitLengthSize: Int
    public var sequenceParameterSets: [[UInt8]]
    public var pictureParameterSets: [[UInt8]]
    /// Coded picture size after cropping, in pixels.
    public var width: Int
    public var height: Int
    /// Sample aspect ratio (1:1 when the SPS has none).
    public var sampleAspectRatio: (Int, Int) { (sarWidth, sarHeight) }
    public var sarWidth: Int
    public var sarHeight: Int
    /// Frame rate from VUI timing info, when present.
    public var frameRate: Double?

    public init(record: [UInt8], profileIndication: UInt8, profileCompatibility: UInt8, levelIndication: UInt8,
                nalUnitLengthSize: Int, sequenceParameterSets: [[UInt8]], pictureParameterSets: [[UInt8]],
                width: Int, height: Int, sarWidth: Int = 1, sarHeight: Int = 1, frameRate: Double? = nil) {
        self.record = record
        self.profileIndication = profileIndication
        self.profileCompatibility = profileCompatibility
        self.levelIndication = levelIndication
        self.nalUnitLengthSize = nalUnitLengthSize
        self.sequenceParameterSets = sequenceParameterSets
        self.pictureParameterSets = pictureParameterSets
        self.width = width
        self.height = height
        self.sarWidth = sarWidth
        self.sarHeight = sarHeight
        self.frameRate = frameRate
    }

    public static func == (a: Self, b: Self) -> Bool { a.record == b.record }
    public func hash(into h: inout Hasher) { h.combine(record) }
}

/// H.265 decoder configuration: the HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3),
/// as carried by enhanced RTMP (`hvc1`). Built by `HEVCConfiguration(record:)`.
public struct HEVCConfiguration: Sendable, Hashable {
    public var record: [UInt8]
    public var generalProfileSpace: UInt8
    public var generalTierFlag: Bool
    public var generalProfileIDC: UInt8
    public var generalProfileCompatibilityFlags: UInt32
    /// The 48 bits of general_constraint_indicator_flags.
    public var generalConstraintIndicatorFlags: UInt64
    public var generalLevelIDC: UInt8
    public var nalUnitLengthSize: Int
    public var width: Int
    public var height: Int

    public init(record: [UInt8], generalProfileSpace: UInt8, generalTierFlag: Bool, generalProfileIDC: UInt8,
                generalProfileCompatibilityFlags: UInt32, generalConstraintIndicatorFlags: UInt64,
                generalLevelIDC: UInt8, nalUnitLengthSize: Int, width: Int, height: Int) {
        self.record = record
        self.generalProfileSpace = generalProfileSpace
        self.generalTierFlag = generalTierFlag
        self.generalProfileIDC = generalProfileIDC
        self.generalProfileCompatibilityFlags = generalProfileCompatibilityFlags
        self.generalConstraintIndicatorFlags = generalConstraintIndicatorFlags
        self.generalLevelIDC = generalLevelIDC
        self.nalUnitLengthSize = nalUnitLengthSize
        self.width = width
        self.height = height
    }

    public static func == (a: Self, b: Self) -> Bool { a.record == b.record }
    public func hash(into h: inout Hasher) { h.combine(record) }
}

/// MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1), as in the FLV AAC sequence header and `esds`.
/// Built by `AudioSpecificConfig(bytes:)`.
public struct AudioSpecificConfig: Sendable, Hashable {
    public var bytes: [UInt8]
    /// Audio object type: 2 = AAC-LC, 5 = SBR (HE-AAC), 29 = PS (HE-AAC v2).
    public var objectType: Int
    /// Core sampling frequency in Hz.
    public var sampleRate: Int
    public var channelCount: Int
    /// Samples per channel per access unit (1024 for AAC-LC, 960 when frameLengthFlag is set).
    public var samplesPerFrame: Int

    public init(bytes: [UInt8], objectType: Int, sampleRate: Int, channelCount: Int, samplesPerFrame: Int = 1024) {
        self.bytes = bytes
        self.objectType = objectType
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        self.samplesPerFrame = samplesPerFrame
    }

    public static func == (a: Self, b: Self) -> Bool { a.bytes == b.bytes }
    public func hash(into h: inout Hasher) { h.combine(bytes) }
}
