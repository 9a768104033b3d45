import Media
import Testing
@testable import RTMP

@Suite struct RTMPServerSessionTests {
    private func commandName(_ message: RTMPMessage) -> String? {
        guard message.typeID == RTMPMessageType.commandAMF0 else { return nil }
        return (try? AMF0.decodeAll(message.payload))?.first?.stringValue
    }

    // MARK: - Full publish

    @Test func fullPublishInOnePiece() throws {
        let scenario = PublishScenario()
        var driver = SessionDriver()
        driver.feed(scenario.bytes)
        #expect(driver.events == scenario.expectedEvents)
        #expect(driver.session.bytesReceived == UInt64(scenario.bytes.count))
        #expect(driver.session.messagesReceived > 20)
        #expect(!driver.session.isClosed)
        #expect(driver.session.peerChunkSize == 1024)
        #expect(driver.session.publishedStreams.isEmpty)

        // Handshake: S0 = 3, S1 = time 0 + zero + random, S2 echoes C1.
        #expect(driver.sent.first == 3)
        #expect(driver.sent[5..<9] == [0, 0, 0, 0])
        #expect(Array(driver.sent[1537..<3073]) == TestPublisher.c1)

        let replies = try driver.sentMessages()
        #expect(replies.map(\.typeID) == [5, 6, 1, 20, 20, 20, 20, 4, 20, 20])
        #expect(replies.compactMap(commandName) == ["_result", "_result", "onFCPublish", "_result", "onStatus",
                                                    "onFCUnpublish"])
        // createStream (transaction 4) got stream id 1.
        let createResult = try AMF0.decodeAll(replies[6].payload)
        #expect(createResult == ["_result", 4, .null, 1])
        // StreamBegin for stream 1, then onStatus NetStream.Publish.Start on that stream.
        #expect(replies[7].payload == [0, 0, 0, 0, 0, 1])
        let status = try AMF0.decodeAll(replies[8].payload)
        #expect(replies[8].streamID == 1)
        #expect(status.last?["code"]?.stringValue == "NetStream.Publish.Start")
        #expect(status.last?["level"]?.stringValue == "status")
        #expect(driver.session.bytesSent == UInt64(driver.sent.count))

        // The scenario really exercises a type 3 continuation carrying an extended timestamp (delta).
        let delta = UInt32(16_777_500 - 120)
        let continuation: [UInt8] = [0xC6, UInt8(delta >> 24), UInt8(delta >> 16 & 0xFF), UInt8(delta >> 8 & 0xFF),
                                     UInt8(delta & 0xFF)]
        #expect(scenario.bytes.indices.contains { scenario.bytes[$0...].starts(with: continuation) })
    }

    @Test func acceptConnectReplyDecodesToTheExpectedResult() throws {
        var driver = SessionDriver()
        var p = TestPublisher()
        p.handshake()
        p.connect()
        driver.feed(p.bytes)
        let replies = try driver.sentMessages()
        #expect(replies.count == 4)
        #expect(replies[0] == RTMPMessage(typeID: 5, chunkStreamID: 2, payload: [0x00, 0x26, 0x25, 0xA0]))
        #expect(replies[1] == RTMPMessage(typeID: 6, chunkStreamID: 2, payload: [0x00, 0x26, 0x25, 0xA0, 2]))
        #expect(replies[2] == RTMPMessage(typeID: 1, chunkStreamID: 2, payload: [0, 0, 0x10, 0]))
        let result = try AMF0.decodeAll(replies[3].payload)
        #expect(result.count == 4)
        #expect(result[0] == "_result")
        #expect(result[1] == 1)
        #expect(result[2]["fmsVer"]?.stringValue == "FMS/3,0,1,123")
        #expect(result[2]["capabilities"]?.numberValue == 31)
        #expect(result[3]["level"] == "status")
        #expect(result[3]["code"] == "NetConnection.Connect.Success")
        #expect(result[3]["description"] != nil)
        #expect(result[3]["objectEncoding"] == 0)
    }

    @Test func everySplitPointGivesTheSameResult() {
        let scenario = PublishScenario()
        var whole = SessionDriver()
        whole.feed(scenario.bytes)
        #expect(whole.events == scenario.expectedEvents)

        var mismatches: [Int] = []
        for split in 1..<scenario.bytes.count {
            var driver = SessionDriver()
            driver.feed(scenario.bytes[..<split])
            driver.feed(scenario.bytes[split...])
            if driver.events != whole.events || driver.sent != whole.sent { mismatches.append(split) }
        }
        #expect(mismatches.isEmpty, "splits giving other results: \(mismatches.prefix(10))")
    }

    @Test func byteByByteGivesTheSameResult() {
        let scenario = PublishScenario()
        var whole = SessionDriver()
        whole.feed(scenario.bytes)
        var driver = SessionDriver()
        for byte in scenario.bytes { driver.feed(CollectionOfOne(byte)) }
        #expect(driver.events == whole.events)
        #expect(driver.sent == whole.sent)
        #expect(driver.session.messagesReceived == whole.session.messagesReceived)
    }

    @Test func inputIsHeldWhileConnectIsUnanswered() throws {
        let scenario = PublishScenario()
        var session = RTMPServerSession(configuration: .init(handshakeSeed: 1))
        let first = session.receive(scenario.bytes)
        // The handshake reply, then the connect request, and nothing decoded beyond it.
        #expect(first.count == 2)
        guard case .connect = first.last else {
            Issue.record("expected .connect, got \(first)")
            return
        }
        #expect(session.receive([]) == [])
        let accepted = session.acceptConnect()
        let publishes = accepted.compactMap { action -> RTMPPublishRequest? in
            if case .publish(let request) = action { return request }
            return nil
        }
        #expect(publishes.map(\.streamName) == ["cam1"])
        guard case .publish = accepted.last else {
            Issue.record("expected the publish request last, got \(accepted)")
            return
        }
        let rest = session.acceptPublish(streamID: 1)
        let mediaCount = rest.filter { if case .media = $0 { return true } else { return false } }.count
        #expect(mediaCount > 10)
    }

    // MARK: - Multiple publishes

    @Test func twoRenditionsOnOneConnection() throws {
        var p = TestPublisher()
        p.handshake()
        p.connect()
        p.command("createStream")
        p.command("createStream")
        p.command("publish", .null, ["high", "live"], streamID: 1, chunkStreamID: 8)
        p.command("publish", .null, ["low", "live"], streamID: 2, chunkStreamID: 9)
        p.video(streamID: 1, timestamp: 0, TestPublisher.avcSequenceHeader(PublishScenario.avcRecord))
        p.video(streamID: 2, timestamp: 0, TestPublisher.avcSequenceHeader([1, 2, 3]))
        p.video(streamID: 2, timestamp: 40, TestPublisher.avcFrame(keyframe: true, cts: 0, [0, 0, 0, 1, 0x65]))
        p.command("closeStream", streamID: 1, chunkStreamID: 8)
        var driver = SessionDriver()
        driver.feed(p.bytes)
        #expect(driver.closeReason == nil)
        #expect(driver.events.dropFirst(3) == [
            .media(streamName: "high", .sequenceHeader(kind: .video, codec: .avc, bytes: PublishScenario.avcRecord)),
            .media(streamName: "low", .sequenceHeader(kind: .video, codec: .avc, bytes: [1, 2, 3])),
            .media(streamName: "low", .frame(MediaFrame(kind: .video, decodeTime: 40, timescale: 1000,
                                                         isKeyframe: true, data: [0, 0, 0, 1, 0x65]))),
            .unpublish(streamName: "high"),
        ])
        #expect(driver.session.publishedStreams == [2: "low"])
        let unpublished = driver.session.connectionClosed()
        #expect(unpublished.first == .unpublish(streamName: "low"))
        guard case .close(let reason) = unpublished.last else {
            Issue.record("expected close")
            return
        }
        #expect(reason.code == .peerClosed)
    }

    @Test func deleteStreamWithAStreamNameAsGStreamerSendsIt() {
        var p = TestPublisher()
        p.handshake()
        p.connect()
        p.command("createStream")
        p.command("publish", .null, ["gst"], streamID: 1, chunkStreamID: 8)
        p.command("deleteStream", .null, ["gst"])
        p.command("deleteStream", .null, [.object([:])])  // nonsense: ignored
        var driver = SessionDriver()
        driver.feed(p.bytes)
        #expect(driver.closeReason == nil)
        #expect(driver.events.last == .unpublish(streamName: "gst"))
        #expect(driver.session.publishedStreams.isEmpty)
    }

    @Test func samePublishNameTwiceIsRejected() throws {
        var p = TestPublisher()
        p.handshake()
        p.connect()
        p.command("createStream")
        p.command("createStream")
        p.command("publish", .null, ["dup"], streamID: 1, chunkStreamID: 8)
        p.command("publish", .null, ["dup"], streamID: 2, chunkStreamID: 9)
        var driver = SessionDriver()
        driver.feed(p.bytes)
        #expect(driver.closeReason?.code == .publishRejected)
        let last = try #require(try driver.sentMessages().last)
        #expect(try AMF0.decodeAll(last.payload).last?["code"] == "NetStream.Publish.BadName")
    }

    // MARK: - Timestamps and codecs

    @Test func timestampsExtendAcrossThe32BitWrap() {
        var p = TestPublisher()
        p.handshake()
        p.connect()
        p.command("createStream")
        p.command("publish", .null, ["s"], streamID: 1, chunkStreamID: 8)
        for timestamp: UInt32 in [0xFFFF_FF00, 0xFFFF_FFF0, 0x10, 0x0000_0005, 0x100] {
            p.audio(streamID: 1, timestamp: timestamp, TestPublisher.aacFrame([1]))
        }
        var driver = SessionDriver()
        driver.feed(p.bytes)
        let times = driver.events.compactMap { action -> Int64? in
            if case .media(_, .frame(let frame)) = action { return frame.decodeTime }
            return nil
        }
        #expect(times == [0xFFFF_FF00, 0xFFFF_FFF0, 0x1_0000_0010, 0x1_0000_0005, 0x1_0000_0100])
    }

    @Test func enhancedRTMPHEVC() {
        var p = TestPublisher()
        p.handshake()
        p.connect()
        p.command("createStream")
        p.command("publish", .null, ["hevc"], streamID: 1, chunkStreamID: 8)
        let fourCC = Array("hvc1".utf8)
        p.video(streamID: 1, timestamp: 0, [0x90] + fourCC + [0x01, 0x02, 0x03])  // keyframe SequenceStart
        p.video(streamID: 1, timestamp: 0, [0x91] + fourCC + [0xFF, 0xFF, 0xD8] + [9, 9])  // CodedFrames, cts -40
        p.video(streamID: 1, timestamp: 33, [0xA3] + fourCC + [7])  // inter CodedFramesX
        p.video(streamID: 1, timestamp: 66, [0xD0] + fourCC + [0])  // command frame: ignored
        p.video(streamID: 1, timestamp: 66, [0x92] + fourCC)  // SequenceEnd
        var driver = SessionDriver()
        driver.feed(p.bytes)
        #expect(driver.events.dropFirst(2) == [
            .media(streamName: "hevc", .sequenceHeader(kind: .video, codec: .hevc, bytes: [1, 2, 3])),
            .media(streamName: "hevc", .frame(MediaFrame(kind: .video, decodeTime: 0, compositionOffset: -40,
                                                          timescale: 1000, isKeyframe: true, data: [9, 9]))),
            .media(streamName: "hevc", .frame(MediaFrame(kind: .video, decodeTime: 33, timescale: 1000,
                                                          isKeyframe: false, data: [7]))),
            .media(streamName: "hevc", .endOfSequence(.video)),
        ])
    }

    @Test func avcEndOfSequenceAndAggregateMessages() {
        var p = TestPublisher()
        p.handshake()
        p.connect()
        p.command("createStream")
        p.command("publish", .null, ["agg"], streamID: 1, chunkStreamID: 8)
        // Aggregate of two FLV tags: audio at tag time 500 and video at 540, message time 1000.
        var aggregate: [UInt8] = []
        for (type, time, body) in [(UInt8(8), UInt32(500), TestPublisher.aacFrame([5, 5])),
                                   (UInt8(9), UInt32(540), TestPublisher.avcFrame(keyframe: false, cts: 0, [6]))] {
            let size = UInt32(body.count)
            aggregate += [type, 0, 0, UInt8(size), 0, UInt8(time >> 8), UInt8(time & 0xFF), 0, 0, 0, 0] + body
            aggregate += [0, 0, 0, UInt8(size + 11)]
        }
        p.message(RTMPMessage(typeID: 22, streamID: 1, timestamp: 1000, chunkStreamID: 7, payload: aggregate))
        p.video(streamID: 1, timestamp: 1100, [0x17, 2, 0, 0, 0])
        var driver = SessionDriver()
        driver.feed(p.bytes)
        #expect(driver.events.dropFirst(2) == [
            .media(streamName: "agg", .frame(MediaFrame(kind: .audio, decodeTime: 1000, timescale: 1000,
                                                         isKeyframe: true, data: [5, 5]))),
            .media(streamName: "agg", .frame(MediaFrame(kind: .video, decodeTime: 1040, timescale: 1000,
                                                         isKeyframe: false, data: [6]))),
            .media(streamName: "agg", .endOfSequence(.video)),
        ])
    }

    @Test func unsupportedAudioCodecCloses() {
        var p = TestPublisher()
        p.handshake()
        p.connect()
        p.command("createStream")
        p.command("publish", .null, ["mp3"], streamID: 1, chunkStreamID: 8)
        p.audio(streamID: 1, timestamp: 0, [0x2F, 0xFF, 0xFB])
        var driver = SessionDriver()
        driver.feed(p.bytes)
        #expect(driver.closeReason?.code == .unsupportedCodec)
        #expect(driver.closeReason?.description
                == "RTMP audio codec MP3 (FLV sound format 2) is not supported; send H.264 or H.265 video and AAC audio")
    }

    // MARK: - Acknowledgements

    @Test func acknowledgesEveryWindow() throws {
        var driver = SessionDriver(configuration: .init(windowAcknowledgementSize: 4000, handshakeSeed: 5))
        // Unlike the scenario, this publisher announces no window, so the configured one applies.
        var p = TestPublisher()
        p.handshake()
        p.connect()
        p.command("createStream")
        p.command("publish", .null, ["ack"], streamID: 1, chunkStreamID: 8)
        for i in 0..<10 {
            p.video(streamID: 1, timestamp: UInt32(i * 40), TestPublisher.avcFrame(keyframe: i == 0, cts: 0,
                                                                                    TestPublisher.nalu(type: 0x41, size: 1000, seed: i)))
        }
        var offset = 0
        while offset < p.bytes.count {
            driver.feed(p.bytes[offset..<min(offset + 500, p.bytes.count)])
            offset += 500
        }
        let acks = try driver.sentMessages().filter { $0.typeID == RTMPMessageType.acknowledgement }
        #expect(acks.count == p.bytes.count / 4000)
        let sequenceNumbers = acks.map { ack -> UInt32 in
            ack.payload.reduce(0) { $0 << 8 | UInt32($1) }
        }
        // Each acknowledges all bytes received at the time it is sent, on the 500-byte feeding grid.
        #expect(sequenceNumbers.allSatisfy { $0 % 500 == 0 || Int($0) == p.bytes.count })
        #expect(zip(sequenceNumbers, sequenceNumbers.dropFirst()).allSatisfy { $1 - $0 >= 4000 })
    }

    // MARK: - Answers

    @Test func rejectConnectSendsErrorAndCloses() throws {
        var session = RTMPServerSession(configuration: .init(handshakeSeed: 2))
        var p = TestPublisher()
        p.handshake()
        p.connect(app: "live/wrongtoken")
        p.command("createStream")
        let actions = session.receive(p.bytes)
        guard case .connect(let request) = actions.last else {
            Issue.record("expected connect, got \(actions)")
            return
        }
        #expect(request.app == "live/wrongtoken")
        let rejection = session.rejectConnect(description: "unknown access token")
        #expect(rejection.count == 2)
        guard case .send(let bytes) = rejection.first, case .close(let reason) = rejection.last else {
            Issue.record("expected send then close, got \(rejection)")
            return
        }
        #expect(reason.code == .connectRejected)
        var decoder = ChunkStreamDecoder()
        decoder.append(bytes)
        let error = try AMF0.decodeAll(try #require(try decoder.nextMessage()).payload)
        #expect(error.first == "_error")
        #expect(error.last?["code"] == "NetConnection.Connect.Rejected")
        #expect(error.last?["description"] == "unknown access token")
        #expect(session.isClosed)
        #expect(session.receive([1, 2, 3]) == [])
    }

    @Test func rejectPublishSendsErrorStatusAndCloses() throws {
        var session = RTMPServerSession(configuration: .init(handshakeSeed: 2))
        var p = TestPublisher()
        p.handshake()
        p.connect()
        p.command("createStream")
        p.command("publish", .null, ["bad name"], streamID: 1, chunkStreamID: 8)
        _ = session.receive(p.bytes)
        let actions = session.acceptConnect()
        guard case .publish(let request) = actions.last else {
            Issue.record("expected publish, got \(actions)")
            return
        }
        #expect(request.streamName == "bad name")
        #expect(request.query == nil)
        let rejection = session.rejectPublish(streamID: 1, code: "NetStream.Publish.BadName", description: "no such stream")
        guard case .send(let bytes) = rejection.first, case .close(let reason) = rejection.last else {
            Issue.record("expected send then close, got \(rejection)")
            return
        }
        #expect(reason.description == "RTMP publish rejected (NetStream.Publish.BadName): no such stream")
        var decoder = ChunkStreamDecoder()
        decoder.append(bytes)
        let message = try #require(try decoder.nextMessage())
        #expect(message.streamID == 1)
        let status = try AMF0.decodeAll(message.payload)
        #expect(status.first == "onStatus")
        #expect(status.last?["level"] == "error")
        #expect(status.last?["code"] == "NetStream.Publish.BadName")
    }

    @Test func unknownCommandsAreHarmless() throws {
        var p = TestPublisher()
        p.handshake()
        p.connect()
        p.command("_checkbw")
        p.command("getStreamLength", .null, ["x"])
        p.command("someVendorExtension", .null, [.object(["a": 1])])
        p.command("createStream")
        var driver = SessionDriver()
        driver.feed(p.bytes)
        #expect(driver.closeReason == nil)
        let results = try driver.sentMessages().filter { commandName($0) == "_result" }
        #expect(try results.map { try AMF0.decodeAll($0.payload)[1] } == [1, 2, 3, 5])
    }

    // MARK: - Protocol errors

    @Test func wrongHandshakeVersionCloses() {
        var session = RTMPServerSession()
        let actions = session.receive(Array("GET / HTTP/1.1\r\n".utf8))
        guard case .close(let reason) = actions.first, actions.count == 1 else {
            Issue.record("expected a single close, got \(actions)")
            return
        }
        #expect(reason.code == .handshakeVersion)
        #expect(reason.description.hasPrefix("RTMP handshake version 71 is not supported (expected 3)"))
        #expect(session.receive([3]) == [])
    }

    @Test func truncatedHandshakeWaitsThenReportsWhereItStopped() {
        var session = RTMPServerSession()
        #expect(session.receive([3] + [UInt8](repeating: 0, count: 1000)) == [])
        let actions = session.connectionClosed()
        guard case .close(let reason) = actions.last else {
            Issue.record("expected close, got \(actions)")
            return
        }
        #expect(reason.description == "RTMP peer closed the connection during the handshake (1001 of 3073 bytes received)")
    }

    @Test func oversizedChunkSizeCloses() {
        var p = TestPublisher()
        p.handshake()
        p.message(.setChunkSize(0x7FFF_FFFF))
        var driver = SessionDriver()
        driver.feed(p.bytes)
        #expect(driver.closeReason?.code == .chunkSizeTooLarge)
        #expect(driver.closeReason?.description == "RTMP chunk size 2147483647 exceeds the 16 MiB limit")
    }

    @Test func oversizedMessageCloses() {
        var p = TestPublisher()
        p.handshake()
        // Header announcing a 3 MiB video message against a 2 MiB limit.
        p.bytes += [0x06, 0, 0, 0, 0x30, 0x00, 0x00, 0x09, 1, 0, 0, 0]
        var driver = SessionDriver(configuration: .init(limits: .init(maxMessageLength: 2 << 20), handshakeSeed: 1))
        driver.feed(p.bytes)
        #expect(driver.closeReason?.code == .messageTooLarge)
        #expect(driver.closeReason?.description == "RTMP message of 3145728 bytes on chunk stream 6 exceeds the 2 MiB limit")
    }

    @Test func mediaBeforePublishCloses() {
        var p = TestPublisher()
        p.handshake()
        p.connect()
        p.command("createStream")
        p.video(streamID: 1, timestamp: 0, TestPublisher.avcSequenceHeader([1]))
        var driver = SessionDriver()
        driver.feed(p.bytes)
        #expect(driver.closeReason?.code == .mediaBeforePublish)
        #expect(driver.closeReason?.description == "RTMP video on message stream 1 before a successful publish on it")
        #expect(!driver.events.contains { if case .media = $0 { return true } else { return false } })
    }

    @Test func publishBeforeConnectCloses() {
        var p = TestPublisher()
        p.handshake()
        p.command("publish", .null, ["x"], streamID: 1)
        var driver = SessionDriver()
        driver.feed(p.bytes)
        #expect(driver.closeReason?.code == .unexpectedCommand)
    }

    @Test func publishOnUncreatedStreamCloses() {
        var p = TestPublisher()
        p.handshake()
        p.connect()
        p.command("publish", .null, ["x"], streamID: 3, chunkStreamID: 8)
        var driver = SessionDriver()
        driver.feed(p.bytes)
        #expect(driver.closeReason?.description
                == "RTMP command unexpected: publish on message stream 3, which createStream did not create")
    }

    @Test func randomBytesAfterAValidHandshakeNeverCrash() {
        var generator = SplitMix64(seed: 99)
        var closes = 0
        for _ in 0..<300 {
            var p = TestPublisher()
            p.handshake()
            if generator.next() % 2 == 0 { p.connect() }
            let noise = (0..<Int(generator.next() % 400)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            var driver = SessionDriver(configuration: .init(limits: .init(maxMessageLength: 1 << 20,
                                                                          maxPendingPayload: 1 << 20), handshakeSeed: 1))
            driver.feed(p.bytes + noise)
            if let reason = driver.closeReason {
                closes += 1
                #expect(!reason.description.isEmpty)
                #expect(driver.session.isClosed)
            }
        }
        #expect(closes > 0)
    }

    @Test func randomBytesAsHandshakeClose() {
        var generator = SplitMix64(seed: 4)
        for _ in 0..<100 {
            var bytes = (0..<Int(generator.next() % 5000 + 1)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if bytes[0] == 3 { bytes[0] = 4 }
            var session = RTMPServerSession()
            let actions = session.receive(bytes)
            #expect(actions == [.close(reason: .handshakeVersion(bytes[0]))])
        }
    }
}

