import EncodeModel
import Testing

private func sizes(_ rungs: [PlannedRung]) -> [String] { rungs.map { "\($0.width)x\($0.height)@\($0.bitrate / 1000)" } }
private func boxes(_ preset: LadderPreset) -> [String] { preset.rungs.map { "\($0.width)x\($0.height)@\($0.bitrate / 1000)" } }

// MARK: - Presets (spec §2.5)

@Test func builtInPresetsHaveTheSpecRungs() {
    #expect(boxes(.default720p) == ["1280x720@3500", "960x540@2200", "704x396@1350", "512x288@850", "384x216@550", "340x192@200"])
    #expect(boxes(.default1080p) == ["1920x1080@5500", "1280x720@3000", "960x540@1600", "640x360@800", "480x270@400", "320x180@200"])
    #expect(boxes(.lowLatency720p3Layer) == ["1280x720@2500", "960x540@1000", "640x360@400"])
    #expect(boxes(.lowLatency1080p4Layer) == ["1920x1080@4500", "1280x720@2200", "960x540@1000", "640x360@400"])
    for preset in LadderPreset.builtIn { #expect(preset.audioBitrate == 128_000) }
    #expect(LadderPreset.builtIn.map(\.name) == ["Default720p", "Default1080p", "720p-3-Layer", "1080p-4-Layer"])
}

@Test func presetsAreFoundByNameIgnoringCase() {
    #expect(LadderPreset.named("Default720p") == .default720p)
    #expect(LadderPreset.named("default1080P") == .default1080p)
    #expect(LadderPreset.named("720P-3-layer") == .lowLatency720p3Layer)
    #expect(LadderPreset.named("1080p-4-Layer") == .lowLatency1080p4Layer)
    #expect(LadderPreset.named("Default4K") == nil)
    #expect(LadderPreset.named("") == nil)
}

// MARK: - No upscaling

@Test func a1080pInputKeepsAllOfDefault720p() {
    let rungs = LadderPlanner.plan(preset: .default720p, inputWidth: 1920, inputHeight: 1080, stretchMode: .none)
    #expect(sizes(rungs) == boxes(.default720p))
    #expect(rungs.map(\.index) == Array(0..<6))
    #expect(rungs.allSatisfy { !$0.isPadded })
}

@Test func a720pInputKeepsAllOfDefault720p() {
    let rungs = LadderPlanner.plan(preset: .default720p, inputWidth: 1280, inputHeight: 720, stretchMode: .autoFit)
    #expect(sizes(rungs) == boxes(.default720p))
}

@Test func a360pInputKeepsOnlyRungsAtOrBelow360p() {
    for mode in StretchMode.allCases {
        let rungs = LadderPlanner.plan(preset: .default720p, inputWidth: 640, inputHeight: 360, stretchMode: mode)
        #expect(sizes(rungs) == ["512x288@850", "384x216@550", "340x192@200"], "\(mode)")
        #expect(rungs.map(\.index) == [0, 1, 2])
    }
    let ll = LadderPlanner.plan(preset: .lowLatency720p3Layer, inputWidth: 640, inputHeight: 360, stretchMode: .none)
    #expect(sizes(ll) == ["640x360@400"])
}

@Test func a720pInputIntoDefault1080pStartsAt720p() {
    // The spec's own example: five layers starting at 720p / 3 Mbps.
    let rungs = LadderPlanner.plan(preset: .default1080p, inputWidth: 1280, inputHeight: 720, stretchMode: .none)
    #expect(sizes(rungs) == ["1280x720@3000", "960x540@1600", "640x360@800", "480x270@400", "320x180@200"])
}

@Test func aDegenerateInputGetsOneRungAtItsOwnSize() {
    let rungs = LadderPlanner.plan(preset: .default720p, inputWidth: 320, inputHeight: 180, stretchMode: .autoFit)
    #expect(rungs == [PlannedRung(index: 0, width: 320, height: 180, pictureWidth: 320, pictureHeight: 180, bitrate: 200_000)])
    // Odd sizes are rounded down to even.
    let odd = LadderPlanner.plan(preset: .lowLatency720p3Layer, inputWidth: 175, inputHeight: 99, stretchMode: .none)
    #expect(sizes(odd) == ["174x98@400"])
    #expect(LadderPlanner.plan(preset: .default720p, inputWidth: 0, inputHeight: 720, stretchMode: .none).isEmpty)
}

// MARK: - Stretch modes

@Test func noneForcesThePresetSize() {
    // A 4:3 input is stretched to each 16:9 box that does not upscale it.
    let rungs = LadderPlanner.plan(preset: .default720p, inputWidth: 1440, inputHeight: 1080, stretchMode: .none)
    #expect(sizes(rungs) == boxes(.default720p))
    let narrow = LadderPlanner.plan(preset: .default720p, inputWidth: 960, inputHeight: 720, stretchMode: .none)
    #expect(narrow.first.map { "\($0.width)x\($0.height)" } == "960x540")
}

@Test func autoSizeKeepsTheDisplayAspectWithoutPadding() {
    // The spec's example: 1920x1080 into a 1280x1280 box gives 1280x720.
    let square = LadderPreset(name: "Square", rungs: [LadderRung(width: 1280, height: 1280, bitrate: 3_000_000)])
    let rungs = LadderPlanner.plan(preset: square, inputWidth: 1920, inputHeight: 1080, stretchMode: .autoSize)
    #expect(rungs == [PlannedRung(index: 0, width: 1280, height: 720, pictureWidth: 1280, pictureHeight: 720, bitrate: 3_000_000,
                                  source: square.rungs[0])])

    // 4:3 into 16:9 boxes: pillar-shaped rungs, and the 720p rung survives as a 960x720 picture (not upscaled).
    let fourThree = LadderPlanner.plan(preset: .default720p, inputWidth: 960, inputHeight: 720, stretchMode: .autoSize)
    #expect(sizes(fourThree) == ["960x720@3500", "720x540@2200", "528x396@1350", "384x288@850", "288x216@550", "256x192@200"])
    #expect(fourThree.allSatisfy { $0.width % 2 == 0 && $0.height % 2 == 0 && !$0.isPadded })
}

