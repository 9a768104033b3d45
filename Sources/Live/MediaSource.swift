import Media

/// What the origin packages from: a live channel's window, or an archive (a running live output or a VOD asset).
public protocol MediaSource: Actor {
    /// Names the source in error messages, e.g. "live event 'news'", "asset 'a1'".
    nonisolated var sourceDescription: String { get }
    /// The tracks and segments listed now: live (a window) or complete (on demand).
    func presentation() async -> Presentation
    /// The track a URL names (`QualityLevels(<bitrate>)/…(<name>=…)`), if it exists.
    func trackInfo(trackName: String, bitrate: Int) async -> TrackInfo?
    /// The track's CMAF init segment.
    func initSegment(trackName: String, bitrate: Int) async -> [UInt8]?
    /// The fragment of the track that starts at `time` (track timescale).
    func fragment(trackName: String, bitrate: Int, time: Int64) async -> FragmentLookup
}

/// The outcome of asking a source for one fragment.
public enum FragmentLookup: Sendable, Equatable {
    case found([UInt8])
    /// Inside the track's span but no fragment starts there.
    case noSuchFragment
    /// Before the listed window (evicted, or outside the rewind window).
    case outsideWindow
    /// After the live edge: not produced yet.
    case beyondLiveEdge
    case unknownTrack
    /// Listed, but its stored bytes cannot be read now (disk error); the reason names the file.
    case unavailable(String)
}

/// A fragment as it closes in a live channel, handed to fragment sinks (archive writers).
///
/// The byte arrays are shared with the live window (copy-on-write), so handing one over copies nothing.
public struct ArchivableFragment: Sendable {
    /// The track as the channel names it (name, bitrate) and its codec configuration.
    public var track: TrackInfo
    /// The track's current CMAF init segment.
    public var initSegment: [UInt8]
    public var segment: TimelineSegment
    /// The fragment (`moof` + `mdat`).
    public var bytes: [UInt8]

    public init(track: TrackInfo, initSegment: [UInt8], segment: TimelineSegment, bytes: [UInt8]) {
        self.track = track
        self.initSegment = initSegment
        self.segment = segment
        self.bytes = bytes
    }
}
