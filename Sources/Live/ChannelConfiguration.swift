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

    public init(windowDuration: Int64 = 300 * MediaTime.ticksPerSecond,
                minimumFragmentDuration: Int64 = MediaTime.ticksPerSecond / 2,
                audioOnlyFragmentDuration: Int64 = 2 * MediaTime.ticksPerSecond,
                backwardJumpThreshold: Int64 = MediaTime.ticksPerSecond / 2,
                forwardJumpThreshold: Int64 = 10 * MediaTime.ticksPerSecond,
                audioResyncThreshold: Int64 = MediaTime.ticksPerSecond / 10,
                maximumFragmentDuration: Int64 = 30 * MediaTime.ticksPerSecond) {
        self.windowDuration = windowDuration
        self.minimumFragmentDuration = minimumFragmentDuration
        self.audioOnlyFragmentDuration = audioOnlyFragmentDuration
        self.backwardJumpThreshold = backwardJumpThreshold
        self.forwardJumpThreshold = forwardJumpThreshold
        self.audioResyncThreshold = audioResyncThreshold
        self.maximumFragmentDuration = maximumFragmentDuration
    }
}
