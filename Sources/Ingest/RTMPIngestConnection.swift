import EventLoop
import Live
import Logging
import Media
import MediaDirectory
import RTMP

/// One encoder connection. Loop-confined: every method runs on the event loop thread (libuv callbacks,
/// or the server actor, whose executor is the loop), and channels are entered with `assumeIsolated`,
/// so a frame goes from socket to fragmenter without a task or a thread hop.
/// `@unchecked Sendable`: confined to the loop thread (see above); it is only ever handed to actors
/// whose executor is that loop.
final class RTMPIngestConnection: @unchecked Sendable {
    let id: Int
    /// The socket, with TLS over it for RTMPS.
    let transport: RTMPIngestTransport
    var tcp: TCPConnection { transport.tcp }
    unowned let server: RTMPIngestServer
    var logger: Logger
    private var session = RTMPServerSession()
    private var connectApp: String?
    private var channel: LiveChannel?
    /// The access token this connection was admitted with (for ``RTMPIngestServer/disconnect(accessToken:reason:)``).
    private(set) var accessToken: String?
    /// Why the session is ending, when we decided it before the session's `.close` action arrives (a refusal).
    private var pendingEndReason: IngestEndReason?
    /// Streams this connection publishes, by RTMP message stream id.
    private var publishing: [String: RTMPIngestPath] = [:]
    private var closed = false
    private(set) var lastActivity: UInt64

    init(id: Int, transport: RTMPIngestTransport, server: RTMPIngestServer, logger: Logger) {
        self.id = id
        self.transport = transport
        self.server = server
        let tcp = transport.tcp
        var logger = logger
        logger[metadataKey: "connection"] = "\(id)"
        logger[metadataKey: "peer"] = "\(tcp.peerDescription)"
        logger[metadataKey: "scheme"] = "\(transport.scheme)"
        self.logger = logger
        self.lastActivity = tcp.loop.nowMilliseconds
    }

    func start() {
        tcp.setNoDelay(true)
        logger.debug("RTMP connection accepted")
        let loop = tcp.loop
        transport.start(onPlaintext: { [self] buffer in
            lastActivity = loop.nowMilliseconds
            perform(session.receive(buffer))
        }, onHandshake: { [self] version, cipher in
            logger.debug("TLS established", metadata: ["tls_version": "\(version)", "cipher": "\(cipher)"])
        }, onEnd: { [self] end in
            switch end {
            case .stream(let error):
                // Encoders often reset the socket right after unpublishing: only an error while a stream is
                // still being published is worth a warning.
                if let error, !error.isEndOfFile, !publishing.isEmpty {
                    finish(reason: .connectionLost("connection error: \(error)"))
                } else {
                    finish(reason: pendingEndReason ?? .clientTerminated)
                }
            case .tlsClosed:
                finish(reason: pendingEndReason ?? .clientTerminated)
            case let .tls(error, duringHandshake):
                if duringHandshake {
                    // Not an encoder session yet: a client of an old TLS version, or one speaking plain RTMP to
                    // the RTMPS port. Said once, with what to change.
                    let reason = IngestEndReason.protocolError("\(error)")
                    logger.warning("RTMPS handshake refused", metadata: [
                        "code": "\(reason.code)", "reason": "\(error)",
                        "hint": "RTMPS takes TLS 1.2 or 1.3; plain RTMP goes to the RTMP port"])
                    pendingEndReason = reason
                    finish(reason: reason)
                } else {
                    finish(reason: .connectionLost("\(error)"))
                }
            }
        })
    }

    /// The encoder's IP address without port (empty when unknown) and its port.
    var remoteAddress: String { tcp.peerAddress ?? "" }
    var remotePort: Int { tcp.peerPort }

    /// Ends the connection from our side (shutdown, takeover, idle, live event stopped).
    func terminate(reason: IngestEndReason) {
        finish(reason: reason)
    }

    // MARK: - Actions

    private func perform(_ actions: [RTMPAction]) {
        for action in actions {
            guard !closed else { return }
            switch action {
            case .send(let bytes):
                transport.write(bytes)
            case .connect(let request):
                handleConnect(request)
            case .publish(let request):
                handlePublish(request)
            case let .media(streamName, event):
                handleMedia(streamName: streamName, event)
            case let .metadata(streamName, values):
                handleMetadata(streamName: streamName, values)
            case .unpublish(let streamName):
                if let path = publishing.removeValue(forKey: streamName), let channel {
                    channel.assumeIsolated { $0.endSession(stream: path.streamName, reason: .clientTerminated) }
                }
            case .close(let reason):
                finish(reason: pendingEndReason ?? .protocolError("protocol error: \(reason)"))
            }
        }
    }

    private func handleConnect(_ request: RTMPConnectRequest) {
        connectApp = request.app
        do {
            let (token, _) = try RTMPIngestPath.parseApp(request.app)
            if let token {
                switch admit(accessToken: token) {
                case .accept(let channel):
                    self.channel = channel
                    accessToken = token
                case let .refuse(code, reason):
                    refuseConnect(code: code, reason: reason)
                    return
                }
            }
            perform(session.acceptConnect())
        } catch {
            refuseConnect(code: error.code, reason: error.description)
        }
    }

    private func admit(accessToken token: String) -> IngestAdmission {
        let address = remoteAddress
        return server.assumeIsolated { $0.admit(accessToken: token, remoteAddress: address) }
    }

