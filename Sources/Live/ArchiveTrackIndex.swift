import Media

/// One archived fragment: its place on the archive's timeline and the size of its file.
struct ArchivedFragment: Sendable, Hashable {
    /// Start and duration as the channel produced them; `sequenceNumber` is the archive's own (monotonic
    /// across daemon restarts, unlike the channel's), `discontinuity` as archived.
    var segment: TimelineSegment
    var size: Int
    /// Discontinuities from the start of the archive up to and including this fragment: the HLS
    /// discontinuity sequence survives eviction and restarts because every file name carries it.
    var discontinuityCount: Int

    /// `<sequence>_<start>_<duration>_<size>_<discontinuities>_<0|1>.m4s`: everything recovery needs is in the
    /// name, so reopening an archive lists directories and reads no fragment.
    var fileName: String {
        "\(segment.sequenceNumber)_\(segment.startTime)_\(segment.duration)_\(size)_\(discontinuityCount)_\(segment.discontinuity ? 1 : 0).m4s"
    }

    /// Parses a name written by `fileName`; nil for anything else (temporary files, strangers).
    ///
    /// Media time counts from the Unix epoch, so a start before it, or an end past `Int64.max`, is a name the archive
    /// never wrote (a damaged or foreign file): refused here, so the index's time arithmetic cannot overflow.
    init?(fileName name: String) {
        guard name.hasSuffix(".m4s") else { return nil }
        let fields = name.dropLast(4).split(separator: "_", omittingEmptySubsequences: false)
        guard fields.count == 6,
              let sequence = Int(fields[0]), let start = Int64(fields[1]), let duration = Int64(fields[2]),
              let size = Int(fields[3]), let discontinuities = Int(fields[4]), let flag = Int(fields[5]),
              duration > 0, size > 0, sequence >= 0, discontinuities >= 0, flag == 0 || flag == 1,
              start >= 0, !start.addingReportingOverflow(duration).overflow else { return nil }
        self.init(segment: TimelineSegment(startTime: start, duration: duration, sequenceNumber: sequence, discontinuity: flag == 1),
                  size: size, discontinuityCount: discontinuities)
    }

    init(segment: TimelineSegment, size: Int, discontinuityCount: Int) {
        self.segment = segment
        self.size = size
        self.discontinuityCount = discontinuityCount
    }
}

/// The in-memory index of one archived track: its description, init segment and fragments in time order.
/// Pure: the archive actor does the file I/O and keeps this in step with the directory.
struct ArchiveTrackIndex: Sendable {
    var info: TrackInfo
    var initSegment: [UInt8]
    /// Directory name under the asset directory.
    var directoryName: String
    /// Fragments in start-time order; the newest may carry their bytes (`cache`).
    private(set) var fragments: [ArchivedFragment] = []
    /// Bytes of the newest fragments by sequence number, so live viewers at the edge do not hit the disk.
    private(set) var cache: [Int: [UInt8]] = [:]
    /// The next fragment follows a gap in recording (restart, resumed output): mark it a discontinuity.
    var needsDiscontinuity = false

    init(info: TrackInfo, initSegment: [UInt8], directoryName: String, fragments: [ArchivedFragment] = []) {
        self.info = info
        self.initSegment = initSegment
        self.directoryName = directoryName
        self.fragments = fragments.sorted { $0.segment.startTime < $1.segment.startTime }
    }

    /// A directory name derived from the URL identity (bitrate, name), kept to a portable character set.
    static func directoryName(name: String, bitrate: Int) -> String {
        var escaped = ""
        for byte in name.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == ".") {
                escaped.append(c)
            } else {
                escaped += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return "track_\(bitrate)_\(escaped)"
    }

    var last: ArchivedFragment? { fragments.last }

    /// What the next fragment of this track becomes on disk, or why it is skipped.
    enum Admission: Equatable {
        case append(ArchivedFragment)
        /// It starts at or before the newest archived fragment: the timeline went backwards.
        case overlapping
    }

