public import Media

/// Splits outgoing RTMP messages into chunks (RTMP 1.0 §5.3).
///
/// By default every message starts with a type 0 header followed by type 3 continuations. With
/// `compressesHeaders`, headers of types 1, 2 and 3 are used where the previous message on the same
/// chunk stream allows it, as publishers do.
public struct ChunkStreamEncoder: Sendable {
    private struct PreviousHeader {
        var timestamp: UInt32
        var timestampField: UInt32
        var length: Int
        var typeID: UInt8
        var streamID: UInt32
    }

    /// The chunk size used for outgoing chunks.
    public private(set) var chunkSize: Int
    /// Use header types 1/2/3 when the previous message on the chunk stream allows it.
    public var compressesHeaders: Bool
    private var previous: [UInt32: PreviousHeader] = [:]

    public init(chunkSize: Int = 128, compressesHeaders: Bool = false) {
        precondition(chunkSize >= 1 && chunkSize <= 0x7FFF_FFFF, "chunk size must be 1...2147483647")
        self.chunkSize = chunkSize
        self.compressesHeaders = compressesHeaders
    }

    /// The chunks of `message`. Encoding a Set Chunk Size message switches to the new size afterwards.
    public mutating func encode(_ message: RTMPMessage) -> [UInt8] {
        var writer = ByteWriter(capacity: message.payload.count + 16 + message.payload.count / chunkSize * 5)
        encode(message, into: &writer)
        return writer.bytes
    }

    /// Appends the chunks of `message`. Encoding a Set Chunk Size message switches to the new size afterwards.
    public mutating func encode(_ message: RTMPMessage, into writer: inout ByteWriter) {
        precondition(message.chunkStreamID >= 2 && message.chunkStreamID <= 65599, "chunk stream ids are 2...65599")
        precondition(message.payload.count <= 0xFF_FFFF, "RTMP message lengths are 24-bit")
        let csid = message.chunkStreamID
        let length = message.payload.count

        var format: UInt8 = 0
        var field = message.timestamp
        if compressesHeaders, let last = previous[csid], last.streamID == message.streamID,
           message.timestamp >= last.timestamp {
            let delta = message.timestamp - last.timestamp
            if last.length == length && last.typeID == message.typeID {
                format = delta == last.timestampField ? 3 : 2
            } else {
                format = 1
            }
            field = delta
        }
        previous[csid] = PreviousHeader(timestamp: message.timestamp, timestampField: field, length: length,
                                        typeID: message.typeID, streamID: message.streamID)
        let extended = field >= 0xFF_FFFF

        writeBasicHeader(format: format, csid: csid, into: &writer)
        if format <= 2 { writer.writeUInt24(extended ? 0xFF_FFFF : field) }
        if format <= 1 {
            writer.writeUInt24(UInt32(length))
            writer.write(message.typeID)
        }
        if format == 0 { writer.writeUInt32LE(message.streamID) }
        if extended { writer.write(field) }

        var offset = 0
        repeat {
            if offset > 0 {
                writeBasicHeader(format: 3, csid: csid, into: &writer)
                if extended { writer.write(field) }
            }
            let end = min(offset + chunkSize, length)
            writer.write(contentsOf: message.payload[offset..<end])
            offset = end
        } while offset < length

        if message.typeID == RTMPMessageType.setChunkSize, message.payload.count >= 4 {
            let p = message.payload
            let size = Int(p[0] & 0x7F) << 24 | Int(p[1]) << 16 | Int(p[2]) << 8 | Int(p[3])
            if size > 0 { chunkSize = size }
        }
    }

    private func writeBasicHeader(format: UInt8, csid: UInt32, into writer: inout ByteWriter) {
        switch csid {
        case 2...63:
            writer.write(format << 6 | UInt8(csid))
        case 64...319:
            writer.write(format << 6)
            writer.write(UInt8(csid - 64))
        default:
            writer.write(format << 6 | 1)
            writer.write(UInt8(truncatingIfNeeded: csid - 64))
            writer.write(UInt8(truncatingIfNeeded: (csid - 64) >> 8))
        }
    }
}
