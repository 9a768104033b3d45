// Finding the track a per-track request names.

import Media

extension Presentation {
    /// The timeline of the track a request addresses by `QualityLevels(<bitrate>)` and track name, if any.
    /// Both must match: a stale URL with an old bitrate must not be served another rendition's segments.
    public func timeline(for resource: OriginRequest.Resource) -> TrackTimeline? {
        guard let bitrate = resource.bitrate, let name = resource.trackName else { return nil }
        return tracks.first { $0.track.name == name && $0.track.bitrate == bitrate }
    }

    /// The timeline of the track named `name` (case-insensitive, as URLs are matched) at `bitrate`.
    public func timeline(named name: String, bitrate: Int) -> TrackTimeline? {
        let lowered = name.lowercased()
        return tracks.first { $0.track.bitrate == bitrate && $0.track.name.lowercased() == lowered }
    }
}
