// AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1) reading and building.

extension AVCConfiguration {
    // MARK: - Parsing

    /// Parses an `avcC` payload (FLV AVC sequence header, MP4 sample entry) and its first SPS.
    public init(record: [UInt8]) throws(MediaParseError) {
        var reader = ByteReader(record)
        let version = try reader.readUInt8()
        guard version == 1 else {
            throw .unsupported("AVCDecoderConfigurationRecord version \(version) (only version 1 exists)")
        }
        let profile = try reader.readUInt8()
        let compatibility = try reader.readUInt8()
        let level = try reader.readUInt8()
        let lengthSize = Int(try reader.readUInt8() & 0x03) + 1
        guard lengthSize != 3 else { throw .invalid("avcC: lengthSizeMinusOne is 2 (NAL length prefixes are 1, 2 or 4 bytes)") }

        let spsCount = Int(try reader.readUInt8() & 0x1F)
        var spsList: [[UInt8]] = []
        for _ in 0..<spsCount {
            let length = Int(try reader.readUInt16())
            spsList.append(Array(try reader.readBytes(length)))
        }
        let ppsCount = Int(try reader.readUInt8())
        var ppsList: [[UInt8]] = []
        for _ in 0..<ppsCount {
            let length = Int(try reader.readUInt16())
            ppsList.append(Array(try reader.readBytes(length)))
        }
        // The High-profile tail (chroma format, bit depths, SPS extensions) repeats what the SPS says
        // and many encoders omit it, so it is not read.

        guard let firstSPS = spsList.first else {
            throw .invalid("avcC carries no sequence parameter set; the encoder must send SPS and PPS")
        }
        guard !ppsList.isEmpty else {
            throw .invalid("avcC carries no picture parameter set; the encoder must send SPS and PPS")
        }
        let sps = try H264SequenceParameterSet(nalUnit: firstSPS)
        self.init(record: record, profileIndication: profile, profileCompatibility: compatibility,
                  levelIndication: level, nalUnitLengthSize: lengthSize,
                  sequenceParameterSets: spsList, pictureParameterSets: ppsList,
                  width: sps.width, height: sps.height, sarWidth: sps.sarWidth, sarHeight: sps.sarHeight,
                  frameRate: sps.frameRate)
    }

    /// The first SPS, parsed again (the record is what is stored; this is for callers that need more fields).
    public func parsedSequenceParameterSet() throws(MediaParseError) -> H264SequenceParameterSet {
        guard let first = sequenceParameterSets.first else { throw .invalid("avcC carries no sequence parameter set") }
        return try H264SequenceParameterSet(nalUnit: first)
    }

    // MARK: - Building

    /// Builds the record from parameter sets found in an Annex-B stream (NAL headers included).
    public init(sequenceParameterSets: [[UInt8]], pictureParameterSets: [[UInt8]],
                nalUnitLengthSize: Int = 4) throws(MediaParseError) {
        guard let first = sequenceParameterSets.first else { throw .invalid("H.264 stream has no SPS before its first picture") }
        guard !pictureParameterSets.isEmpty else { throw .invalid("H.264 stream has no PPS before its first picture") }
        guard sequenceParameterSets.count <= 31, pictureParameterSets.count <= 255 else {
            throw .invalid("too many H.264 parameter sets for one avcC (\(sequenceParameterSets.count) SPS, \(pictureParameterSets.count) PPS)")
        }
        guard [1, 2, 4].contains(nalUnitLengthSize) else { throw .invalid("NAL unit length size \(nalUnitLengthSize)") }
        for set in sequenceParameterSets + pictureParameterSets where set.count > Int(UInt16.max) {
            throw .invalid("H.264 parameter set of \(set.count) bytes does not fit avcC")
        }
        let sps = try H264SequenceParameterSet(nalUnit: first)

        var writer = ByteWriter(capacity: 16 + first.count + pictureParameterSets.reduce(0) { $0 + $1.count + 2 })
        writer.write(UInt8(1))
        writer.write(sps.profileIDC)
        writer.write(sps.constraintFlags)
        writer.write(sps.levelIDC)
        writer.write(UInt8(0xFC | (nalUnitLengthSize - 1)))
        writer.write(UInt8(0xE0 | sequenceParameterSets.count))
        for set in sequenceParameterSets {
            writer.write(UInt16(set.count))
            writer.write(contentsOf: set)
        }
        writer.write(UInt8(pictureParameterSets.count))
        for set in pictureParameterSets {
            writer.write(UInt16(set.count))
            writer.write(contentsOf: set)
        }
        // Current editions of ISO/IEC 14496-15 require the tail for every profile but Baseline, Main and Extended.
        if !Self.profilesWithoutRecordTail.contains(sps.profileIDC) {
            writer.write(UInt8(0xFC | UInt8(sps.chromaFormatIDC)))
            writer.write(UInt8(0xF8 | UInt8(sps.bitDepthLuma - 8)))
            writer.write(UInt8(0xF8 | UInt8(sps.bitDepthChroma - 8)))
            writer.write(UInt8(0))  // numOfSequenceParameterSetExt
        }
        try self.init(record: writer.bytes)
    }

    /// Builds the record from one SPS and one PPS (NAL headers included).
    public init(sps: [UInt8], pps: [UInt8]) throws(MediaParseError) {
        try self.init(sequenceParameterSets: [sps], pictureParameterSets: [pps])
    }

    /// Same as ``init(sps:pps:)``.
    public static func from(sps: [UInt8], pps: [UInt8]) throws(MediaParseError) -> AVCConfiguration {
        try AVCConfiguration(sps: sps, pps: pps)
    }

    static let profilesWithoutRecordTail: Set<UInt8> = [66, 77, 88]
}
