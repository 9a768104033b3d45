import EventLoop
import HTTP
import ISOBMFF
import Live
import Logging
import Media
import MediaDirectory

/// Fragmented MP4 ingest over HTTP, on the origin port, at the URLs of ``FragmentedMP4IngestPath``:
///
/// - Smooth Streaming ingest: `POST /<token>/ingest.isml/Streams(<name>)` with a long-running (usually chunked)
///   body of `ftyp`, live server manifest, `moov`, then `moof`/`mdat` pairs; its tracks (one per kind) feed
///   channel stream `<name>`.
/// - DASH-IF CMAF ingest (Interface 1): each CMAF track its own stream, its header (`ftyp`+`moov`) first, then its
///   segments, in one long-running POST or one POST/PUT per object (ffmpeg's `dash` muxer: `init-stream0.m4s`,
///   `chunk-stream0-00001.m4s`, …, plus `manifest.mpd`, read for bandwidths). DELETEs are answered and ignored.
///
/// A *publication* is one channel stream being fed. It begins with its first header or fragment and ends when the
/// request that carried a whole stream (header and fragments) ends, when the sender says it is over (an `lmsg`
/// segment, the final static MPD, the DELETE of its header), when the event stops, or after the idle timeout.
/// Several requests may feed one publication at once — redundant encoders pushing the same stream with the same
/// timestamps: per track, the first fragment for each time is kept and later copies are skipped, so playback goes on
/// without a seam when either encoder stops.
///
/// Loop-isolated: admission and the channel (both on the loop) are entered synchronously.
public actor FragmentedMP4IngestServer {
    nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.unownedExecutor }
    let resolver: any IngestResolver
    let logger: Logger
    /// The shortest idle timeout (ms); the timeout of a stream is the longer of this and twice its longest fragment
    /// (the service's send timeout lies between one and two fragment durations; a short minimum would end encoders
    /// that pause between segments).
    let minimumIdleTimeoutMilliseconds: UInt64
    /// How long a publication whose sender said it was over waits for requests still on their way (ms).
    static let endLingerMilliseconds: UInt64 = 1000
    /// A fragment that starts this far (seconds) or more before what was ingested is a timestamp reset,
    /// not a resend: it is kept and the pipeline rebases it.
    static let resendWindowSeconds: Int64 = 60
    /// Largest DASH manifest read.
    static let maximumManifestBytes = 1 << 20
    /// Streams one access token may feed at once: far more than any ladder, few enough that a sender inventing
    /// object names cannot grow the server's tables without bound.
    static let maximumStreamsPerToken = 64

    private var publications: [PublicationKey: Publication] = [:]
    private var requests: [Int: ActiveRequest] = [:]
    private var nextRequestID = 0
    /// Where each (token, stream, kind) ended, in its track timescale, across requests and publications: a resend
    /// (an encoder reconnecting, a redundant encoder) is skipped instead of duplicated.
    private var ingestedEnd: [String: (end: Int64, timescale: Int64)] = [:]
    /// The last CMAF header of each stream, kept across publications: segments POSTed on their own need it.
    private var headers: [PublicationKey: FragmentedMP4IngestParser.Header] = [:]
    /// The last DASH manifest POSTed with each token (lowercased).
    private var manifests: [String: DASHIngestManifest] = [:]
    private var sweepTimer: LoopTimer?
    /// Set by ``stop()``: the server takes no more requests.
    private var stopped = false

    /// - Parameter idleTimeoutSeconds: the shortest idle timeout; a stream's is the longer of this and twice its
    ///   longest fragment. Default 10 s.
    public init(loop: EventLoop, resolver: any IngestResolver, logger: Logger, idleTimeoutSeconds: Int = 10) {
        self.loop = loop
        self.resolver = resolver
        var logger = logger
        logger[metadataKey: "component"] = "fmp4-ingest"
        self.logger = logger
        self.minimumIdleTimeoutMilliseconds = UInt64(max(1, idleTimeoutSeconds)) * 1000
    }

    // MARK: - Requests

    /// Handles one ingest request to the end of its body.
    public func handle(_ request: HTTPRequest, body: HTTPRequestBody, path: FragmentedMP4IngestPath) async -> HTTPResponse {
        nextRequestID += 1
        let id = nextRequestID
        var logger = self.logger
        logger[metadataKey: "request"] = "\(id)"
        logger[metadataKey: "peer"] = "\(request.remoteAddress)"
        logger[metadataKey: "stream"] = "\(path.stream)"
        guard !stopped else {
            return .error(status: 503, message: "\(IngestEndReason.serverShutdown.code): \(IngestEndReason.serverShutdown.message)")
        }
        guard ["POST", "PUT", "DELETE"].contains(request.method) else {
            var r = HTTPResponse.error(status: 405, message: "fragmented MP4 ingest takes POST or PUT of fMP4 (and DELETE of pushed objects), not \(request.method)")
            r.headers.set(name: "Allow", value: "POST, PUT, DELETE")
            return r
        }
        let channel: LiveChannel
        switch resolver.admitIngest(accessToken: path.token, remoteAddress: request.remoteAddress) {
        case .accept(let admitted):
            channel = admitted
        case let .refuse(code, reason):
            logger.warning("fragmented MP4 encoder refused", metadata: ["code": "\(code)", "reason": "\(reason)"])
            let status = switch code {
            case IngestRefusalCode.unknownAccessToken: 404
            case IngestRefusalCode.eventNotRunning: 410
            default: 403
            }
            return .error(status: status, message: "\(code): \(reason)")
        }
        logger[metadataKey: "channel"] = "\(channel.name)"
        let key = PublicationKey(token: path.token.lowercased(), stream: path.stream)

        switch path.object {
        case .manifest(let file):
            if request.method == "DELETE" {
                endPushedPublications(token: key.token, because: "manifest '\(file)' deleted")
                return .text("")
            }
            return await receiveManifest(body, token: key.token, file: file, logger: logger)
        case .playlist:
            return .text("")  // an Interface-2 HLS playlist: nothing here needs it
        case .media(let file) where request.method == "DELETE":
            if let publication = publications[key], publication.headerFile == file, publication.ending == nil {
                publications[key]?.ending = .clientTerminated
                logger.info("header deleted: the track ends", metadata: ["file": "\(file)"])
            }
            return .text("")
        case .none where request.method == "DELETE":
            return .text("")
        case .media, .none:
            break
        }
        guard await channel.acceptsStream(path.stream) else {
            let reason = "live event '\(channel.name)' encodes a single contribution stream and one is already publishing"
            logger.warning("fragmented MP4 encoder refused", metadata: ["code": "\(IngestRefusalCode.qualitiesExceeded)", "reason": "\(reason)"])
            return .error(status: 403, message: "\(IngestRefusalCode.qualitiesExceeded): \(reason)")
        }
        return await receiveMedia(request, body: body, id: id, key: key, path: path, channel: channel, logger: logger)
    }

    /// Ends every request and publication fed with `accessToken` (its live event stopped or was deleted): requests
    /// are answered 410 at once, even when waiting for data. Returns how many requests and idle publications there were.
    public func disconnect(accessToken: String, reason: IngestEndReason = .eventStopped) -> Int {
        let token = accessToken.lowercased()
        var count = 0
        for (id, request) in requests where request.key.token == token {
            requests[id]?.endReason = reason
            request.task?.cancel()
            count += 1
        }
        for (key, publication) in publications where key.token == token && publication.attached.isEmpty {
            endPublication(key, reason: reason)
            if publication.began { count += 1 }
        }
        return count
    }

    /// Requests in progress.
    public var activeRequestCount: Int { requests.count }

    /// Ends every request and publication (the server is shutting down): each POST is answered as the event's
    /// stop answers it, each channel ends the session with `MPI_SYSTEM_MAINTENANCE`, and the idle timer closes.
    /// New requests after this meet the origin's own shutdown.
    public func stop() {
        stopped = true
        for (id, request) in requests {
            requests[id]?.endReason = .serverShutdown
            request.task?.cancel()
        }
        for key in publications.keys where publications[key]?.attached.isEmpty ?? false {
            endPublication(key, reason: .serverShutdown)
        }
        sweepTimer?.close()
        sweepTimer = nil
    }

    // MARK: - Media

    private func receiveMedia(_ request: HTTPRequest, body: HTTPRequestBody, id: Int, key: PublicationKey,
                              path: FragmentedMP4IngestPath, channel: LiveChannel, logger: Logger) async -> HTTPResponse {
        let now = loop.nowMilliseconds
        if publications[key] == nil,
           publications.keys.count(where: { $0.token == key.token }) >= Self.maximumStreamsPerToken {
            let reason = "live event '\(channel.name)' already takes \(Self.maximumStreamsPerToken) streams; '\(path.stream)' is one too many (name each track's objects consistently)"
            logger.warning("fragmented MP4 encoder refused", metadata: ["code": "\(IngestRefusalCode.qualitiesExceeded)", "reason": "\(reason)"])
            return .error(status: 403, message: "\(IngestRefusalCode.qualitiesExceeded): \(reason)")
        }
        if let existing = publications[key], existing.channel !== channel {
            // The token now belongs to another channel (the event was recreated): the old publication is over.
            endPublication(key, reason: .eventStopped)
        }
        if publications[key] == nil {
            publications[key] = Publication(channel: channel, stream: path.stream, lastActivity: now)
        }
        publications[key]?.attached.insert(id)
        // The objects of one track are taken in the order their requests came: a sender that opens the next
        // segment's request before the last one is done (ffmpeg flushing at exit) must not have its frames reordered.
        var previous: Task<RequestOutcome, Never>?
        if case .media(let file) = path.object {
            publications[key]?.lastFile = file
            previous = publications[key]?.lastObjectRequest
        }
        requests[id] = ActiveRequest(key: key, lastActivity: now, waiting: previous != nil)
        startSweeping()

        let task = Task {
            if let previous {
                _ = await previous.value
                self.requestReady(id)
            }
            return await self.consume(body, id: id, key: key, path: path, request: request, logger: logger)
        }
        requests[id]?.task = task
        if case .media = path.object { publications[key]?.lastObjectRequest = task }
        let outcome = await task.value
        requests[id] = nil

        if var publication = publications[key] {
            publication.attached.remove(id)
            publication.lastActivity = loop.nowMilliseconds
            publications[key] = publication
            if publication.attached.isEmpty, publication.began {
                if outcome.endsPublication {
                    endPublication(key, reason: outcome.reason)
                } else if outcome.sawLastSegment, let ending = publication.ending {
                    endPublication(key, reason: ending)
                }
            }
        }
        if outcome.bytes == 0 {
            logger.debug("fragmented MP4 ingest probe answered")
        } else if outcome.reason.isNormal {
            logger.debug("ingest request ended", metadata: ["bytes": "\(outcome.bytes)", "fragments": "\(outcome.fragments)"])
        } else {
            logger.warning("ingest request ended", metadata: ["code": "\(outcome.reason.code)", "reason": "\(outcome.reason.message)"])
        }
        return outcome.response
    }

    /// The request before `id` on its track is done: `id` reads its body now.
    private func requestReady(_ id: Int) {
        requests[id]?.waiting = false
        requests[id]?.lastActivity = loop.nowMilliseconds
    }

    /// Reads one request body into the publication `key`.
    private func consume(_ body: HTTPRequestBody, id: Int, key: PublicationKey, path: FragmentedMP4IngestPath,
                         request: HTTPRequest, logger: Logger) async -> RequestOutcome {
        var parser = FragmentedMP4IngestParser(header: headers[key])
        var state = RequestState(logger: logger)
        var outcome = RequestOutcome()
        if let reason = requests[id]?.endReason {
            outcome.stop(reason)  // ended while it waited for the request before it
            return outcome
        }
        do {
            for try await chunk in body {
                if let reason = requests[id]?.endReason {
                    outcome.stop(reason)
                    break
                }
                requests[id]?.lastActivity = loop.nowMilliseconds
                let events: [FragmentedMP4IngestEvent]
                do { events = try parser.receive(chunk) } catch {
                    if parser.lacksHeader {
                        outcome.fail(status: 412, .protocolError("no CMAF header for stream '\(key.stream)': POST its header (ftyp and moov) before its segments; \(error)"))
                    } else {
                        outcome.fail(status: 400, .protocolError("malformed fragmented MP4 on '\(key.stream)' after \(parser.bytesReceived) bytes: \(error)"))
                    }
                    break
                }
                if !events.isEmpty {
                    perform(events, header: parser.header, state: &state, key: key, request: request)
                }
                if let refusal = state.refusal {
                    outcome.fail(status: 415, refusal)
                    break
                }
            }
            if outcome.response.status == 200, !parser.isAtBoxBoundary {
                logger.info("fMP4 body ended inside a box; the partial box is dropped")
            }
        } catch {
            if let reason = requests[id]?.endReason {
                outcome.stop(reason)
            } else {
                outcome.reason = .connectionLost("connection error: \(error)")
            }
        }
        outcome.bytes = parser.bytesReceived
        outcome.fragments = state.fragments
        outcome.sawLastSegment = state.sawLastSegment
        let carriedStream = state.sawHeader && (state.fragments > 0 || !outcome.reason.isNormal)
        outcome.endsPublication = carriedStream || outcome.reason.code == IngestEndReason.eventStopped.code
            || outcome.reason.code == IngestEndReason.idleTimeout(seconds: 0).code
        if state.skippedFragments > 0 {
            logger.info("resent fragments skipped", metadata: ["count": "\(state.skippedFragments)"])
        }
        if case .media(let file) = path.object, state.sawHeader { publications[key]?.headerFile = file }
        return outcome
    }

    /// Feeds parser events to the channel of publication `key`.
    private func perform(_ events: [FragmentedMP4IngestEvent], header: FragmentedMP4IngestParser.Header?,
                         state: inout RequestState, key: PublicationKey, request: HTTPRequest) {
        for event in events {
            guard let publication = publications[key] else { return }  // ended under us: the event stopped
            let channel = publication.channel, stream = publication.stream
            switch event {
            case .tracks(let tracks):
                headers[key] = header
                state.sawHeader = true
                publications[key]?.ending = nil  // a new header (re)starts the track, whatever ended it before
                state.choose(tracks)
                if publication.began {
                    state.refusal = configureTracks(key, state: state)
                } else {
                    state.refusal = begin(key, state: state, request: request)
                }
                if state.refusal != nil { return }
            case .fragment(let fragment):
                if state.tracks.isEmpty, let header {
                    // Segments POSTed on their own: the tracks are those of the stream's last header.
                    state.choose(header.tracks.values.sorted { $0.trackID < $1.trackID })
                    state.refusal = configureTracks(key, state: state)
                    if state.refusal != nil { return }
                }
                guard let track = state.tracks[fragment.trackID], let first = fragment.frames.first else { continue }
                state.refusal = begin(key, state: state, request: request)
                if state.refusal != nil { return }
                let endKey = "\(key.token)|\(stream)|\(track.kind.rawValue)"
                var frames = fragment.frames
                if let last = ingestedEnd[endKey], last.timescale == first.timescale, fragment.startTime < last.end,
                   last.end - fragment.startTime < Self.resendWindowSeconds * last.timescale {
                    // Already ingested (a resend, or the other of two redundant encoders): keep only what is new.
                    frames.removeAll { $0.decodeTime < last.end }
                    if frames.isEmpty {
                        state.skippedFragments += 1
                        if state.skippedFragments == 1 {
                            state.logger.info("skipping resent fragments already ingested", metadata: ["track": "\(fragment.trackID)"])
                        }
                        continue
                    }
                }
                ingestedEnd[endKey] = (fragment.endTime, first.timescale)
                state.fragments += 1
                let seconds = Double(fragment.endTime - fragment.startTime) / Double(max(1, first.timescale))
                publications[key]?.longestFragment = max(publication.longestFragment, min(seconds, 60))
                publications[key]?.lastActivity = loop.nowMilliseconds
                channel.assumeIsolated { channel in
                    for frame in frames { channel.ingest(stream: stream, frame: frame) }
                }
            case .lastSegment:
                state.sawLastSegment = true
                publications[key]?.ending = .clientTerminated
            }
        }
    }

    /// Starts the channel session of publication `key` if it has not begun; returns why the channel refused the
    /// stream's media, if it did.
    private func begin(_ key: PublicationKey, state: RequestState, request: HTTPRequest) -> IngestEndReason? {
        guard let publication = publications[key], !publication.began else { return nil }
        publications[key]?.began = true
        let stream = publication.stream
        publication.channel.assumeIsolated {
            $0.beginSession(stream: stream, remoteAddress: request.remoteAddress, remotePort: nil)
        }
        if let refusal = configureTracks(key, state: state) { return refusal }
        state.logger.info("publishing", metadata: ["tracks": "\(state.tracks.values.sorted { $0.trackID < $1.trackID }.map { "\($0.trackID):\($0.codec.fourCC)" })"])
        applyManifest(token: key.token)
        return nil
    }

    /// Configures the request's tracks on publication `key`; stops at the first the channel refuses and returns why.
    private func configureTracks(_ key: PublicationKey, state: RequestState) -> IngestEndReason? {
        for track in state.tracks.values.sorted(by: { $0.trackID < $1.trackID }) {
            if let refusal = configure(key, track: track) { return refusal }
        }
        return nil
    }

    /// Configures one track of publication `key`; returns why the channel refused it, if it did.
    private func configure(_ key: PublicationKey, track: IngestTrackDescription) -> IngestEndReason? {
        guard let publication = publications[key] else { return nil }
        let stream = publication.stream
        let refusal = publication.channel.assumeIsolated { channel -> IngestEndReason? in
            if let refusal = channel.configure(stream: stream, codec: track.codec) { return refusal }
            if let bitrate = track.bitrate {
                channel.declareBitrate(stream: stream, kind: track.kind, bitsPerSecond: bitrate)
            }
            if let language = track.language {
                channel.declareLanguage(stream: stream, kind: track.kind, language: language)
            }
            return nil
        }
        if refusal == nil { publications[key]?.kinds.insert(track.kind) }
        return refusal
    }

    /// Ends the channel session of publication `key`.
    private func endPublication(_ key: PublicationKey, reason: IngestEndReason) {
        guard let publication = publications.removeValue(forKey: key) else { return }
        guard publication.began else { return }
        let stream = publication.stream
        publication.channel.assumeIsolated { $0.endSession(stream: stream, reason: reason) }
        let metadata: Logger.Metadata = ["channel": "\(publication.channel.name)", "stream": "\(stream)",
                                         "code": "\(reason.code)", "reason": "\(reason.message)"]
        if reason.isNormal {
            logger.info("fragmented MP4 session ended by the encoder", metadata: metadata)
        } else {
            logger.warning("fragmented MP4 session ended", metadata: metadata)
        }
    }

    // MARK: - DASH manifest

    private func receiveManifest(_ body: HTTPRequestBody, token: String, file: String, logger: Logger) async -> HTTPResponse {
        let bytes: [UInt8]
        do { bytes = try await body.collect(upTo: Self.maximumManifestBytes) } catch {
            var response = HTTPResponse.error(status: 400, message: "\(IngestEndReason.protocolError("").code): manifest '\(file)' not read: \(error)")
            response.headers.set(name: "Connection", value: "close")
            return response
        }
        let manifest = DASHIngestManifest(text: String(decoding: bytes, as: UTF8.self))
        if manifests[token] == nil {
            logger.info("DASH manifest received", metadata: ["file": "\(file)", "representations": "\(manifest.representations.count)"])
        }
        manifests[token] = manifest
        applyManifest(token: token)
        if manifest.isStatic { endPushedPublications(token: token, because: "final (static) manifest '\(file)'") }
        return .text("")
    }

    /// Declares the MPD bandwidth of each pushed track of `token` that it names (one track per Representation).
    private func applyManifest(token: String) {
        guard let manifest = manifests[token] else { return }
        for (key, publication) in publications where key.token == token && publication.began && !publication.bandwidthDeclared {
            guard publication.kinds.count == 1, let kind = publication.kinds.first, let file = publication.lastFile,
                  let bandwidth = manifest.representation(forFile: file)?.bandwidth, bandwidth > 0 else { continue }
            let stream = publication.stream
            publication.channel.assumeIsolated { $0.declareBitrate(stream: stream, kind: kind, bitsPerSecond: bandwidth) }
            publications[key]?.bandwidthDeclared = true
        }
    }

    /// The pushed presentation of `token` is over: each of its object-fed tracks ends once its requests are done.
    private func endPushedPublications(token: String, because reason: String) {
        var ended: [String] = []
        for (key, publication) in publications where key.token == token && publication.lastFile != nil && publication.ending == nil {
            publications[key]?.ending = .clientTerminated
            ended.append(publication.stream)
        }
        if !ended.isEmpty { logger.info("pushed presentation ended", metadata: ["why": "\(reason)", "streams": "\(ended.sorted())"]) }
    }

    // MARK: - Idle sweep

    private func startSweeping() {
        guard sweepTimer == nil, !stopped else { return }
        do {
            let timer = try LoopTimer(loop: loop)
            timer.start(after: .milliseconds(500), repeat: .milliseconds(500)) { [unowned self] in
                self.assumeIsolated { $0.sweep() }
            }
            sweepTimer = timer
        } catch {
            logger.error("cannot start the ingest idle timer; stalled encoders are not timed out: \(error)")
        }
    }

    private func idleTimeout(_ key: PublicationKey) -> UInt64 {
        let fragment = publications[key]?.longestFragment ?? 0
        return max(minimumIdleTimeoutMilliseconds, UInt64(2 * fragment * 1000))
    }

    /// Ends requests that sent nothing for the idle timeout, and publications with no request left.
    private func sweep() {
        let now = loop.nowMilliseconds
        for (id, request) in requests where request.endReason == nil && !request.waiting {
            let timeout = idleTimeout(request.key)
            guard now &- request.lastActivity >= timeout else { continue }
            requests[id]?.endReason = .idleTimeout(seconds: Int(timeout / 1000))
            request.task?.cancel()
            logger.warning("ingest request idle: ended", metadata: ["request": "\(id)", "stream": "\(request.key.stream)",
                                                                     "timeout_s": "\(timeout / 1000)"])
        }
        for (key, publication) in publications where publication.attached.isEmpty {
            let quiet = now &- publication.lastActivity
            let timeout = idleTimeout(key)
            if let ending = publication.ending, quiet >= Self.endLingerMilliseconds {
                endPublication(key, reason: ending)
            } else if quiet >= timeout {
                if publication.began {
                    endPublication(key, reason: .idleTimeout(seconds: Int(timeout / 1000)))
                } else {
                    publications[key] = nil
                }
            }
        }
        if requests.isEmpty && publications.isEmpty {
            sweepTimer?.close()
            sweepTimer = nil
        }
    }
}

