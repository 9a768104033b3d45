import EventLoop
import HTTP
import ISOBMFF
import Live
import Logging
import Media

/// Smooth Streaming (fragmented MP4) ingest over HTTP: `POST /<accessToken>/ingest.isml/Streams(<name>)` with a
/// long-running (usually chunked) body of `ftyp`, live server manifest, `moov`, then `moof`/`mdat` pairs. Each POST
/// is one session of ingest stream `<name>`; its tracks (one per kind) feed the live channel the token admits.
/// Loop-isolated: admission and the channel (both on the loop) are entered synchronously.
public actor SmoothIngestServer {
    nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.unownedExecutor }
    let resolver: any IngestResolver
    let logger: Logger
    /// Where each (token, stream, kind) ended, in its track timescale, across POSTs: an encoder that reconnects
    /// and resends its last fragments has them skipped instead of duplicated.
    private var ingestedEnd: [String: (end: Int64, timescale: Int64)] = [:]
    private var nextSessionID = 0
    /// Access token of each POST in progress, by session id.
    private var activeSessions: [Int: String] = [:]
    /// Sessions told to end (their live event stopped); each ends at its next chunk.
    private var endingSessions: [Int: IngestEndReason] = [:]
    /// A fragment that starts this far (seconds) or more before what was ingested is a timestamp reset,
    /// not a resend: it is kept and the pipeline rebases it.
    static let resendWindowSeconds: Int64 = 60

    public init(loop: EventLoop, resolver: any IngestResolver, logger: Logger) {
        self.loop = loop
        self.resolver = resolver
        var logger = logger
        logger[metadataKey: "component"] = "smooth-ingest"
        self.logger = logger
    }

    /// The stream name of an ingest path, or nil when the path is not an ingest path.
    /// `/<token>/ingest.isml/Streams(<name>)`, or `/<token>/ingest.isml` (stream `default`).
    public nonisolated static func parsePath(_ path: String) -> (token: String, stream: String)? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 2 || parts.count == 3, parts[1].lowercased() == "ingest.isml" else { return nil }
        let token = HTTPRequest.percentDecode(parts[0])
        guard parts.count == 3 else { return (token, "default") }
        let last = parts[2]
        guard last.lowercased().hasPrefix("streams("), last.hasSuffix(")") else { return nil }
        let name = HTTPRequest.percentDecode(last.dropFirst("streams(".count).dropLast())
        guard !name.isEmpty else { return nil }
        return (token, name)
    }

    /// Handles one ingest POST to the end of its body.
    public func handle(_ request: HTTPRequest, body: HTTPRequestBody, token: String, stream: String) async -> HTTPResponse {
        nextSessionID += 1
        let sessionID = nextSessionID
        var logger = self.logger
        logger[metadataKey: "session"] = "\(sessionID)"
        logger[metadataKey: "peer"] = "\(request.remoteAddress)"
        logger[metadataKey: "stream"] = "\(stream)"
        guard request.method == "POST" || request.method == "PUT" else {
            var r = HTTPResponse.error(status: 405, message: "Smooth ingest takes POST of a fragmented MP4 stream")
            r.headers.set(name: "Allow", value: "POST")
            return r
        }
        let channel: LiveChannel
        switch resolver.admitIngest(accessToken: token, remoteAddress: request.remoteAddress) {
        case .accept(let admitted):
            channel = admitted
        case let .refuse(code, reason):
            logger.warning("Smooth encoder refused", metadata: ["code": "\(code)", "reason": "\(reason)"])
            let status = code == IngestRefusalCode.unknownAccessToken ? 404 : 403
            return .error(status: status, message: "\(code): \(reason)")
        }
        logger[metadataKey: "channel"] = "\(channel.name)"
        guard await channel.acceptsStream(stream) else {
            let reason = "live event '\(channel.name)' encodes a single contribution stream and one is already publishing"
            logger.warning("Smooth encoder refused", metadata: ["code": "\(IngestRefusalCode.qualitiesExceeded)", "reason": "\(reason)"])
            return .error(status: 403, message: "\(IngestRefusalCode.qualitiesExceeded): \(reason)")
        }

        activeSessions[sessionID] = token
        defer {
            activeSessions[sessionID] = nil
            endingSessions[sessionID] = nil
        }
        var session = SmoothIngestSession(channel: channel, stream: stream, token: token, logger: logger)
        var parser = FragmentedMP4IngestParser()
        var ended: IngestEndReason = .clientTerminated
        var response = HTTPResponse.text("")
        do {
            for try await chunk in body {
                if let reason = endingSessions[sessionID] {
                    ended = reason
                    response = .error(status: 410, message: "\(reason.code): \(reason.message)")
                    break
                }
                let events: [FragmentedMP4IngestEvent]
                do { events = try parser.receive(chunk) } catch {
                    ended = .protocolError("malformed fragmented MP4 on '\(stream)' after \(parser.bytesReceived) bytes: \(error)")
                    response = .error(status: 400, message: "\(ended.code): \(ended.message)")
                    break
                }
                if !events.isEmpty {
                    if let reason = perform(events, session: &session, request: request) {
                        ended = reason
                        response = .error(status: 415, message: "\(reason.code): \(reason.message)")
                        break
                    }
                }
            }
            if response.status == 200, !parser.isAtBoxBoundary {
                logger.info("Smooth body ended inside a box; the partial box is dropped")
            }
        } catch {
            ended = .connectionLost("connection error: \(error)")
        }
        if session.began {
            await channel.endSession(stream: stream, reason: ended)
        }
        if parser.bytesReceived == 0 {
            logger.debug("Smooth ingest probe answered")
        } else if ended.isNormal {
            logger.info("Smooth session ended by the encoder", metadata: ["bytes": "\(parser.bytesReceived)"])
        } else {
            logger.warning("Smooth session ended", metadata: ["code": "\(ended.code)", "reason": "\(ended.message)"])
        }
        return response
    }

    /// Ends every POST publishing with `accessToken` (its live event stopped or was deleted) at its next chunk;
    /// returns how many there were.
    public func disconnect(accessToken: String, reason: IngestEndReason = .eventStopped) -> Int {
        let matching = activeSessions.filter { $0.value == accessToken }.map(\.key)
        for id in matching { endingSessions[id] = reason }
        return matching.count
    }

    /// Feeds parser events to the channel; returns why the session must end, if it must.
    private func perform(_ events: [FragmentedMP4IngestEvent], session: inout SmoothIngestSession,
                         request: HTTPRequest) -> IngestEndReason? {
        let channel = session.channel, stream = session.stream
        for event in events {
            switch event {
            case .tracks(let tracks):
                if !session.began {
                    session.began = true
                    channel.assumeIsolated {
                        $0.beginSession(stream: stream, remoteAddress: request.remoteAddress, remotePort: nil)
                    }
                    session.logger.info("publishing", metadata: ["tracks": "\(tracks.map { "\($0.trackID):\($0.codec.fourCC)" })"])
                }
                session.kinds = [:]
                for track in tracks {
                    guard session.kinds.values.contains(track.kind) == false else {
                        session.logger.warning("second \(track.kind.rawValue) track \(track.trackID) in one POST ignored; push each quality as its own Streams(name)")
                        continue
                    }
                    session.kinds[track.trackID] = track.kind
                    channel.assumeIsolated { channel in
                        channel.configure(stream: stream, codec: track.codec)
                        if let bitrate = track.bitrate {
                            channel.declareBitrate(stream: stream, kind: track.kind, bitsPerSecond: bitrate)
                        }
                    }
                }
            case .fragment(let fragment):
                guard let kind = session.kinds[fragment.trackID], let first = fragment.frames.first else { continue }
                let key = "\(session.token)|\(stream)|\(kind.rawValue)"
                if let last = ingestedEnd[key], last.timescale == first.timescale,
                   fragment.startTime < last.end, last.end - fragment.startTime < Self.resendWindowSeconds * last.timescale {
                    session.skippedFragments += 1
                    if session.skippedFragments == 1 {
                        session.logger.info("skipping resent fragments already ingested", metadata: ["track": "\(fragment.trackID)"])
                    }
                    continue
                }
                ingestedEnd[key] = (fragment.endTime, first.timescale)
                channel.assumeIsolated { channel in
                    for frame in fragment.frames { channel.ingest(stream: stream, frame: frame) }
                }
            }
        }
        return nil
    }
}

/// Per-POST state of a Smooth ingest session.
struct SmoothIngestSession {
    let channel: LiveChannel
    let stream: String
    let token: String
    var logger: Logger
    var began = false
    /// The kind each used track id carries (one track per kind).
    var kinds: [UInt32: MediaKind] = [:]
    var skippedFragments = 0
}

/// Routes Smooth ingest POSTs to the ingest server and everything else to `fallback` (the origin).
public struct SmoothIngestResponder<Fallback: HTTPResponder>: HTTPResponder {
    let server: SmoothIngestServer
    let fallback: Fallback

    public init(server: SmoothIngestServer, fallback: Fallback) {
        self.server = server
        self.fallback = fallback
    }

    public func respond(to request: HTTPRequest, body: HTTPRequestBody) async -> HTTPResponse {
        guard request.method != "GET", request.method != "HEAD", request.method != "OPTIONS",
              let (token, stream) = SmoothIngestServer.parsePath(request.path) else {
            return await fallback.respond(to: request, body: body)
        }
        return await server.handle(request, body: body, token: token, stream: stream)
    }
}
