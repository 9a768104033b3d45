import ISOBMFF
import Media

/// A source that publishes CMAF chunks as they are produced (a low-latency live event): LL-HLS parts and blocking
/// playlist reload, LL-DASH chunked transfer of the segment in progress.
public protocol LowLatencySource: MediaSource {
    /// The part target (ticks of the track timescale); nil when the source is not low latency.
    nonisolated var partTarget: Int64? { get }
    /// The parts of the track's newest segments and of its open segment.
    func parts(trackName: String, bitrate: Int) async -> TrackParts?
    /// Waits (without polling) until the track's playlist holds segment `msn` — or, with `part`, part `part` of
    /// segment `msn` — or later, at most `timeout`. True when it does.
    func waitForPlaylist(trackName: String, bitrate: Int, msn: Int, part: Int?, timeout: Duration) async -> Bool
    /// Part `index` of the segment starting at `time`, waiting for it up to `timeout` if it is still to come.
    func waitForPart(trackName: String, bitrate: Int, time: Int64, index: Int, timeout: Duration) async -> PartLookup
}

/// The outcome of asking for one part.
public enum PartLookup: Sendable, Equatable {
    case found([UInt8])
    /// The segment closed with fewer parts: there is no part `index`.
    case pastEnd
    /// Not produced within the wait.
    case timedOut
    /// No segment starts at that time, and none will.
    case noSuchSegment
    case unknownTrack
}

/// What a blocked origin request waits for.
enum LowLatencyCondition: Sendable {
    case playlist(TrackKey, msn: Int, part: Int?)
    case part(TrackKey, startTime: Int64, index: Int)
}

/// The origin requests a low-latency channel holds until a playlist or part exists: each resumed with true when its
/// condition holds, false at its deadline, at most `capacity` at once (each holds a connection). A value owned by the
/// channel actor, which resumes them as chunks arrive.
struct LowLatencyWaiters {
    private struct Waiter {
        var condition: LowLatencyCondition
        var continuation: CheckedContinuation<Bool, Never>
        /// Resumes the waiter with false at its deadline; cancelled when the condition comes true first.
        var deadline: Task<Void, Never>?
    }

    private var waiting: [UInt64: Waiter] = [:]
    private var nextID: UInt64 = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    var isFull: Bool { waiting.count >= capacity }

    /// A new waiter's id, to register under once its continuation exists.
    mutating func reserveID() -> UInt64 {
        nextID &+= 1
        return nextID
    }

    mutating func add(_ id: UInt64, condition: LowLatencyCondition, continuation: CheckedContinuation<Bool, Never>,
                      deadline: Task<Void, Never>) {
        waiting[id] = Waiter(condition: condition, continuation: continuation, deadline: deadline)
    }

    /// The waiter's deadline passed: answered false (nothing when it was answered already).
    mutating func expire(_ id: UInt64) {
        waiting.removeValue(forKey: id)?.continuation.resume(returning: false)
    }

    /// Answers true every waiter whose condition now holds.
    mutating func wake(where holds: (LowLatencyCondition) -> Bool) {
        guard !waiting.isEmpty else { return }
        for (id, waiter) in waiting where holds(waiter.condition) {
            waiting.removeValue(forKey: id)
            waiter.deadline?.cancel()
            waiter.continuation.resume(returning: true)
        }
    }
}

extension LiveChannel: LowLatencySource {
    /// Blocked requests above this many per channel are answered at once as timed out (each holds a connection).
    static let maximumWaiters = 4096

    public nonisolated var partTarget: Int64? { configuration.partDuration }

    public func parts(trackName: String, bitrate: Int) -> TrackParts? {
        guard let partial = lowLatency, let key = window.key(trackName: trackName, bitrate: bitrate) else { return nil }
        return partial.trackParts(key)
    }

    public func waitForPlaylist(trackName: String, bitrate: Int, msn: Int, part: Int?, timeout: Duration) async -> Bool {
        guard lowLatency != nil, let key = window.key(trackName: trackName, bitrate: bitrate) else { return false }
        return await wait(for: .playlist(key, msn: msn, part: part), timeout: timeout)
    }

    public func waitForPart(trackName: String, bitrate: Int, time: Int64, index: Int, timeout: Duration) async -> PartLookup {
        guard lowLatency != nil, let key = window.key(trackName: trackName, bitrate: bitrate) else { return .unknownTrack }
        if case .notYet = lowLatency?.part(key, startTime: time, index: index) {
            _ = await wait(for: .part(key, startTime: time, index: index), timeout: timeout)
        }
        switch lowLatency?.part(key, startTime: time, index: index) ?? .none {
        case .open(let bytes):
            return .found(bytes)
        case .closed(let range):
            guard case .found(let fragment) = window.fragment(trackName: trackName, bitrate: bitrate, time: time),
                  range.upperBound <= fragment.count else { return .noSuchSegment }
            return .found(Array(fragment[range]))
        case .notYet:
            return .timedOut
        case .pastEnd:
            return .pastEnd
        case .none:
            return .noSuchSegment
        }
    }

    // MARK: - Waiting

    private func wait(for condition: LowLatencyCondition, timeout: Duration) async -> Bool {
        if isSatisfied(condition) { return true }
        guard !lowLatencyWaiters.isFull else { return false }
        let id = lowLatencyWaiters.reserveID()
        return await withCheckedContinuation { continuation in
            let deadline = Task { [weak self] in
                guard (try? await Task.sleep(for: timeout)) != nil else { return }  // cancelled: answered already
                await self?.expireWaiter(id)
            }
            lowLatencyWaiters.add(id, condition: condition, continuation: continuation, deadline: deadline)
        }
    }

    private func expireWaiter(_ id: UInt64) {
        lowLatencyWaiters.expire(id)
    }

    /// Resumes every blocked request whose condition now holds (called after each chunk or fragment).
    func wakeLowLatencyWaiters() {
        let partial = lowLatency
        lowLatencyWaiters.wake { Self.holds($0, in: partial) }
    }

    private func isSatisfied(_ condition: LowLatencyCondition) -> Bool {
        Self.holds(condition, in: lowLatency)
    }

    /// Whether `condition` holds in `partial` (always, once the channel is no longer low latency).
    private static func holds(_ condition: LowLatencyCondition, in partial: PartialFragments?) -> Bool {
        guard let partial else { return true }
        switch condition {
        case let .playlist(key, msn, part):
            return partial.playlistReady(key, msn: msn, part: part)
        case let .part(key, startTime, index):
            if case .notYet = partial.part(key, startTime: startTime, index: index) { return false }
            return true
        }
    }

    // MARK: - Ingest side

    /// A chunk of an open fragment: written once, kept until the fragment closes.
    func storeChunk(_ chunk: FragmentChunk) {
        guard lowLatency != nil, let info = window.info(for: chunk.key), !chunk.samples.isEmpty else { return }
        let bytes = CMAFWriter.chunk(track: info, sequenceNumber: UInt32(truncatingIfNeeded: chunk.sequenceNumber),
                                     samples: chunk.samples, isFirst: chunk.index == 0)
        lowLatency?.addChunk(chunk, bytes: bytes)
        wakeLowLatencyWaiters()
    }
}
