// Fuzz target: what archive recovery reads from disk into a track's index (`ArchiveDirectory` at start-up): the
// track's `track.json` (TrackInfo) and the fragment file names, `<sequence>_<start>_<duration>_<size>_<disc>_<0|1>.m4s`.
// Input: the first line is the track JSON (a default AAC track when it does not decode), each further line a file name.
// Invariants: a name that parses renders back (`fileName`) to itself parsed; the index built from the names answers
// its timeline, listing, look-up and eviction queries without trapping.
import Foundation
@testable import Live
@testable import Media

@_cdecl("LLVMFuzzerTestOneInput")
public func archiveIndexFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard let first = lines.first, let audio = try? AudioSpecificConfig(bytes: [0x11, 0x90]) else { return 0 }
    let info = (try? JSONDecoder().decode(TrackInfo.self, from: Data(first.utf8)))
        ?? TrackInfo(trackID: 2, kind: .audio, name: "audio", timescale: 10_000_000, codec: .aac(audio), bitrate: 128_000)
    var fragments: [ArchivedFragment] = []
    for line in lines.dropFirst() {
        guard let fragment = ArchivedFragment(fileName: String(line)) else { continue }
        guard ArchivedFragment(fileName: fragment.fileName) == fragment else {
            fatalError("'\(line)' parsed to \(fragment), whose name '\(fragment.fileName)' parses differently")
        }
        fragments.append(fragment)
    }
    var index = ArchiveTrackIndex(info: info, initSegment: [], directoryName: ArchiveTrackIndex.directoryName(
        name: info.name, bitrate: info.bitrate), fragments: fragments)
    for window in [nil, Int64(1), Int64(600) * 10_000_000, Int64.max] as [Int64?] {
        _ = index.timeline(window: window)
        _ = index.listed(window: window)
        for fragment in fragments.prefix(4) {
            _ = index.position(of: fragment.segment.startTime, window: window)
        }
        _ = index.position(of: 0, window: window)
        _ = index.position(of: .max, window: window)
    }
    if let last = fragments.last {
        _ = index.admit(TimelineSegment(startTime: last.segment.startTime, duration: 1, sequenceNumber: 0,
                                        discontinuity: false), size: 1)
    }
    _ = index.evict(window: 600 * 10_000_000)
    return 0
}
