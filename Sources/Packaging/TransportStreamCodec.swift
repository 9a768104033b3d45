// Per-codec rules for carrying CMAF samples in MPEG-2 TS (ISO/IEC 13818-1 Table 2-34, ISO/IEC 14496-3 §1.A.2):
// the stream type, the PES stream id, and how one access unit becomes PES payload bytes.

import ISOBMFF
import Media

/// How one codec's samples travel in a transport stream: built from the track's codec configuration.
struct TransportStreamCodec: Sendable {
    enum Framing: Sendable {
        /// H.264 / H.265: MP4 length-prefixed NAL units become an Annex-B byte stream; every access unit starts with
        /// an access unit delimiter and every random access point carries the parameter sets.
        case annexB(lengthSize: Int, delimiter: [UInt8], parameterSets: [[UInt8]], isParameterSet: @Sendable (ArraySlice<UInt8>) -> Bool,
                    isDelimiter: @Sendable (ArraySlice<UInt8>) -> Bool)
        /// AAC: each raw access unit gets a 7-byte ADTS header (no CRC).
        case adts(ADTSHeader)
    }

    /// `stream_type` in the PMT.
    let streamType: UInt8
    /// PES `stream_id`: 0xE0 (video stream 0) or 0xC0 (audio stream 0).
    let streamID: UInt8
    let framing: Framing
    /// The PMT's descriptors for the stream (ES_info): SAMPLE-AES signalling, else none.
    let descriptors: [UInt8]
    let sampleEncryption: TransportStreamSampleEncryption?

    static let startCode: [UInt8] = [0, 0, 0, 1]

    init(_ track: TrackInfo, sampleEncryption: TransportStreamSampleEncryption? = nil) throws(PackagingError) {
        self.sampleEncryption = sampleEncryption
        switch track.codec {
        case .avc(let c):
            let encrypted = sampleEncryption != nil
            streamType = encrypted ? TransportStreamSampleEncryption.videoStreamType : 0x1B
            descriptors = encrypted ? TransportStreamSampleEncryption.videoDescriptors : []
            streamID = 0xE0
            // primary_pic_type 7 (any slice type) and the RBSP stop bit.
            framing = .annexB(lengthSize: c.nalUnitLengthSize, delimiter: [NALUnit.AVCType.accessUnitDelimiter, 0xF0],
                              parameterSets: c.sequenceParameterSets + c.pictureParameterSets,
                              isParameterSet: { unit in
                                  let type = NALUnit.avcType(unit)
                                  return type == NALUnit.AVCType.sequenceParameterSet || type == NALUnit.AVCType.pictureParameterSet
                              },
                              isDelimiter: { NALUnit.avcType($0) == NALUnit.AVCType.accessUnitDelimiter })
        case .hevc(let c):
            if sampleEncryption != nil {
                throw PackagingError(.unsupportedCodec, "track '\(track.name)' is HEVC, which SAMPLE-AES of MPEG-TS does not cover "
                                     + "(H.264 and AAC only); use format=m3u8-cmaf,encryption=cbcs-aapl")
            }
            streamType = 0x24
            descriptors = []
            streamID = 0xE0
            // NAL header of type 35 (nuh_layer_id 0, nuh_temporal_id_plus1 1), pic_type 2 and the stop bit.
            framing = .annexB(lengthSize: c.nalUnitLengthSize, delimiter: [NALUnit.HEVCType.accessUnitDelimiter << 1, 0x01, 0x50],
                              parameterSets: try Self.hevcParameterSets(c.record, track: track),
                              isParameterSet: { unit in
                                  guard let type = NALUnit.hevcType(unit) else { return false }
                                  return (NALUnit.HEVCType.videoParameterSet...NALUnit.HEVCType.pictureParameterSet).contains(type)
                              },
                              isDelimiter: { NALUnit.hevcType($0) == NALUnit.HEVCType.accessUnitDelimiter })
        case .aac(let c):
            let encrypted = sampleEncryption != nil
            streamType = encrypted ? TransportStreamSampleEncryption.aacStreamType : 0x0F
            descriptors = encrypted ? TransportStreamSampleEncryption.audioDescriptors(c) : []
            streamID = 0xC0
            framing = .adts(try ADTSHeader(c, track: track))
        }
    }

    var isVideo: Bool { streamID == 0xE0 }

    /// The PES payload of one access unit, as slices of the sample and small constant pieces (nothing copied but the
    /// NAL units and frames SAMPLE-AES rewrites).
    func payload(_ sample: FragmentSample, track: TrackInfo) throws(PackagingError) -> [ArraySlice<UInt8>] {
        switch framing {
        case let .annexB(lengthSize, delimiter, parameterSets, isParameterSet, isDelimiter):
            let units: [ArraySlice<UInt8>]
            do {
                units = try NALUnit.lengthPrefixed(sample.data, lengthSize: lengthSize)
            } catch {
                throw PackagingError(.invalidMedia, "a sample of track '\(track.name)' at \(sample.decodeTime) is not "
                                     + "length-prefixed NAL units: \(error)")
            }
            var chunks: [ArraySlice<UInt8>] = [Self.startCode[...], delimiter[...]]
            chunks.reserveCapacity(2 + 2 * (units.count + parameterSets.count))
            if sample.isSync && !units.contains(where: isParameterSet) {
                for set in parameterSets {
                    chunks.append(Self.startCode[...])
                    chunks.append(set[...])
                }
            }
            for unit in units where !unit.isEmpty && !isDelimiter(unit) {
                chunks.append(Self.startCode[...])
                chunks.append(sampleEncryption?.nalUnit(unit)?[...] ?? unit)
            }
            return chunks
        case .adts(let header):
            guard let bytes = header.bytes(payloadSize: sample.data.count) else {
                throw PackagingError(.invalidMedia, "an AAC frame of \(sample.data.count) bytes in track '\(track.name)' at "
                                     + "\(sample.decodeTime) is larger than ADTS can frame (8184 bytes)")
            }
            return [bytes[...], sampleEncryption?.aacFrame(sample.data)?[...] ?? sample.data]
        }
    }

