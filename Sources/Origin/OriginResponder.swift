import Foundation
import HTTP
import Live
import Logging
import Media
import Packaging

/// Where the origin finds what a locator publishes. The appliance implements it; later the control
/// plane's streaming locators do.
public protocol LocatorResolver: Sendable {
    /// The live channel a locator publishes under `manifestName`, or nil (→ 404).
    func channel(locatorID: String, manifestName: String) async -> LiveChannel?
}

/// The streaming origin: `/<locator>/<manifest>.ism/…` → manifests and fragments, packaged on request
/// from the channel's canonical CMAF fragments. Manifest text comes from pure builders; segment bytes are
/// served as stored.
public struct OriginResponder: HTTPResponder {
    let resolver: any LocatorResolver
    let logger: Logger
    /// Seconds a live manifest may be cached: about half a fragment, so players see new fragments promptly.
    let liveManifestMaxAge = 1
    let fragmentMaxAge = 86_400

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
        guard let channel = await resolver.channel(locatorID: parsed.locatorID, manifestName: parsed.manifestName) else {
            return .error(status: 404, message: "no streaming locator '\(parsed.locatorID)' publishes '\(parsed.manifestName).ism'")
        }
        let format = parsed.options.format
        guard format == .hlsCMAF || format == .dashCMAF else {
            return .error(status: 400, message: "format '\(format.rawValue)' is not served by this origin yet; use format=m3u8-cmaf or format=mpd-time-cmaf")
        }
        switch parsed.resource {
        case .manifest:
            let presentation = await channel.presentation()
            guard !presentation.tracks.isEmpty else {
                return .error(status: 404, message: "live event '\(channel.name)' has no content yet: no encoder has sent a complete fragment")
            }
            if format == .hlsCMAF {
                return manifest(HLSBuilder.multivariantPlaylist(presentation, options: parsed.options), hls: true)
            }
            return manifest(DASHBuilder.mpd(presentation, options: parsed.options, now: Date(), utcTimingURL: nil), hls: false)
        case let .mediaPlaylist(bitrate, trackName):
            guard format == .hlsCMAF else {
                return .error(status: 400, message: "media playlists exist for HLS formats only")
            }
            let presentation = await channel.presentation()
            guard let track = presentation.tracks.first(where: { $0.track.bitrate == bitrate && $0.track.name.lowercased() == trackName.lowercased() }) else {
                return .error(status: 404, message: "no track '\(trackName)' at QualityLevels(\(bitrate)) in live event '\(channel.name)'")
            }
            return manifest(HLSBuilder.mediaPlaylist(presentation, track: track, options: parsed.options), hls: true)
        case let .initSegment(bitrate, trackName):
            guard let info = await channel.trackInfo(trackName: trackName, bitrate: bitrate),
                  let bytes = await channel.initSegment(trackName: trackName, bitrate: bitrate) else {
                return .error(status: 404, message: "no track '\(trackName)' at QualityLevels(\(bitrate))")
            }
            // Init segments change when an encoder reconnects with new settings: cache them briefly.
            return segment(bytes, kind: info.kind, maxAge: 60)
        case let .fragment(bitrate, trackName, time):
            switch await channel.fragment(trackName: trackName, bitrate: bitrate, time: time) {
            case .found(let bytes):
                let kind = await channel.trackInfo(trackName: trackName, bitrate: bitrate)?.kind ?? .video
                return segment(bytes, kind: kind, maxAge: fragmentMaxAge)
            case .unknownTrack:
                return .error(status: 404, message: "no track '\(trackName)' at QualityLevels(\(bitrate))")
            case .outsideWindow:
                return .error(status: 404, message: "fragment \(trackName)=\(time) is before the live window")
            case .beyondLiveEdge:
                return .error(status: 404, message: "fragment \(trackName)=\(time) is beyond the live edge")
            case .noSuchFragment:
                return .error(status: 404, message: "no fragment of '\(trackName)' starts at \(time)")
            }
        default:
            return .error(status: 400, message: "this resource is not served by this origin yet")
        }
    }

    private func manifest(_ text: String, hls: Bool) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set(name: "Content-Type", value: hls ? "application/vnd.apple.mpegurl" : "application/dash+xml")
        headers.set(name: "Cache-Control", value: "public, max-age=\(liveManifestMaxAge)")
        return HTTPResponse(status: 200, headers: headers, body: .bytes(Array(text.utf8)))
    }

    private func segment(_ bytes: [UInt8], kind: MediaKind, maxAge: Int) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set(name: "Content-Type", value: kind == .audio ? "audio/mp4" : "video/mp4")
        headers.set(name: "Cache-Control", value: "public, max-age=\(maxAge)")
        return HTTPResponse(status: 200, headers: headers, body: .bytes(bytes))
    }
}