@Test func autoFitPadsToThePresetSize() {
    let square = LadderPreset(name: "Square", rungs: [LadderRung(width: 1280, height: 1280, bitrate: 3_000_000)])
    let letterbox = LadderPlanner.plan(preset: square, inputWidth: 1920, inputHeight: 1080, stretchMode: .autoFit)
    #expect(letterbox == [PlannedRung(index: 0, width: 1280, height: 1280, pictureWidth: 1280, pictureHeight: 720, bitrate: 3_000_000)])
    #expect(letterbox.first?.pictureX == 0)
    #expect(letterbox.first?.pictureY == 280)

    let pillarbox = LadderPlanner.plan(preset: .default720p, inputWidth: 1440, inputHeight: 1080, stretchMode: .autoFit)
    #expect(pillarbox.count == 6)
    #expect(pillarbox.first == PlannedRung(index: 0, width: 1280, height: 720, pictureWidth: 960, pictureHeight: 720, bitrate: 3_500_000))
    #expect(pillarbox.first?.pictureX == 160)
    #expect(pillarbox.first?.pictureY == 0)
    for rung in pillarbox {
        #expect(rung.pictureX % 2 == 0 && rung.pictureY % 2 == 0 && rung.pictureWidth % 2 == 0 && rung.pictureHeight % 2 == 0)
        #expect(rung.pictureX + rung.pictureWidth <= rung.width && rung.pictureY + rung.pictureHeight <= rung.height)
    }
}

@Test func anamorphicInputsUseTheirDisplayAspect() {
    // PAL 4:3 (720x576, SAR 16:15) is 768x576 on screen: 720p would upscale it, 540p holds a 720x540 picture.
    let rungs = LadderPlanner.plan(preset: .default720p, inputWidth: 720, inputHeight: 576, inputSampleAspect: (16, 15),
                                   stretchMode: .autoFit)
    #expect(rungs.first == PlannedRung(index: 0, width: 960, height: 540, pictureWidth: 720, pictureHeight: 540, bitrate: 2_200_000))
    // A broken SAR (0:0) counts as square pixels.
    let broken = LadderPlanner.plan(preset: .default720p, inputWidth: 1280, inputHeight: 720, inputSampleAspect: (0, 0),
                                    stretchMode: .autoSize)
    #expect(sizes(broken) == boxes(.default720p))
}

// MARK: - Frame rate

