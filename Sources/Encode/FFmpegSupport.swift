import CFFmpeg

// The few FFmpeg macros Swift cannot import (function-like or cast-based), and small helpers every codec
// wrapper in this target shares.

enum AVCode {
    /// `AVERROR(EAGAIN)`: feed more input, or take output first.
    static let again: Int32 = -11
    /// `AVERROR_EOF`: the codec is drained.
    static let endOfFile: Int32 = -0x2046_4F45  // -MKTAG('E','O','F',' ')
    /// `AV_NOPTS_VALUE`.
    static let noTimestamp = Int64.min
    /// libavcodec's extradata and packet padding.
    static let inputPadding = Int(AV_INPUT_BUFFER_PADDING_SIZE)
    /// The time base of every video timestamp inside the worker and of its video outputs.
    static let videoTimescale: Int64 = 90_000
}

/// `av_err2str`: the message for an FFmpeg error code.
func avErrorString(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 128)
    if av_strerror(code, &buffer, buffer.count) < 0 { return "error \(code)" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// `value` from `timescale` ticks into `target` ticks, rounding to nearest, without overflow.
func rescale(_ value: Int64, from timescale: Int64, to target: Int64) -> Int64 {
    guard timescale != target else { return value }
    return av_rescale(value, target, timescale)
}

/// `floor(a / b)` for a positive `b`.
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && a < 0) ? q - 1 : q
}

/// Copies `bytes` into a libavcodec-owned, zero-padded buffer (for `extradata`).
func avCopy(_ bytes: [UInt8]) -> UnsafeMutablePointer<UInt8>? {
    guard let raw = av_mallocz(bytes.count + AVCode.inputPadding) else { return nil }
    let pointer = raw.assumingMemoryBound(to: UInt8.self)
    bytes.withUnsafeBufferPointer { source in
        if let base = source.baseAddress { pointer.update(from: base, count: source.count) }
    }
    return pointer
}

/// The bytes of a codec context's extradata.
func extradata(of context: UnsafeMutablePointer<AVCodecContext>) -> [UInt8] {
    guard let data = context.pointee.extradata, context.pointee.extradata_size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: Int(context.pointee.extradata_size)))
}

/// The bytes of a packet.
func bytes(of packet: UnsafeMutablePointer<AVPacket>) -> [UInt8] {
    guard let data = packet.pointee.data, packet.pointee.size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: Int(packet.pointee.size)))
}

/// Fills `packet` with a copy of `data` (padded, reference-counted).
func fill(_ packet: UnsafeMutablePointer<AVPacket>, with data: [UInt8]) -> Bool {
    av_packet_unref(packet)
    guard av_new_packet(packet, Int32(clamping: data.count)) >= 0 else { return false }
    data.withUnsafeBufferPointer { source in
        if let base = source.baseAddress, let destination = packet.pointee.data { destination.update(from: base, count: source.count) }
    }
    return true
}

/// Sets the options on the codec's private (codec-specific) options first and then on the codec context, the order
/// `avcodec_open2` uses: a private option shadows the generic one of the same name (libx264's and h264_vaapi's
/// `profile` take names such as `high`, the generic `profile` only numbers). Returns the options neither takes,
/// for a log line.
func applyOptions(_ options: [(String, String)], to context: UnsafeMutablePointer<AVCodecContext>) -> [String] {
    var unknown: [String] = []
    for (key, value) in options {
        if let priv = context.pointee.priv_data, av_opt_set(priv, key, value, 0) >= 0 { continue }
        if av_opt_set(context, key, value, 0) >= 0 { continue }
        unknown.append("\(key)=\(value)")
    }
    return unknown
}

/// An `AVRational` close to `value` (30000/1001 for 29.97).
func rational(_ value: Double) -> AVRational {
    guard value.isFinite, value > 0, value < 1_000_000 else { return AVRational(num: 0, den: 1) }
    if abs(value - value.rounded()) < 0.001 { return AVRational(num: Int32(value.rounded()), den: 1) }
    let ntsc = value * 1001 / 1000
    if abs(ntsc - ntsc.rounded()) < 0.001 { return AVRational(num: Int32(ntsc.rounded()) * 1000, den: 1001) }
    return av_d2q(value, 1 << 16)
}

/// Owns one `AVFrame`.
final class FrameBox {
    let frame: UnsafeMutablePointer<AVFrame>

    init() throws(EncodeError) {
        guard let frame = av_frame_alloc() else { throw .outOfMemory("a frame") }
        self.frame = frame
    }

    /// Takes ownership of `frame`.
    init(owning frame: UnsafeMutablePointer<AVFrame>) {
        self.frame = frame
    }

    deinit {
        var f: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&f)
    }
}

/// Owns one `AVPacket`.
final class PacketBox {
    let packet: UnsafeMutablePointer<AVPacket>

    init() throws(EncodeError) {
        guard let packet = av_packet_alloc() else { throw .outOfMemory("a packet") }
        self.packet = packet
    }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&p)
    }
}

/// Rate-limits a repeated log line: the first few, then one in every `every`.
struct LogThrottle {
    private(set) var count = 0
    var first = 5
    var every = 100

    mutating func shouldLog() -> Bool {
        count += 1
        return count <= first || count % every == 0
    }
}
