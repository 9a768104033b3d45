import EventLoop
import Live
import Logging
import Media
import RTMP

/// One encoder connection. Loop-confined: every method runs on the event loop thread (libuv callbacks,
/// or the server actor, whose executor is the loop), and channels are entered with `assumeIsolated`,
/// so a frame goes from socket to fragmenter without a task or a thread hop.
/// `@unchecked Sendable`: confined to the loop thread (see above); it is only ever handed to actors
/// whose executor is that loop.
final class RTMPIngestConnection: @unchecked Sendable {
    let id: Int
    let tcp: TCPConnection
    unowned let server: RTMPIngestServer
    var logger: Logger
    private var session = RTMPServerSession()
    private var connectApp: String?
    private var channel: LiveChannel?
    /// Streams this connection publishes, by RTMP message stream id.
    private var publishing: [String: RTMPIngestPath] = [:]
    private var closed = false
    private(set) var lastActivity: UInt64

    init(id: Int, tcp: TCPConnection, server: RTMPIngestServer, logger: Logger) {
        self.id = id
        self.tcp = tcp
        self.server = server
        var logger = logger
        logger[metadataKey: "connection"] = "\(id)"
        logger[metadataKey: "peer"] = "\(tcp.peerDescription)"
        self.logger = logger
        self.lastActivity = tcp.loop.nowMilliseconds
    }

    func start() {
        tcp.setNoDelay(true)
        logger.debug("RTMP connection accepted")
        tcp.startReading(onRead: { [self] buffer in
            lastActivity = tcp.loop.nowMilliseconds
            perform(session.receive(buffer))
        }, onEnd: { [self] error in
            // Encoders often reset the socket right after unpublishing: only an error while a stream is
            // still being published is worth a warning.
            if let error, !error.isEndOfFile, !publishing.isEmpty {
                finish(reason: "connection error: \(error)")
            } else {
                finish(reason: nil)
            }
        })
    }

    /// Ends the connection from our side (shutdown, takeover, idle).
    func terminate(reason: String) {
        finish(reason: reason)
    }

    // MARK: - Actions

    private func perform(_ actions: [RTMPAction]) {
        for action in actions {
            guard !closed else { return }
            switch action {
            case .send(let bytes):
                tcp.write(bytes)
            case .connect(let request):
                handleConnect(request)
            case .publish(let request):
                handlePublish(request)
            case let .media(streamName, event):
                handleMedia(streamName: streamName, event)
            case let .metadata(streamName, values):
                handleMetadata(streamName: streamName, values)
            case .unpublish(let streamName):
                if publishing.removeValue(forKey: streamName) != nil, let channel {
                    channel.assumeIsolated { $0.endSession(stream: streamName) }
                }
            case .close(let reason):
                finish(reason: "protocol error: \(reason)")
            }
        }
    }

    private func handleConnect(_ request: RTMPConnectRequest) {
        connectApp = request.app
        do {
            let (token, _) = try RTMPIngestPath.parseApp(request.app)
            if let token {
                guard let channel = server.assumeIsolated({ $0.resolve(accessToken: token) }) else {
                    refuseConnect("unknown access token '\(token)' (MPE_RTMP_APPID_AUTH_FAILURE)")
                    return
                }
                self.channel = channel
            }
            perform(session.acceptConnect())
        } catch {
            refuseConnect("\(error.description) (\(error.code))")
        }
    }

    private func refuseConnect(_ why: String) {
        logger.warning("RTMP connect refused: \(why)", metadata: ["app": "\(connectApp ?? "")"])
        perform(session.rejectConnect(description: why))
    }

    private func handlePublish(_ request: RTMPPublishRequest) {
        let name = request.query.map { request.streamName + "?" + $0 } ?? request.streamName
        let path: RTMPIngestPath
        do {
            path = try RTMPIngestPath.parse(app: connectApp ?? "", streamName: name)
        } catch {
            refusePublish(request, code: "NetStream.Publish.BadName", why: "\(error.description) (\(error.code))")
            return
        }
        if channel == nil { channel = server.assumeIsolated { $0.resolve(accessToken: path.accessToken) } }
        guard let channel else {
            refusePublish(request, code: "NetStream.Publish.BadName", why: "unknown access token '\(path.accessToken)' (MPE_RTMP_APPID_AUTH_FAILURE)")
            return
        }
        publishing[request.streamName] = path
        server.assumeIsolated { $0.claim(channel: channel, stream: path.streamName, by: self) }
        logger.info("publishing", metadata: ["channel": "\(channel.name)", "stream": "\(path.streamName)"])
        channel.assumeIsolated { channel in
            channel.beginSession(stream: path.streamName)
            if let v = path.parameters["videodatarate"].flatMap(Double.init) {
                channel.declareBitrate(stream: path.streamName, kind: .video, bitsPerSecond: Int(v * 1000))
            }
            if let a = path.parameters["audiodatarate"].flatMap(Double.init) {
                channel.declareBitrate(stream: path.streamName, kind: .audio, bitsPerSecond: Int(a * 1000))
            }
        }
        perform(session.acceptPublish(streamID: request.streamID))
    }

    private func refusePublish(_ request: RTMPPublishRequest, code: String, why: String) {
        logger.warning("RTMP publish refused: \(why)", metadata: ["stream": "\(request.streamName)"])
        perform(session.rejectPublish(streamID: request.streamID, code: code, description: why))
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
                finish(reason: "unusable \(codec.rawValue) sequence header on '\(path.streamName)': \(error)")
                return
            }
            channel.assumeIsolated { $0.configure(stream: path.streamName, codec: configuration) }
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

    private func finish(reason: String?) {
        guard !closed else { return }
        closed = true
        if let channel {
            for path in publishing.values {
                channel.assumeIsolated { $0.endSession(stream: path.streamName) }
            }
        }
        publishing.removeAll()
        if let reason {
            logger.warning("RTMP session ended: \(reason)")
        } else {
            logger.info("RTMP session ended by the encoder")
        }
        // Flush what is queued (an `_error` or `onStatus` explaining a refusal) before closing.
        let tcp = self.tcp
        tcp.shutdown { _ in tcp.close() }
        server.assumeIsolated { $0.connectionClosed(self) }
    }
}
