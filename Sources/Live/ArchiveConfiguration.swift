import Media

/// How a live output archives: the AMS LiveOutput's `archiveWindowLength`, `rewindWindowLength` and `outputSnapTime`.
public struct ArchiveConfiguration: Sendable, Hashable {
    /// Circular window in ticks (100 ns): fragments that end this far behind the newest are deleted from disk.
    public var archiveWindow: Int64
    /// Seekable window listed while live, in ticks; nil = the archive window. Ignored once the archive is complete.
    public var rewindWindow: Int64?
    /// Absolute time in ticks; fragments starting before it are not archived. Nil archives from the first fragment.
    public var snapTime: Int64?
    /// Fragments waiting for the disk before new ones are dropped (and counted): about a minute of 6 tracks at 2 s.
    public var queueLimit: Int
    /// Newest fragments per track kept in memory so live viewers near the edge do not read the disk.
    public var cachedFragmentsPerTrack: Int

    public init(archiveWindow: Int64, rewindWindow: Int64? = nil, snapTime: Int64? = nil,
                queueLimit: Int = 180, cachedFragmentsPerTrack: Int = 4) {
        precondition(archiveWindow > 0, "archive window must be positive")
        self.archiveWindow = archiveWindow
        self.rewindWindow = rewindWindow
        self.snapTime = snapTime
        self.queueLimit = max(1, queueLimit)
        self.cachedFragmentsPerTrack = max(0, cachedFragmentsPerTrack)
    }

    /// The window listed while live (ticks): `rewindWindow`, at most the archive window.
    public var listedWindow: Int64 { min(rewindWindow ?? archiveWindow, archiveWindow) }
}

/// Running totals of an archive, for status, logs and the control plane.
public struct ArchiveStats: Sendable, Hashable {
    public var fragmentsWritten = 0
    public var bytesWritten = 0
    /// Fragments deleted by the circular archive window.
    public var fragmentsEvicted = 0
    /// Fragments lost because the write queue was full (the disk could not keep up).
    public var dropped = 0
    /// Failed writes (each fragment counted once); `lastError` says why.
    public var writeErrors = 0
    /// The newest disk error, naming the path and the reason (e.g. "no space left on device").
    public var lastError: String?
    /// Fragments skipped on purpose: before `snapTime`, overlapping the archived timeline, or of a changed codec.
    public var skippedBeforeSnapTime = 0
    public var skippedOverlapping = 0
    public var skippedCodecChange = 0
    /// Fragments found on disk when the archive was opened; torn writes discarded then.
    public var recoveredFragments = 0
    public var discardedOnRecovery = 0
    /// Fragments waiting to be written now.
    public var queued = 0
}
