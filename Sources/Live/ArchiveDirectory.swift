// The asset directory's layout and the one-time recovery scan.
//
// Layout of `<asset directory>/` (every file is written to `<name>.tmp`, fsync'd, closed, renamed over its
// final name, and the directory fsync'd, so a name on disk always means complete, durable content):
//
//   complete                      empty marker: recording stopped, the asset is on-demand (VOD)
//   track_<bitrate>_<name>/       one per track (URL identity: name + bitrate; name %-escaped)
//     init.mp4                    the CMAF init segment (written first)
//     track.json                  TrackInfo as JSON (written second: its presence commits the track)
//     <seq>_<start>_<dur>_<size>_<disc>_<0|1>.m4s
//                                 one CMAF fragment; start/duration in the track timescale, size in bytes,
//                                 disc = discontinuities so far, last field = discontinuity before it
//     *.tmp                       a write in flight; deleted by recovery
//
// Recovery lists the directories and trusts the names (no fragment is read); a fragment whose file size
// differs from its name (a file system that reordered the rename before the data) is discarded too.
// Fragments are only written after their track is committed, so a track directory without track.json
// holds nothing and is removed.
//
// libuv has no asynchronous directory listing wrapper in EventLoop.FileIO, so the scan and the recursive
// removal use FileManager on the cooperative thread pool (`@concurrent`), never on the loop thread; they
// run once per open or delete, not per fragment.

import Foundation
import Media

/// What recovery found in an asset directory.
struct ArchiveScan: Sendable {
    var tracks: [ArchiveTrackIndex] = []
    var complete = false
    /// The directory did not exist and was created (its parent needs an fsync for the name to be durable).
    var created = false
    /// Torn or orphaned files removed, by path.
    var discarded: [String] = []
    /// Tracks that could not be recovered, with the reason (their files are left for inspection).
    var problems: [String] = []
}

/// An archive's failure to open or delete, naming the path and the reason.
public struct ArchiveError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

enum ArchiveDirectory {
    static let completeMarker = "complete"
    static let trackFile = "track.json"
    static let initFile = "init.mp4"
    static let temporarySuffix = ".tmp"
    static let trackPrefix = "track_"

    /// Creates `directory` (and its parents) if missing, else reads back every committed track and fragment.
    @concurrent static func scan(_ directory: String) async throws(ArchiveError) -> ArchiveScan {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if !files.fileExists(atPath: directory, isDirectory: &isDirectory) {
            do {
                try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw ArchiveError("cannot create asset directory \(directory): \(reason(error))")
            }
            var scan = ArchiveScan()
            scan.created = true
            return scan
        }
        guard isDirectory.boolValue else {
            throw ArchiveError("cannot open asset directory \(directory): it exists and is not a directory")
        }
        var scan = ArchiveScan()
        scan.complete = files.fileExists(atPath: directory + "/" + completeMarker)
        let entries: [String]
        do {
            entries = try files.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw ArchiveError("cannot list asset directory \(directory): \(reason(error))")
        }
        for entry in entries {
            let path = directory + "/" + entry
            if entry.hasSuffix(temporarySuffix) {
                remove(path, into: &scan)
                continue
            }
            guard entry.hasPrefix(trackPrefix), files.fileExists(atPath: path, isDirectory: &isDirectory),
                  isDirectory.boolValue else { continue }
            scanTrack(directory: directory, name: entry, into: &scan)
        }
        scan.tracks.sort { ($0.info.trackID, $0.info.name, $0.info.bitrate) < ($1.info.trackID, $1.info.name, $1.info.bitrate) }
        return scan
    }

    private static func scanTrack(directory: String, name: String, into scan: inout ArchiveScan) {
        let files = FileManager.default
        let path = directory + "/" + name
        guard let contents = try? files.contentsOfDirectory(atPath: path) else {
            scan.problems.append("cannot list track directory \(path)")
            return
        }
        guard contents.contains(trackFile) else {
            // Created but never committed: a crash during track creation. Nothing in it was published.
            remove(path, into: &scan)
            return
        }
        let info: TrackInfo
        let initSegment: [UInt8]
        do {
            let json = try Data(contentsOf: URL(fileURLWithPath: path + "/" + trackFile))
            info = try JSONDecoder().decode(TrackInfo.self, from: json)
            initSegment = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "/" + initFile)))
        } catch {
            scan.problems.append("cannot recover track \(path): \(reason(error)); its fragments are not served")
            return
        }
        var fragments: [ArchivedFragment] = []
        for file in contents {
            let filePath = path + "/" + file
            if file.hasSuffix(temporarySuffix) {
                remove(filePath, into: &scan)
                continue
            }
            guard let fragment = ArchivedFragment(fileName: file) else { continue }
            let size = (try? files.attributesOfItem(atPath: filePath)[.size] as? NSNumber)?.intValue
            guard size == fragment.size else {
                remove(filePath, into: &scan)
                continue
            }
            fragments.append(fragment)
        }
        scan.tracks.append(ArchiveTrackIndex(info: info, initSegment: initSegment, directoryName: name, fragments: fragments))
    }

    private static func remove(_ path: String, into scan: inout ArchiveScan) {
        do {
            try FileManager.default.removeItem(atPath: path)
            scan.discarded.append(path)
        } catch {
            scan.problems.append("cannot remove \(path): \(reason(error))")
        }
    }

    /// Removes `directory` and everything in it; a missing directory is not an error.
    @concurrent static func removeTree(_ directory: String) async throws(ArchiveError) {
        let files = FileManager.default
        guard files.fileExists(atPath: directory) else { return }
        do {
            try files.removeItem(atPath: directory)
        } catch {
            throw ArchiveError("cannot delete asset directory \(directory): \(reason(error))")
        }
    }

    /// The system's text for a Foundation error (errno text where there is one).
    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}
