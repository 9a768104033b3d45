import Media

/// Turns the payloads of RTMP audio and video messages (FLV tag bodies, legacy and enhanced RTMP)
/// into media events.
enum FLVMediaParser {
    /// FLV frame type 1: a keyframe (IDR for AVC, IRAP for HEVC).
    private static let keyFrame: UInt8 = 1
    /// FLV frame type 5: video info or command frame, which carries no picture.
    private static let commandFrame: UInt8 = 5

    // MARK: - Video

    /// The event in a video message; nil for payloads without media (empty, command frames, metadata).
    static func video(_ payload: [UInt8], decodeTime: Int64) throws(RTMPError) -> RTMPMediaEvent? {
        guard let first = payload.first else { return nil }
        if first & 0x80 != 0 { return try enhancedVideo(payload, decodeTime: decodeTime) }

        let frameType = first >> 4
        let codecID = first & 0x0F
        if frameType == commandFrame { return nil }
        let codec: RTMPCodec
        switch codecID {
        case 7: codec = .avc
        // Codec id 12 is not in the FLV spec but is how pre-enhanced-RTMP encoders and CDNs send HEVC.
        case 12: codec = .hevc
        default: throw .unsupportedCodec("video codec \(legacyVideoCodecName(codecID)) (FLV codec id \(codecID))")
        }
        guard payload.count >= 5 else {
            throw .malformedMedia("\(codec.rawValue) video tag of \(payload.count) bytes is shorter than its 5-byte header")
        }
        switch payload[1] {
        case 0:
            return .sequenceHeader(kind: .video, codec: codec, bytes: Array(payload[5...]))
        case 1:
            return frame(payload, dataStart: 5, frameType: frameType, cts: compositionTime(payload, at: 2),
                         decodeTime: decodeTime)
        case 2:
            return .endOfSequence(.video)
        default:
            throw .malformedMedia("\(codec.rawValue) video packet type \(payload[1]) is not 0, 1 or 2")
        }
    }

    private static func enhancedVideo(_ payload: [UInt8], decodeTime: Int64) throws(RTMPError) -> RTMPMediaEvent? {
        let frameType = (payload[0] >> 4) & 0x07
        let packetType = payload[0] & 0x0F
        // A command frame carries one command byte instead of media, unless it is metadata (ignored too).
        if frameType == commandFrame { return nil }
        guard payload.count >= 5 else {
            throw .malformedMedia("enhanced video tag of \(payload.count) bytes is shorter than its 5-byte header")
        }
        let fourCC = String(decoding: payload[1..<5], as: UTF8.self)
        let codec: RTMPCodec
        switch fourCC {
        case "avc1": codec = .avc
        case "hvc1": codec = .hevc
        default: throw .unsupportedCodec("enhanced video codec '\(printable(fourCC))'")
        }
        switch packetType {
        case 0:  // SequenceStart
            return .sequenceHeader(kind: .video, codec: codec, bytes: Array(payload[5...]))
        case 1:  // CodedFrames: 24-bit composition time, then the frame
            guard payload.count >= 8 else {
                throw .malformedMedia("enhanced video CodedFrames tag of \(payload.count) bytes has no composition time")
            }
            return frame(payload, dataStart: 8, frameType: frameType, cts: compositionTime(payload, at: 5),
                         decodeTime: decodeTime)
        case 2:  // SequenceEnd
            return .endOfSequence(.video)
        case 3:  // CodedFramesX: composition time 0
            return frame(payload, dataStart: 5, frameType: frameType, cts: 0, decodeTime: decodeTime)
        case 4:  // Metadata (HDR colour info): nothing the packager needs
            return nil
        default:
            throw .unsupportedCodec("enhanced video packet type \(packetType) (MPEG-2 TS sequence start, "
                                    + "multitrack and ModEx are not taken)")
        }
    }

