import HTTP
import Live
import Media
import Packaging

// Low-latency delivery: LL-HLS playlists with blocking reload, partial segments, and the chunked transfer of the
// segment in progress (LL-DASH). Only sources that publish chunks (``LowLatencySource`` with a part target) get it;
// every other source and format is served as before.
extension OriginResponder {
    /// The source as a low-latency one, when it is.
    private func lowLatencySource(_ source: any MediaSource) -> (any LowLatencySource)? {
        guard let source = source as? any LowLatencySource, source.partTarget != nil else { return nil }
        return source
    }

    /// The filters of a request that may be served low latency: those that only select tracks or name a first quality.
    /// A filter's time range (a live backoff, a window, a trim) holds players away from the live edge on purpose, so
    /// such requests, and those naming an unknown filter (answered 404 on the ordinary path), get nil: the ordinary
    /// (filtered) manifests.
    func lowLatencyFilters(_ options: ManifestOptions, _ set: FilterSet, _ source: any MediaSource) -> [PresentationFilter]? {
        guard case .success(let filters) = requestFilters(options, set, source), filters.allSatisfy({ $0.timeRange == nil }) else {
            return nil
        }
        return filters
    }

    /// How long a blocked request is held at most: three target durations (LL-HLS then answers 503).
    private func blockingTimeout(_ presentation: Presentation, _ timeline: TrackTimeline?) -> Duration {
        let seconds = timeline.map { LowLatencyHLS.blockingTimeout(presentation, track: $0) }
            ?? Int64(3 * max(1, presentation.nominalFragmentDuration.rounded(.up)))
        return .seconds(max(3, seconds))
    }

    // MARK: - LL-HLS playlists

    /// The LL-HLS media playlist of an `m3u8-cmaf` request to a low-latency live source, honouring `_HLS_msn`,
    /// `_HLS_part` and `_HLS_skip`; nil when the request is not one (the ordinary playlist is served).
    func lowLatencyPlaylist(_ source: any MediaSource, request: HTTPRequest, options: ManifestOptions, filters: [PresentationFilter],
                            bitrate: Int, trackName: String) async -> HTTPResponse? {
        guard options.format == .hlsCMAF, !options.keyframesOnly, let live = lowLatencySource(source) else { return nil }
        let directives: LowLatencyHLS.Directives
        do {
            directives = try LowLatencyHLS.Directives.parse(request.queryItems)
        } catch {
            return .error(status: 400, message: error.message)
        }
        var presentation = await live.presentation()
        guard presentation.isLive else { return nil }
        guard var timeline = presentation.timeline(named: trackName, bitrate: bitrate),
              var parts = await live.parts(trackName: trackName, bitrate: bitrate) else {
            return unknownTrack(trackName, bitrate, source)
        }
        // A track the filters exclude: the ordinary path answers 404 saying so.
        guard PresentationFiltering.keeps(timeline.track, filters) else { return nil }
        switch LowLatencyHLS.blocking(directives, track: timeline, parts: parts) {
        case .ready:
            break
        case .tooFarAhead(let reason):
            return .error(status: 400, message: "\(reason) of \(source.sourceDescription)")
        case .wait:
            let timeout = blockingTimeout(presentation, timeline)
            guard let msn = directives.msn,
                  await live.waitForPlaylist(trackName: trackName, bitrate: bitrate, msn: msn, part: directives.part, timeout: timeout) else {
                return .error(status: 503, message: "segment \(directives.msn ?? 0)"
                              + (directives.part.map { " part \($0)" } ?? "") + " of '\(trackName)' in \(source.sourceDescription) "
                              + "did not appear within \(timeout.components.seconds) s; is the encoder still sending?")
            }
            presentation = await live.presentation()
            guard let updated = presentation.timeline(named: trackName, bitrate: bitrate),
                  let updatedParts = await live.parts(trackName: trackName, bitrate: bitrate) else {
                return unknownTrack(trackName, bitrate, source)
            }
            timeline = updated
            parts = updatedParts
        }
        var reports: [LowLatencyHLS.RenditionReport] = []
        for other in presentation.tracks where other.track.kind == timeline.track.kind && other.track != timeline.track
            && PresentationFiltering.keeps(other.track, filters) {
            if let otherParts = await live.parts(trackName: other.track.name, bitrate: other.track.bitrate),
               let report = LowLatencyHLS.RenditionReport(other, parts: otherParts) {
                reports.append(report)
            }
        }
        let text = LowLatencyHLS.mediaPlaylist(presentation, track: timeline, parts: parts, options: options,
                                               skip: directives.skip, renditionReports: reports)
        return manifest(text, type: Self.hlsType, live: true)
    }

