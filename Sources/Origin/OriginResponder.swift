import Foundation
import HTTP
import ISOBMFF
import Live
import Logging
import Media
import MediaDirectory
import Packaging
import Protection

/// Where the origin finds what a locator publishes: live event previews and streaming locators (the appliance passes
/// the ``ChannelDirectory``; tests pass fakes).
public protocol LocatorResolver: Sendable {
    /// The source a locator publishes under `manifestName`, or why the request is refused.
    func resolve(locatorID: String, manifestName: String, request: HTTPRequest) async -> LocatorResolution
}

extension ChannelDirectory: LocatorResolver {
    public func resolve(locatorID: String, manifestName: String, request: HTTPRequest) async -> LocatorResolution {
        await resolve(locatorID: locatorID, manifestName: manifestName, remoteAddress: request.remoteAddress)
    }
}

/// The streaming origin: `/<locator>/<manifest>.ism/…` → manifests and segments, packaged on request from a media
/// source's canonical CMAF fragments. Manifest text comes from pure builders (HLS, DASH, Smooth); CMAF segments are
/// served as stored, MPEG-TS segments are muxed from the fragments' samples, Smooth fragments rewrapped.
public struct OriginResponder: HTTPResponder {
    let resolver: any LocatorResolver
    let logger: Logger
    /// Seconds a live manifest may be cached: about half a fragment, so players see new fragments promptly.
    static let liveManifestMaxAge = 1
    /// Seconds an on-demand manifest may be cached. It never changes while the asset exists, but the asset can
    /// be deleted or its locator expire or be deleted at any time: an hour keeps CDN and player refreshes rare
    /// while bounding how long a caching proxy keeps advertising content that is gone.
    static let onDemandManifestMaxAge = 3_600
    /// Fragments at a given time never change (a new encoder session gets new times).
    static let fragmentMaxAge = 86_400
    /// Init segments of a live track change when the encoder reconnects with new settings.
    static let liveInitSegmentMaxAge = 60
    /// A live Smooth fragment whose `tfrf` does not list all its look-ahead fragments yet changes when they arrive.
    static let incompleteSmoothFragmentMaxAge = 1

    public init(resolver: any LocatorResolver, logger: Logger) {
        var logger = logger
        logger[metadataKey: "component"] = "origin"
        self.resolver = resolver
        self.logger = logger
    }

