/// The `encoder-options` keys a profile may set, per backend, and what their values may be.
///
/// The names are libavcodec AVOptions of `h264_vaapi`/`hevc_vaapi` and `libx264` as Debian 12's FFmpeg 5.1
/// (libavcodec 59) has them; `Encode.EncoderOptionCheck` confirms them against the linked library. Keys the worker
/// derives from the job (bitrates, GOP, frame rate, x264 preset) are refused with the reason, so a profile cannot
/// quietly fight the ladder.
public enum EncoderOptionRules {
    enum Value {
        case bool
        case int(ClosedRange<Int>)
        case choice([String])
        /// `key=value:key=value` (x264-params).
        case keyValueList
        case text
    }

    /// h264_vaapi / hevc_vaapi options.
    static let vaapi: [String: Value] = [
        "low_power": .bool,
        // CQP and ICQ ignore the rung bitrates, so they are refused below with the reason.
        "rc_mode": .choice(["auto", "CBR", "VBR", "QVBR", "AVBR"]),
        // The encode speed/quality trade-off, passed to the driver as VA's quality level. The generic AVCodecContext
        // option, because h264_vaapi's own `quality` does not exist on hevc_vaapi in libavcodec 59.
        "compression_level": .int(-1...Int(Int32.max)),
        "async_depth": .int(1...64),
        "idr_interval": .int(0...Int(Int32.max)),
        "b_depth": .int(1...Int(Int32.max)),
        "bf": .int(0...16),
        "max_frame_size": .int(0...Int(Int32.max)),
        "coder": .choice(["cavlc", "cabac", "vlc", "ac"]),
        "aud": .bool,
        "sei": .text,
    ]

    /// libx264 options.
    static let software: [String: Value] = [
        "x264-params": .keyValueList,
        "tune": .choice(["film", "animation", "grain", "stillimage", "psnr", "ssim", "fastdecode", "zerolatency"]),
        "bf": .int(0...16),
        "refs": .int(1...16),
        "rc-lookahead": .int(0...250),
        "aq-mode": .int(0...3),
        "weightp": .int(0...2),
        "nal-hrd": .choice(["none", "vbr", "cbr"]),
        "sc_threshold": .int(-1...Int(Int32.max)),
        "forced-idr": .bool,
        "a53cc": .bool,
    ]

    /// Options the worker sets from the job or the profile's other keys, and why a profile may not.
    static let derived: [String: String] = [
        "b": "the bitrate comes from each ladder rung",
        "maxrate": "the worker derives it from each rung's bitrate",
        "minrate": "the worker derives it from each rung's bitrate",
        "bufsize": "the worker derives it from each rung's bitrate",
        "g": "the GOP follows the live event's keyFrameInterval",
        "keyint_min": "the GOP follows the live event's keyFrameInterval",
        "r": "the frame rate follows the input and maxFrameRate",
        "s": "the size comes from each ladder rung",
        "pix_fmt": "the worker picks the pixel format the encoder needs",
        "profile": "it follows h264.profile / hevc.profile (libx264: High)",
        "preset": "set the x264 preset per core count under software-tiers",
        "threads": "set threads per core count under software-tiers",
        "qp": "constant QP ignores the rung bitrates",
        "crf": "constant quality ignores the rung bitrates",
    ]

    static let booleanWords: Set<String> = ["0", "1", "true", "false", "yes", "no", "on", "off"]

    /// nil when `key: value` is acceptable for `backend`, else what is wrong and what to change.
    static func check(key: String, value: String, backend: HardwareProfile.Backend) -> (problem: String, fix: String)? {
        if let reason = derived[key] {
            return ("\(key) is not set by a profile: \(reason)", "remove it")
        }
        let table = backend == .vaapi ? vaapi : software
        let encoder = backend == .vaapi ? "h264_vaapi/hevc_vaapi" : "libx264"
        guard let rule = table[key] else {
            if backend == .vaapi, key == "quality" {
                return ("quality is h264_vaapi's alone (hevc_vaapi has no such option)", "write compression_level: it sets the same VA quality level for both")
            }
            if ["rc_mode", "low_power", "async_depth", "compression_level", "quality"].contains(key) {
                return ("\(key) is a VAAPI option; libx264 has no such option", "remove it from this software profile")
            }
            return ("unknown encoder option '\(key)' for \(encoder)",
                    "use one of \(table.keys.sorted().joined(separator: ", ")) (libavcodec AVOption names)")
        }
        switch rule {
        case .bool:
            if !booleanWords.contains(value.lowercased()) { return ("'\(value)' is not a boolean", "write 1 or 0") }
        case .int(let range):
            if Int(value).map(range.contains) != true {
                return ("'\(value)' is not a whole number from \(range.lowerBound) to \(range.upperBound)", "write a number in that range")
            }
        case .choice(let values):
            if !values.contains(value) {
                if key == "rc_mode", value == "CQP" || value == "ICQ" {
                    return ("rc_mode \(value) ignores the ladder's bitrates", "use CBR (steady bitrate for live) or VBR")
                }
                return ("'\(value)' is not one of \(values.joined(separator: ", "))", "use one of those")
            }
        case .keyValueList:
            let items = value.split(separator: ":", omittingEmptySubsequences: false)
            if value.isEmpty || items.contains(where: { $0.split(separator: "=").count != 2 }) {
                return ("'\(value)' is not a key=value:key=value list", "write it like scenecut=0:open-gop=0")
            }
        case .text:
            break
        }
        return nil
    }

    /// The `profile` AVOption value that makes libavcodec use `vaProfile`.
    static func avProfileName(forVAProfile vaProfile: String) -> String? {
        switch vaProfile {
        case "VAProfileH264ConstrainedBaseline": return "constrained_baseline"
        case "VAProfileH264Main", "VAProfileHEVCMain": return "main"
        case "VAProfileH264High": return "high"
        default: return nil
        }
    }
}
