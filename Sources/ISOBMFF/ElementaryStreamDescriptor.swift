import Media

/// The MPEG-4 ES_Descriptor carried in `esds` (ISO/IEC 14496-1 §7.2.6.5, ISO/IEC 14496-14 §3.1.2) for AAC.
public enum ElementaryStreamDescriptor {
    static let esDescriptorTag: UInt8 = 0x03
    static let decoderConfigTag: UInt8 = 0x04
    static let decoderSpecificInfoTag: UInt8 = 0x05
    static let slConfigTag: UInt8 = 0x06
    /// objectTypeIndication for MPEG-4 Audio (ISO/IEC 14496-3).
    static let mpeg4Audio: UInt8 = 0x40
    /// streamType 5 (audio) << 2, upStream 0, reserved 1.
    static let audioStreamByte: UInt8 = 0x15

    // MARK: - Writing

    /// The `esds` payload after version/flags: ES_Descriptor → DecoderConfigDescriptor (with the
    /// AudioSpecificConfig) and SLConfigDescriptor (predefined 2, as MP4 files require).
    public static func bytes(audioSpecificConfig: [UInt8], bitrate: Int, bufferSize: Int) -> [UInt8] {
        let decoderSpecificInfo = descriptor(decoderSpecificInfoTag, audioSpecificConfig)
        var config: [UInt8] = [mpeg4Audio, audioStreamByte]
        let clampedBuffer = UInt32(clamping: max(0, bufferSize)) & 0x00FF_FFFF
        config += [UInt8(truncatingIfNeeded: clampedBuffer >> 16), UInt8(truncatingIfNeeded: clampedBuffer >> 8),
                   UInt8(truncatingIfNeeded: clampedBuffer)]
        let rate = UInt32(clamping: max(0, bitrate))
        config += bigEndian(rate) + bigEndian(rate)  // maxBitrate, avgBitrate
        config += decoderSpecificInfo
        // ES_ID 0 (set from the track when streamed), no dependence, URL or OCR, priority 0.
        let es: [UInt8] = [0x00, 0x00, 0x00] + descriptor(decoderConfigTag, config) + descriptor(slConfigTag, [0x02])
        return descriptor(esDescriptorTag, es)
    }

    /// A descriptor: tag, expandable size (7 bits per byte, high bit = more), body.
    static func descriptor(_ tag: UInt8, _ body: [UInt8]) -> [UInt8] {
        var size: [UInt8] = [UInt8(body.count & 0x7F)]
        var rest = body.count >> 7
        while rest > 0 {
            size.insert(UInt8(rest & 0x7F) | 0x80, at: 0)
            rest >>= 7
        }
        return [tag] + size + body
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8),
         UInt8(truncatingIfNeeded: v)]
    }

    // MARK: - Reading

    /// The AudioSpecificConfig inside an `esds` box payload (version/flags included), for fMP4 ingest.
    public static func audioSpecificConfig(esdsPayload: ArraySlice<UInt8>) throws(MediaParseError) -> [UInt8] {
        var reader = ByteReader(esdsPayload)
        try reader.skip(4)  // version, flags
        var es = try readDescriptor(&reader, expecting: esDescriptorTag)
        try es.skip(2)  // ES_ID
        let esFlags = try es.readUInt8()
        if esFlags & 0x80 != 0 { try es.skip(2) }  // dependsOn_ES_ID
        if esFlags & 0x40 != 0 { try es.skip(Int(try es.readUInt8())) }  // URL
        if esFlags & 0x20 != 0 { try es.skip(2) }  // OCR_ES_Id
        var config = try readDescriptor(&es, expecting: decoderConfigTag)
        let objectType = try config.readUInt8()
        guard objectType == mpeg4Audio else {
            throw .unsupported("esds objectTypeIndication 0x\(String(objectType, radix: 16)); only MPEG-4 Audio (0x40) is supported")
        }
        try config.skip(1 + 3 + 4 + 4)  // stream type, buffer size, max and average bitrate
        var info = try readDescriptor(&config, expecting: decoderSpecificInfoTag)
        return Array(info.readRemaining())
    }

    private static func readDescriptor(_ reader: inout ByteReader, expecting tag: UInt8) throws(MediaParseError) -> ByteReader {
        let found = try reader.readUInt8()
        guard found == tag else {
            throw .invalid("esds: expected descriptor tag \(tag), found \(found)")
        }
        var size = 0
        for index in 0..<4 {
            let byte = try reader.readUInt8()
            size = size << 7 | Int(byte & 0x7F)
            if byte & 0x80 == 0 { break }
            guard index < 3 else { throw .invalid("esds: descriptor size longer than 4 bytes") }
        }
        return ByteReader(try reader.readBytes(size))
    }
}
