/// Why an RTMP connection cannot go on: everything the peer's bytes can cause, never a bug.
///
/// `code` is for matching (metrics, tests); `description` is the message for logs and operators.
public struct RTMPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of failure. A struct wrapping a private enum so codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case handshakeVersion, chunkSizeTooLarge, invalidChunkSize, messageTooLarge, tooManyChunkStreams
            case invalidChunkHeader, inputBufferOverflow, malformedAMF0, malformedMessage, malformedMedia
            case unsupportedCodec, mediaBeforePublish, unexpectedCommand, tooManyStreams
            case connectRejected, publishRejected, peerClosed
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// C0 carried a version other than 3 (plain RTMP).
        public static let handshakeVersion = Code(.handshakeVersion)
        /// Set Chunk Size above the configured limit.
        public static let chunkSizeTooLarge = Code(.chunkSizeTooLarge)
        /// Set Chunk Size of 0 or with the reserved top bit set.
        public static let invalidChunkSize = Code(.invalidChunkSize)
        /// A message header announced a length above the configured limit.
        public static let messageTooLarge = Code(.messageTooLarge)
        /// The peer used more chunk stream ids than allowed.
        public static let tooManyChunkStreams = Code(.tooManyChunkStreams)
        /// A chunk header that cannot be interpreted (no previous header, interrupted message).
        public static let invalidChunkHeader = Code(.invalidChunkHeader)
        /// The peer sent more unprocessed bytes than the session buffers.
        public static let inputBufferOverflow = Code(.inputBufferOverflow)
        /// An AMF0 value could not be decoded.
        public static let malformedAMF0 = Code(.malformedAMF0)
        /// A control message or command had the wrong shape.
        public static let malformedMessage = Code(.malformedMessage)
        /// An FLV audio or video tag payload was malformed.
        public static let malformedMedia = Code(.malformedMedia)
        /// Media in a codec the ingest does not take.
        public static let unsupportedCodec = Code(.unsupportedCodec)
        /// Audio or video on a message stream that is not publishing.
        public static let mediaBeforePublish = Code(.mediaBeforePublish)
        /// A command that is not valid in the connection's current state.
        public static let unexpectedCommand = Code(.unexpectedCommand)
        /// The peer created more message streams than allowed.
        public static let tooManyStreams = Code(.tooManyStreams)
        /// The server rejected `connect`.
        public static let connectRejected = Code(.connectRejected)
        /// The server rejected `publish`.
        public static let publishRejected = Code(.publishRejected)
        /// The peer closed the connection (reported by ``RTMPServerSession/connectionClosed()``).
        public static let peerClosed = Code(.peerClosed)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let description: String

    private init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    // MARK: - Handshake

    static func handshakeVersion(_ version: UInt8) -> RTMPError {
        RTMPError(.handshakeVersion, "RTMP handshake version \(version) is not supported (expected 3): the peer is not "
                  + "a plain RTMP client (encrypted RTMPE and other protocols are not accepted on this port)")
    }

    // MARK: - Chunk stream

    static func chunkSizeTooLarge(_ size: UInt32, limit: Int) -> RTMPError {
        RTMPError(.chunkSizeTooLarge, "RTMP chunk size \(size) exceeds the \(byteLimit(limit)) limit")
    }

    static func invalidChunkSize(_ raw: UInt32) -> RTMPError {
        RTMPError(.invalidChunkSize, "RTMP Set Chunk Size value \(raw) is invalid (must be 1...2147483647)")
    }

    static func messageTooLarge(_ length: Int, limit: Int, chunkStreamID: UInt32) -> RTMPError {
        RTMPError(.messageTooLarge, "RTMP message of \(length) bytes on chunk stream \(chunkStreamID) exceeds the "
                  + "\(byteLimit(limit)) limit")
    }

    static func tooManyChunkStreams(limit: Int) -> RTMPError {
        RTMPError(.tooManyChunkStreams, "RTMP peer uses more than \(limit) chunk streams")
    }

    static func invalidChunkHeader(_ why: String) -> RTMPError {
        RTMPError(.invalidChunkHeader, "RTMP chunk header invalid: \(why)")
    }

    static func inputBufferOverflow(_ count: Int, limit: Int) -> RTMPError {
        RTMPError(.inputBufferOverflow, "RTMP peer sent \(count) bytes that could not be processed yet, over the "
                  + "\(byteLimit(limit)) limit")
    }

    // MARK: - Messages

    static func malformedAMF0(_ why: String) -> RTMPError {
        RTMPError(.malformedAMF0, "AMF0 data malformed: \(why)")
    }

    static func malformedMessage(_ why: String) -> RTMPError {
        RTMPError(.malformedMessage, "RTMP message malformed: \(why)")
    }

    static func malformedMedia(_ why: String) -> RTMPError {
        RTMPError(.malformedMedia, "RTMP media malformed: \(why)")
    }

    static func unsupportedCodec(_ what: String) -> RTMPError {
        RTMPError(.unsupportedCodec, "RTMP \(what) is not supported; send H.264 or H.265 video and AAC audio")
    }

    static func mediaBeforePublish(kind: String, streamID: UInt32) -> RTMPError {
        RTMPError(.mediaBeforePublish, "RTMP \(kind) on message stream \(streamID) before a successful publish on it")
    }

    static func unexpectedCommand(_ why: String) -> RTMPError {
        RTMPError(.unexpectedCommand, "RTMP command unexpected: \(why)")
    }

    static func tooManyStreams(limit: Int) -> RTMPError {
        RTMPError(.tooManyStreams, "RTMP peer created more than \(limit) streams on one connection")
    }

    static func connectRejected(_ description: String) -> RTMPError {
        RTMPError(.connectRejected, "RTMP connect rejected: \(description)")
    }

    static func publishRejected(code: String, description: String) -> RTMPError {
        RTMPError(.publishRejected, "RTMP publish rejected (\(code)): \(description)")
    }

    static func peerClosed(_ when: String) -> RTMPError {
        RTMPError(.peerClosed, "RTMP peer closed the connection \(when)")
    }

    private static func byteLimit(_ limit: Int) -> String {
        limit % (1 << 20) == 0 ? "\(limit >> 20) MiB" : "\(limit)-byte"
    }
}
