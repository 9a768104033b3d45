// AssetArchive: recording a channel to disk, recovery after a crash, windows, VOD, disk errors.
import Testing
import Foundation
import Logging
import EventLoop
import Media
@testable import Live

let quietLogger = Logger(label: "archive-test") { _ in SwiftLogNoOpLogHandler() }

/// Runs `body` with a fresh loop and an asset directory path (not created), then proves the loop closed cleanly.
func withArchiveLoop(_ body: (EventLoop, String) async throws -> Void) async throws {
    let root = NSTemporaryDirectory() + "edgelive-archive-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: root) }
    let loop = try EventLoop(name: "archive-test")
    do {
        try await body(loop, root + "/assets/a1")
    } catch {
        try? await loop.shutdownGracefully()
        throw error
    }
    // Throws unless uv_loop_close returned 0: nothing the archive started was left open.
    try await loop.shutdownGracefully()
}

extension LiveChannel {
    /// Starts a session on stream "s" with the synthetic encoder's video and audio.
    func startSyntheticSession() {
        beginSession(stream: "s")
        configure(stream: "s", codec: SyntheticEncoder.video)
        configure(stream: "s", codec: SyntheticEncoder.audio)
    }

    func ingestAll(_ frames: [MediaFrame]) {
        for frame in frames { ingest(stream: "s", frame: frame) }
    }
}

func makeChannel(_ loop: EventLoop, at now: Int64 = t0) -> LiveChannel {
    LiveChannel(name: "news", executor: loop.unownedExecutor, clock: { now }, logger: quietLogger)
}

/// Video segments listed by a source's presentation.
func videoSegments(_ presentation: Presentation) -> [TimelineSegment] {
    presentation.tracks.first { $0.track.kind == .video }?.segments ?? []
}

func trackDirectories(_ directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("track_") }.sorted()
}

func fragmentFiles(_ directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".m4s") }
}

