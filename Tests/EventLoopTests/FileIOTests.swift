// Threadpool file I/O: the crash-safe write sequence and its error messages.
import TestSupport
import Testing
import Foundation
import CLibUV
@testable import EventLoop

/// A fresh empty directory under the system temporary directory.
func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "edgelive-fileio-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    return path
}

/// An archive writer living on the loop: FileIO must work from the loop's own executor too.
actor LoopArchiveWriter {
    let loop: EventLoop
    init(loop: EventLoop) { self.loop = loop }
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.unownedExecutor }

    /// Writes `bytes` to `path` the crash-safe way and reports whether it ran on the loop thread.
    func store(_ bytes: [UInt8], at path: String) async throws -> Bool {
        let temporary = path + ".tmp"
        let fd = try await FileIO.open(loop: loop, path: temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try await FileIO.write(loop: loop, fd: fd, bytes: bytes, offset: 0, path: temporary)
        try await FileIO.fsync(loop: loop, fd: fd, path: temporary)
        try await FileIO.close(loop: loop, fd: fd, path: temporary)
        try await FileIO.rename(loop: loop, from: temporary, to: path)
        return loop.isInLoopThread
    }
}

@Suite struct FileIOTests {
    @Test func worksFromAnActorOnTheLoop() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/fragment.m4s"
        let payload = patternBytes(count: 100_000, seed: 42)
        try await withLoop { loop in
            let onLoop = try await LoopArchiveWriter(loop: loop).store(payload, at: path)
            #expect(onLoop)
        }
        #expect(FileManager.default.contents(atPath: path).map { [UInt8]($0) } == payload)
    }

    @Test func writeSyncRenameRoundTrip() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withLoop { loop in
            let archive = directory + "/archive"
            try await FileIO.mkdir(loop: loop, path: archive)
            let temporary = archive + "/segment.tmp"
            let final = archive + "/segment.m4s"
            let payload = patternBytes(count: 3 * 1024 * 1024 + 17)
            let fd = try await FileIO.open(loop: loop, path: temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
            try await FileIO.write(loop: loop, fd: fd, bytes: Array(payload[0..<1000]), offset: 0, path: temporary)
            try await FileIO.write(loop: loop, fd: fd, bytes: payload[1000...], offset: 1000, path: temporary)
            try await FileIO.fsync(loop: loop, fd: fd, path: temporary)
            try await FileIO.close(loop: loop, fd: fd, path: temporary)
            try await FileIO.rename(loop: loop, from: temporary, to: final)
            try await FileIO.syncDirectory(loop: loop, path: archive)

            #expect(!FileManager.default.fileExists(atPath: temporary))
            let onDisk = try #require(FileManager.default.contents(atPath: final))
            #expect(onDisk.count == payload.count)
            #expect([UInt8](onDisk) == payload)

            // Reading back through the loop sees the same bytes at an offset.
            let readFD = try await FileIO.open(loop: loop, path: final, flags: O_RDONLY)
            let middle = try await FileIO.read(loop: loop, fd: readFD, count: 4096, offset: 1_000_000, path: final)
            #expect(middle == Array(payload[1_000_000..<1_004_096]))
            try await FileIO.close(loop: loop, fd: readFD, path: final)

            try await FileIO.unlink(loop: loop, path: final)
            #expect(!FileManager.default.fileExists(atPath: final))
        }
    }

    @Test func offsetMinusOneAppendsAtTheCurrentPosition() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/log.txt"
        try await withLoop { loop in
            let fd = try await FileIO.open(loop: loop, path: path, flags: O_WRONLY | O_CREAT | O_APPEND, mode: 0o600)
            try await FileIO.write(loop: loop, fd: fd, bytes: Array("first ".utf8), offset: -1, path: path)
            try await FileIO.write(loop: loop, fd: fd, bytes: Array("second".utf8), offset: -1, path: path)
            try await FileIO.write(loop: loop, fd: fd, bytes: [], offset: -1, path: path)
            try await FileIO.close(loop: loop, fd: fd, path: path)
        }
        #expect(FileManager.default.contents(atPath: path) == Data("first second".utf8))
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }

    @Test func writingToAReadOnlyDescriptorNamesThePathAndReason() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/readonly.bin"
        #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])))
        try await withLoop { loop in
            let fd = try await FileIO.open(loop: loop, path: path, flags: O_RDONLY)
            do throws(UVError) {
                try await FileIO.write(loop: loop, fd: fd, bytes: [9, 9, 9], offset: 0, path: path)
                Issue.record("write to a read-only descriptor succeeded")
            } catch {
                #expect(error.code == UV_EBADF.rawValue)
                #expect(error.description.contains(path))
                #expect(error.description.contains("cannot write"))
                #expect(error.description.contains("bad file descriptor"))
            }
            try await FileIO.close(loop: loop, fd: fd, path: path)
        }
        #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 3]))
    }

    @Test func missingPathsAreNamedInErrors() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withLoop { loop in
            let missing = directory + "/absent/file"
            do throws(UVError) {
                _ = try await FileIO.open(loop: loop, path: missing, flags: O_RDONLY)
                Issue.record("opening a missing file succeeded")
            } catch {
                #expect(error.code == UV_ENOENT.rawValue)
                #expect(error.description.contains("cannot open \(missing)"))
                #expect(error.description.contains("no such file or directory"))
            }
            do throws(UVError) {
                try await FileIO.mkdir(loop: loop, path: directory)
                Issue.record("creating an existing directory succeeded")
            } catch {
                #expect(error.code == UV_EEXIST.rawValue)
                #expect(error.description.contains(directory))
            }
            do throws(UVError) {
                try await FileIO.rename(loop: loop, from: missing, to: directory + "/x")
                Issue.record("renaming a missing file succeeded")
            } catch {
                #expect(error.description.contains("cannot rename \(missing)"))
            }
        }
    }
}