/// A channel stream fed by fragmented MP4 ingest: the access token (lowercased) and the stream name.
struct PublicationKey: Hashable, Sendable {
    var token: String
    var stream: String
}

/// One channel stream being fed, by one request or several (redundant encoders, or one request per object).
struct Publication {
    let channel: LiveChannel
    let stream: String
    var lastActivity: UInt64
    /// Whether the channel session began (a header or fragment arrived).
    var began = false
    /// Requests feeding it now.
    var attached: Set<Int> = []
    /// Longest fragment seen (seconds): the idle timeout is at least twice it.
    var longestFragment: Double = 0
    /// The sender said it is over; it ends once its requests are done.
    var ending: IngestEndReason?
    /// Object pushes: the last file and the one that carried the header.
    var lastFile: String?
    var headerFile: String?
    var kinds: Set<MediaKind> = []
    var bandwidthDeclared = false
    /// The last object request: the next one of this track reads its body after it.
    var lastObjectRequest: Task<RequestOutcome, Never>?
}

/// A request in progress.
struct ActiveRequest {
    let key: PublicationKey
    var lastActivity: UInt64
    /// Waiting for the request before it on the same track (not idle, not reading yet).
    var waiting = false
    /// Reads the body; cancelled to end the request early (idle, event stopped).
    var task: Task<RequestOutcome, Never>?
    /// Why the request is being ended early.
    var endReason: IngestEndReason?
}

