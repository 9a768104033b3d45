public import Media

/// What the connection's owner must do after feeding an ``RTMPServerSession``.
public enum RTMPAction: Sendable, Hashable {
    /// Write these bytes to the peer.
    case send([UInt8])
    /// The peer asked to connect; answer with ``RTMPServerSession/acceptConnect()`` or
    /// ``RTMPServerSession/rejectConnect(description:)``. Input is held until then.
    case connect(RTMPConnectRequest)
    /// The peer asked to publish; answer with ``RTMPServerSession/acceptPublish(streamID:)`` or
    /// ``RTMPServerSession/rejectPublish(streamID:code:description:)``. Input is held until then.
    case publish(RTMPPublishRequest)
    /// Media for a published stream.
    case media(streamName: String, RTMPMediaEvent)
    /// `@setDataFrame onMetaData` (or a bare `onMetaData`) for a published stream.
    case metadata(streamName: String, [String: AMF0Value])
    /// The stream stopped publishing (FCUnpublish, closeStream or deleteStream).
    case unpublish(streamName: String)
    /// Close the connection after writing what was sent; the session ignores further input.
    case close(reason: RTMPError)
}

/// The `connect` command's parameters.
public struct RTMPConnectRequest: Sendable, Hashable {
    /// The application, e.g. `live/<accessToken>`.
    public var app: String
    /// The URL the client was given, e.g. `rtmp://host:1935/live/<accessToken>`.
    public var tcUrl: String?
    public var flashVer: String?
    public var swfUrl: String?
    public var pageUrl: String?
    /// 0 for AMF0 (all publishers this server takes), 3 for AMF3.
    public var objectEncoding: Double
    /// The whole command object as received.
    public var commandObject: AMF0Object
    /// Optional user arguments after the command object (some encoders send credentials there).
    public var arguments: [AMF0Value]

    public init(app: String, tcUrl: String? = nil, flashVer: String? = nil, swfUrl: String? = nil,
                pageUrl: String? = nil, objectEncoding: Double = 0, commandObject: AMF0Object = .init(),
                arguments: [AMF0Value] = []) {
        self.app = app
        self.tcUrl = tcUrl
        self.flashVer = flashVer
        self.swfUrl = swfUrl
        self.pageUrl = pageUrl
        self.objectEncoding = objectEncoding
        self.commandObject = commandObject
        self.arguments = arguments
    }
}

/// The `publish` command's parameters.
public struct RTMPPublishRequest: Sendable, Hashable {
    /// The message stream id from `createStream` that the media will arrive on.
    public var streamID: UInt32
    /// The publishing name without its query, e.g. `stream1`.
    public var streamName: String
    /// What followed `?` in the publishing name (`videodatarate=2500&audiodatarate=128`), if anything.
    public var query: String?
    /// `live`, `record` or `append` (`live` when the client sent none).
    public var publishType: String

    public init(streamID: UInt32, streamName: String, query: String? = nil, publishType: String = "live") {
        self.streamID = streamID
        self.streamName = streamName
        self.query = query
        self.publishType = publishType
    }
}

/// A codec as FLV/enhanced RTMP names it.
public enum RTMPCodec: String, Sendable, Hashable {
    case avc, hevc, aac
}

/// One media event of a published stream.
public enum RTMPMediaEvent: Sendable, Hashable {
    /// A decoder configuration: an AVCDecoderConfigurationRecord, HEVCDecoderConfigurationRecord or
    /// AudioSpecificConfig, exactly as received (the ingest parses it into a ``CodecConfiguration``).
    case sequenceHeader(kind: MediaKind, codec: RTMPCodec, bytes: [UInt8])
    /// A coded frame: milliseconds, data in MP4 form.
    case frame(MediaFrame)
    /// The encoder ended the sequence (AVC end of sequence, enhanced RTMP SequenceEnd).
    case endOfSequence(MediaKind)
}
