import Media
@testable import RTMP

/// Builds the bytes a publisher (ffmpeg/OBS-like) sends: handshake, commands, metadata and FLV media,
/// chunked with header compression like real encoders.
struct TestPublisher {
    var encoder = ChunkStreamEncoder(chunkSize: 128, compressesHeaders: true)
    var bytes: [UInt8] = []
    private var transactionID = 0.0

    /// C1 contents: time, zero, then a recognisable pattern.
    static let c1: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0] + (0..<1528).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }

    mutating func handshake() {
        bytes.append(3)
        bytes += Self.c1
        // C2: a client echoes S1; the server does not check it.
        bytes += [UInt8](repeating: 0xC2, count: 1536)
    }

    mutating func message(_ message: RTMPMessage) {
        bytes += encoder.encode(message)
    }

    mutating func setChunkSize(_ size: UInt32) {
        message(.setChunkSize(size))
    }

    mutating func command(_ name: String, _ object: AMF0Value = .null, _ arguments: [AMF0Value] = [],
                          streamID: UInt32 = 0, chunkStreamID: UInt32 = 3) {
        transactionID += 1
        message(.command([.string(name), .number(transactionID), object] + arguments, streamID: streamID,
                         chunkStreamID: chunkStreamID))
    }

    mutating func connect(app: String = "live/token123", tcUrl: String = "rtmp://box:1935/live/token123") {
        command("connect", .object(["app": .string(app), "type": "nonprivate", "flashVer": "FMLE/3.0 (compatible; FMSc/1.0)",
                                    "tcUrl": .string(tcUrl), "objectEncoding": 0]))
    }

    mutating func metadata(streamID: UInt32, _ properties: AMF0Object) {
        message(RTMPMessage(typeID: RTMPMessageType.dataAMF0, streamID: streamID, chunkStreamID: 4,
                            payload: AMF0.encode(["@setDataFrame", "onMetaData", .ecmaArray(properties)])))
    }

    mutating func video(streamID: UInt32, timestamp: UInt32, _ payload: [UInt8]) {
        message(RTMPMessage(typeID: RTMPMessageType.video, streamID: streamID, timestamp: timestamp,
                            chunkStreamID: 6, payload: payload))
    }

    mutating func audio(streamID: UInt32, timestamp: UInt32, _ payload: [UInt8]) {
        message(RTMPMessage(typeID: RTMPMessageType.audio, streamID: streamID, timestamp: timestamp,
                            chunkStreamID: 4, payload: payload))
    }

    // MARK: - FLV payloads

    static func avcSequenceHeader(_ record: [UInt8]) -> [UInt8] { [0x17, 0, 0, 0, 0] + record }

    static func avcFrame(keyframe: Bool, cts: Int32, _ nalus: [UInt8]) -> [UInt8] {
        let c = UInt32(bitPattern: cts)
        return [keyframe ? 0x17 : 0x27, 1, UInt8(truncatingIfNeeded: c >> 16), UInt8(truncatingIfNeeded: c >> 8),
                UInt8(truncatingIfNeeded: c)] + nalus
    }

    static func aacSequenceHeader(_ config: [UInt8]) -> [UInt8] { [0xAF, 0] + config }

    static func aacFrame(_ data: [UInt8]) -> [UInt8] { [0xAF, 1] + data }

    /// Length-prefixed NAL unit of `size` bytes (header byte `type`), filled deterministically.
    static func nalu(type: UInt8, size: Int, seed: Int) -> [UInt8] {
        let n = UInt32(size)
        return [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8),
                UInt8(truncatingIfNeeded: n), type] + (1..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
    }
}

/// Drives a session as an ingest would: accepts connect and publish, collects sends and events.
struct SessionDriver {
    var session: RTMPServerSession
    var sent: [UInt8] = []
    /// Every action except `.send`, in order.
    var events: [RTMPAction] = []
    var acceptsPublish = true

    init(configuration: RTMPServerSession.Configuration = .init(handshakeSeed: 42)) {
        session = RTMPServerSession(configuration: configuration)
    }

    mutating func feed(_ bytes: some Collection<UInt8>) {
        perform(session.receive(bytes))
    }

    mutating func perform(_ actions: [RTMPAction]) {
        for action in actions {
            switch action {
            case .send(let bytes):
                sent += bytes
            case .connect:
                events.append(action)
                perform(session.acceptConnect())
            case .publish(let request):
                events.append(action)
                perform(session.acceptPublish(streamID: request.streamID))
            default:
                events.append(action)
            }
        }
    }

    /// The close reason, if the session closed.
    var closeReason: RTMPError? {
        for case .close(let reason) in events { return reason }
        return nil
    }

    /// The messages the server sent after its handshake.
    func sentMessages() throws -> [RTMPMessage] {
        var decoder = ChunkStreamDecoder()
        decoder.append(sent.dropFirst(1 + 2 * 1536))
        return try decoder.nextMessages()
    }
}
