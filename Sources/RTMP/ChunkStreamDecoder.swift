import Media

/// Reassembles RTMP messages from an incoming chunk stream (RTMP 1.0 §5.3), fed incrementally.
///
/// Set Chunk Size and Abort are applied by the decoder itself the moment they are decoded (they are
/// still returned, so callers can count or log them). After an error the decoder stays failed.
public struct ChunkStreamDecoder: Sendable {
    /// Bounds on what a peer may make the decoder hold.
    public struct Limits: Sendable, Hashable {
        /// Largest accepted Set Chunk Size value (default 16 MiB).
        public var maxChunkSize: Int
        /// Largest accepted message length (default 16 MiB).
        public var maxMessageLength: Int
        /// Most distinct chunk stream ids per connection (default 64; publishers use fewer than 10).
        public var maxChunkStreams: Int
        /// Most bytes of partially received messages held across all chunk streams (default 32 MiB).
        public var maxPendingPayload: Int

        public init(maxChunkSize: Int = 16 << 20, maxMessageLength: Int = 16 << 20, maxChunkStreams: Int = 64,
                    maxPendingPayload: Int = 32 << 20) {
            self.maxChunkSize = maxChunkSize
            self.maxMessageLength = maxMessageLength
            self.maxChunkStreams = maxChunkStreams
            self.maxPendingPayload = maxPendingPayload
        }
    }

    /// The previous header of one chunk stream, which header types 1, 2 and 3 build on.
    private struct ChunkStreamState {
        var timestamp: UInt32 = 0
        /// The last timestamp field as sent: absolute after type 0, a delta after types 1 and 2.
        var timestampField: UInt32 = 0
        var length = 0
        var typeID: UInt8 = 0
        var streamID: UInt32 = 0
        /// The last type 0/1/2 header carried an extended timestamp, so type 3 chunks carry one too.
        var hasExtendedTimestamp = false
        /// Payload bytes of the message in progress; 0 when no message is in progress.
        var received = 0
    }

    private enum ChunkResult {
        case needMoreData
        case consumed
        case message(RTMPMessage)
    }

    public let limits: Limits
    /// The peer's current chunk size (128 until it sends Set Chunk Size).
    public private(set) var chunkSize = 128

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var states: [UInt32: ChunkStreamState] = [:]
    /// Partial payloads, kept apart from `states` so appending never copies them.
    private var partialPayloads: [UInt32: [UInt8]] = [:]
    private var pendingPayloadBytes = 0
    private var failure: RTMPError?

    public init(limits: Limits = .init()) {
        self.limits = limits
    }

    /// Bytes appended but not yet decoded into a message or a partial payload.
    public var unparsedByteCount: Int { buffer.count - readIndex }

    /// True when a chunk or a message is partly received.
    public var hasPartialInput: Bool { readIndex < buffer.count || pendingPayloadBytes > 0 }

    /// Feeds bytes received from the peer.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex >= 64 * 1024 && readIndex * 2 >= buffer.count {
            // Compact only when the consumed prefix dominates, so the cost stays amortised O(1) per byte.
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, or nil until more bytes arrive.
    public mutating func nextMessage() throws(RTMPError) -> RTMPMessage? {
        if let failure { throw failure }
        do {
            while true {
                switch try decodeChunk() {
                case .needMoreData: return nil
                case .consumed: continue
                case .message(let message):
                    try applyProtocolControl(message)
                    return message
                }
            }
        } catch {
            failure = error
            throw error
        }
    }

    /// Every message that is complete now.
    public mutating func nextMessages() throws(RTMPError) -> [RTMPMessage] {
        var messages: [RTMPMessage] = []
        while let m = try nextMessage() { messages.append(m) }
        return messages
    }

    // MARK: - Chunks

