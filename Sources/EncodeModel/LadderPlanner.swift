// The system ladders of spec §2.5 and the rules that fit them to one contribution: no upscaling, the
// stretch mode's geometry, the output frame rate. Pure arithmetic; the encode worker applies the plan.

// MARK: - Presets

extension LadderPreset {
    /// `Default720p` (encoding type `Standard`): six rungs from 3.5 Mbps 720p down to 200 kbps.
    public static let default720p = LadderPreset(name: "Default720p", rungs: [
        LadderRung(width: 1280, height: 720, bitrate: 3_500_000),
        LadderRung(width: 960, height: 540, bitrate: 2_200_000),
        LadderRung(width: 704, height: 396, bitrate: 1_350_000),
        LadderRung(width: 512, height: 288, bitrate: 850_000),
        LadderRung(width: 384, height: 216, bitrate: 550_000),
        LadderRung(width: 340, height: 192, bitrate: 200_000),
    ])

    /// `Default1080p` (encoding type `Premium1080p`): six rungs from 5.5 Mbps 1080p down to 200 kbps.
    public static let default1080p = LadderPreset(name: "Default1080p", rungs: [
        LadderRung(width: 1920, height: 1080, bitrate: 5_500_000),
        LadderRung(width: 1280, height: 720, bitrate: 3_000_000),
        LadderRung(width: 960, height: 540, bitrate: 1_600_000),
        LadderRung(width: 640, height: 360, bitrate: 800_000),
        LadderRung(width: 480, height: 270, bitrate: 400_000),
        LadderRung(width: 320, height: 180, bitrate: 200_000),
    ])

    /// `720p-3-Layer`, the published low-latency preset for `Standard`.
    public static let lowLatency720p3Layer = LadderPreset(name: "720p-3-Layer", rungs: [
        LadderRung(width: 1280, height: 720, bitrate: 2_500_000),
        LadderRung(width: 960, height: 540, bitrate: 1_000_000),
        LadderRung(width: 640, height: 360, bitrate: 400_000),
    ])

    /// `1080p-4-Layer`, the published low-latency preset for `Premium1080p`.
    public static let lowLatency1080p4Layer = LadderPreset(name: "1080p-4-Layer", rungs: [
        LadderRung(width: 1920, height: 1080, bitrate: 4_500_000),
        LadderRung(width: 1280, height: 720, bitrate: 2_200_000),
        LadderRung(width: 960, height: 540, bitrate: 1_000_000),
        LadderRung(width: 640, height: 360, bitrate: 400_000),
    ])

    /// Every preset the appliance knows, in the order the spec lists them.
    public static var builtIn: [LadderPreset] { [default720p, default1080p, lowLatency720p3Layer, lowLatency1080p4Layer] }

    /// The built-in preset called `name`, ignoring case (`default720p` finds `Default720p`).
    public static func named(_ name: String) -> LadderPreset? {
        let wanted = name.lowercased()
        return builtIn.first { $0.name.lowercased() == wanted }
    }
}

// MARK: - Planned rungs

/// One rung as it will be encoded for a particular input.
public struct PlannedRung: Sendable, Hashable, Codable {
    /// The output track number: 0 is the highest rung.
    public var index: Int
    /// Coded output size; always even.
    public var width: Int
    public var height: Int
    /// The active picture inside the coded size; smaller than it only when `AutoFit` pads. Always even.
    public var pictureWidth: Int
    public var pictureHeight: Int
    /// Target video bitrate, bits per second.
    public var bitrate: Int
    /// The ladder rung it encodes (the preset's box and bitrate; for a degenerate input, the input's size): what
    /// the event pins so that a later plan keeps this rung.
    public var source: LadderRung

    public init(index: Int, width: Int, height: Int, pictureWidth: Int, pictureHeight: Int, bitrate: Int, source: LadderRung? = nil) {
        self.index = index
        self.width = width
        self.height = height
        self.pictureWidth = pictureWidth
        self.pictureHeight = pictureHeight
        self.bitrate = bitrate
        self.source = source ?? LadderRung(width: width, height: height, bitrate: bitrate)
    }

    /// Left edge of the picture (the pillar-box bar's width), even so 4:2:0 chroma stays aligned.
    public var pictureX: Int { LadderPlanner.evenDown((width - pictureWidth) / 2) }
    /// Top edge of the picture (the letter-box bar's height), even.
    public var pictureY: Int { LadderPlanner.evenDown((height - pictureHeight) / 2) }

    /// Whether black bars surround the picture.
    public var isPadded: Bool { pictureWidth != width || pictureHeight != height }
}

// MARK: - Planner

