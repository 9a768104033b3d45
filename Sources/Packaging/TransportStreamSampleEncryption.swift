// HLS SAMPLE-AES in MPEG-2 TS segments (Apple, "MPEG-2 Stream Encryption Format for HTTP Live Streaming"): what the
// transport stream itself must say (§3: stream types and PMT descriptors; §2.3.4: the audio setup information) and the
// points where the muxer hands each protected block to a cipher it does not know. The cipher is Protection's
// `SampleAES`; the origin joins the two, so Packaging stays free of cryptography and Protection of TS framing.

import Media

/// SAMPLE-AES of one elementary stream: the muxer passes each H.264 NAL unit and each raw AAC frame through these
/// hooks and signals the stream as encrypted in the PMT.
public struct TransportStreamSampleEncryption: Sendable {
    /// One H.264 NAL unit as stored (emulation prevention applied, no start code) → its protected bytes, or nil to
    /// write it unchanged. Parameter sets the muxer inserts at random access points are never passed.
    public var nalUnit: @Sendable (ArraySlice<UInt8>) -> [UInt8]?
    /// One raw AAC frame (the ADTS header stays clear and is not passed) → its protected bytes of the same length, or
    /// nil to write it unchanged.
    public var aacFrame: @Sendable (ArraySlice<UInt8>) -> [UInt8]?

    public init(nalUnit: @escaping @Sendable (ArraySlice<UInt8>) -> [UInt8]?,
                aacFrame: @escaping @Sendable (ArraySlice<UInt8>) -> [UInt8]?) {
        self.nalUnit = nalUnit
        self.aacFrame = aacFrame
    }

    // MARK: - Signalling (§3)

    /// `stream_type` of SAMPLE-AES H.264.
    static let videoStreamType: UInt8 = 0xDB
    /// `stream_type` of SAMPLE-AES AAC in ADTS.
    static let aacStreamType: UInt8 = 0xCF

    /// ISO/IEC 13818-1 §2.6.28 `private_data_indicator_descriptor` (tag 15) with a four-character indicator.
    static func privateDataIndicator(_ fourCC: String) -> [UInt8] {
        [0x0F, 4] + Array(fourCC.utf8)
    }

    /// The descriptors of a SAMPLE-AES H.264 stream: the `zavc` private data indicator.
    static let videoDescriptors = privateDataIndicator("zavc")

    /// The descriptors of a SAMPLE-AES AAC stream: the `aacd` private data indicator, then a `registration_descriptor`
    /// (tag 5, §2.6.8) whose format identifier `apad` is followed by the audio setup information (§2.3.4): audio type
    /// (`zaac` AAC-LC, `zach` HE-AAC, `zacp` HE-AAC v2), priming (16 bits, 0: the segments carry every frame as
    /// stored, with no edit to trim), version 1, and the AudioSpecificConfig as setup data.
    static func audioDescriptors(_ config: AudioSpecificConfig) -> [UInt8] {
        let audioType: String
        switch config.bytes.first.map({ $0 >> 3 }) {
        case 5: audioType = "zach"   // explicit SBR
        case 29: audioType = "zacp"  // explicit PS
        default: audioType = "zaac"
        }
        var setup = Array(audioType.utf8) + [0, 0, 1, UInt8(truncatingIfNeeded: config.bytes.count)]
        setup += config.bytes
        let registration = [0x05, UInt8(truncatingIfNeeded: 4 + setup.count)] + Array("apad".utf8) + setup
        return privateDataIndicator("aacd") + registration
    }
}
