// Codable for the track model, so archives can persist a track's description next to its fragments.
//
// Every field is written explicitly (not re-derived from the codec record on decode) so a value read
// back is equal in every member to the one written, even for records a parser would reject.

// MARK: - TrackInfo

extension TrackInfo: Codable {
    enum CodingKeys: String, CodingKey {
        case trackID, kind, name, timescale, codec, bitrate, language
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(trackID: try c.decode(UInt32.self, forKey: .trackID),
                  kind: try c.decode(MediaKind.self, forKey: .kind),
                  name: try c.decode(String.self, forKey: .name),
                  timescale: try c.decode(UInt32.self, forKey: .timescale),
                  codec: try c.decode(CodecConfiguration.self, forKey: .codec),
                  bitrate: try c.decode(Int.self, forKey: .bitrate),
                  language: try c.decodeIfPresent(String.self, forKey: .language) ?? "und")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(trackID, forKey: .trackID)
        try c.encode(kind, forKey: .kind)
        try c.encode(name, forKey: .name)
        try c.encode(timescale, forKey: .timescale)
        try c.encode(codec, forKey: .codec)
        try c.encode(bitrate, forKey: .bitrate)
        try c.encode(language, forKey: .language)
    }
}

// MARK: - CodecConfiguration

extension CodecConfiguration: Codable {
    enum CodingKeys: String, CodingKey {
        case avc, hevc, aac
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let avc = try c.decodeIfPresent(AVCConfiguration.self, forKey: .avc) {
            self = .avc(avc)
        } else if let hevc = try c.decodeIfPresent(HEVCConfiguration.self, forKey: .hevc) {
            self = .hevc(hevc)
        } else if let aac = try c.decodeIfPresent(AudioSpecificConfig.self, forKey: .aac) {
            self = .aac(aac)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "codec configuration has none of avc, hevc, aac"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .avc(let avc): try c.encode(avc, forKey: .avc)
        case .hevc(let hevc): try c.encode(hevc, forKey: .hevc)
        case .aac(let aac): try c.encode(aac, forKey: .aac)
        }
    }
}

// MARK: - AVCConfiguration

extension AVCConfiguration: Codable {
    enum CodingKeys: String, CodingKey {
        case record, profileIndication, profileCompatibility, levelIndication, nalUnitLengthSize
        case sequenceParameterSets, pictureParameterSets, width, height, sarWidth, sarHeight, frameRate
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(record: try c.decode([UInt8].self, forKey: .record),
                  profileIndication: try c.decode(UInt8.self, forKey: .profileIndication),
                  profileCompatibility: try c.decode(UInt8.self, forKey: .profileCompatibility),
                  levelIndication: try c.decode(UInt8.self, forKey: .levelIndication),
                  nalUnitLengthSize: try c.decode(Int.self, forKey: .nalUnitLengthSize),
                  sequenceParameterSets: try c.decode([[UInt8]].self, forKey: .sequenceParameterSets),
                  pictureParameterSets: try c.decode([[UInt8]].self, forKey: .pictureParameterSets),
                  width: try c.decode(Int.self, forKey: .width),
                  height: try c.decode(Int.self, forKey: .height),
                  sarWidth: try c.decode(Int.self, forKey: .sarWidth),
                  sarHeight: try c.decode(Int.self, forKey: .sarHeight),
                  frameRate: try c.decodeIfPresent(Double.self, forKey: .frameRate))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(record, forKey: .record)
        try c.encode(profileIndication, forKey: .profileIndication)
        try c.encode(profileCompatibility, forKey: .profileCompatibility)
        try c.encode(levelIndication, forKey: .levelIndication)
        try c.encode(nalUnitLengthSize, forKey: .nalUnitLengthSize)
        try c.encode(sequenceParameterSets, forKey: .sequenceParameterSets)
        try c.encode(pictureParameterSets, forKey: .pictureParameterSets)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(sarWidth, forKey: .sarWidth)
        try c.encode(sarHeight, forKey: .sarHeight)
        try c.encodeIfPresent(frameRate, forKey: .frameRate)
    }
}

// MARK: - HEVCConfiguration

extension HEVCConfiguration: Codable {
    enum CodingKeys: String, CodingKey {
        case record, generalProfileSpace, generalTierFlag, generalProfileIDC, generalProfileCompatibilityFlags
        case generalConstraintIndicatorFlags, generalLevelIDC, nalUnitLengthSize, width, height
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(record: try c.decode([UInt8].self, forKey: .record),
                  generalProfileSpace: try c.decode(UInt8.self, forKey: .generalProfileSpace),
                  generalTierFlag: try c.decode(Bool.self, forKey: .generalTierFlag),
                  generalProfileIDC: try c.decode(UInt8.self, forKey: .generalProfileIDC),
                  generalProfileCompatibilityFlags: try c.decode(UInt32.self, forKey: .generalProfileCompatibilityFlags),
                  generalConstraintIndicatorFlags: try c.decode(UInt64.self, forKey: .generalConstraintIndicatorFlags),
                  generalLevelIDC: try c.decode(UInt8.self, forKey: .generalLevelIDC),
                  nalUnitLengthSize: try c.decode(Int.self, forKey: .nalUnitLengthSize),
                  width: try c.decode(Int.self, forKey: .width),
                  height: try c.decode(Int.self, forKey: .height))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(record, forKey: .record)
        try c.encode(generalProfileSpace, forKey: .generalProfileSpace)
        try c.encode(generalTierFlag, forKey: .generalTierFlag)
        try c.encode(generalProfileIDC, forKey: .generalProfileIDC)
        try c.encode(generalProfileCompatibilityFlags, forKey: .generalProfileCompatibilityFlags)
        try c.encode(generalConstraintIndicatorFlags, forKey: .generalConstraintIndicatorFlags)
        try c.encode(generalLevelIDC, forKey: .generalLevelIDC)
        try c.encode(nalUnitLengthSize, forKey: .nalUnitLengthSize)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
    }
}

// MARK: - AudioSpecificConfig

extension AudioSpecificConfig: Codable {
    enum CodingKeys: String, CodingKey {
        case bytes, objectType, sampleRate, channelCount, samplesPerFrame
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(bytes: try c.decode([UInt8].self, forKey: .bytes),
                  objectType: try c.decode(Int.self, forKey: .objectType),
                  sampleRate: try c.decode(Int.self, forKey: .sampleRate),
                  channelCount: try c.decode(Int.self, forKey: .channelCount),
                  samplesPerFrame: try c.decodeIfPresent(Int.self, forKey: .samplesPerFrame) ?? 1024)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(objectType, forKey: .objectType)
        try c.encode(sampleRate, forKey: .sampleRate)
        try c.encode(channelCount, forKey: .channelCount)
        try c.encode(samplesPerFrame, forKey: .samplesPerFrame)
    }
}
