import Media

/// The server side of one RTMP connection from a publisher: handshake, chunk stream, commands and
/// media. Bytes in, actions out; no I/O.
///
/// The owner feeds received bytes to ``receive(_:)`` and performs the returned actions in order.
/// `.connect` and `.publish` need an answer (`accept…`/`reject…`); until it comes, later input is
/// buffered, not decoded, so replies keep the order the peer expects.
public struct RTMPServerSession: Sendable {
    /// Settings of one session.
    public struct Configuration: Sendable {
        /// Window Acknowledgement Size announced to the peer, and the acknowledgement interval used until
        /// the peer announces its own (default 2 500 000 bytes).
        public var windowAcknowledgementSize: UInt32
        /// Set Peer Bandwidth value sent on connect, limit type dynamic (default 2 500 000).
        public var peerBandwidth: UInt32
        /// Chunk size announced and used for everything sent after connect (default 4096).
        public var outgoingChunkSize: Int
        /// Chunk stream limits (chunk size and message length 16 MiB, 64 chunk streams).
        public var limits: ChunkStreamDecoder.Limits
        /// Most `createStream` calls per connection (default 16: multi-bitrate publishers use one per rendition).
        public var maxStreams: Int
        /// Most received bytes held undecoded while a connect or publish answer is awaited (default 32 MiB).
        public var maxBufferedInput: Int
        /// Seed for the S1 random bytes; nil uses the system generator. Tests set it for reproducible output.
        public var handshakeSeed: UInt64?
        /// `fmsVer` reported in the connect result (default `FMS/3,0,1,123`, which encoders expect to look like FMS).
        public var serverVersion: String

        public init(windowAcknowledgementSize: UInt32 = 2_500_000, peerBandwidth: UInt32 = 2_500_000,
                    outgoingChunkSize: Int = 4096, limits: ChunkStreamDecoder.Limits = .init(), maxStreams: Int = 16,
                    maxBufferedInput: Int = 32 << 20, handshakeSeed: UInt64? = nil,
                    serverVersion: String = "FMS/3,0,1,123") {
            precondition(outgoingChunkSize >= 128 && outgoingChunkSize <= 0xFF_FFFF, "outgoing chunk size out of range")
            self.windowAcknowledgementSize = windowAcknowledgementSize
            self.peerBandwidth = peerBandwidth
            self.outgoingChunkSize = outgoingChunkSize
            self.limits = limits
            self.maxStreams = maxStreams
            self.maxBufferedInput = maxBufferedInput
            self.handshakeSeed = handshakeSeed
            self.serverVersion = serverVersion
        }
    }

    /// Where the connection is.
    enum State: Sendable, Equatable {
        case awaitingC0C1
        case awaitingC2
        case awaitingConnect
        case connectPending(transactionID: Double, objectEncoding: Double)
        case connected
        case closed
    }

    private struct PendingPublish: Sendable {
        var streamID: UInt32
        var name: String
    }

    /// A message stream made by `createStream`.
    private struct MessageStream: Sendable {
        var publishedName: String?
        var clock = TimestampExtender()
    }

    static let handshakeVersion: UInt8 = 3
    static let handshakeSize = 1536

    public let configuration: Configuration
    private(set) var state: State = .awaitingC0C1
    private var handshakeBuffer: [UInt8] = []
    private var decoder: ChunkStreamDecoder
    private var encoder = ChunkStreamEncoder()
    private var streams: [UInt32: MessageStream] = [:]
    private var nextStreamID: UInt32 = 1
    private var pendingPublish: PendingPublish?
    private var peerWindowAcknowledgementSize: UInt32?
    private var bytesSinceAcknowledgement: UInt64 = 0