    /// Numbers the next fragment and decides whether a discontinuity precedes it: a flagged one, a gap or an
    /// jump forward in time, or the first after a recording gap.
    func admit(_ segment: TimelineSegment, size: Int) -> Admission {
        guard let last else {
            return .append(ArchivedFragment(segment: TimelineSegment(startTime: segment.startTime, duration: segment.duration,
                                                                     sequenceNumber: 1, discontinuity: false),
                                            size: size, discontinuityCount: 0))
        }
        if segment.startTime < last.segment.endTime { return .overlapping }
        let discontinuity = needsDiscontinuity || segment.discontinuity || segment.startTime != last.segment.endTime
        return .append(ArchivedFragment(
            segment: TimelineSegment(startTime: segment.startTime, duration: segment.duration,
                                     sequenceNumber: last.segment.sequenceNumber + 1, discontinuity: discontinuity),
            size: size, discontinuityCount: last.discontinuityCount + (discontinuity ? 1 : 0)))
    }

    /// Appends a fragment whose file is committed, caching its bytes and keeping only `cacheLimit` cached.
    mutating func append(_ fragment: ArchivedFragment, bytes: [UInt8], cacheLimit: Int) {
        precondition(fragment.segment.startTime >= (last?.segment.endTime ?? .min), "archive fragments must be appended in time order")
        fragments.append(fragment)
        needsDiscontinuity = false
        guard cacheLimit > 0 else { return }
        cache[fragment.segment.sequenceNumber] = bytes
        if fragments.count > cacheLimit {
            cache[fragments[fragments.count - 1 - cacheLimit].segment.sequenceNumber] = nil
        }
    }

    /// Removes fragments that end `window` (track timescale) or more behind the newest end; returns them for deletion.
    /// The newest fragment always stays.
    mutating func evict(window: Int64) -> [ArchivedFragment] {
        guard let last else { return [] }
        let horizon = last.segment.endTime - window
        var count = 0
        while count < fragments.count - 1, fragments[count].segment.endTime <= horizon { count += 1 }
        guard count > 0 else { return [] }
        let removed = Array(fragments[..<count])
        fragments.removeFirst(count)
        for fragment in removed { cache[fragment.segment.sequenceNumber] = nil }
        return removed
    }

    /// The fragments listed: those ending within `window` (track timescale) of the newest end, or all for nil.
    func listed(window: Int64?) -> ArraySlice<ArchivedFragment> {
        guard let window, let last else { return fragments[...] }
        let horizon = last.segment.endTime - window
        // Binary search for the first fragment that ends after the horizon.
        var lo = 0, hi = fragments.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if fragments[mid].segment.endTime <= horizon { lo = mid + 1 } else { hi = mid }
        }
        return fragments[min(lo, fragments.count - 1)...]
    }

    /// The timeline of the listed fragments, with the HLS discontinuity sequence of its first entry.
    func timeline(window: Int64?) -> TrackTimeline? {
        let listed = listed(window: window)
        guard let first = listed.first else { return nil }
        return TrackTimeline(track: info, segments: listed.map(\.segment),
                             discontinuitySequence: first.discontinuityCount - (first.segment.discontinuity ? 1 : 0))
    }

    /// Where a request for the fragment starting at `time` lands.
    enum Position: Equatable {
        case found(ArchivedFragment)
        case outsideWindow, beyondEnd, noSuchFragment
    }

    func position(of time: Int64, window: Int64?) -> Position {
        let listed = listed(window: window)
        guard let first = listed.first, let last = listed.last else { return .beyondEnd }
        if time < first.segment.startTime { return .outsideWindow }
        if time >= last.segment.endTime { return .beyondEnd }
        var lo = listed.startIndex, hi = listed.endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if listed[mid].segment.startTime < time { lo = mid + 1 } else { hi = mid }
        }
        if lo < listed.endIndex, listed[lo].segment.startTime == time { return .found(listed[lo]) }
        return .noSuchFragment
    }

    func cachedBytes(_ fragment: ArchivedFragment) -> [UInt8]? { cache[fragment.segment.sequenceNumber] }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
