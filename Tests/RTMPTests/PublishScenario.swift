import Media
@testable import RTMP

/// A realistic ffmpeg-like publish: handshake, chunk size 1024, connect, releaseStream, FCPublish,
/// createStream, publish with a query, metadata, AVC and AAC sequence headers, frames (one larger than
/// a chunk, one past the 24-bit timestamp range, B-frame composition offsets), FCUnpublish, deleteStream.
/// Built together with the events a correct server must report for it.
struct PublishScenario {
    static let avcRecord: [UInt8] = [0x01, 0x64, 0x00, 0x1F, 0xFF, 0xE1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x1F,
                                     0x01, 0x00, 0x04, 0x68, 0xEE, 0x3C, 0x80]
    static let audioSpecificConfig: [UInt8] = [0x12, 0x10]

    var bytes: [UInt8] = []
    var expectedEvents: [RTMPAction] = []

    init(streamName: String = "cam1") {
        var p = TestPublisher()
        p.handshake()
        p.setChunkSize(1024)
        p.connect()
        expectedEvents.append(.connect(RTMPConnectRequest(
            app: "live/token123", tcUrl: "rtmp://box:1935/live/token123", flashVer: "FMLE/3.0 (compatible; FMSc/1.0)",
            objectEncoding: 0,
            commandObject: ["app": "live/token123", "type": "nonprivate", "flashVer": "FMLE/3.0 (compatible; FMSc/1.0)",
                            "tcUrl": "rtmp://box:1935/live/token123", "objectEncoding": 0])))
        p.message(.windowAcknowledgementSize(5_000_000))
        p.command("releaseStream", .null, [.string(streamName)])
        p.command("FCPublish", .null, [.string(streamName)])
        p.command("createStream")
        p.command("publish", .null, [.string(streamName + "?videodatarate=2500&audiodatarate=128"), "live"],
                  streamID: 1, chunkStreamID: 8)
        expectedEvents.append(.publish(RTMPPublishRequest(streamID: 1, streamName: streamName,
                                                          query: "videodatarate=2500&audiodatarate=128",
                                                          publishType: "live")))
        let metadata: AMF0Object = ["duration": 0, "width": 1280, "height": 720, "videocodecid": 7,
                                    "audiocodecid": 10, "encoder": "Lavf61.7.100", "stereo": true]
        p.metadata(streamID: 1, metadata)
        expectedEvents.append(.metadata(streamName: streamName, metadata.dictionary))

        p.video(streamID: 1, timestamp: 0, TestPublisher.avcSequenceHeader(Self.avcRecord))
        expectedEvents.append(.media(streamName: streamName, .sequenceHeader(kind: .video, codec: .avc, bytes: Self.avcRecord)))
        p.audio(streamID: 1, timestamp: 0, TestPublisher.aacSequenceHeader(Self.audioSpecificConfig))
        expectedEvents.append(.media(streamName: streamName, .sequenceHeader(kind: .audio, codec: .aac,
                                                                              bytes: Self.audioSpecificConfig)))

        // (timestamp, keyframe, composition offset, NAL unit size)
        let videoFrames: [(UInt32, Bool, Int32, Int)] = [
            (0, true, 80, 1300), (40, false, -40, 150), (80, false, 0, 90), (120, false, 120, 260),
            (16_777_500, true, 40, 1100), (16_777_540, false, 0, 120),
        ]
        var audioTimestamp: UInt32 = 0
        for (index, (timestamp, keyframe, cts, size)) in videoFrames.enumerated() {
            let nalu = TestPublisher.nalu(type: keyframe ? 0x65 : 0x41, size: size, seed: index)
            p.video(streamID: 1, timestamp: timestamp, TestPublisher.avcFrame(keyframe: keyframe, cts: cts, nalu))
            expectedEvents.append(.media(streamName: streamName, .frame(MediaFrame(
                kind: .video, decodeTime: Int64(timestamp), compositionOffset: cts, timescale: 1000,
                isKeyframe: keyframe, data: nalu))))
            if timestamp > audioTimestamp + 1000 { audioTimestamp = timestamp }
            while audioTimestamp <= timestamp + 20 {
                let frame = (0..<Int(audioTimestamp % 17 + 6)).map { UInt8(truncatingIfNeeded: $0 + index) }
                p.audio(streamID: 1, timestamp: audioTimestamp, TestPublisher.aacFrame(frame))
                expectedEvents.append(.media(streamName: streamName, .frame(MediaFrame(
                    kind: .audio, decodeTime: Int64(audioTimestamp), timescale: 1000, isKeyframe: true, data: frame))))
                audioTimestamp += 23
            }
        }
        p.command("FCUnpublish", .null, [.string(streamName)])
        expectedEvents.append(.unpublish(streamName: streamName))
        p.command("deleteStream", .null, [1])
        bytes = p.bytes
    }
}
