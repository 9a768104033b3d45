import Foundation
import HTTP
import Live
import Logging
import Media
import Packaging

/// What a locator and manifest name resolve to: a source to package, or a refusal with its HTTP status.
public enum LocatorResolution: Sendable {
    /// A live event's window, a running live output's archive, or an on-demand asset.
    case source(any MediaSource)
    /// Answered with `status` and `message` as the body: 404 unknown or expired locator, 503 streaming
    /// endpoint stopped, 403 preview not allowed from this address.
    case refused(status: Int, message: String)
}

/// Where the origin finds what a locator publishes: the appliance's default event, the control plane's
/// streaming locators.
public protocol LocatorResolver: Sendable {
    /// The source a locator publishes under `manifestName`, or why the request is refused.
    func resolve(locatorID: String, manifestName: String, request: HTTPRequest) async -> LocatorResolution
}

/// The streaming origin: `/<locator>/<manifest>.ism/…` → manifests and fragments, packaged on request
/// from a media source's canonical CMAF fragments. Manifest text comes from pure builders; segment bytes are
/// served as stored.
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
        let source: any MediaSource
        switch await resolver.resolve(locatorID: parsed.locatorID, manifestName: parsed.manifestName, request: request) {
        case .source(let resolved): source = resolved
        case let .refused(status, message): return .error(status: status, message: message)
        }
        let format = parsed.options.format
        guard format == .hlsCMAF || format == .dashCMAF else {
            return .error(status: 400, message: "format '\(format.rawValue)' is not served by this origin yet; use format=m3u8-cmaf or format=mpd-time-cmaf")
        }
        switch parsed.resource {
        case .manifest:
            let presentation = await source.presentation()
            guard !presentation.tracks.isEmpty else {
                return .error(status: 404, message: "\(source.sourceDescription) has no content yet: no encoder has sent a complete fragment")
            }
            if format == .hlsCMAF {
                return manifest(HLSBuilder.multivariantPlaylist(presentation, options: parsed.options), hls: true, live: presentation.isLive)
            }
            return manifest(DASHBuilder.mpd(presentation, options: parsed.options, now: Date(), utcTimingURL: nil), hls: false,
                            live: presentation.isLive)
        case let .mediaPlaylist(bitrate, trackName):
            guard format == .hlsCMAF else {
                return .error(status: 400, message: "media playlists exist for HLS formats only")
            }
            let presentation = await source.presentation()
            guard let track = presentation.tracks.first(where: { $0.track.bitrate == bitrate && $0.track.name.lowercased() == trackName.lowercased() }) else {
                return .error(status: 404, message: "no track '\(trackName)' at QualityLevels(\(bitrate)) in \(source.sourceDescription)")
            }
            return manifest(HLSBuilder.mediaPlaylist(presentation, track: track, options: parsed.options), hls: true,
                            live: presentation.isLive)
        case let .initSegment(bitrate, trackName):
            guard let info = await source.trackInfo(trackName: trackName, bitrate: bitrate),
                  let bytes = await source.initSegment(trackName: trackName, bitrate: bitrate) else {
                return .error(status: 404, message: "no track '\(trackName)' at QualityLevels(\(bitrate)) in \(source.sourceDescription)")
            }
            return segment(bytes, kind: info.kind, maxAge: Self.liveInitSegmentMaxAge)
        case let .fragment(bitrate, trackName, time):
            switch await source.fragment(trackName: trackName, bitrate: bitrate, time: time) {
            case .found(let bytes):
                let kind = await source.trackInfo(trackName: trackName, bitrate: bitrate)?.kind ?? .video
                return segment(bytes, kind: kind, maxAge: Self.fragmentMaxAge)
            case .unknownTrack:
                return .error(status: 404, message: "no track '\(trackName)' at QualityLevels(\(bitrate)) in \(source.sourceDescription)")
            case .outsideWindow:
                return .error(status: 404, message: "fragment \(trackName)=\(time) is before the window of \(source.sourceDescription)")
            case .beyondLiveEdge:
                return .error(status: 404, message: "fragment \(trackName)=\(time) is beyond the live edge of \(source.sourceDescription)")
            case .noSuchFragment:
                return .error(status: 404, message: "no fragment of '\(trackName)' starts at \(time) in \(source.sourceDescription)")
            case .unavailable(let reason):
                logger.error("fragment unavailable", metadata: ["source": "\(source.sourceDescription)", "error": "\(reason)"])
                return .error(status: 503, message: "fragment \(trackName)=\(time) of \(source.sourceDescription) cannot be read now; retry later")
            }
        default:
            return .error(status: 400, message: "this resource is not served by this origin yet")
        }
    }

    private func manifest(_ text: String, hls: Bool, live: Bool) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set(name: "Content-Type", value: hls ? "application/vnd.apple.mpegurl" : "application/dash+xml")
        headers.set(name: "Cache-Control", value: "public, max-age=\(live ? Self.liveManifestMaxAge : Self.onDemandManifestMaxAge)")
        return HTTPResponse(status: 200, headers: headers, body: .bytes(Array(text.utf8)))
    }

    private func segment(_ bytes: [UInt8], kind: MediaKind, maxAge: Int) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set(name: "Content-Type", value: kind == .audio ? "audio/mp4" : "video/mp4")
        headers.set(name: "Cache-Control", value: "public, max-age=\(maxAge)")
        return HTTPResponse(status: 200, headers: headers, body: .bytes(bytes))
    }
}