/// Per-request parsing state.
struct RequestState {
    var logger: Logger
    /// The track used for each kind, by track id (one per kind; more go unused with a warning).
    var tracks: [UInt32: IngestTrackDescription] = [:]
    var sawHeader = false
    var sawLastSegment = false
    var fragments = 0
    var skippedFragments = 0
    /// Why the channel refused this stream's media (an encoding event's contribution it cannot encode).
    var refusal: IngestEndReason?

    mutating func choose(_ described: [IngestTrackDescription]) {
        tracks = [:]
        for track in described {
            guard !tracks.values.contains(where: { $0.kind == track.kind }) else {
                logger.warning("second \(track.kind.rawValue) track \(track.trackID) in one stream ignored; push each quality as its own Streams(name) or object name")
                continue
            }
            tracks[track.trackID] = track
        }
    }
}

/// How a request ended and what to answer.
struct RequestOutcome: Sendable {
    var response = HTTPResponse.text("")
    var reason = IngestEndReason.clientTerminated
    var bytes = 0
    var fragments = 0
    var sawLastSegment = false
    /// The publication ends with this request when no other request feeds it.
    var endsPublication = false

    /// The body is refused part way: answered with `status`, and the connection closes (the rest is not read).
    mutating func fail(status: Int, _ reason: IngestEndReason) {
        self.reason = reason
        response = .error(status: status, message: "\(reason.code): \(reason.message)")
        response.headers.set(name: "Connection", value: "close")
    }

    /// The server ends the request: 408 when idle, 410 when the event stopped.
    mutating func stop(_ reason: IngestEndReason) {
        fail(status: reason.code == IngestEndReason.idleTimeout(seconds: 0).code ? 408 : 410, reason)
    }
}

/// Routes fragmented MP4 ingest requests (POST, PUT, DELETE under `/<token>/ingest.isml`) to the ingest server and
/// everything else to `fallback` (the origin).
public struct FragmentedMP4IngestResponder<Fallback: HTTPResponder>: HTTPResponder {
    let server: FragmentedMP4IngestServer
    let fallback: Fallback

    public init(server: FragmentedMP4IngestServer, fallback: Fallback) {
        self.server = server
        self.fallback = fallback
    }

    public func respond(to request: HTTPRequest, body: HTTPRequestBody) async -> HTTPResponse {
        guard request.method != "GET", request.method != "HEAD", request.method != "OPTIONS",
              let path = FragmentedMP4IngestPath.parse(request.path) else {
            return await fallback.respond(to: request, body: body)
        }
        return await server.handle(request, body: body, path: path)
    }
}