    // MARK: - Parts

    /// `Fragments(<track>=<t>,…,part=<n>)`: part `n` of the segment at `t`, held until it exists (preload hints name
    /// parts still to come).
    func partialSegment(_ source: any MediaSource, bitrate: Int, trackName: String, time: Int64, index: Int) async -> HTTPResponse {
        guard let live = lowLatencySource(source) else {
            return .error(status: 404, message: "\(source.sourceDescription) is not a low-latency live event: its segments have no parts "
                          + "(create the event with streamOptions [\"LowLatency\"])")
        }
        let presentation = await live.presentation()
        let timeline = presentation.timeline(named: trackName, bitrate: bitrate)
        guard let info = timeline?.track else { return unknownTrack(trackName, bitrate, source) }
        let timeout = blockingTimeout(presentation, timeline)
        switch await live.waitForPart(trackName: trackName, bitrate: bitrate, time: time, index: index, timeout: timeout) {
        case .found(let bytes):
            return segment(bytes, type: mp4Type(info.kind), maxAge: Self.fragmentMaxAge)
        case .pastEnd:
            return .error(status: 404, message: "the segment \(trackName)=\(time) of \(source.sourceDescription) has fewer than \(index + 1) parts")
        case .timedOut:
            return .error(status: 503, message: "part \(index) of \(trackName)=\(time) in \(source.sourceDescription) did not appear within "
                          + "\(timeout.components.seconds) s; is the encoder still sending?")
        case .noSuchSegment:
            return .error(status: 404, message: "no segment of '\(trackName)' starts at \(time) in the low-latency window of "
                          + "\(source.sourceDescription); take part URLs from the media playlist")
        case .unknownTrack:
            return unknownTrack(trackName, bitrate, source)
        }
    }

    // MARK: - Segment in progress (chunked transfer)

    /// The segment at `time` while it is being produced: its chunks so far at once, then each new chunk as it is
    /// produced, over chunked transfer; the body ends when the segment closes. Nil when no such segment is open or
    /// about to open (the caller answers 404), or the source is not low latency.
    func openSegmentStream(_ source: any MediaSource, bitrate: Int, trackName: String, time: Int64) async -> HTTPResponse? {
        guard let live = lowLatencySource(source) else { return nil }
        let presentation = await live.presentation()
        let timeline = presentation.timeline(named: trackName, bitrate: bitrate)
        guard let timeline, let parts = await live.parts(trackName: trackName, bitrate: bitrate) else { return nil }
        let info = timeline.track
        // Only the open segment, or the one about to open where the last ended: anything else is simply missing.
        guard parts.open?.startTime == time || (parts.open == nil && timeline.segments.last?.endTime == time) else { return nil }
        let timeout = blockingTimeout(presentation, timeline)
        guard case .found(let first) = await live.waitForPart(trackName: trackName, bitrate: bitrate, time: time, index: 0,
                                                              timeout: timeout) else { return nil }
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded)
        continuation.yield(first)
        let producer = Task {
            var index = 1
            while !Task.isCancelled {
                guard case .found(let bytes) = await live.waitForPart(trackName: trackName, bitrate: bitrate, time: time,
                                                                      index: index, timeout: timeout) else { break }
                continuation.yield(bytes)
                index += 1
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in producer.cancel() }
        var headers = HTTPHeaders()
        headers.set(name: "Content-Type", value: mp4Type(info.kind))
        // Complete only once the body ends; a cache must not keep a copy cut short.
        headers.set(name: "Cache-Control", value: "no-cache")
        return HTTPResponse(status: 200, headers: headers, body: .stream(stream))
    }

    // MARK: - LL-DASH

    /// The presentation with each track's segment in progress listed, and the LL-DASH settings, for `mpd-time-cmaf`
    /// of a low-latency live source; nil otherwise.
    func lowLatencyDASH(_ source: any MediaSource, _ presentation: Presentation, options: ManifestOptions) async
        -> (presentation: Presentation, settings: LowLatencyDASH.Settings)?
    {
        guard options.format == .dashCMAF, presentation.isLive, let live = lowLatencySource(source),
              let chunk = live.partTarget else { return nil }
        var open: [OpenSegment?] = []
        for timeline in presentation.tracks {
            open.append(await live.parts(trackName: timeline.track.name, bitrate: timeline.track.bitrate)?.open)
        }
        return (LowLatencyDASH.presentationWithOpenSegments(presentation, open: open), LowLatencyDASH.Settings(chunkDuration: chunk))
    }
}