    /// Bytes fed to ``receive(_:)``, handshake included.
    public private(set) var bytesReceived: UInt64 = 0
    /// Complete RTMP messages decoded.
    public private(set) var messagesReceived: UInt64 = 0
    /// Bytes returned in `.send` actions.
    public private(set) var bytesSent: UInt64 = 0

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        self.decoder = ChunkStreamDecoder(limits: configuration.limits)
    }

    /// True once the session returned `.close`; it then ignores input.
    public var isClosed: Bool { state == .closed }

    /// Stream names publishing now, by message stream id.
    public var publishedStreams: [UInt32: String] {
        streams.compactMapValues(\.publishedName)
    }

    /// The peer's current chunk size.
    public var peerChunkSize: Int { decoder.chunkSize }

    // MARK: - Input

    /// Feeds bytes received from the peer and returns what to do.
    public mutating func receive(_ bytes: some Collection<UInt8>) -> [RTMPAction] {
        guard state != .closed else { return [] }
        bytesReceived += UInt64(bytes.count)
        bytesSinceAcknowledgement += UInt64(bytes.count)
        var output = Output()
        switch state {
        case .awaitingC0C1, .awaitingC2:
            handshake(bytes, &output)
        default:
            decoder.append(bytes)
        }
        if state != .awaitingC0C1 && state != .awaitingC2 {
            drain(&output)
            acknowledgeIfDue(&output)
        }
        return finish(output)
    }

    // MARK: - Answers

    /// Accepts the pending `connect`: window, bandwidth, chunk size and the `_result`.
    public mutating func acceptConnect() -> [RTMPAction] {
        guard case let .connectPending(transactionID, objectEncoding) = state else {
            precondition(state == .closed, "acceptConnect() without a pending connect")
            return []
        }
        var output = Output()
        send(.windowAcknowledgementSize(configuration.windowAcknowledgementSize), &output)
        send(.setPeerBandwidth(configuration.peerBandwidth, limitType: 2), &output)
        send(.setChunkSize(UInt32(configuration.outgoingChunkSize)), &output)
        let properties: AMF0Object = ["fmsVer": .string(configuration.serverVersion), "capabilities": 31, "mode": 1]
        let information: AMF0Object = [
            "level": "status", "code": "NetConnection.Connect.Success", "description": "Connection succeeded.",
            "objectEncoding": .number(objectEncoding),
        ]
        send(.command(["_result", .number(transactionID), .object(properties), .object(information)],
                      chunkStreamID: ServerChunkStream.command), &output)
        state = .connected
        drain(&output)
        acknowledgeIfDue(&output)
        return finish(output)
    }

    /// Rejects the pending `connect` with `_error` NetConnection.Connect.Rejected, then closes.
    public mutating func rejectConnect(description: String) -> [RTMPAction] {
        guard case let .connectPending(transactionID, _) = state else {
            precondition(state == .closed, "rejectConnect(description:) without a pending connect")
            return []
        }
        var output = Output()
        let information: AMF0Object = [
            "level": "error", "code": "NetConnection.Connect.Rejected", "description": .string(description),
        ]
        send(.command(["_error", .number(transactionID), .null, .object(information)],
                      chunkStreamID: ServerChunkStream.command), &output)
        fail(.connectRejected(description), &output)
        return finish(output)
    }

    /// Accepts the pending `publish` on `streamID`: StreamBegin and onStatus NetStream.Publish.Start.
    public mutating func acceptPublish(streamID: UInt32) -> [RTMPAction] {
        guard let pending = pendingPublish, pending.streamID == streamID, state == .connected else {
            precondition(state == .closed, "acceptPublish(streamID: \(streamID)) without that publish pending")
            return []
        }
        pendingPublish = nil
        streams[streamID]?.publishedName = pending.name
        var output = Output()
        send(.userControl(event: 0, value: streamID), &output)
        sendStatus(streamID: streamID, level: "status", code: "NetStream.Publish.Start",
                   description: "\(pending.name) is now published.", &output)
        drain(&output)
        acknowledgeIfDue(&output)
        return finish(output)
    }

    /// Rejects the pending `publish` on `streamID` with an error onStatus (e.g. `NetStream.Publish.BadName`),
    /// then closes.
    public mutating func rejectPublish(streamID: UInt32, code: String, description: String) -> [RTMPAction] {
        guard let pending = pendingPublish, pending.streamID == streamID, state == .connected else {
            precondition(state == .closed, "rejectPublish(streamID: \(streamID)) without that publish pending")
            return []
        }
        pendingPublish = nil
        var output = Output()
        sendStatus(streamID: streamID, level: "error", code: code, description: description, &output)
        fail(.publishRejected(code: code, description: description), &output)
        return finish(output)
    }

    /// The peer closed the connection (EOF): unpublishes what was publishing and reports where it stopped.
    public mutating func connectionClosed() -> [RTMPAction] {
        guard state != .closed else { return [] }
        var output = Output()
        for streamID in streams.keys.sorted() { unpublish(streamID, &output) }
        let when: String
        switch state {
        case .awaitingC0C1, .awaitingC2:
            when = "during the handshake (\(bytesReceived) of \(1 + 2 * Self.handshakeSize) bytes received)"
        case .awaitingConnect, .connectPending:
            when = "before connecting"
        case .connected, .closed:
            when = decoder.hasPartialInput ? "in the middle of a message" : "after \(messagesReceived) messages"
        }
        fail(.peerClosed(when), &output)
        return finish(output)
    }

    // MARK: - Handshake

    private mutating func handshake(_ bytes: some Collection<UInt8>, _ output: inout Output) {
        handshakeBuffer.append(contentsOf: bytes)
        if state == .awaitingC0C1 {
            if let version = handshakeBuffer.first, version != Self.handshakeVersion {
                fail(.handshakeVersion(version), &output)
                return
            }
            guard handshakeBuffer.count >= 1 + Self.handshakeSize else { return }
            var writer = ByteWriter(capacity: 1 + 2 * Self.handshakeSize)
            writer.write(Self.handshakeVersion)
            // S1: time 0, zero, random bytes the client echoes in C2 (plain handshake: not verified).
            writer.write(UInt32(0))
            writer.write(UInt32(0))
            writer.write(contentsOf: handshakeRandom(count: Self.handshakeSize - 8))
            // S2 echoes C1, which every plain-handshake client accepts.
            writer.write(contentsOf: handshakeBuffer[1..<(1 + Self.handshakeSize)])
            output.send(writer.bytes)
            handshakeBuffer.removeFirst(1 + Self.handshakeSize)
            state = .awaitingC2
        }
        if state == .awaitingC2 {
            guard handshakeBuffer.count >= Self.handshakeSize else { return }
            // C2 is not checked: clients differ in what they echo, and nothing depends on it.
            decoder.append(handshakeBuffer[Self.handshakeSize...])
            handshakeBuffer = []
            state = .awaitingConnect
        }
    }

    private func handshakeRandom(count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        if let seed = configuration.handshakeSeed {
            var generator = SplitMix64(seed: seed)
            for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: generator.next()) }
        } else {
            var generator = SystemRandomNumberGenerator()
            for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: generator.next()) }
        }
        return bytes
    }

    // MARK: - Messages

    private var isAwaitingAnswer: Bool {
        if case .connectPending = state { return true }
        return pendingPublish != nil
    }

    /// Decodes and handles messages until input runs out, an answer is awaited or the session fails.
    private mutating func drain(_ output: inout Output) {
        while state != .closed && !isAwaitingAnswer {
            do {
                guard let message = try decoder.nextMessage() else { break }
                messagesReceived += 1
                try handle(message, &output)
            } catch {
                fail(error, &output)
                return
            }
        }
        if state != .closed && decoder.unparsedByteCount > configuration.maxBufferedInput {
            fail(.inputBufferOverflow(decoder.unparsedByteCount, limit: configuration.maxBufferedInput), &output)
        }
    }

    private mutating func handle(_ message: RTMPMessage, _ output: inout Output) throws(RTMPError) {
        switch message.typeID {
        case RTMPMessageType.windowAcknowledgementSize:
            var reader = ByteReader(message.payload)
            guard let size = try? reader.readUInt32() else {
                throw .malformedMessage("Window Acknowledgement Size payload has \(message.payload.count) bytes, needs 4")
            }
            peerWindowAcknowledgementSize = size
        case RTMPMessageType.audio, RTMPMessageType.video:
            try handleMedia(message, &output)
        case RTMPMessageType.dataAMF0, RTMPMessageType.dataAMF3:
            try handleData(message, &output)
        case RTMPMessageType.commandAMF0, RTMPMessageType.commandAMF3:
            try handleCommand(message, &output)
        case RTMPMessageType.aggregate:
            try handleAggregate(message, &output)
        default:
            // Set Chunk Size and Abort were applied by the decoder; acknowledgements, user control
            // (buffer length, ping replies), peer bandwidth and shared objects need nothing from an ingest.
            break
        }
    }

    /// AMF values of a command or data message; the AMF3 variants start with a format byte 0 and then use AMF0.
    private func amfValues(_ message: RTMPMessage) throws(RTMPError) -> [AMF0Value] {
        var body = message.payload[...]
        if message.typeID == RTMPMessageType.commandAMF3 || message.typeID == RTMPMessageType.dataAMF3,
           body.first == 0 {
            body = body.dropFirst()
        }
        return try AMF0.decodeAll(body)
    }

    // MARK: - Commands

    private mutating func handleCommand(_ message: RTMPMessage, _ output: inout Output) throws(RTMPError) {
        let values = try amfValues(message)
        guard let name = values.first?.stringValue else {
            throw .malformedMessage("command message on stream \(message.streamID) does not start with a name")
        }
        let transactionID = values.count > 1 ? values[1].numberValue ?? 0 : 0
        let commandObject = values.count > 2 ? values[2] : .null
        let arguments = Array(values.dropFirst(3))

        if name == "connect" {
            guard state == .awaitingConnect else { throw .unexpectedCommand("a second connect on one connection") }
            guard let object = commandObject.objectValue else {
                throw .malformedMessage("connect has no command object")
            }
            let objectEncoding = object["objectEncoding"]?.numberValue ?? 0
            let request = RTMPConnectRequest(
                app: object["app"]?.stringValue ?? "", tcUrl: object["tcUrl"]?.stringValue,
                flashVer: object["flashVer"]?.stringValue, swfUrl: object["swfUrl"]?.stringValue,
                pageUrl: object["pageUrl"]?.stringValue, objectEncoding: objectEncoding,
                commandObject: object, arguments: arguments)
            state = .connectPending(transactionID: transactionID, objectEncoding: objectEncoding)
            output.emit(.connect(request))
            return
        }

        guard state == .connected else {
            if Self.commandsNeedingConnection.contains(name) { throw .unexpectedCommand("'\(name)' before a successful connect") }
            return  // anything else before connect is ignored, as unknown commands are
        }

        switch name {
        case "createStream":
            guard streams.count < configuration.maxStreams else { throw .tooManyStreams(limit: configuration.maxStreams) }
            let streamID = nextStreamID
            nextStreamID += 1
            streams[streamID] = MessageStream()
            sendResult(transactionID, .number(Double(streamID)), &output)
        case "publish":
            try handlePublish(message.streamID, arguments, &output)
        case "releaseStream", "_checkbw":
            if transactionID != 0 { sendResult(transactionID, .undefined, &output) }
        case "getStreamLength":
            if transactionID != 0 { sendResult(transactionID, .number(0), &output) }
        case "FCPublish":
            let streamName = arguments.first?.stringValue ?? ""
            send(.command(["onFCPublish", 0, .null,
                           .object(["code": "NetStream.Publish.Start", "description": .string(streamName)])],
                          chunkStreamID: ServerChunkStream.command), &output)
        case "FCUnpublish":
            let streamName = Self.splitQuery(arguments.first?.stringValue ?? "").name
            if let (streamID, _) = streams.first(where: { $0.value.publishedName == streamName }) {
                unpublish(streamID, &output)
                send(.command(["onFCUnpublish", 0, .null,
                               .object(["code": "NetStream.Unpublish.Success", "description": .string(streamName)])],
                              chunkStreamID: ServerChunkStream.command), &output)
            }
        case "closeStream":
            unpublish(message.streamID, &output)
        case "deleteStream":
            // The stream id is the argument; GStreamer's rtmp2sink sends the stream name there instead.
            // Whatever arrives, deleting is never worth failing the connection over.
            let target: UInt32?
            switch arguments.first {
            case .number(let number)?: target = UInt32(exactly: number)
            case .string(let name)?: target = streams.first { $0.value.publishedName == name }?.key
            default: target = message.streamID == 0 ? nil : message.streamID
            }
            if let target {
                unpublish(target, &output)
                streams[target] = nil
            }
        case "play", "play2":
            throw .unexpectedCommand("'\(name)': this is an ingest endpoint, playback is not served over RTMP")
        default:
            // Replies to our own calls (_result/_error), onBWDone and unknown commands need nothing.
            break
        }
    }

    private mutating func handlePublish(_ streamID: UInt32, _ arguments: [AMF0Value],
                                        _ output: inout Output) throws(RTMPError) {
        guard let stream = streams[streamID] else {
            throw .unexpectedCommand("publish on message stream \(streamID), which createStream did not create")
        }
        if let published = stream.publishedName {
            throw .unexpectedCommand("publish on message stream \(streamID), which is already publishing '\(published)'")
        }
        guard let fullName = arguments.first?.stringValue else {
            throw .malformedMessage("publish on message stream \(streamID) has no stream name")
        }
        let (name, query) = Self.splitQuery(fullName)
        if streams.values.contains(where: { $0.publishedName == name }) {
            let description = "\(name) is already being published on this connection"
            sendStatus(streamID: streamID, level: "error", code: "NetStream.Publish.BadName",
                       description: description, &output)
            throw .publishRejected(code: "NetStream.Publish.BadName", description: description)
        }
        let publishType = arguments.count > 1 ? arguments[1].stringValue ?? "live" : "live"
        pendingPublish = PendingPublish(streamID: streamID, name: name)
        output.emit(.publish(RTMPPublishRequest(streamID: streamID, streamName: name, query: query,
                                                publishType: publishType)))
    }

    private mutating func unpublish(_ streamID: UInt32, _ output: inout Output) {
        guard let name = streams[streamID]?.publishedName else { return }
        streams[streamID]?.publishedName = nil
        output.emit(.unpublish(streamName: name))
    }

    /// Commands that are a protocol error before connect; others are ignored then.
    private static let commandsNeedingConnection: Set<String> = [
        "createStream", "publish", "releaseStream", "FCPublish", "FCUnpublish", "deleteStream", "closeStream",
        "play", "play2",
    ]

    static func splitQuery(_ fullName: String) -> (name: String, query: String?) {
        guard let mark = fullName.firstIndex(of: "?") else { return (fullName, nil) }
        return (String(fullName[..<mark]), String(fullName[fullName.index(after: mark)...]))
    }

    // MARK: - Media and metadata

    private mutating func handleMedia(_ message: RTMPMessage, _ output: inout Output) throws(RTMPError) {
        let isAudio = message.typeID == RTMPMessageType.audio
        guard var stream = streams[message.streamID], let name = stream.publishedName else {
            throw .mediaBeforePublish(kind: isAudio ? "audio" : "video", streamID: message.streamID)
        }
        let decodeTime = stream.clock.extend(message.timestamp)
        streams[message.streamID] = stream
        let event = isAudio
            ? try FLVMediaParser.audio(message.payload, decodeTime: decodeTime)
            : try FLVMediaParser.video(message.payload, decodeTime: decodeTime)
        if let event { output.emit(.media(streamName: name, event)) }
    }

    private mutating func handleData(_ message: RTMPMessage, _ output: inout Output) throws(RTMPError) {
        var values = try amfValues(message)[...]
        if values.first?.stringValue == "@setDataFrame" { values = values.dropFirst() }
        guard values.first?.stringValue == "onMetaData", values.count > 1,
              let properties = values[values.startIndex + 1].objectValue,
              let name = streams[message.streamID]?.publishedName else {
            return  // other data (onTextData, onCuePoint) or metadata outside a publish: nothing to do
        }
        output.emit(.metadata(streamName: name, properties.dictionary))
    }

    /// Aggregate messages carry FLV tags (header, body, previous tag size); timestamps are relative to the first tag.
    private mutating func handleAggregate(_ message: RTMPMessage, _ output: inout Output) throws(RTMPError) {
        var reader = ByteReader(message.payload)
        var firstTimestamp: UInt32?
        do {
            while !reader.isAtEnd {
                let tagType = try reader.readUInt8() & 0x1F
                let size = Int(try reader.readUInt24())
                let low = try reader.readUInt24()
                let timestamp = UInt32(try reader.readUInt8()) << 24 | low
                try reader.skip(3)
                let body = try reader.readBytes(size)
                try reader.skip(min(4, reader.remaining))
                let base = firstTimestamp ?? timestamp
                firstTimestamp = base
                let sub = RTMPMessage(typeID: tagType, streamID: message.streamID,
                                      timestamp: message.timestamp &+ (timestamp &- base),
                                      chunkStreamID: message.chunkStreamID, payload: Array(body))
                switch tagType {
                case RTMPMessageType.audio, RTMPMessageType.video: try handleMedia(sub, &output)
                case RTMPMessageType.dataAMF0: try handleData(sub, &output)
                default: break
                }
            }
        } catch let error as MediaParseError {
            throw .malformedMessage("aggregate message on stream \(message.streamID): \(error)")
        } catch let error as RTMPError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    // MARK: - Output

    /// Collects actions; consecutive sends are merged into one write.
    private struct Output {
        var actions: [RTMPAction] = []
        var pending = ByteWriter(capacity: 0)

        mutating func send(_ bytes: [UInt8]) { pending.write(contentsOf: bytes) }

        mutating func emit(_ action: RTMPAction) {
            flush()
            actions.append(action)
        }

        mutating func flush() {
            guard pending.count > 0 else { return }
            actions.append(.send(pending.bytes))
            pending = ByteWriter(capacity: 0)
        }
    }

    private mutating func finish(_ output: Output) -> [RTMPAction] {
        var output = output
        output.flush()
        for case .send(let bytes) in output.actions { bytesSent += UInt64(bytes.count) }
        return output.actions
    }

    private mutating func send(_ message: RTMPMessage, _ output: inout Output) {
        encoder.encode(message, into: &output.pending)
    }

    private mutating func sendResult(_ transactionID: Double, _ value: AMF0Value, _ output: inout Output) {
        send(.command(["_result", .number(transactionID), .null, value], chunkStreamID: ServerChunkStream.command),
             &output)
    }

    private mutating func sendStatus(streamID: UInt32, level: String, code: String, description: String,
                                     _ output: inout Output) {
        let information: AMF0Object = ["level": .string(level), "code": .string(code),
                                       "description": .string(description)]
        send(.command(["onStatus", 0, .null, .object(information)], streamID: streamID,
                      chunkStreamID: ServerChunkStream.streamStatus), &output)
    }

    private mutating func acknowledgeIfDue(_ output: inout Output) {
        guard state != .closed else { return }
        let window = UInt64(peerWindowAcknowledgementSize ?? configuration.windowAcknowledgementSize)
        guard window > 0, bytesSinceAcknowledgement >= window else { return }
        bytesSinceAcknowledgement = 0
        send(.acknowledgement(UInt32(truncatingIfNeeded: bytesReceived)), &output)
    }

    private mutating func fail(_ error: RTMPError, _ output: inout Output) {
        state = .closed
        pendingPublish = nil
        handshakeBuffer = []
        output.emit(.close(reason: error))
    }
}