    private static func frame(_ payload: [UInt8], dataStart: Int, frameType: UInt8, cts: Int32,
                              decodeTime: Int64) -> RTMPMediaEvent? {
        // Some encoders send empty frames (e.g. while paused); they carry nothing to package.
        guard payload.count > dataStart else { return nil }
        return .frame(MediaFrame(kind: .video, decodeTime: decodeTime, compositionOffset: cts,
                                 timescale: MediaTime.rtmpTimescale, isKeyframe: frameType == keyFrame,
                                 data: Array(payload[dataStart...])))
    }

    /// The signed 24-bit composition time offset (ms) at `index`; the caller checked the length.
    private static func compositionTime(_ payload: [UInt8], at index: Int) -> Int32 {
        let raw = Int32(payload[index]) << 16 | Int32(payload[index + 1]) << 8 | Int32(payload[index + 2])
        return (raw << 8) >> 8
    }

    // MARK: - Audio

    /// The event in an audio message; nil for payloads without media.
    static func audio(_ payload: [UInt8], decodeTime: Int64) throws(RTMPError) -> RTMPMediaEvent? {
        guard let first = payload.first else { return nil }
        let soundFormat = first >> 4
        switch soundFormat {
        case 10:  // AAC
            guard payload.count >= 2 else { throw .malformedMedia("AAC audio tag of 1 byte has no packet type") }
            switch payload[1] {
            case 0: return .sequenceHeader(kind: .audio, codec: .aac, bytes: Array(payload[2...]))
            case 1: return audioFrame(payload, dataStart: 2, decodeTime: decodeTime)
            default: throw .malformedMedia("AAC packet type \(payload[1]) is not 0 or 1")
            }
        case 9:  // enhanced RTMP audio: packet type in the low bits, then a FourCC
            let packetType = first & 0x0F
            guard payload.count >= 5 else {
                throw .malformedMedia("enhanced audio tag of \(payload.count) bytes is shorter than its 5-byte header")
            }
            let fourCC = String(decoding: payload[1..<5], as: UTF8.self)
            guard fourCC == "mp4a" else { throw .unsupportedCodec("enhanced audio codec '\(printable(fourCC))'") }
            switch packetType {
            case 0: return .sequenceHeader(kind: .audio, codec: .aac, bytes: Array(payload[5...]))
            case 1: return audioFrame(payload, dataStart: 5, decodeTime: decodeTime)
            case 2: return .endOfSequence(.audio)
            case 4: return nil  // MultichannelConfig: the AudioSpecificConfig already says it
            default: throw .unsupportedCodec("enhanced audio packet type \(packetType) (multitrack and ModEx are not taken)")
            }
        default:
            throw .unsupportedCodec("audio codec \(soundFormatName(soundFormat)) (FLV sound format \(soundFormat))")
        }
    }

    private static func audioFrame(_ payload: [UInt8], dataStart: Int, decodeTime: Int64) -> RTMPMediaEvent? {
        guard payload.count > dataStart else { return nil }
        return .frame(MediaFrame(kind: .audio, decodeTime: decodeTime, timescale: MediaTime.rtmpTimescale,
                                 isKeyframe: true, data: Array(payload[dataStart...])))
    }

    // MARK: - Names for error messages

    private static func legacyVideoCodecName(_ id: UInt8) -> String {
        switch id {
        case 1: return "JPEG"
        case 2: return "Sorenson H.263"
        case 3: return "Screen Video"
        case 4: return "On2 VP6"
        case 5: return "On2 VP6 with alpha"
        case 6: return "Screen Video 2"
        default: return "unknown"
        }
    }

    private static func soundFormatName(_ format: UInt8) -> String {
        switch format {
        case 0, 3: return "linear PCM"
        case 1: return "ADPCM"
        case 2, 14: return "MP3"
        case 4, 5, 6: return "Nellymoser"
        case 7: return "G.711 A-law"
        case 8: return "G.711 mu-law"
        case 11: return "Speex"
        default: return "device-specific"
        }
    }

    private static func printable(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
    }
}
