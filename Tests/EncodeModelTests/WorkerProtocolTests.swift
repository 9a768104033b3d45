import EncodeModel
import Media
import Testing

private let job = EncodeJob(eventName: "news", preset: LadderPreset(name: "Default720p", rungs: [LadderRung(width: 1280, height: 720, bitrate: 3_500_000)]),
                            stretchMode: .autoFit, keyFrameInterval: 2, backend: .software(preset: "veryfast", threads: 0),
                            encoderOptions: ["x264-params": "nal-hrd=cbr"])

private let messages: [WorkerMessage] = [
    .start(job),
    .start({ var pinned = job; pinned.pinnedRungs = [LadderRung(width: 640, height: 360, bitrate: 400_000)]; return pinned }()),
    .inputConfiguration(kind: .video, record: [1, 0x64, 0, 0x1f, 0xff]),
    .inputSample(WorkerSample(track: 0, isKeyframe: true, timescale: 1000, decodeTime: -5, compositionOffset: 66, data: [0, 0, 0, 1, 0x65])),
    .endOfInput,
    .outputTrack(OutputTrackDescription(index: 6, kind: .audio, codecRecord: [0x11, 0x90], codecFamily: "aac", bitrate: 128_000, encoderName: "aac")),
    .outputSample(WorkerSample(track: 5, isKeyframe: false, timescale: 90_000, decodeTime: 1 << 40, compositionOffset: -3000, data: [])),
    .heartbeat(WorkerHeartbeat(framesIn: 10, framesOut: 60, framesDropped: 1, backend: "libx264 (software)", framesPerSecond: 29.97)),
    .log(level: "warning", message: "input is 60 fps: rungs at 30"),
    .flushed,
    .fatal("no h264 decoder"),
    .ladder([LadderRung(width: 1280, height: 720, bitrate: 3_500_000), LadderRung(width: 480, height: 270, bitrate: 200_000)]),
]

@Test func everyMessageRoundTrips() throws {
    for message in messages {
        var decoder = WorkerFrameDecoder()
        #expect(try decoder.feed(WorkerProtocol.encode(message)) == [message])
        #expect(decoder.bufferedByteCount == 0)
    }
}

@Test func aStreamSplitAtEveryByteDecodesInOrder() throws {
    let stream = messages.flatMap(WorkerProtocol.encode)
    var decoder = WorkerFrameDecoder()
    var out: [WorkerMessage] = []
    for byte in stream { out += try decoder.feed([byte]) }
    #expect(out == messages)
}

@Test func brokenFramesAreErrorsNotCrashes() {
    var decoder = WorkerFrameDecoder()
    #expect(throws: WorkerProtocolError.frameTooLarge(0x7fff_ffff)) { try decoder.feed([0x7f, 0xff, 0xff, 0xff, 1]) }
    var unknown = WorkerFrameDecoder()
    #expect(throws: WorkerProtocolError.unknownType(99)) { try unknown.feed([0, 0, 0, 1, 99]) }
    var short = WorkerFrameDecoder()
    #expect(throws: (any Error).self) { try short.feed([0, 0, 0, 3, 3, 0, 1]) }   // sample header cut short
    var badJSON = WorkerFrameDecoder()
    #expect(throws: (any Error).self) { try badJSON.feed([0, 0, 0, 3, 1, 0x7b, 0x7b]) }
}