    /// VPS, SPS and PPS from an `hvcC` record, in that order.
    static func hevcParameterSets(_ record: [UInt8], track: TrackInfo) throws(PackagingError) -> [[UInt8]] {
        var reader = ByteReader(record)
        var found: [UInt8: [[UInt8]]] = [:]
        do {
            try reader.skip(22)
            let arrayCount = Int(try reader.readUInt8())
            for _ in 0..<arrayCount {
                let type = try reader.readUInt8() & 0x3F
                let count = Int(try reader.readUInt16())
                for _ in 0..<count {
                    let length = Int(try reader.readUInt16())
                    found[type, default: []].append(Array(try reader.readBytes(length)))
                }
            }
        } catch {
            throw PackagingError(.invalidMedia, "the hvcC record of track '\(track.name)' is malformed: \(error)")
        }
        return [NALUnit.HEVCType.videoParameterSet, NALUnit.HEVCType.sequenceParameterSet, NALUnit.HEVCType.pictureParameterSet]
            .flatMap { found[$0] ?? [] }
    }
}

/// The fixed part of an ADTS header (ISO/IEC 14496-3 §1.A.2.2) for one AudioSpecificConfig.
struct ADTSHeader: Sendable, Hashable {
    /// `profile_ObjectType`: audio object type − 1 (AAC Main 0, LC 1, SSR 2, LTP 3).
    let profile: UInt8
    let samplingFrequencyIndex: UInt8
    let channelConfiguration: UInt8

    /// Reads the object type, rate and channel layout from the config's bits. HE-AAC (SBR, PS) is signalled
    /// implicitly, as ADTS has no field for it: the AAC core's profile and rate, and PS's mono core.
    init(_ config: AudioSpecificConfig, track: TrackInfo) throws(PackagingError) {
        let fields: (objectType: Int, rate: Int?, frequencyIndex: Int, channels: Int)
        do {
            fields = try Self.fields(config.bytes)
        } catch {
            throw PackagingError(.invalidMedia, "the AudioSpecificConfig of track '\(track.name)' is malformed: \(error)")
        }
        if let rate = fields.rate {
            throw PackagingError(.unsupportedCodec, "track '\(track.name)' samples at \(rate) Hz, which ADTS cannot signal; "
                                 + "use format=m3u8-cmaf")
        }
        guard (1...4).contains(fields.objectType) else {
            throw PackagingError(.unsupportedCodec, "track '\(track.name)' is MPEG-4 audio object type \(fields.objectType); "
                                 + "ADTS (MPEG-2 TS) carries AAC Main, LC, SSR and LTP only; use format=m3u8-cmaf")
        }
        guard (1...7).contains(fields.channels) else {
            throw PackagingError(.unsupportedCodec, "track '\(track.name)' has AAC channel configuration \(fields.channels), "
                                 + "which ADTS cannot signal; use format=m3u8-cmaf")
        }
        profile = UInt8(fields.objectType - 1)
        samplingFrequencyIndex = UInt8(fields.frequencyIndex)
        channelConfiguration = UInt8(fields.channels)
    }

    /// The core object type, the sampling frequency index (or the explicit rate when it has no index) and the
    /// channel configuration.
    private static func fields(_ bytes: [UInt8]) throws(MediaParseError) -> (objectType: Int, rate: Int?, frequencyIndex: Int, channels: Int) {
        var bits = BitReader(bytes)
        var objectType = try objectType(&bits)
        var frequencyIndex = Int(try bits.readBits(4))
        var unsignalledRate: Int?
        if frequencyIndex == 0xF {
            let rate = Int(try bits.readBits(24))
            if let index = AudioSpecificConfig.samplingFrequencyIndex(for: rate) { frequencyIndex = index } else { unsignalledRate = rate }
        }
        let channels = Int(try bits.readBits(4))
        if objectType == 5 || objectType == 29 {
            if try bits.readBits(4) == 0xF { _ = try bits.readBits(24) }
            objectType = try Self.objectType(&bits)
        }
        return (objectType, unsignalledRate, frequencyIndex, channels)
    }

    private static func objectType(_ bits: inout BitReader) throws(MediaParseError) -> Int {
        let type = Int(try bits.readBits(5))
        return type == 31 ? 32 + Int(try bits.readBits(6)) : type
    }

    static let size = 7
    static let maximumFrameLength = 0x1FFF

    /// The header for a raw frame of `payloadSize` bytes; nil when the frame is too large for the 13-bit length.
    func bytes(payloadSize: Int) -> [UInt8]? {
        let length = payloadSize + Self.size
        guard length <= Self.maximumFrameLength else { return nil }
        return [
            0xFF,
            0xF1,  // sync, MPEG-4, layer 0, no CRC
            profile << 6 | samplingFrequencyIndex << 2 | channelConfiguration >> 2,
            (channelConfiguration & 3) << 6 | UInt8(length >> 11),
            UInt8(truncatingIfNeeded: length >> 3),
            UInt8(truncatingIfNeeded: length & 7) << 5 | 0x1F,
            0xFC,  // buffer fullness 0x7FF (variable rate), one raw data block
        ]
    }
}