    /// Logs the refusal with its code, reason and peer; the encoder gets `CODE: reason` in the `_error`.
    private func refuseConnect(code: String, reason: String) {
        logger.warning("RTMP encoder refused at connect", metadata: [
            "code": "\(code)", "reason": "\(reason)", "peer": "\(tcp.peerDescription)", "app": "\(connectApp ?? "")"])
        pendingEndReason = IngestEndReason(code: code, message: reason)
        perform(session.rejectConnect(description: "\(code): \(reason)"))
    }

    private func handlePublish(_ request: RTMPPublishRequest) {
        let name = request.query.map { request.streamName + "?" + $0 } ?? request.streamName
        let path: RTMPIngestPath
        do {
            path = try RTMPIngestPath.parse(app: connectApp ?? "", streamName: name)
        } catch {
            refusePublish(request, status: "NetStream.Publish.BadName", code: error.code, reason: error.description)
            return
        }
        if channel == nil {
            switch admit(accessToken: path.accessToken) {
            case .accept(let admitted):
                channel = admitted
                accessToken = path.accessToken
            case let .refuse(code, reason):
                let status = code == IngestRefusalCode.unknownAccessToken ? "NetStream.Publish.BadName" : "NetStream.Publish.Denied"
                refusePublish(request, status: status, code: code, reason: reason)
                return
            }
        }
        guard let channel else { return }
        guard channel.assumeIsolated({ $0.acceptsStream(path.streamName) }) else {
            refusePublish(request, status: "NetStream.Publish.Denied", code: IngestRefusalCode.qualitiesExceeded,
                          reason: "live event '\(channel.name)' encodes a single contribution stream and one is already publishing; send one bitrate, or use a pass-through event for several")
            return
        }
        publishing[request.streamName] = path
        server.assumeIsolated { $0.claim(channel: channel, stream: path.streamName, by: self) }
        logger.info("publishing", metadata: ["channel": "\(channel.name)", "stream": "\(path.streamName)"])
        let address = remoteAddress, port = remotePort
        channel.assumeIsolated { channel in
            channel.beginSession(stream: path.streamName, remoteAddress: address, remotePort: port)
            if let v = path.parameters["videodatarate"].flatMap(Double.init) {
                channel.declareBitrate(stream: path.streamName, kind: .video, bitsPerSecond: Int(v * 1000))
            }
            if let a = path.parameters["audiodatarate"].flatMap(Double.init) {
                channel.declareBitrate(stream: path.streamName, kind: .audio, bitsPerSecond: Int(a * 1000))
            }
        }
        perform(session.acceptPublish(streamID: request.streamID))
    }

    /// Logs the refusal with its code, reason and peer; the encoder gets `status` with `CODE: reason`.
    private func refusePublish(_ request: RTMPPublishRequest, status: String, code: String, reason: String) {
        logger.warning("RTMP encoder refused at publish", metadata: [
            "code": "\(code)", "reason": "\(reason)", "peer": "\(tcp.peerDescription)", "stream": "\(request.streamName)"])
        pendingEndReason = IngestEndReason(code: code, message: reason)
        perform(session.rejectPublish(streamID: request.streamID, code: status, description: "\(code): \(reason)"))
    }

    private func handleMedia(streamName: String, _ event: RTMPMediaEvent) {
        guard let channel, let path = publishing[streamName] else { return }
        switch event {
        case .frame(let frame):
            channel.assumeIsolated { $0.ingest(stream: path.streamName, frame: frame) }
        case let .sequenceHeader(_, codec, bytes):
            let configuration: CodecConfiguration
            do {
                switch codec {
                case .avc: configuration = .avc(try AVCConfiguration(record: bytes))
                case .hevc: configuration = .hevc(try HEVCConfiguration(record: bytes))
                case .aac: configuration = .aac(try AudioSpecificConfig(bytes: bytes))
                }
            } catch {
                finish(reason: .codecNotSupported("unusable \(codec.rawValue) sequence header on '\(path.streamName)': \(error)"))
                return
            }
            if let refusal = channel.assumeIsolated({ $0.configure(stream: path.streamName, codec: configuration) }) {
                finish(reason: refusal)
            }
        case .endOfSequence:
            break
        }
    }

    private func handleMetadata(streamName: String, _ values: [String: AMF0Value]) {
        guard let channel, let path = publishing[streamName] else { return }
        // onMetaData rates are in kbit/s.
        let video = values["videodatarate"]?.numberValue ?? 0
        let audio = values["audiodatarate"]?.numberValue ?? 0
        channel.assumeIsolated { channel in
            if video > 0 { channel.declareBitrate(stream: path.streamName, kind: .video, bitsPerSecond: Int((video * 1000).rounded())) }
            if audio > 0 { channel.declareBitrate(stream: path.streamName, kind: .audio, bitsPerSecond: Int((audio * 1000).rounded())) }
        }
    }

    // MARK: - Ending

    private func finish(reason: IngestEndReason) {
        guard !closed else { return }
        closed = true
        if let channel {
            for path in publishing.values {
                channel.assumeIsolated { $0.endSession(stream: path.streamName, reason: reason) }
            }
        }
        publishing.removeAll()
        if reason.isNormal {
            logger.info("RTMP session ended by the encoder")
        } else if reason == pendingEndReason {
            logger.debug("RTMP connection closed after the refusal", metadata: ["code": "\(reason.code)"])
        } else {
            logger.warning("RTMP session ended", metadata: ["code": "\(reason.code)", "reason": "\(reason.message)"])
        }
        // Flush what is queued (an `_error` or `onStatus` explaining a refusal, TLS close_notify) before closing.
        transport.close()
        server.assumeIsolated { $0.connectionClosed(self) }
    }
}
