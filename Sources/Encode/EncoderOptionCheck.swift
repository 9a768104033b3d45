import CFFmpeg
import EncodeModel
import Foundation

/// Confirms a hardware profile's encoder options against the libavcodec this binary links: the option names must
/// exist on the encoder and their values must parse. No GPU is needed (no encoder is opened for VAAPI).
public enum EncoderOptionCheck {
    /// What libavcodec refuses in `options` for the encoder `name`; empty when it takes them all.
    ///
    /// With `open`, the encoder is also opened on a tiny picture, which makes libx264 parse the preset and
    /// `x264-params` (it only warns about an unknown x264 parameter, so warnings count as problems here). Only for
    /// software encoders: VAAPI needs a device. Opening swaps libavutil's process-wide log callback for the
    /// duration, so it is for the CLI and tests, never for a worker mid-encode.
    public static func problems(options: [String: String], encoder name: String, open: Bool = false,
                                preset: String? = nil) -> [String] {
        guard let codec = avcodec_find_encoder_by_name(name) else {
            return ["libavcodec \(CodecAvailability.libavcodecVersion) has no \(name) encoder"]
        }
        var all = options
        if let preset { all["preset"] = preset }
        var problems: [String] = []
        withContext(codec) { context in
            for (key, value) in all.sorted(by: { $0.key < $1.key }) {
                let status = av_opt_set(UnsafeMutableRawPointer(context), key, value, AV_OPT_SEARCH_CHILDREN)
                if status < 0 { problems.append("\(key)=\(value): \(errorText(status))") }
            }
        }
        guard open, problems.isEmpty else { return problems }

        var status: Int32 = 0
        withContext(codec) { context in
            // Only this context's lines count: other threads may be encoding (and logging) at the same time.
            LogCapture.begin(context: UnsafeMutableRawPointer(context))
            for (key, value) in all { _ = av_opt_set(UnsafeMutableRawPointer(context), key, value, AV_OPT_SEARCH_CHILDREN) }
            context.pointee.width = 64
            context.pointee.height = 64
            context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            context.pointee.time_base = AVRational(num: 1, den: 30)
            context.pointee.bit_rate = 500_000
            status = avcodec_open2(context, codec, nil)
        }
        let warnings = LogCapture.end()
        let settings = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        if status < 0 { problems.append("\(name) refused to open with \(settings): \(errorText(status))") }
        problems += warnings.map { "\(name) with \(settings): \($0)" }
        return problems
    }

    /// The encoder name a profile's options are for.
    public static func encoderName(for profile: HardwareProfile, codec: VideoCodec = .h264) -> String {
        switch profile.backend {
        case .software: return "libx264"
        case .vaapi: return codec == .hevc ? "hevc_vaapi" : "h264_vaapi"
        }
    }

    private static func withContext(_ codec: UnsafePointer<AVCodec>, _ body: (UnsafeMutablePointer<AVCodecContext>) -> Void) {
        var context: UnsafeMutablePointer<AVCodecContext>? = avcodec_alloc_context3(codec)
        guard let allocated = context else { return }
        body(allocated)
        avcodec_free_context(&context)
    }

    static func errorText(_ status: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        _ = av_strerror(status, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Collects libavutil's warnings and errors while an encoder is opened for a check, and keeps its informational
/// lines (the libx264 banner) off stderr.
private enum LogCapture {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var lines: [String] = []

    nonisolated(unsafe) private static var target: UnsafeMutableRawPointer?

    static func begin(context: UnsafeMutableRawPointer) {
        lock.withLock { lines = []; target = context }
        av_log_set_callback { context, level, format, arguments in
            guard let arguments else { return }
            guard LogCapture.lock.withLock({ context != nil && context == LogCapture.target }) else {
                av_log_default_callback(context, level, format, arguments)
                return
            }
            guard level <= AV_LOG_WARNING, let format else { return }
            var buffer = [CChar](repeating: 0, count: 512)
            _ = vsnprintf(&buffer, buffer.count, format, arguments)
            let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            LogCapture.lock.withLock { LogCapture.lines.append(line) }
        }
    }

    static func end() -> [String] {
        lock.withLock { target = nil }
        av_log_set_callback { context, level, format, arguments in
            guard let arguments else { return }
            av_log_default_callback(context, level, format, arguments)
        }
        return lock.withLock { lines }
    }
}