@Test func framesAboveTheCeilingAreDecimated() {
    func check(_ input: Double, _ rate: Double, _ keep: Int) {
        let out = LadderPlanner.outputFrameRate(input: input, maximum: 30)
        #expect(abs(out.rate - rate) < 0.001, "\(input) fps")
        #expect(out.keepEvery == keep, "\(input) fps")
    }
    check(60, 30, 2)
    check(50, 25, 2)
    check(60000.0 / 1001, 30000.0 / 1001, 2)
    check(120, 30, 4)
    check(30, 30, 1)
    check(30000.0 / 1001, 30000.0 / 1001, 1)
    check(25, 25, 1)
    check(24, 24, 1)
    check(30.3, 30.3, 1)     // 30 fps measured from millisecond timestamps
    check(62.5, 31.25, 2)    // 60 fps measured at 16 ms
    #expect(LadderPlanner.outputFrameRate(input: 0, maximum: 30).keepEvery == 1)
    #expect(LadderPlanner.outputFrameRate(input: .nan, maximum: 30).keepEvery == 1)
}

@Test func measuredRatesSnapToNominalOnes() {
    #expect(LadderPlanner.nominalFrameRate(29.98) == 30000.0 / 1001)
    #expect(LadderPlanner.nominalFrameRate(30.1) == 30)
    #expect(LadderPlanner.nominalFrameRate(59.9) == 60000.0 / 1001)
    #expect(LadderPlanner.nominalFrameRate(27) == 27)
}

@Test func frameRatesAreMeasuredFromTimestamps() {
    // 30 fps in RTMP's milliseconds: 33/34 ms jitter (eight frames cannot tell 30 from 29.97 at this precision).
    let rtmp30: [Int64] = [0, 33, 67, 100, 133, 167, 200, 233, 267]
    let measured = LadderPlanner.measuredFrameRate(presentationTimes: rtmp30, timescale: 1000) ?? 0
    #expect([30, 30000.0 / 1001].contains(measured))
    // 60 fps at 16/17 ms: not mistaken for more than 60, so it halves to 30, not to 20.
    let rtmp60: [Int64] = [0, 17, 33, 50, 67, 83, 100, 117, 133]
    let sixty = LadderPlanner.measuredFrameRate(presentationTimes: rtmp60, timescale: 1000) ?? 0
    #expect(LadderPlanner.outputFrameRate(input: sixty, maximum: 30).keepEvery == 2)
    // 59.94 fps at 90 kHz with one frame missing.
    let ntsc60: [Int64] = [0, 1502, 3003, 4505, 7508, 9009, 10511, 12012]
    #expect(LadderPlanner.measuredFrameRate(presentationTimes: ntsc60, timescale: 90_000) == 60000.0 / 1001)
    // 25 fps in a 10 MHz Smooth timeline.
    let pal: [Int64] = (0..<9).map { Int64($0) * 400_000 }
    #expect(LadderPlanner.measuredFrameRate(presentationTimes: pal, timescale: 10_000_000) == 25)
    #expect(LadderPlanner.measuredFrameRate(presentationTimes: [0, 3000], timescale: 90_000) == nil)
    #expect(LadderPlanner.measuredFrameRate(presentationTimes: [0, 0, 0, 0], timescale: 90_000) == nil)
}

@Test func aPinnedLadderKeepsEveryRungAboveASmallerInputAndNamesItsSource() {
    // The first plan's sources, planned again for a smaller input with upscaling: the same rungs, in the same order.
    let first = LadderPlanner.plan(preset: .default720p, inputWidth: 1280, inputHeight: 720, stretchMode: .none)
    #expect(first.map(\.source) == LadderPreset.default720p.rungs)
    let pinned = LadderPreset(name: "Default720p", rungs: first.map(\.source))
    let again = LadderPlanner.plan(preset: pinned, inputWidth: 640, inputHeight: 360, stretchMode: .none, upscaling: true)
    #expect(again == first)
    // Without upscaling the same input keeps only the rungs at or below it.
    #expect(LadderPlanner.plan(preset: pinned, inputWidth: 640, inputHeight: 360, stretchMode: .none).count == 3)
    // A degenerate input's single rung is its own size, and pins as that.
    let tiny = LadderPlanner.plan(preset: .default720p, inputWidth: 320, inputHeight: 180, stretchMode: .none)
    #expect(tiny.map(\.source) == [LadderRung(width: 320, height: 180, bitrate: 200_000)])
}