/// Fits a preset to an input: which rungs survive and what size each is encoded at.
public enum LadderPlanner {
    /// Plans the ladder for an input of `inputWidth`×`inputHeight` pixels whose pixels have the aspect
    /// `inputSampleAspect` (the SPS's SAR; 1:1 for square pixels).
    ///
    /// - No upscaling: a rung is dropped when its active picture would be wider or taller than the input's
    ///   display size (the input's width corrected by its sample aspect, and its height). With `None`, or with
    ///   an input whose aspect is the preset's, the picture is the preset's box, so this is "the box is larger
    ///   than the input". With `AutoSize`/`AutoFit` the picture is the input's aspect fitted into the box, so a
    ///   4:3 960×720 input keeps the 1280×720 rung as a 960×720 picture instead of losing it.
    /// - Degenerate input (every rung would upscale): one rung at the input's display size, with the preset's
    ///   lowest bitrate. The spec says "input size/bitrate"; the planner does not know the contribution's
    ///   bitrate, and the lowest rung's is the smallest the preset ever sends, so it is never more than the ladder
    ///   would have spent on that picture.
    /// - `upscaling`: keep every rung even when it is larger than the input (a pinned ladder fed a smaller input).
    public static func plan(preset: LadderPreset, inputWidth: Int, inputHeight: Int, inputSampleAspect: (Int, Int) = (1, 1),
                            stretchMode: StretchMode, upscaling: Bool = false) -> [PlannedRung] {
        guard inputWidth > 0, inputHeight > 0 else { return [] }
        let (sarWidth, sarHeight) = inputSampleAspect.0 > 0 && inputSampleAspect.1 > 0 ? inputSampleAspect : (1, 1)
        let displayWidth = Double(inputWidth) * Double(sarWidth) / Double(sarHeight)
        let displayHeight = Double(inputHeight)

        var planned: [PlannedRung] = []
        for rung in preset.rungs where rung.width > 0 && rung.height > 0 {
            let boxWidth = max(2, evenDown(rung.width))
            let boxHeight = max(2, evenDown(rung.height))
            let picture: (width: Int, height: Int)
            switch stretchMode {
            case .none: picture = (boxWidth, boxHeight)
            case .autoSize, .autoFit: picture = fit(displayWidth, displayHeight, intoWidth: boxWidth, height: boxHeight)
            }
            // A rounding pixel (the even rounding of a fitted size) is not upscaling.
            guard upscaling || (Double(picture.width) <= displayWidth + 1 && Double(picture.height) <= displayHeight + 1) else { continue }
            let coded = stretchMode == .autoFit ? (boxWidth, boxHeight) : picture
            planned.append(PlannedRung(index: planned.count, width: coded.0, height: coded.1,
                                       pictureWidth: picture.width, pictureHeight: picture.height, bitrate: rung.bitrate, source: rung))
        }
        if planned.isEmpty, let lowest = preset.rungs.last {
            let width = max(2, evenDown(Int(displayWidth.rounded())))
            let height = max(2, evenDown(inputHeight))
            planned.append(PlannedRung(index: 0, width: width, height: height, pictureWidth: width, pictureHeight: height,
                                       bitrate: lowest.bitrate))
        }
        return planned
    }

    /// The output frame rate for an input of `input` frames per second and a ceiling of `maximum`: inputs above
    /// the ceiling keep every `keepEvery`-th frame (60 → 30, 50 → 25, 59.94 → 29.97, 120 → 30); others are kept
    /// whole. A 5 % tolerance absorbs rates measured from millisecond timestamps (30 fps over RTMP reads 30.3).
    public static func outputFrameRate(input: Double, maximum: Double) -> (rate: Double, keepEvery: Int) {
        guard input.isFinite, input > 0, maximum.isFinite, maximum > 0 else { return (input.isFinite ? max(input, 0) : 0, 1) }
        let ceiling = maximum * 1.05
        guard input > ceiling else { return (input, 1) }
        let keepEvery = max(1, Int((input / ceiling).rounded(.up)))
        return (input / Double(keepEvery), keepEvery)
    }

    /// The frame rate of pictures presented at `times` (ticks of `timescale`, in presentation order): the mean of
    /// the intervals near the median, so a gap (a dropped frame) or millisecond jitter does not skew it; snapped to
    /// the nominal rate it is within 1 % of. Nil with fewer than two usable intervals.
    public static func measuredFrameRate(presentationTimes times: [Int64], timescale: Int64) -> Double? {
        guard timescale > 0, times.count >= 3 else { return nil }
        let intervals = zip(times.dropFirst(), times).map { $0 - $1 }.filter { $0 > 0 }.sorted()
        guard intervals.count >= 2 else { return nil }
        let median = Double(intervals[intervals.count / 2])
        let typical = intervals.filter { Double($0) >= median * 0.5 && Double($0) <= median * 1.5 }
        guard !typical.isEmpty else { return nil }
        let mean = Double(typical.reduce(0, +)) / Double(typical.count)
        return nominalFrameRate(Double(timescale) / mean)
    }

    /// Snaps a measured rate to the nominal one it is within 1 % of (29.97, 30, 59.94, …); other rates unchanged.
    public static func nominalFrameRate(_ measured: Double) -> Double {
        guard measured.isFinite, measured > 0 else { return measured }
        let nominal = nominalRates.min { abs($0 - measured) < abs($1 - measured) } ?? measured
        return abs(nominal - measured) <= nominal * 0.01 ? nominal : measured
    }

    static let nominalRates: [Double] = [
        24000.0 / 1001, 24, 25, 30000.0 / 1001, 30, 48, 50, 60000.0 / 1001, 60, 100, 120000.0 / 1001, 120,
        12.5, 15, 15000.0 / 1001, 10, 20,
    ]

    // MARK: - Geometry

    /// The largest even size with the display aspect `width`:`height` inside the box.
    static func fit(_ width: Double, _ height: Double, intoWidth boxWidth: Int, height boxHeight: Int) -> (width: Int, height: Int) {
        let scale = min(Double(boxWidth) / width, Double(boxHeight) / height)
        let fittedWidth = min(boxWidth, max(2, nearestEven(width * scale)))
        let fittedHeight = min(boxHeight, max(2, nearestEven(height * scale)))
        return (fittedWidth, fittedHeight)
    }

    /// The even number nearest to `value`.
    static func nearestEven(_ value: Double) -> Int { Int((value / 2).rounded(.toNearestOrAwayFromZero)) * 2 }

    /// `value` rounded down to an even number.
    static func evenDown(_ value: Int) -> Int { value & ~1 }
}