    public func respond(to request: HTTPRequest, body: HTTPRequestBody) async -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            var r = HTTPResponse.error(status: 405, message: "the origin serves GET and HEAD only")
            r.headers.set(name: "Allow", value: "GET, HEAD, OPTIONS")
            return r
        }
        let parsed: OriginRequest
        do {
            parsed = try OriginRequest.parse(path: request.path)
        } catch {
            return .error(status: error.status, message: error.description)
        }
        var options = parsed.options
        let source: any MediaSource
        var filterSet = FilterSet.none
        var protection: ProtectionPlan?
        switch await resolver.resolve(locatorID: parsed.locatorID, manifestName: parsed.manifestName, request: request) {
        case let .source(resolved, fragmentsPerTSSegment, filters, plan):
            source = resolved
            filterSet = filters
            protection = plan
            options.fragmentsPerTSSegment = max(1, fragmentsPerTSSegment ?? 1)
        case let .refused(status, message):
            return .error(status: status, message: message)
        }
        // A scheme asked of a clear locator is one its policy does not enable: refused as the service refused it.
        var encryption: RequestProtection?
        if let plan = protection {
            switch selectProtection(plan, options: options, request: request, source: source) {
            case .failure(let refusal): return refusal.response
            case .success(let selected):
                encryption = selected
                // Only manifests signal the protection (pssh and licence data); segment requests do not build it.
                switch parsed.resource {
                case .manifest, .mediaPlaylist: options.protection = manifestProtection(selected)
                case .initSegment, .fragment, .keyFrame: break
                }
            }
        } else if let scheme = options.encryption {
            return .error(status: 400, message: "MPE_ENC_ENCRYPTION_NOT_SET_IN_DELIVERY_POLICY: \(source.sourceDescription) is not "
                          + "protected with '\(scheme)'; its streaming policy enables no encryption, so ask without 'encryption='")
        }
        // Low latency (LL-HLS parts, LL-DASH chunked segments) is served clear only: a protected locator gets the
        // standard-latency manifests.
        let lowLatencyAllowed = encryption == nil
        let format = options.format
        switch parsed.resource {
        case .manifest:
            var presentation = await source.presentation()
            guard !presentation.tracks.isEmpty else {
                return .error(status: 404, message: "\(source.sourceDescription) has no content yet: no encoder has sent a complete fragment")
            }
            switch filtered(presentation, filterSet, &options, source) {
            case .failure(let error): return error.response
            case .success(let kept): presentation = kept
            }
            let live = presentation.isLive
            if format.isHLS {
                return manifest(HLSBuilder.multivariantPlaylist(presentation, options: options), type: Self.hlsType, live: live)
            }
            if format.isDASH {
                if lowLatencyAllowed, lowLatencyFilters(options, filterSet, source) != nil, let lowLatency = await lowLatencyDASH(source, presentation, options: options) {
                    return manifest(DASHBuilder.mpd(lowLatency.presentation, options: options, now: Date(), utcTimingURL: nil,
                                                    lowLatency: lowLatency.settings), type: Self.dashType, live: live)
                }
                return manifest(DASHBuilder.mpd(presentation, options: options, now: Date(), utcTimingURL: nil), type: Self.dashType, live: live)
            }
            return manifest(SmoothBuilder.manifest(presentation, options: options), type: Self.smoothType, live: live)

        case let .mediaPlaylist(bitrate, trackName):
            if lowLatencyAllowed, let filters = lowLatencyFilters(options, filterSet, source),
               let response = await lowLatencyPlaylist(source, request: request, options: options, filters: filters, bitrate: bitrate,
                                                       trackName: trackName) {
                return response
            }
            var presentation = await source.presentation()
            switch filtered(presentation, filterSet, &options, source, track: (trackName, bitrate)) {
            case .failure(let error): return error.response
            case .success(let kept): presentation = kept
            }
            guard let timeline = presentation.timeline(named: trackName, bitrate: bitrate) else {
                return unknownTrack(trackName, bitrate, source)
            }
            return manifest(HLSBuilder.mediaPlaylist(presentation, track: timeline, options: options), type: Self.hlsType,
                            live: presentation.isLive)

        case let .initSegment(bitrate, trackName):
            guard format.usesFragmentedMP4 else {
                return .error(status: 404, message: "format=\(format.rawValue) has MPEG-TS segments, which need no initialization segment")
            }
            guard let info = await source.trackInfo(trackName: trackName, bitrate: bitrate),
                  let bytes = await source.initSegment(trackName: trackName, bitrate: bitrate) else {
                return unknownTrack(trackName, bitrate, source)
            }
            switch protectedInitSegment(bytes, track: info, protection: encryption) {
            case .failure(let error): return error.response
            case .success(let header): return segment(header, type: mp4Type(info.kind), maxAge: Self.liveInitSegmentMaxAge)
            }

        case let .fragment(bitrate, trackName, time):
            if !format.usesFragmentedMP4 {
                let response = await transportStreamSegment(source, options: options, filters: filterSet, bitrate: bitrate, trackName: trackName,
                                                            time: time, protection: encryption)
                guard let track = await source.trackInfo(trackName: trackName, bitrate: bitrate) else { return response }
                return envelopeEncrypted(response, track: track, time: time, protection: encryption)
            }
            if format.isSmooth {
                return await smoothFragment(source, bitrate: bitrate, trackName: trackName, time: time, protection: encryption)
            }
            if let part = options.part {
                let response = await partialSegment(source, bitrate: bitrate, trackName: trackName, time: time, index: part)
                return await presentedOnHLSTimeline(response, source, options: options, filters: filterSet, bitrate: bitrate, trackName: trackName)
            }
            switch await fetch(source, trackName: trackName, bitrate: bitrate, time: time) {
            case .failure(let error):
                // Low latency: the segment in progress streams its chunks as they are produced (LL-DASH).
                if lowLatencyAllowed, let streamed = await openSegmentStream(source, bitrate: bitrate, trackName: trackName, time: time) {
                    return streamed
                }
                return error.response
            case .success(let stored):
                guard let track = await source.trackInfo(trackName: trackName, bitrate: bitrate) else {
                    return unknownTrack(trackName, bitrate, source)
                }
                let bytes: [UInt8]
                switch await commonEncrypted(stored, track: track, source: source, protection: encryption) {
                case .failure(let error): return error.response
                case .success(let encrypted): bytes = encrypted
                }
                let presented = await presentedOnHLSTimeline(segment(bytes, type: mp4Type(track.kind), maxAge: Self.fragmentMaxAge), source,
                                                             options: options, filters: filterSet, bitrate: bitrate, trackName: trackName)
                return envelopeEncrypted(presented, track: track, time: time, protection: encryption)
            }

        case let .keyFrame(bitrate, trackName, time):
            guard format.isHLS else {
                return .error(status: 400, message: "KeyFrames(…) are segments of HLS I-frame playlists; use format=m3u8-cmaf, m3u8-aapl or m3u8-aapl-v3")
            }
            let response = await keyFrame(source, format: format, bitrate: bitrate, trackName: trackName, time: time, protection: encryption)
            let presented = await presentedOnHLSTimeline(response, source, options: options, filters: filterSet, bitrate: bitrate, trackName: trackName)
            guard let track = await source.trackInfo(trackName: trackName, bitrate: bitrate) else { return presented }
            return envelopeEncrypted(presented, track: track, time: time, protection: encryption)
        }
    }

    // MARK: - Packaged segments

    /// An MPEG-TS segment: the fragments ``HLSBuilder/tsSegments(_:track:options:)`` groups under `time`, plus, for
    /// v3 video, the default audio's samples from the same time span.
    private func transportStreamSegment(_ source: any MediaSource, options: ManifestOptions, filters: FilterSet, bitrate: Int,
                                        trackName: String, time: Int64, protection: RequestProtection?) async -> HTTPResponse {
        var presentation = await source.presentation()
        switch muxableAudio(presentation, filters, options, source, requested: (trackName, bitrate)) {
        case .failure(let error): return error.response
        case .success(let kept): presentation = kept
        }
        guard let timeline = presentation.timeline(named: trackName, bitrate: bitrate) else {
            return unknownTrack(trackName, bitrate, source)
        }
        let list = HLSBuilder.tsSegments(presentation, track: timeline, options: options)
        guard let segment = list.segment(startingAt: time) else {
            if let first = timeline.segments.first, time < first.startTime {
                return .error(status: 404, message: "TS segment \(trackName)=\(time) is before the window of \(source.sourceDescription)")
            }
            if let last = list.segments.last, time > last.startTime {
                return await beyondEdge("TS segment \(trackName)=\(time)", source)
            }
            return .error(status: 404, message: "no TS segment of '\(trackName)' starts at \(time) in \(source.sourceDescription) "
                          + "(\(options.fragmentsPerTSSegment) fragment(s) per segment; take segment URLs from the media playlist)")
        }
        let track = timeline.track
        var samples: [FragmentSample] = []
        for index in segment.fragments {
            switch await fragment(source, track, time: timeline.segments[index].startTime) {
            case .failure(let error): return error.response
            case .success(let parsed): samples += parsed.samples
            }
        }
        var audio: TransportStreamInput?
        if let muxed = HLSBuilder.muxedAudio(presentation, for: timeline, options: options) {
            let scale = (from: Int64(track.timescale), to: Int64(muxed.track.timescale))
            let start = MediaTime.rescale(segment.startTime, from: scale.from, to: scale.to)
            let end = MediaTime.rescale(segment.endTime, from: scale.from, to: scale.to)
            var audioSamples: [FragmentSample] = []
            for entry in muxed.segments where entry.startTime < end && entry.endTime > start {
                switch await fragment(source, muxed.track, time: entry.startTime) {
                case .failure(let error): return error.response
                case .success(let parsed):
                    audioSamples += parsed.samples.filter { $0.decodeTime >= start && $0.decodeTime < end }
                }
            }
            if let refusal = muxedAudioRefusal(video: track, audio: muxed.track, protection: protection) { return refusal.response }
            switch sampleEncryption(for: muxed.track, protection: protection) {
            case .failure(let error): return error.response
            case .success(let encryption):
                audio = TransportStreamInput(track: muxed.track, samples: audioSamples, sampleEncryption: encryption)
            }
        }
        let input: TransportStreamInput
        switch sampleEncryption(for: track, protection: protection) {
        case .failure(let error): return error.response
        case .success(let encryption): input = TransportStreamInput(track: track, samples: samples, sampleEncryption: encryption)
        }
        do {
            let bytes = try TransportStreamMuxer.segment(video: track.kind == .video ? input : nil,
                                                         audio: track.kind == .video ? audio : input,
                                                         continuityIndex: segment.mediaSequence)
            return self.segment(bytes, type: Self.transportStreamType, maxAge: Self.fragmentMaxAge)
        } catch {
            return packagingFailure(error, source)
        }
    }

    /// A Smooth fragment: the canonical fragment's samples with `tfxd` and, live, `tfrf` naming what follows.
    private func smoothFragment(_ source: any MediaSource, bitrate: Int, trackName: String, time: Int64,
                                protection: RequestProtection?) async -> HTTPResponse {
        let presentation = await source.presentation()
        guard let timeline = presentation.timeline(named: trackName, bitrate: bitrate) else {
            return unknownTrack(trackName, bitrate, source)
        }
        let track = timeline.track
        let parsed: MovieFragment
        switch await fragment(source, track, time: time) {
        case .failure(let error): return error.response
        case .success(let fragment): parsed = fragment
        }
        let index = timeline.segments.firstIndex { $0.startTime == time }
        let duration = index.map { timeline.segments[$0].duration } ?? (parsed.endTime - parsed.baseMediaDecodeTime)
        var following: [CMAFWriter.FragmentReference]?
        if presentation.isLive {
            let next = index.map { timeline.segments[($0 + 1)...].prefix(SmoothBuilder.lookAheadFragmentCount) } ?? []
            following = next.map { CMAFWriter.FragmentReference(time: $0.startTime, duration: $0.duration) }
        }
        let clear = CMAFWriter.smoothFragment(trackID: track.trackID, sequenceNumber: parsed.sequenceNumber,
                                              samples: parsed.samples, duration: duration, following: following)
        let bytes: [UInt8]
        switch await commonEncrypted(clear, track: track, source: source, protection: protection) {
        case .failure(let error): return error.response
        case .success(let encrypted): bytes = encrypted
        }
        let complete = (following?.count ?? SmoothBuilder.lookAheadFragmentCount) >= SmoothBuilder.lookAheadFragmentCount
        return segment(bytes, type: mp4Type(track.kind), maxAge: complete ? Self.fragmentMaxAge : Self.incompleteSmoothFragmentMaxAge)
    }

    /// The key frame that starts the fragment at `time`, alone: a TS segment or a one-sample CMAF fragment.
    private func keyFrame(_ source: any MediaSource, format: OutputFormat, bitrate: Int, trackName: String,
                          time: Int64, protection: RequestProtection?) async -> HTTPResponse {
        guard let track = await source.trackInfo(trackName: trackName, bitrate: bitrate) else {
            return unknownTrack(trackName, bitrate, source)
        }
        guard track.kind == .video else {
            return .error(status: 404, message: "track '\(trackName)' is \(track.kind.rawValue); only video has key frames")
        }
        let parsed: MovieFragment
        switch await fragment(source, track, time: time) {
        case .failure(let error): return error.response
        case .success(let fragment): parsed = fragment
        }
        guard let first = parsed.samples.first, first.isSync else {
            return .error(status: 404, message: "the fragment \(trackName)=\(time) of \(source.sourceDescription) does not start with a key frame")
        }
        if format.usesFragmentedMP4 {
            let sample = Sample(decodeTime: first.decodeTime, compositionOffset: first.compositionOffset, duration: first.duration,
                                isSync: true, data: Array(first.data))
            let clear = CMAFWriter.mediaSegment(track: track, sequenceNumber: parsed.sequenceNumber, samples: [sample])
            switch await commonEncrypted(clear, track: track, source: source, protection: protection) {
            case .failure(let error): return error.response
            case .success(let bytes): return segment(bytes, type: mp4Type(.video), maxAge: Self.fragmentMaxAge)
            }
        }
        let encryption: TransportStreamSampleEncryption?
        switch sampleEncryption(for: track, protection: protection) {
        case .failure(let error): return error.response
        case .success(let chosen): encryption = chosen
        }
        do {
            let bytes = try TransportStreamMuxer.segment(video: TransportStreamInput(track: track, samples: [first], sampleEncryption: encryption),
                                                         audio: nil,
                                                         continuityIndex: Int(parsed.sequenceNumber))
            return segment(bytes, type: Self.transportStreamType, maxAge: Self.fragmentMaxAge)
        } catch {
            return packagingFailure(error, source)
        }
    }

    // MARK: - HLS-CMAF timeline

    /// An `m3u8-cmaf` segment, part or key frame with its `tfdt`s moved onto the presentation's own timeline
    /// (``Presentation/presentationOrigin`` = 0); every other format, and any error, passes through unchanged.
    ///
    /// GStreamer's `hlsdemux` (what `playbin` picks in 1.22) times each HLS segment by adding up the `EXTINF`s before it
    /// from 0, while `qtdemux` stamps the buffers with the `tfdt`: with wall-clock `tfdt`s the sink waits ~56 years for
    /// the first frame. Players that read `tfdt` as media time (ffmpeg, hls.js, Safari) only see a smaller number; the
    /// playlist's `EXT-X-PROGRAM-DATE-TIME`s still carry the wall clock. The URL keeps the stored time (its `t`).
    func presentedOnHLSTimeline(_ response: HTTPResponse, _ source: any MediaSource, options: ManifestOptions, filters: FilterSet,
                                bitrate: Int, trackName: String) async -> HTTPResponse {
        guard options.format == .hlsCMAF, response.status == 200, case .bytes(let bytes) = response.body,
              let track = await source.trackInfo(trackName: trackName, bitrate: bitrate) else { return response }
        var presentation = await source.presentation()
        var filterOptions = options
        // On demand, playback starts at the first segment the (filtered) playlist lists; fragments themselves are served
        // whatever the filters say, so a filter that fails here only means the unfiltered origin.
        if !presentation.isLive, case .success(let kept) = filtered(presentation, filters, &filterOptions, source) {
            presentation = kept
        }
        guard let offset = presentation.presentationOrigin(timescale: track.timescale), offset != 0 else { return response }
        var shifted = response
        shifted.body = .bytes(FragmentDecodeTime.shifted(bytes, by: offset))
        return shifted
    }

    // MARK: - Fragments from the source

    /// The stored bytes of the fragment at `time`, or the response explaining why there are none.
    private func fetch(_ source: any MediaSource, trackName: String, bitrate: Int, time: Int64) async -> Result<[UInt8], ErrorResponse> {
        switch await source.fragment(trackName: trackName, bitrate: bitrate, time: time) {
        case .found(let bytes):
            return .success(bytes)
        case .unknownTrack:
            return .failure(ErrorResponse(unknownTrack(trackName, bitrate, source)))
        case .outsideWindow:
            return .failure(ErrorResponse(.error(status: 404, message: "fragment \(trackName)=\(time) is before the window of \(source.sourceDescription)")))
        case .beyondLiveEdge:
            return .failure(ErrorResponse(await beyondEdge("fragment \(trackName)=\(time)", source)))
        case .noSuchFragment:
            return .failure(ErrorResponse(.error(status: 404, message: "no fragment of '\(trackName)' starts at \(time) in \(source.sourceDescription)")))
        case .unavailable(let reason):
            logger.error("fragment unavailable", metadata: ["source": "\(source.sourceDescription)", "error": "\(reason)"])
            return .failure(ErrorResponse(.error(status: 503, message: "fragment \(trackName)=\(time) of \(source.sourceDescription) cannot be read now; retry later")))
        }
    }

    /// The fragment at `time`, read back into samples.
    private func fragment(_ source: any MediaSource, _ track: TrackInfo, time: Int64) async -> Result<MovieFragment, ErrorResponse> {
        switch await fetch(source, trackName: track.name, bitrate: track.bitrate, time: time) {
        case .failure(let response):
            return .failure(response)
        case .success(let bytes):
            do {
                return .success(try MovieFragment(parsing: bytes))
            } catch {
                logger.error("stored fragment unreadable", metadata: ["source": "\(source.sourceDescription)", "track": "\(track.name)",
                                                                      "time": "\(time)", "error": "\(error)"])
                return .failure(ErrorResponse(.error(status: 500, message: "fragment \(track.name)=\(time) of \(source.sourceDescription) "
                                                     + "is not a readable CMAF fragment (\(error)); see the daemon's log")))
            }
        }
    }

    /// An error response carried through `Result`.
    struct ErrorResponse: Error {
        var response: HTTPResponse
        init(_ response: HTTPResponse) { self.response = response }
    }

    // MARK: - Responses

    static let hlsType = "application/vnd.apple.mpegurl"
    static let dashType = "application/dash+xml"
    static let smoothType = "application/vnd.ms-sstr+xml"
    static let transportStreamType = "video/mp2t"

    func mp4Type(_ kind: MediaKind) -> String { kind == .audio ? "audio/mp4" : "video/mp4" }

    /// A request past the newest fragment. While the source is live that fragment may still come: 412, as the service
    /// answered for a fragment not yet available (players back off and retry; a filter's `liveBackoffDuration` keeps
    /// them away from it). Once the presentation is complete nothing more will come: 404.
    private func beyondEdge(_ what: String, _ source: any MediaSource) async -> HTTPResponse {
        if await source.presentation().isLive {
            return .error(status: 412, message: "\(what) is beyond the live edge of \(source.sourceDescription): not available yet")
        }
        return .error(status: 404, message: "\(what) is after the end of \(source.sourceDescription)")
    }

    func unknownTrack(_ trackName: String, _ bitrate: Int, _ source: any MediaSource) -> HTTPResponse {
        .error(status: 404, message: "no track '\(trackName)' at QualityLevels(\(bitrate)) in \(source.sourceDescription)")
    }

    private func packagingFailure(_ error: PackagingError, _ source: any MediaSource) -> HTTPResponse {
        if error.code == .unsupportedCodec {
            return .error(status: 400, message: "\(source.sourceDescription): \(error.message)")
        }
        logger.error("segment packaging failed", metadata: ["source": "\(source.sourceDescription)", "error": "\(error)"])
        return .error(status: 500, message: "\(source.sourceDescription): \(error.message); see the daemon's log")
    }

    func manifest(_ text: String, type: String, live: Bool) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set(name: "Content-Type", value: type)
        headers.set(name: "Cache-Control", value: "public, max-age=\(live ? Self.liveManifestMaxAge : Self.onDemandManifestMaxAge)")
        return HTTPResponse(status: 200, headers: headers, body: .bytes(Array(text.utf8)))
    }

    func segment(_ bytes: [UInt8], type: String, maxAge: Int) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set(name: "Content-Type", value: type)
        headers.set(name: "Cache-Control", value: "public, max-age=\(maxAge)")
        return HTTPResponse(status: 200, headers: headers, body: .bytes(bytes))
    }
}
