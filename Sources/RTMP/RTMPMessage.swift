import Media

/// One complete RTMP message, reassembled from its chunks.
public struct RTMPMessage: Sendable, Hashable {
    /// Message type id (see ``RTMPMessageType``).
    public var typeID: UInt8
    /// Message stream id: 0 for the connection, others from `createStream`.
    public var streamID: UInt32
    /// Full 32-bit timestamp in milliseconds (extended timestamps applied); wrapping is the consumer's job.
    public var timestamp: UInt32
    /// The chunk stream the message travelled on.
    public var chunkStreamID: UInt32
    public var payload: [UInt8]

    public init(typeID: UInt8, streamID: UInt32 = 0, timestamp: UInt32 = 0, chunkStreamID: UInt32, payload: [UInt8]) {
        self.typeID = typeID
        self.streamID = streamID
        self.timestamp = timestamp
        self.chunkStreamID = chunkStreamID
        self.payload = payload
    }
}

/// RTMP message type ids (RTMP 1.0 §5.4, §7.1).
public enum RTMPMessageType {
    public static let setChunkSize: UInt8 = 1
    public static let abort: UInt8 = 2
    public static let acknowledgement: UInt8 = 3
    public static let userControl: UInt8 = 4
    public static let windowAcknowledgementSize: UInt8 = 5
    public static let setPeerBandwidth: UInt8 = 6
    public static let audio: UInt8 = 8
    public static let video: UInt8 = 9
    public static let dataAMF3: UInt8 = 15
    public static let sharedObjectAMF3: UInt8 = 16
    public static let commandAMF3: UInt8 = 17
    public static let dataAMF0: UInt8 = 18
    public static let sharedObjectAMF0: UInt8 = 19
    public static let commandAMF0: UInt8 = 20
    public static let aggregate: UInt8 = 22
}

/// Chunk stream ids the server sends on. Any id works for a peer; these follow common practice.
enum ServerChunkStream {
    /// Protocol control and user control messages must use chunk stream 2.
    static let control: UInt32 = 2
    /// Connection-level command replies.
    static let command: UInt32 = 3
    /// Stream-level status (`onStatus`).
    static let streamStatus: UInt32 = 5
}

// MARK: - Building messages

extension RTMPMessage {
    /// Set Chunk Size (type 1): the sender's chunks are at most `size` bytes from now on.
    public static func setChunkSize(_ size: UInt32) -> RTMPMessage {
        control(RTMPMessageType.setChunkSize, size & 0x7FFF_FFFF)
    }

    /// Acknowledgement (type 3): `sequenceNumber` bytes received so far (wrapping at 2^32).
    public static func acknowledgement(_ sequenceNumber: UInt32) -> RTMPMessage {
        control(RTMPMessageType.acknowledgement, sequenceNumber)
    }

    /// Window Acknowledgement Size (type 5): the peer should acknowledge every `size` bytes.
    public static func windowAcknowledgementSize(_ size: UInt32) -> RTMPMessage {
        control(RTMPMessageType.windowAcknowledgementSize, size)
    }

    /// Set Peer Bandwidth (type 6); limit type 0 hard, 1 soft, 2 dynamic.
    public static func setPeerBandwidth(_ size: UInt32, limitType: UInt8 = 2) -> RTMPMessage {
        var w = ByteWriter(capacity: 5)
        w.write(size)
        w.write(limitType)
        return RTMPMessage(typeID: RTMPMessageType.setPeerBandwidth, chunkStreamID: ServerChunkStream.control,
                           payload: w.bytes)
    }

    /// User Control (type 4) with a 4-byte event value; event 0 is StreamBegin.
    public static func userControl(event: UInt16, value: UInt32) -> RTMPMessage {
        var w = ByteWriter(capacity: 6)
        w.write(event)
        w.write(value)
        return RTMPMessage(typeID: RTMPMessageType.userControl, chunkStreamID: ServerChunkStream.control,
                           payload: w.bytes)
    }

    /// An AMF0 command message (type 20).
    public static func command(_ values: [AMF0Value], streamID: UInt32 = 0, chunkStreamID: UInt32) -> RTMPMessage {
        RTMPMessage(typeID: RTMPMessageType.commandAMF0, streamID: streamID, chunkStreamID: chunkStreamID,
                    payload: AMF0.encode(values))
    }

    private static func control(_ typeID: UInt8, _ value: UInt32) -> RTMPMessage {
        var w = ByteWriter(capacity: 4)
        w.write(value)
        return RTMPMessage(typeID: typeID, chunkStreamID: ServerChunkStream.control, payload: w.bytes)
    }
}
