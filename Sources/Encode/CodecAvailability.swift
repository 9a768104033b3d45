import CFFmpeg

/// Which codecs this machine's libavcodec build has: the software path needs `libx264`, `aac` and the
/// `h264`/`aac` decoders; the GPU path `h264_vaapi`/`hevc_vaapi`.
public enum CodecAvailability {
    public static func hasEncoder(_ name: String) -> Bool { avcodec_find_encoder_by_name(name) != nil }
    public static func hasDecoder(_ name: String) -> Bool { avcodec_find_decoder_by_name(name) != nil }

    /// libavcodec's version as `major.minor.micro`.
    public static var libavcodecVersion: String {
        let v = avcodec_version()
        return "\(v >> 16).\((v >> 8) & 0xff).\(v & 0xff)"
    }
}
