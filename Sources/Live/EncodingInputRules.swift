import Media

/// What an encoding event (`Standard`, `Premium1080p`) takes as its contribution (spec §2.7): 8-bit 4:2:0 H.264 up
/// to 1920×1088 and AAC. Checked when the contribution's sequence header arrives, before anything reaches the encode
/// worker, so an encoder sending something else is told why at once (its session ends with the service's code)
/// instead of feeding a worker that can only fail on it.
///
/// - HEVC: the service's encoding events took H.264 only.
/// - High 10, 4:2:2 and 4:4:4 H.264: no VAAPI decoder on the supported GPUs decodes them, so the hardware path
///   could not take them, and the service refused them too (8-bit only).
/// - Pictures larger than 1920×1088: the largest ladder tops out at 1080p. Portrait pictures (1088×1920) are taken:
///   the limit is on the longer and the shorter side.
public enum EncodingInputRules {
    /// The longest side of a contribution picture.
    public static let maximumLongSide = 1920
    /// The shortest side of a contribution picture.
    public static let maximumShortSide = 1088

    /// Why `codec` is refused as the contribution of an encoding event, or nil when it is taken.
    public static func refusal(for codec: CodecConfiguration) -> IngestEndReason? {
        switch codec {
        case .aac:
            return nil
        case .hevc:
            return .codecNotSupported("live encoding takes H.264 video; this contribution is HEVC (send H.264, or use a pass-through event)")
        case .avc(let configuration):
            let sps: H264SequenceParameterSet
            do { sps = try configuration.parsedSequenceParameterSet() } catch {
                return .codecNotSupported("the H.264 sequence parameter set cannot be read: \(error)")
            }
            if sps.bitDepthLuma != 8 || sps.bitDepthChroma != 8 || sps.chromaFormatIDC != 1 {
                let sampling = ["4:0:0", "4:2:0", "4:2:2", "4:4:4"][Int(min(sps.chromaFormatIDC, 3))]
                return .codecNotSupported("live encoding takes 8-bit 4:2:0 H.264; this contribution is \(sps.bitDepthLuma)-bit \(sampling) (profile_idc \(sps.profileIDC)): set the encoder to 8-bit 4:2:0 (yuv420p, profile High or Main)")
            }
            let long = max(sps.width, sps.height), short = min(sps.width, sps.height)
            if long > maximumLongSide || short > maximumShortSide {
                return .videoResolutionNotSupported("live encoding takes pictures up to \(maximumLongSide)x\(maximumShortSide); this contribution is \(sps.width)x\(sps.height): scale the encoder's output to 1080p or less, or use a pass-through event")
            }
            return nil
        }
    }
}