    /// Decodes one chunk if all of it is buffered; nothing is committed otherwise.
    private mutating func decodeChunk() throws(RTMPError) -> ChunkResult {
        var reader = ByteReader(buffer[readIndex...])
        do {
            return try decodeChunk(&reader)
        } catch let error as MediaParseError {
            // Only reads past the end of the buffered bytes throw here: wait for more.
            _ = error
            return .needMoreData
        } catch let error as RTMPError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    private mutating func decodeChunk(_ reader: inout ByteReader) throws -> ChunkResult {
        let first = try reader.readUInt8()
        let format = first >> 6
        var csid = UInt32(first & 0x3F)
        if csid == 0 {
            csid = 64 + UInt32(try reader.readUInt8())
        } else if csid == 1 {
            let low = try reader.readUInt8(), high = try reader.readUInt8()
            csid = 64 + UInt32(low) + UInt32(high) << 8
        }

        let previous = states[csid]
        if previous == nil {
            guard format == 0 else {
                throw RTMPError.invalidChunkHeader("type \(format) header on chunk stream \(csid), which has no previous header")
            }
            guard states.count < limits.maxChunkStreams else { throw RTMPError.tooManyChunkStreams(limit: limits.maxChunkStreams) }
        }
        var state = previous ?? ChunkStreamState()
        let continuing = format == 3 && state.received > 0
        if format != 3 && state.received > 0 {
            throw RTMPError.invalidChunkHeader("type \(format) header on chunk stream \(csid) while a message is "
                                               + "in progress (\(state.received) of \(state.length) bytes received)")
        }

        if format < 3 {
            var field = try reader.readUInt24()
            if format <= 1 {
                let length = Int(try reader.readUInt24())
                state.typeID = try reader.readUInt8()
                if format == 0 { state.streamID = try reader.readUInt32LE() }
                guard length <= limits.maxMessageLength else {
                    throw RTMPError.messageTooLarge(length, limit: limits.maxMessageLength, chunkStreamID: csid)
                }
                state.length = length
            }
            state.hasExtendedTimestamp = field == 0xFF_FFFF
            if state.hasExtendedTimestamp { field = try reader.readUInt32() }
            state.timestampField = field
        } else if state.hasExtendedTimestamp {
            if continuing {
                // The spec repeats the extended timestamp on continuation chunks, but some encoders omit it:
                // take the 4 bytes as the timestamp only when they repeat it.
                var peek = reader
                if try peek.readUInt32() == state.timestampField { reader = peek }
            } else {
                state.timestampField = try reader.readUInt32()
            }
        }

        if !continuing {
            // A type 3 header starting a message reuses the previous delta (after type 0: its timestamp).
            state.timestamp = format == 0 ? state.timestampField : state.timestamp &+ state.timestampField
        }

        let size = min(chunkSize, state.length - state.received)
        let chunk = try reader.readBytes(size)
        // Whole chunk buffered: commit.
        readIndex = reader.position

        if state.received == 0 && size == state.length {
            states[csid] = state
            return .message(RTMPMessage(typeID: state.typeID, streamID: state.streamID, timestamp: state.timestamp,
                                        chunkStreamID: csid, payload: Array(chunk)))
        }
        guard pendingPayloadBytes + size <= limits.maxPendingPayload else {
            throw RTMPError.inputBufferOverflow(pendingPayloadBytes + size, limit: limits.maxPendingPayload)
        }
        partialPayloads[csid, default: []].append(contentsOf: chunk)
        state.received += size
        pendingPayloadBytes += size
        guard state.received == state.length else {
            states[csid] = state
            return .consumed
        }
        let payload = partialPayloads.removeValue(forKey: csid) ?? []
        pendingPayloadBytes -= state.received
        state.received = 0
        states[csid] = state
        return .message(RTMPMessage(typeID: state.typeID, streamID: state.streamID, timestamp: state.timestamp,
                                    chunkStreamID: csid, payload: payload))
    }

    // MARK: - Protocol control

    private mutating func applyProtocolControl(_ message: RTMPMessage) throws(RTMPError) {
        switch message.typeID {
        case RTMPMessageType.setChunkSize:
            let raw = try readUInt32(message, "Set Chunk Size")
            guard raw & 0x8000_0000 == 0, raw > 0 else { throw .invalidChunkSize(raw) }
            guard Int(raw) <= limits.maxChunkSize else { throw .chunkSizeTooLarge(raw, limit: limits.maxChunkSize) }
            chunkSize = Int(raw)
        case RTMPMessageType.abort:
            let csid = try readUInt32(message, "Abort")
            if let state = states[csid], state.received > 0 {
                pendingPayloadBytes -= state.received
                partialPayloads[csid] = nil
                states[csid]?.received = 0
            }
        default:
            break
        }
    }

    private func readUInt32(_ message: RTMPMessage, _ name: String) throws(RTMPError) -> UInt32 {
        var reader = ByteReader(message.payload)
        do {
            return try reader.readUInt32()
        } catch {
            throw .malformedMessage("\(name) payload has \(message.payload.count) bytes, needs 4")
        }
    }
}
