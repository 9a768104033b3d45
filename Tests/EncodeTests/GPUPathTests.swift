import EncodeModel
import Foundation
import Media
import Testing
@testable import Encode

/// The first render node whose VAAPI driver offers H.264 encoding, as the probe sees it, or nil.
private let gpuEncodeNode: RenderNodeProbe? = HardwareProbe.run().renderNodes.first { node in
    node.error == nil && node.encodeConfigs.contains { $0.profile.contains("H264") }
}

/// The GPU path end to end (hardware decode, `scale_vaapi`, `h264_vaapi`): the same checks as the software path's
/// ladder test. It runs where a render node with a VAAPI H.264 encode entrypoint exists; elsewhere it is skipped,
/// and the software path (LadderTranscoderTests) covers the same ladder.
@Suite(.serialized) struct GPUPathTests {
    @Test(.enabled(if: gpuEncodeNode != nil,
                   "no /dev/dri/renderD* node with a VAAPI H.264 encode entrypoint (no GPU here): the GPU path runs where one exists"))
    func a720pContributionBecomesTheLadderOnTheGPU() throws {
        let node = try #require(gpuEncodeNode)
        let lowPower = node.encodeConfigs.contains { $0.profile.contains("H264") && $0.entrypoint == "VAEntrypointEncSliceLP" }
            && !node.encodeConfigs.contains { $0.profile.contains("H264") && $0.entrypoint == "VAEntrypointEncSlice" }
        let job = EncodeJob(eventName: "gpu", preset: .default720p, keyFrameInterval: 1,
                            backend: .vaapi(device: node.path, codec: "h264", lowPower: lowPower))
        let contribution = try Contribution.make(width: 1280, height: 720, rate: 30, seconds: 3)
        let transcoder = try LadderTranscoder(job: job)
        let run = try transcode(contribution, with: transcoder)
        #expect(run.videoTracks.map { "\($0.width)x\($0.height)" } == ["1280x720", "960x540", "704x396", "512x288", "384x216", "340x192"])
        #expect(run.videoTracks.allSatisfy { $0.encoderName == "h264_vaapi" })
        let reference = run.keyframeTimes(track: 0)
        for track in run.videoTracks {
            let decoded = try DecodedVideo(track: track, samples: run.samples(track: track.index))
            #expect(decoded.frames == contribution.videoSamples.count && decoded.errors == 0, "rung \(track.index)")
            #expect(run.keyframeTimes(track: track.index) == reference, "rung \(track.index)")
        }
        #expect(transcoder.statistics.backendDescription.contains("h264_vaapi"))
    }
}