@Suite struct ArchiveTests {
    @Test func recordsFragmentsAndRecoversThemAfterACrash() async throws {
        try await withArchiveLoop { loop, directory in
            let channel = makeChannel(loop)
            await channel.startSyntheticSession()
            let archive = try await AssetArchive.open(directory: directory, loop: loop, logger: quietLogger)
            await archive.startRecording(from: channel, configuration: ArchiveConfiguration(archiveWindow: 3600 * second))
            var encoder = SyntheticEncoder()
            await channel.ingestAll(encoder.frames(untilMs: 10_050))
            await archive.flush()

            let channelStats = await channel.stats
            let stats = await archive.stats
            #expect(stats.fragmentsWritten == channelStats.fragmentsOut)
            #expect(stats.bytesWritten == channelStats.bytesOut)
            #expect(stats.writeErrors == 0 && stats.dropped == 0)
            let live = await archive.presentation()
            #expect(live.isLive)
            #expect(live.tracks.map(\.track.kind) == [.video, .audio])
            let video = videoSegments(live)
            #expect(video.map(\.startTime) == [0, 2, 4, 6, 8].map { t0 + $0 * second })
            #expect(video.map(\.sequenceNumber) == [1, 2, 3, 4, 5])
            #expect(try trackDirectories(directory).count == 2)

            // The bytes served are the channel's bytes.
            let info = try #require(live.tracks.first?.track)
            for segment in video {
                let fromChannel = await channel.fragment(trackName: info.name, bitrate: info.bitrate, time: segment.startTime)
                let fromArchive = await archive.fragment(trackName: info.name, bitrate: info.bitrate, time: segment.startTime)
                #expect(fromArchive == fromChannel)
                if case .found = fromArchive {} else { Issue.record("fragment at \(segment.startTime) not found: \(fromArchive)") }
            }

            // "kill -9": the first archive is abandoned without stopping; a new one reads the directory.
            let reopened = try await AssetArchive.open(directory: directory, loop: loop, logger: quietLogger)
            let recovered = await reopened.presentation()
            #expect(recovered.tracks == live.tracks)
            #expect(recovered.isLive)
            #expect(await reopened.stats.recoveredFragments == stats.fragmentsWritten)
            #expect(await reopened.initSegment(trackName: info.name, bitrate: info.bitrate)
                    == channel.initSegment(trackName: info.name, bitrate: info.bitrate))
            // No memory cache in the new instance: these come from disk.
            for segment in video {
                let fromChannel = await channel.fragment(trackName: info.name, bitrate: info.bitrate, time: segment.startTime)
                #expect(await reopened.fragment(trackName: info.name, bitrate: info.bitrate, time: segment.startTime) == fromChannel)
            }
            #expect(await reopened.fragment(trackName: info.name, bitrate: info.bitrate, time: t0 + 1) == .noSuchFragment)
            #expect(await reopened.fragment(trackName: info.name, bitrate: info.bitrate, time: t0 - second) == .outsideWindow)
            #expect(await reopened.fragment(trackName: info.name, bitrate: info.bitrate, time: t0 + 60 * second) == .beyondLiveEdge)
            #expect(await reopened.fragment(trackName: "nope", bitrate: info.bitrate, time: t0) == .unknownTrack)
            await archive.stopRecording()
        }
    }

    @Test func tornWritesAreDiscardedOnRecovery() async throws {
        try await withArchiveLoop { loop, directory in
            let channel = makeChannel(loop)
            await channel.startSyntheticSession()
            let archive = try await AssetArchive.open(directory: directory, loop: loop, logger: quietLogger)
            await archive.startRecording(from: channel, configuration: ArchiveConfiguration(archiveWindow: 3600 * second))
            var encoder = SyntheticEncoder()
            await channel.ingestAll(encoder.frames(untilMs: 6_050))
            await archive.stopRecording()
            let before = await archive.presentation()

            // What a crash mid-write leaves: a temporary fragment, a renamed file shorter than its name says
            // (a file system that reordered data and rename), and a track directory never committed.
            let videoDirectory = directory + "/" + (try #require(trackDirectories(directory).first))
            try Data(repeating: 7, count: 500).write(to: URL(fileURLWithPath: videoDirectory + "/9_\(t0 + 100 * second)_20000000_500_0_0.m4s.tmp"))
            try Data(repeating: 7, count: 10).write(to: URL(fileURLWithPath: videoDirectory + "/10_\(t0 + 200 * second)_20000000_1000_0_0.m4s"))
            try FileManager.default.createDirectory(atPath: directory + "/track_1_half", withIntermediateDirectories: false)
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory + "/track_1_half/init.mp4"))
            let filesBefore = try fragmentFiles(videoDirectory).count

            let reopened = try await AssetArchive.open(directory: directory, loop: loop, logger: quietLogger)
            #expect(await reopened.presentation() == before)
            #expect(await reopened.stats.discardedOnRecovery == 3)
            #expect(try fragmentFiles(videoDirectory).count == filesBefore - 1)
            #expect(try !FileManager.default.contentsOfDirectory(atPath: videoDirectory).contains { $0.hasSuffix(".tmp") })
            #expect(!FileManager.default.fileExists(atPath: directory + "/track_1_half"))
            // The completion marker survived: still on-demand.
            #expect(await reopened.isComplete)
            #expect(await reopened.presentation().isLive == false)
        }
    }

    @Test func circularWindowDeletesOldFragments() async throws {
        try await withArchiveLoop { loop, directory in
            let channel = makeChannel(loop)
            await channel.startSyntheticSession()
            let archive = try await AssetArchive.open(directory: directory, loop: loop, logger: quietLogger)
            await archive.startRecording(from: channel, configuration: ArchiveConfiguration(archiveWindow: 5 * second))
            var encoder = SyntheticEncoder()
            await channel.ingestAll(encoder.frames(untilMs: 20_050))
            await archive.flush()

            // Video 0…20 s in 2 s fragments; newest ends at 20 s, so those ending after 15 s stay: 14–16, 16–18, 18–20.
            let video = videoSegments(await archive.presentation())
            #expect(video.map(\.startTime) == [14, 16, 18].map { t0 + $0 * second })
            #expect(video.first?.sequenceNumber == 8)
            let videoDirectory = directory + "/" + (try #require(trackDirectories(directory).first))
            #expect(try fragmentFiles(videoDirectory).count == 3)
            let stats = await archive.stats
            #expect(stats.fragmentsEvicted > 0)
            #expect(stats.fragmentsWritten - stats.fragmentsEvicted == (try trackDirectories(directory).map {
                try fragmentFiles(directory + "/" + $0).count }.reduce(0, +)))
            let info = try #require(await archive.presentation().tracks.first?.track)
            #expect(await archive.fragment(trackName: info.name, bitrate: info.bitrate, time: t0) == .outsideWindow)
            // Recovery sees the same three.
            await archive.stopRecording()
            let reopened = try await AssetArchive.open(directory: directory, loop: loop, logger: quietLogger)
            #expect(videoSegments(await reopened.presentation()).map(\.startTime) == video.map(\.startTime))
        }
    }

    @Test func rewindWindowWhileLiveAndEverythingOnceComplete() async throws {
        try await withArchiveLoop { loop, directory in
            let channel = makeChannel(loop)
            await channel.startSyntheticSession()
            let archive = try await AssetArchive.open(directory: directory, loop: loop, logger: quietLogger,
                                                      sourceDescription: "asset 'a1'")
            await archive.startRecording(from: channel, configuration: ArchiveConfiguration(archiveWindow: 60 * second, rewindWindow: 4 * second))
            var encoder = SyntheticEncoder()
            await channel.ingestAll(encoder.frames(untilMs: 16_050))
            await archive.flush()

            let live = await archive.presentation()
            #expect(live.isLive)
            #expect(live.windowDuration == 4 * second)
            #expect(videoSegments(live).map(\.startTime) == [12, 14].map { t0 + $0 * second })
            let info = try #require(live.tracks.first?.track)
            #expect(await archive.fragment(trackName: info.name, bitrate: info.bitrate, time: t0 + 2 * second) == .outsideWindow)
            #expect(await archive.isRecording)

            await archive.stopRecording()
            #expect(await archive.isRecording == false)
            #expect(FileManager.default.fileExists(atPath: directory + "/complete"))
            let vod = await archive.presentation()
            #expect(!vod.isLive)
            #expect(vod.windowDuration == nil)
            #expect(videoSegments(vod).map(\.startTime) == (0..<8).map { t0 + Int64($0) * 2 * second })
            guard case .found(let bytes) = await archive.fragment(trackName: info.name, bitrate: info.bitrate, time: t0 + 2 * second) else {
                Issue.record("VOD fragment at 2 s not served")
                return
            }
            #expect(!bytes.isEmpty)
            #expect(await archive.fragment(trackName: info.name, bitrate: info.bitrate, time: t0 + 99 * second) == .noSuchFragment)
            #expect(await archive.duration >= 16 * second)
            #expect(archive.sourceDescription == "asset 'a1'")

            // Stopped means detached: more ingest does not reach the archive.
            let written = await archive.stats.fragmentsWritten
            await channel.ingestAll(encoder.frames(untilMs: 24_050))
            await archive.flush()
            #expect(await archive.stats.fragmentsWritten == written)

            try await archive.deleteStorage()
            #expect(!FileManager.default.fileExists(atPath: directory))
        }
    }

    @Test func outputSnapTimeSkipsEarlierFragments() async throws {
        try await withArchiveLoop { loop, directory in
            let channel = makeChannel(loop)
            await channel.startSyntheticSession()
            let archive = try await AssetArchive.open(directory: directory, loop: loop, logger: quietLogger)
            await archive.startRecording(from: channel, configuration: ArchiveConfiguration(
                archiveWindow: 3600 * second, snapTime: t0 + 5 * second))
            var encoder = SyntheticEncoder()
            await channel.ingestAll(encoder.frames(untilMs: 12_050))
            await archive.flush()
            let presentation = await archive.presentation()
            #expect(videoSegments(presentation).map(\.startTime) == [6, 8, 10].map { t0 + $0 * second })
            #expect(presentation.tracks.allSatisfy { $0.segments.allSatisfy { $0.startTime >= t0 + 5 * second } })
            #expect(videoSegments(presentation).first?.sequenceNumber == 1)
            #expect(videoSegments(presentation).first?.discontinuity == false)
            #expect(await archive.stats.skippedBeforeSnapTime > 0)
            await archive.stopRecording()
        }
    }

    @Test func resumedRecordingAppendsAfterADiscontinuity() async throws {
        try await withArchiveLoop { loop, directory in
            let first = makeChannel(loop)
            await first.startSyntheticSession()
            let archive = try await AssetArchive.open(directory: directory, loop: loop, logger: quietLogger)
            let configuration = ArchiveConfiguration(archiveWindow: 3600 * second)
            await archive.startRecording(from: first, configuration: configuration)
            var encoder = SyntheticEncoder()
            await first.ingestAll(encoder.frames(untilMs: 6_050))
            await archive.flush()

            // The daemon restarts 100 s later: a new channel, the archive reopened and resumed.
            let restartedChannel = makeChannel(loop, at: t0 + 100 * second)
            await restartedChannel.startSyntheticSession()
            let resumed = try await AssetArchive.open(directory: directory, loop: loop, logger: quietLogger)
            await resumed.startRecording(from: restartedChannel, configuration: configuration)
            var restarted = SyntheticEncoder()
            await restartedChannel.ingestAll(restarted.frames(untilMs: 4_050))
            await resumed.flush()

            let presentation = await resumed.presentation()
            let video = videoSegments(presentation)
            #expect(video.map(\.startTime) == [0, 2, 4, 100, 102].map { t0 + $0 * second })
            #expect(video.map(\.sequenceNumber) == [1, 2, 3, 4, 5])
            #expect(video.map(\.discontinuity) == [false, false, false, true, false])
            #expect(presentation.tracks.allSatisfy { $0.segments.filter(\.discontinuity).count == 1 })
            await resumed.stopRecording()
            await archive.stopRecording()
        }
    }

    @Test func diskErrorsAreCountedAndNamed() async throws {
        try await withArchiveLoop { loop, directory in
            let channel = makeChannel(loop)
            await channel.startSyntheticSession()
            let archive = try await AssetArchive.open(directory: directory, loop: loop, logger: quietLogger)
            // No memory cache, so reads go to the disk.
            await archive.startRecording(from: channel, configuration: ArchiveConfiguration(archiveWindow: 3600 * second,
                                                                                             cachedFragmentsPerTrack: 0))
            var encoder = SyntheticEncoder()
            await channel.ingestAll(encoder.frames(untilMs: 4_050))
            await archive.flush()
            #expect(await archive.stats.writeErrors == 0)

            // The storage disappears under the recorder (an unmounted or failed disk).
            try FileManager.default.removeItem(atPath: directory)
            await channel.ingestAll(encoder.frames(untilMs: 8_050))
            await archive.flush()
            let stats = await archive.stats
            #expect(stats.writeErrors > 0)
            let error = try #require(stats.lastError)
            #expect(error.contains(directory))
            #expect(error.lowercased().contains("no such file or directory"))
            // Ingest was never held up: the channel's own window kept going.
            #expect(videoSegments(await channel.presentation()).count == 4)
            // Listed fragments whose files vanished are not served as garbage.
            let info = try #require(await archive.presentation().tracks.first?.track)
            #expect(await archive.fragment(trackName: info.name, bitrate: info.bitrate, time: t0) == .outsideWindow)
            await archive.stopRecording()
        }
    }

    @Test func fullQueueDropsAndCounts() async throws {
        try await withArchiveLoop { loop, directory in
            let channel = makeChannel(loop)
            await channel.startSyntheticSession()
            let archive = try await AssetArchive.open(directory: directory, loop: loop, logger: quietLogger)
            await archive.startRecording(from: channel, configuration: ArchiveConfiguration(archiveWindow: 3600 * second, queueLimit: 1))
            var encoder = SyntheticEncoder()
            // One synchronous burst on the loop: the writer cannot run in between, so all but one wait or drop.
            await channel.ingestAll(encoder.frames(untilMs: 20_050))
            await archive.flush()
            let stats = await archive.stats
            let produced = await channel.stats.fragmentsOut
            #expect(stats.dropped > 0)
            #expect(stats.fragmentsWritten + stats.dropped == produced)
            await archive.stopRecording()
        }
    }

    @Test func changedInitSegmentIsSkipped() async throws {
        try await withArchiveLoop { loop, directory in
            let channel = makeChannel(loop)
            await channel.startSyntheticSession()
            let archive = try await AssetArchive.open(directory: directory, loop: loop, logger: quietLogger)
            await archive.startRecording(from: channel, configuration: ArchiveConfiguration(archiveWindow: 3600 * second))
            var encoder = SyntheticEncoder()
            await channel.ingestAll(encoder.frames(untilMs: 4_050))
            await archive.flush()
            let before = await archive.stats.fragmentsWritten
            // The encoder switches to 1080p mid-stream: same track name and bitrate, different init segment.
            guard case .avc(var avc) = SyntheticEncoder.video else { return }
            avc.record = [1, 0x64, 0, 0x28, 0xff, 0xe1]
            avc.width = 1920
            avc.height = 1080
            await channel.configure(stream: "s", codec: .avc(avc))
            await channel.ingestAll(encoder.frames(untilMs: 10_050))
            await archive.flush()
            let stats = await archive.stats
            #expect(stats.skippedCodecChange > 0)
            #expect(stats.fragmentsWritten > before) // audio goes on
            let video = videoSegments(await archive.presentation())
            // The fragment open at the change closes with the old settings; none after it is archived.
            #expect(video.map(\.startTime) == [0, 2, 4].map { t0 + $0 * second })
            await archive.stopRecording()
        }
    }

    @Test func trackInfoRoundTripsThroughJSON() throws {
        let tracks = [
            TrackInfo(trackID: 1, kind: .video, name: "video", timescale: 10_000_000, codec: SyntheticEncoder.video, bitrate: 3_000_000),
            TrackInfo(trackID: 2, kind: .audio, name: "audio_eng", timescale: 10_000_000, codec: SyntheticEncoder.audio,
                      bitrate: 128_000, language: "eng"),
        ]
        for track in tracks {
            let decoded = try JSONDecoder().decode(TrackInfo.self, from: JSONEncoder().encode(track))
            #expect(decoded == track)
            if case .avc(let a) = decoded.codec, case .avc(let b) = track.codec {
                #expect((a.width, a.height, a.frameRate, a.nalUnitLengthSize) == (b.width, b.height, b.frameRate, b.nalUnitLengthSize))
            }
        }
    }

    @Test func fragmentFileNamesRoundTrip() {
        let fragment = ArchivedFragment(segment: TimelineSegment(startTime: t0, duration: 20_000_000, sequenceNumber: 42, discontinuity: true),
                                        size: 12_345, discontinuityCount: 3)
        #expect(ArchivedFragment(fileName: fragment.fileName) == fragment)
        #expect(ArchivedFragment(fileName: fragment.fileName + ".tmp") == nil)
        #expect(ArchivedFragment(fileName: "1_2_3.m4s") == nil)
        #expect(ArchivedFragment(fileName: "1_2_0_4_0_0.m4s") == nil)
        #expect(ArchiveTrackIndex.directoryName(name: "audio eng/1", bitrate: 128_000) == "track_128000_audio%20eng%2F1")
    }

    /// Found by the archive_index fuzz target (Tests/Fuzz, minimized): a fragment name with a start before the epoch
    /// made recovery's index trap on overflow (`endTime - window`); names whose end overflows did the same.
    @Test func recoveryRefusesFragmentNamesOutsideMediaTime() {
        #expect(ArchivedFragment(fileName: "0_-7_2_4_1_0.m4s") == nil)
        #expect(ArchivedFragment(fileName: "0_9223372036854775807_1_1_0_0.m4s") == nil)
        #expect(ArchivedFragment(fileName: "0_9223372036854775806_1_1_0_0.m4s") != nil)
        let names = ["0_-7_2_4_1_0.m4s", "1_\(t0)_20000000_10_0_0.m4s"]
        let info = TrackInfo(trackID: 2, kind: .audio, name: "audio", timescale: 10_000_000,
                             codec: .aac(try! AudioSpecificConfig(bytes: [0x11, 0x90])), bitrate: 128_000)
        let index = ArchiveTrackIndex(info: info, initSegment: [], directoryName: "track_128000_audio",
                                      fragments: names.compactMap { ArchivedFragment(fileName: $0) })
        #expect(index.listed(window: .max).map(\.segment.startTime) == [t0])
        #expect(index.timeline(window: .max)?.segments.count == 1)
    }
}
