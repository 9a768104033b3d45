#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EventLoop
import Foundation
import Logging
import Media

/// One asset's archive on disk: what a live output records, and afterwards the asset's on-demand content.
///
/// Runs on the event loop's executor like ``LiveChannel``; every file operation goes through libuv's
/// threadpool (`FileIO`), so neither ingest nor the origin ever waits for the disk. Fragments reach it
/// through a channel's fragment sink, wait in a bounded queue (full: dropped and counted) and are written
/// one at a time, in order, each committed by write → fsync → rename → directory fsync; the index in memory
/// only lists committed fragments. The on-disk layout and recovery are described in ArchiveDirectory.swift.
///
/// A track whose init segment changes mid-archive (codec change, or track IDs renumbered after a daemon
/// restart) keeps its first init segment; fragments that do not match it are skipped, counted and logged,
/// since one HLS/DASH representation has exactly one init segment.
public actor AssetArchive: MediaSource {
    /// The asset directory.
    public nonisolated let directory: String
    public nonisolated let sourceDescription: String
    private nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.unownedExecutor }
    private nonisolated let logger: Logger

    /// Tracks in the order they appeared (recovered ones by track ID).
    private var tracks: [ArchiveTrackIndex]
    private var configuration: ArchiveConfiguration?
    private var channel: LiveChannel?
    private var deleted = false
    /// Recording stopped for good: the archive is on-demand.
    public private(set) var isComplete: Bool
    /// A channel's fragments are being archived.
    public private(set) var isRecording = false
    private var counters = ArchiveStats()
    /// Tracks whose mismatching init segment was already logged (one line per track, not per fragment).
    private var warnedCodecChange: Set<String> = []
    /// Fragments handed over by the sink on the channel's executor, waiting for the writer.
    private nonisolated let pending = Locked(PendingWrites())
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    struct PendingWrites {
        var items: [ArchivableFragment] = []
        var limit = 1
        var accepting = false
        /// A drain task is scheduled or running.
        var draining = false
        var dropped = 0
    }

    private nonisolated var sinkID: String { "archive:" + directory }

    private init(directory: String, loop: EventLoop, sourceDescription: String, logger: Logger, scan: ArchiveScan) {
        self.directory = directory
        self.loop = loop
        self.sourceDescription = sourceDescription
        var logger = logger
        logger[metadataKey: "component"] = "archive"
        logger[metadataKey: "asset_directory"] = "\(directory)"
        self.logger = logger
        self.tracks = scan.tracks
        self.isComplete = scan.complete
        counters.recoveredFragments = scan.tracks.reduce(0) { $0 + $1.fragments.count }
        counters.discardedOnRecovery = scan.discarded.count
    }

    /// Opens an asset directory: creates it if missing, or recovers every fragment committed before a crash
    /// (temporary and torn files are discarded).
    ///
    /// - Parameters:
    ///   - loop: the event loop whose executor the archive runs on and whose threadpool does its file I/O.
    ///   - sourceDescription: names the archive in origin errors, e.g. "asset 'a1'"; defaults to the directory name.
    public static func open(directory: String, loop: EventLoop, logger: Logger,
                            sourceDescription: String? = nil) async throws(ArchiveError) -> AssetArchive {
        let scan = try await ArchiveDirectory.scan(directory)
        let name = directory.split(separator: "/").last.map(String.init) ?? directory
        let archive = AssetArchive(directory: directory, loop: loop, sourceDescription: sourceDescription ?? "asset '\(name)'",
                                   logger: logger, scan: scan)
        await archive.finishOpening(scan)
        return archive
    }

    private func finishOpening(_ scan: ArchiveScan) async {
        for path in scan.discarded {
            logger.notice("discarded an incomplete write found on recovery", metadata: ["path": "\(path)"])
        }
        for problem in scan.problems {
            logger.error("archive recovery problem", metadata: ["error": "\(problem)"])
            counters.lastError = problem
        }
        if scan.created {
            // The new directory's name lives in its parent: sync it so a crash cannot lose the whole asset.
            let parent = String(directory[..<(directory.lastIndex(of: "/") ?? directory.startIndex)])
            if !parent.isEmpty {
                do throws(UVError) {
                    try await FileIO.syncDirectory(loop: loop, path: parent)
                } catch {
                    recordError(error, "cannot sync the new asset directory")
                }
            }
        } else {
            logger.info("archive opened", metadata: [
                "tracks": "\(tracks.count)", "fragments": "\(counters.recoveredFragments)",
                "complete": "\(isComplete)"])
        }
    }

    // MARK: - Recording

    /// Starts archiving `channel`'s fragments; on an archive that already holds fragments (a live output
    /// resumed after a daemon restart) the new ones follow after a discontinuity.
    public func startRecording(from channel: LiveChannel, configuration: ArchiveConfiguration) async {
        guard !deleted else {
            logger.error("cannot record into a deleted archive")
            return
        }
        if let current = self.channel {
            await current.removeFragmentSink(sinkID)
            self.channel = nil
        }
        if isComplete {
            // Recording again turns the on-demand asset back into a live one.
            do throws(UVError) {
                try await FileIO.unlink(loop: loop, path: directory + "/" + ArchiveDirectory.completeMarker)
                try await FileIO.syncDirectory(loop: loop, path: directory)
            } catch {
                recordError(error, "cannot reopen the completed archive")
            }
            isComplete = false
        }
        self.configuration = configuration
        for index in tracks.indices where tracks[index].last != nil {
            tracks[index].needsDiscontinuity = true
        }
        pending.withLock {
            $0.accepting = true
            $0.limit = configuration.queueLimit
        }
        self.channel = channel
        isRecording = true
        await channel.addFragmentSink(sinkID) { [weak self] fragment in self?.accept(fragment) }
        logger.info("recording started", metadata: [
            "channel": "\(channel.name)", "archive_window_s": "\(configuration.archiveWindow / MediaTime.ticksPerSecond)",
            "listed_window_s": "\(configuration.listedWindow / MediaTime.ticksPerSecond)"])
    }

    /// Stops recording: detaches from the channel, writes what is queued, and marks the archive complete (VOD).
    /// Also completes a recovered archive that is not recording (its output was deleted while the daemon was down).
    public func stopRecording() async {
        guard !deleted, !isComplete else { return }
        if let channel {
            await channel.removeFragmentSink(sinkID)
            self.channel = nil
        }
        pending.withLock { $0.accepting = false }
        await waitUntilIdle()
        isRecording = false
        isComplete = true
        do throws(UVError) {
            try await writeDurably([], to: directory + "/" + ArchiveDirectory.completeMarker)
            try await FileIO.syncDirectory(loop: loop, path: directory)
        } catch {
            recordError(error, "cannot mark the archive complete; after a restart it is listed as live until recording stops again")
        }
        logger.info("recording stopped; the archive is on-demand", metadata: ["fragments": "\(fragmentCount)"])
    }

    /// Returns once every fragment queued so far is written (or has failed); for tests and orderly shutdown.
    public func flush() async {
        await waitUntilIdle()
    }

    /// Removes the asset directory and everything in it (asset deletion reclaims storage).
    public func deleteStorage() async throws(ArchiveError) {
        if let channel {
            await channel.removeFragmentSink(sinkID)
            self.channel = nil
        }
        pending.withLock {
            $0.accepting = false
            $0.items.removeAll()
        }
        await waitUntilIdle()
        isRecording = false
        deleted = true
        tracks.removeAll()
        try await ArchiveDirectory.removeTree(directory)
        logger.info("archive deleted")
    }

    // MARK: - Status

    /// Totals since the archive was opened.
    public var stats: ArchiveStats {
        var stats = counters
        let queue = pending.withLock { ($0.dropped, $0.items.count) }
        stats.dropped = queue.0
        stats.queued = queue.1
        return stats
    }

    /// Fragments on disk, all tracks.
    public var fragmentCount: Int { tracks.reduce(0) { $0 + $1.fragments.count } }

    /// Earliest start to latest end of the archived fragments, in ticks (100 ns); nil when empty.
    public var timeRange: Range<Int64>? {
        var lower = Int64.max, upper = Int64.min
        for track in tracks {
            guard let first = track.fragments.first, let last = track.last else { continue }
            let timescale = Int64(track.info.timescale)
            lower = min(lower, MediaTime.rescale(first.segment.startTime, from: timescale, to: MediaTime.ticksPerSecond))
            upper = max(upper, MediaTime.rescale(last.segment.endTime, from: timescale, to: MediaTime.ticksPerSecond))
        }
        return lower < upper ? lower..<upper : nil
    }

    /// Length of the archived span in ticks (0 when empty).
    public var duration: Int64 { timeRange.map { $0.upperBound - $0.lowerBound } ?? 0 }

    // MARK: - Write queue

    /// Called by the channel's fragment sink: enqueue only, never wait.
    private nonisolated func accept(_ fragment: ArchivableFragment) {
        enum Outcome { case queued, startDrain, dropped(Int), ignored }
        let outcome: Outcome = pending.withLock { queue in
            guard queue.accepting else { return .ignored }
            guard queue.items.count < queue.limit else {
                queue.dropped += 1
                return .dropped(queue.dropped)
            }
            queue.items.append(fragment)
            if queue.draining { return .queued }
            queue.draining = true
            return .startDrain
        }
        switch outcome {
        case .startDrain:
            Task { await self.drain() }
        case .dropped(let total):
            // One line for the first drop and then one per hundred: a stalled disk must not flood the journal.
            if total == 1 || total % 100 == 0 {
                logger.error("archive write queue full: the disk cannot keep up; fragments are dropped", metadata: [
                    "dropped_total": "\(total)", "track": "\(fragment.track.name)", "bitrate": "\(fragment.track.bitrate)"])
            }
        case .queued, .ignored:
            break
        }
    }

    /// Writes queued fragments in arrival order until the queue is empty, then wakes `waitUntilIdle` callers.
    private func drain() async {
        while true {
            let batch: [ArchivableFragment] = pending.withLock { queue in
                let batch = queue.items
                queue.items.removeAll()
                if batch.isEmpty { queue.draining = false }
                return batch
            }
            if batch.isEmpty { break }
            for fragment in batch { await write(fragment) }
        }
        let waiters = idleWaiters
        idleWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    private func waitUntilIdle() async {
        let busy = pending.withLock { $0.draining || !$0.items.isEmpty }
        guard busy else { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    // MARK: - Writing

    private func write(_ fragment: ArchivableFragment) async {
        guard !deleted, let configuration else { return }
        let timescale = Int64(fragment.track.timescale)
        if let snap = configuration.snapTime,
           fragment.segment.startTime < MediaTime.rescale(snap, from: MediaTime.ticksPerSecond, to: timescale) {
            counters.skippedBeforeSnapTime += 1
            return
        }
        guard let index = await trackIndex(for: fragment) else { return }
        switch tracks[index].admit(fragment.segment, size: fragment.bytes.count) {
        case .overlapping:
            counters.skippedOverlapping += 1
            logger.warning("fragment overlaps the archived timeline; skipped", metadata: [
                "track": "\(tracks[index].directoryName)", "start": "\(fragment.segment.startTime)"])
        case .append(let archived):
            let trackDirectory = directory + "/" + tracks[index].directoryName
            do throws(UVError) {
                try await writeDurably(fragment.bytes, to: trackDirectory + "/" + archived.fileName)
                try await FileIO.syncDirectory(loop: loop, path: trackDirectory)
            } catch {
                recordError(error, "fragment lost")
                return
            }
            guard !deleted, index < tracks.count else { return }
            tracks[index].append(archived, bytes: fragment.bytes, cacheLimit: configuration.cachedFragmentsPerTrack)
            counters.fragmentsWritten += 1
            counters.bytesWritten += archived.size
            let window = MediaTime.rescale(configuration.archiveWindow, from: MediaTime.ticksPerSecond, to: timescale)
            for old in tracks[index].evict(window: window) {
                counters.fragmentsEvicted += 1
                do throws(UVError) {
                    try await FileIO.unlink(loop: loop, path: trackDirectory + "/" + old.fileName)
                } catch {
                    // Unlisted already; the file only wastes space until the asset is deleted.
                    logger.warning("cannot delete a fragment behind the archive window", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// The index of the fragment's track, creating the track on disk first if it is new; nil when the
    /// fragment cannot be archived (track creation failed, or its init segment differs from the archived one).
    private func trackIndex(for fragment: ArchivableFragment) async -> Int? {
        let name = fragment.track.name.lowercased()
        if let index = tracks.firstIndex(where: { $0.info.bitrate == fragment.track.bitrate && $0.info.name.lowercased() == name }) {
            guard tracks[index].initSegment == fragment.initSegment else {
                counters.skippedCodecChange += 1
                if warnedCodecChange.insert(tracks[index].directoryName).inserted {
                    logger.warning("track's init segment changed (codec settings or track ID); its fragments are not archived until it matches again",
                                   metadata: ["track": "\(tracks[index].directoryName)", "codecs": "\(fragment.track.codec.codecString)"])
                }
                return nil
            }
            return index
        }
        let directoryName = ArchiveTrackIndex.directoryName(name: fragment.track.name, bitrate: fragment.track.bitrate)
        let trackDirectory = directory + "/" + directoryName
        let json: [UInt8]
        do {
            json = Array(try JSONEncoder().encode(fragment.track))
        } catch {
            preconditionFailure("TrackInfo always encodes to JSON: \(error)")
        }
        do throws(UVError) {
            do throws(UVError) {
                try await FileIO.mkdir(loop: loop, path: trackDirectory)
            } catch where error.name == "EEXIST" {
                // Left by an earlier failed attempt; its contents are rewritten below.
            }
            try await writeDurably(fragment.initSegment, to: trackDirectory + "/" + ArchiveDirectory.initFile)
            try await writeDurably(json, to: trackDirectory + "/" + ArchiveDirectory.trackFile)
            try await FileIO.syncDirectory(loop: loop, path: trackDirectory)
            try await FileIO.syncDirectory(loop: loop, path: directory)
        } catch {
            recordError(error, "cannot create the track; fragment lost")
            return nil
        }
        tracks.append(ArchiveTrackIndex(info: fragment.track, initSegment: fragment.initSegment, directoryName: directoryName))
        logger.info("archiving track", metadata: ["track": "\(directoryName)", "codecs": "\(fragment.track.codec.codecString)"])
        return tracks.count - 1
    }

    /// Write to `<path>.tmp`, fsync, close, rename: `path` never names partial content.
    private func writeDurably(_ bytes: [UInt8], to path: String) async throws(UVError) {
        let temporary = path + ArchiveDirectory.temporarySuffix
        let fd = try await FileIO.open(loop: loop, path: temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do throws(UVError) {
            try await FileIO.write(loop: loop, fd: fd, bytes: bytes, offset: 0, path: temporary)
            try await FileIO.fsync(loop: loop, fd: fd, path: temporary)
        } catch {
            try? await FileIO.close(loop: loop, fd: fd, path: temporary)
            try? await FileIO.unlink(loop: loop, path: temporary)
            throw error
        }
        try await FileIO.close(loop: loop, fd: fd, path: temporary)
        try await FileIO.rename(loop: loop, from: temporary, to: path)
    }

    private func recordError(_ error: UVError, _ consequence: String) {
        counters.writeErrors += 1
        counters.lastError = error.description
        logger.error("archive write failed: \(consequence)", metadata: ["error": "\(error)"])
    }

    // MARK: - MediaSource

    /// While recording (or recovered and not yet complete): live, the last rewind (else archive) window.
    /// Complete: on-demand, every archived fragment.
    public func presentation() -> Presentation {
        let live = !isComplete
        let listedTicks = live ? configuration?.listedWindow : nil
        var longest: (video: Int64, any: Int64) = (0, 0)
        let timelines = tracks.compactMap { track -> TrackTimeline? in
            let window = listedTicks.map { MediaTime.rescale($0, from: MediaTime.ticksPerSecond, to: Int64(track.info.timescale)) }
            guard let timeline = track.timeline(window: window) else { return nil }
            let maximum = timeline.segments.map(\.duration).max() ?? 0
            let ticks = MediaTime.rescale(maximum, from: Int64(track.info.timescale), to: MediaTime.ticksPerSecond)
            if track.info.kind == .video { longest.video = max(longest.video, ticks) }
            longest.any = max(longest.any, ticks)
            return timeline
        }
        let nominal = longest.video > 0 ? longest.video : longest.any
        // The first indexed fragments mark where the asset's media time began (an archive window that evicts old
        // fragments moves it, by whole fragments, only once they are gone).
        let origin = tracks.compactMap { track in
            track.fragments.first.map { MediaTime.rescale($0.segment.startTime, from: Int64(track.info.timescale), to: MediaTime.ticksPerSecond) }
        }.min()
        return Presentation(tracks: timelines, isLive: live, windowDuration: listedTicks,
                            nominalFragmentDuration: max(1, Double(nominal) / Double(MediaTime.ticksPerSecond)),
                            timelineOrigin: origin)
    }

    public func trackInfo(trackName: String, bitrate: Int) -> TrackInfo? {
        track(named: trackName, bitrate: bitrate).map { tracks[$0].info }
    }

    public func initSegment(trackName: String, bitrate: Int) -> [UInt8]? {
        track(named: trackName, bitrate: bitrate).map { tracks[$0].initSegment }
    }

    public func fragment(trackName: String, bitrate: Int, time: Int64) async -> FragmentLookup {
        guard let index = track(named: trackName, bitrate: bitrate) else { return .unknownTrack }
        let track = tracks[index]
        let window = isComplete ? nil : configuration.map {
            MediaTime.rescale($0.listedWindow, from: MediaTime.ticksPerSecond, to: Int64(track.info.timescale))
        }
        switch track.position(of: time, window: window) {
        case .outsideWindow: return .outsideWindow
        case .beyondEnd: return isComplete ? .noSuchFragment : .beyondLiveEdge
        case .noSuchFragment: return .noSuchFragment
        case .found(let fragment):
            if let bytes = track.cachedBytes(fragment) { return .found(bytes) }
            return await read(directory + "/" + track.directoryName + "/" + fragment.fileName, size: fragment.size)
        }
    }

    private func track(named name: String, bitrate: Int) -> Int? {
        let name = name.lowercased()
        return tracks.firstIndex { $0.info.bitrate == bitrate && $0.info.name.lowercased() == name }
    }

    private func read(_ path: String, size: Int) async -> FragmentLookup {
        let fd: Int32
        do throws(UVError) {
            fd = try await FileIO.open(loop: loop, path: path, flags: O_RDONLY)
        } catch {
            // Evicted by the circular window between listing and reading.
            if error.name == "ENOENT" { return .outsideWindow }
            logger.error("cannot read an archived fragment", metadata: ["error": "\(error)"])
            return .unavailable(error.description)
        }
        var bytes: [UInt8] = []
        var failure: UVError?
        do throws(UVError) {
            while bytes.count < size {
                let chunk = try await FileIO.read(loop: loop, fd: fd, count: size - bytes.count, offset: Int64(bytes.count), path: path)
                if chunk.isEmpty { break }
                bytes += chunk
            }
        } catch {
            failure = error
        }
        try? await FileIO.close(loop: loop, fd: fd, path: path)
        if let failure {
            logger.error("cannot read an archived fragment", metadata: ["error": "\(failure)"])
            return .unavailable(failure.description)
        }
        guard bytes.count == size else {
            let reason = "archived fragment \(path) holds \(bytes.count) bytes, \(size) expected"
            logger.error("archived fragment is truncated", metadata: ["path": "\(path)"])
            return .unavailable(reason)
        }
        return .found(bytes)
    }
}
