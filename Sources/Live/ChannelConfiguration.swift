import Media

/// Tunables of one live channel's pipeline. Every key has a default that suits a 2 s-GOP encoder.
public struct ChannelConfiguration: Sendable, Hashable {
    /// How much of the stream the in-memory live window keeps for the origin (ticks, 10 MHz). Default 5 min.
    public var windowDuration: Int64
    /// A video keyframe closer than this to the current fragment's start does not cut (ticks). Default 0.5 s.
    public var minimumFragmentDuration: Int64
    /// Without video, audio is cut on its own every this long (ticks). Default 2 s.
    public var audioOnlyFragmentDuration: Int64
    /// A timestamp moving backwards by more than this, or forwards by more than ``forwardJumpThreshold``,
    /// is an encoder timestamp reset: the timeline is rebased and a discontinuity marked (ticks). Default 0.5 s.
    public var backwardJumpThreshold: Int64
    /// See ``backwardJumpThreshold``. Default 10 s (the service's "Good" health tolerates gaps below 10 s).
    public var forwardJumpThreshold: Int64
    /// Audio times are regenerated from sample counts; they resynchronise to the encoder's timestamps when
    /// those drift further than this (ticks). Default 100 ms.
    public var audioResyncThreshold: Int64
    /// A fragment that grows past this without a keyframe is dropped and counted (ticks). Default 30 s.
    public var maximumFragmentDuration: Int64
    /// Low latency: when set, fragments are built as CMAF chunks of at most this long (ticks), each published as
    /// it completes (LL-HLS parts, LL-DASH chunked transfer). Nil (the default): one chunk per fragment, published
    /// when the fragment closes.
    public var partDuration: Int64?

    /// The part duration a low-latency event gets: 0.5 s (LL-HLS recommends parts of 0.2–1 s; a third to a half of
    /// a second keeps requests per second low while the player can stay within three parts of the edge).
    public static let lowLatencyPartDuration: Int64 = MediaTime.ticksPerSecond / 2

    public init(windowDuration: Int64 = 300 * MediaTime.ticksPerSecond,
                minimumFragmentDuration: Int64 = MediaTime.ticksPerSecond / 2,
                audioOnlyFragmentDuration: Int64 = 2 * MediaTime.ticksPerSecond,
                backwardJumpThreshold: Int64 = MediaTime.ticksPerSecond / 2,
                forwardJumpThreshold: Int64 = 10 * MediaTime.ticksPerSecond,
                audioResyncThreshold: Int64 = MediaTime.ticksPerSecond / 10,
                maximumFragmentDuration: Int64 = 30 * MediaTime.ticksPerSecond,
                partDuration: Int64? = nil) {
        self.windowDuration = windowDuration
        self.minimumFragmentDuration = minimumFragmentDuration
        self.audioOnlyFragmentDuration = audioOnlyFragmentDuration
        self.backwardJumpThreshold = backwardJumpThreshold
        self.forwardJumpThreshold = forwardJumpThreshold
        self.audioResyncThreshold = audioResyncThreshold
        self.maximumFragmentDuration = maximumFragmentDuration
        self.partDuration = partDuration.map { max(1, $0) }
    }
}
