// MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) reading and building.

extension AudioSpecificConfig {
    // MARK: - Tables

    /// Sampling frequencies by samplingFrequencyIndex 0...12 (ISO/IEC 14496-3 Table 1.18); 15 means explicit.
    public static let samplingFrequencies: [Int] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ]

    /// The samplingFrequencyIndex for a rate, or nil when the rate must be written explicitly.
    public static func samplingFrequencyIndex(for sampleRate: Int) -> Int? {
        samplingFrequencies.firstIndex(of: sampleRate)
    }

    /// Channels per channelConfiguration 1...14 (ISO/IEC 14496-3 Table 1.19; 8...10 are reserved).
    static let channelCounts: [Int: Int] = [1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8, 11: 7, 12: 8, 13: 24, 14: 8]

    /// Object types whose config continues with GASpecificConfig (ISO/IEC 14496-3 §1.6.2.1).
    static let generalAudioObjectTypes: Set<Int> = [1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]

    static let sbrObjectType = 5
    static let psObjectType = 29

    // MARK: - Parsing

    /// Parses an AudioSpecificConfig. For explicitly signalled HE-AAC (object type 5 or 29),
    /// `objectType` is 5 or 29 and `sampleRate` the core (AAC) rate, as sample durations count core samples.
    public init(bytes: [UInt8]) throws(MediaParseError) {
        var bits = BitReader(bytes)
        var objectType = try Self.readObjectType(&bits)
        let sampleRate = try Self.readSamplingFrequency(&bits)
        let channelConfiguration = Int(try bits.readBits(4))
        let signalledType = objectType
        if objectType == Self.sbrObjectType || objectType == Self.psObjectType {
            _ = try Self.readSamplingFrequency(&bits)  // extensionSamplingFrequency: the SBR output rate
            objectType = try Self.readObjectType(&bits)
            if objectType == 22 { try bits.skipBits(4) }  // extensionChannelConfiguration
        }
        var samplesPerFrame = 1024
        if Self.generalAudioObjectTypes.contains(objectType) {
            // GASpecificConfig: frameLengthFlag selects 960-sample frames.
            if try bits.readFlag() { samplesPerFrame = 960 }
        } else {
            throw .unsupported("MPEG-4 audio object type \(objectType); only AAC (types 1-4, optionally with SBR/PS) is supported")
        }
        guard channelConfiguration != 0 else {
            throw .unsupported("AAC channel configuration 0 (layout in a program config element); use a standard channel layout")
        }
        guard var channels = Self.channelCounts[channelConfiguration] else {
            throw .invalid("AAC channel configuration \(channelConfiguration) is reserved")
        }
        // Parametric stereo decodes a mono core into two channels.
        if signalledType == Self.psObjectType && channels == 1 { channels = 2 }
        guard sampleRate > 0 else { throw .invalid("AAC sampling frequency 0") }
        self.init(bytes: bytes, objectType: signalledType, sampleRate: sampleRate, channelCount: channels,
                  samplesPerFrame: samplesPerFrame)
    }

    private static func readObjectType(_ bits: inout BitReader) throws(MediaParseError) -> Int {
        let type = Int(try bits.readBits(5))
        return type == 31 ? 32 + Int(try bits.readBits(6)) : type
    }

    private static func readSamplingFrequency(_ bits: inout BitReader) throws(MediaParseError) -> Int {
        let index = Int(try bits.readBits(4))
        if index == 0xF { return Int(try bits.readBits(24)) }
        guard index < samplingFrequencies.count else {
            throw .invalid("AAC samplingFrequencyIndex \(index) is reserved")
        }
        return samplingFrequencies[index]
    }

    // MARK: - Building

    /// Builds the short form (2 bytes for table rates and object types below 31) with no GA extensions.
    /// `channelCount` must be 1...6 or 8; callers validate values taken from the network first.
    public static func make(objectType: Int, sampleRate: Int, channelCount: Int) -> AudioSpecificConfig {
        precondition((1...95).contains(objectType), "audio object type \(objectType) out of range")
        precondition(sampleRate > 0 && sampleRate < 1 << 24, "sample rate \(sampleRate) out of range")
        let configuration: Int
        switch channelCount {
        case 1...6: configuration = channelCount
        case 8: configuration = 7
        default: preconditionFailure("no AAC channel configuration for \(channelCount) channels")
        }
        var fields: [(value: Int, bits: Int)] = []
        if objectType < 31 {
            fields.append((objectType, 5))
        } else {
            fields.append((31, 5)); fields.append((objectType - 32, 6))
        }
        if let index = samplingFrequencyIndex(for: sampleRate) {
            fields.append((index, 4))
        } else {
            fields.append((0xF, 4)); fields.append((sampleRate, 24))
        }
        fields.append((configuration, 4))
        fields.append((0, 3))  // frameLengthFlag, dependsOnCoreCoder, extensionFlag
        var bytes: [UInt8] = []
        var accumulator: UInt64 = 0, pending = 0
        for field in fields {
            accumulator = accumulator << UInt64(field.bits) | UInt64(field.value)
            pending += field.bits
            while pending >= 8 {
                pending -= 8
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt64(pending)))
            }
        }
        if pending > 0 { bytes.append(UInt8(truncatingIfNeeded: accumulator << UInt64(8 - pending))) }
        return AudioSpecificConfig(bytes: bytes, objectType: objectType, sampleRate: sampleRate,
                                   channelCount: channelCount, samplesPerFrame: 1024)
    }
}
