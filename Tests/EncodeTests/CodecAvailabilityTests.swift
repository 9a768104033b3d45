import Encode
import Testing

/// The software path's codecs must be in the libavcodec the build links (Debian's is built with libx264).
@Test func softwarePathCodecsAreLinked() {
    #expect(CodecAvailability.hasEncoder("libx264"))
    #expect(CodecAvailability.hasEncoder("aac"))
    #expect(CodecAvailability.hasDecoder("h264"))
    #expect(CodecAvailability.hasDecoder("aac"))
    #expect(!CodecAvailability.hasEncoder("no-such-encoder"))
    #expect(CodecAvailability.libavcodecVersion.hasPrefix("59."))
}
