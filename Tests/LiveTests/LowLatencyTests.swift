// Low-latency channels: fragments are published as CMAF chunks while they grow; a fragment is exactly the
// concatenation of its chunks; blocked origin requests wake when the part or segment they wait for exists.
import EventLoop
import Foundation
import ISOBMFF
import Media
import Testing
@testable import Live

private func chunks(_ events: [PipelineEvent]) -> [FragmentChunk] {
    events.compactMap { if case .chunk(let c) = $0 { return c } else { return nil } }
}

private let track = TrackInfo(trackID: 1, kind: .video, name: "video", timescale: UInt32(MediaTime.ticksPerSecond),
                              codec: SyntheticEncoder.video, bitrate: 1_000_000)

@Suite struct LowLatencyChunkingTests {
    func runPipeline(partDuration: Int64?, seconds: Int64 = 10, gop: Int = 60) -> [PipelineEvent] {
        var p = ChannelPipeline(configuration: ChannelConfiguration(partDuration: partDuration))
        var enc = SyntheticEncoder()
        enc.gop = gop
        p.beginSession(stream: "s")
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.video)
        _ = p.configure(stream: "s", configuration: SyntheticEncoder.audio)
        return run(&p, &enc, untilMs: seconds * 1000 + 50, now: t0) + p.endSession(stream: "s")
    }

    @Test func chunksTileEachFragmentWithinThePartDuration() throws {
        let part = second / 2
        let events = runPipeline(partDuration: part)
        let closed = fragments(events)
        let published = chunks(events)
        #expect(closed.count >= 9)
        for kind in [MediaKind.video, .audio] {
            for fragment in closed where fragment.key.kind == kind {
                let mine = published.filter { $0.key == fragment.key && $0.fragmentStart == fragment.segment.startTime }
                // The chunks published before the close are the leading chunks of the fragment, in order.
                #expect(mine.map(\.index) == Array(0..<mine.count))
                #expect(mine.allSatisfy { $0.sequenceNumber == fragment.segment.sequenceNumber })
                let publishedSamples = mine.flatMap(\.samples)
                #expect(Array(fragment.samples.prefix(publishedSamples.count)) == publishedSamples, "\(kind) chunks are not a prefix")
                #expect(fragment.chunkStarts.count >= mine.count && fragment.chunkStarts.first == 0)
                // Every chunk (published or the last) lasts at most the part duration.
                let starts = fragment.chunkStarts
                for (i, start) in starts.enumerated() {
                    let end = i + 1 < starts.count ? starts[i + 1] : fragment.samples.count
                    let duration = fragment.samples[start..<end].reduce(Int64(0)) { $0 + Int64($1.duration) }
                    #expect(duration <= part, "\(kind) chunk \(i) lasts \(duration)")
                }
            }
        }
        // 2 s video GOPs at 30 fps: four parts of 15 frames, three published before the close.
        let video = closed.filter { $0.key.kind == .video }
        #expect(video.dropLast().allSatisfy { $0.chunkStarts == [0, 15, 30, 45] }, "\(video.map(\.chunkStarts))")
        #expect(published.filter { $0.key.kind == .video }.count >= 3 * (video.count - 1))
        // Audio chunks are published too, never past the video's cut.
        #expect(published.contains { $0.key.kind == .audio })
        #expect(published.first(where: { $0.key.kind == .video })?.samples.first?.isSync == true)
    }

    @Test func storedBytesAreTheConcatenationOfPublishedChunks() throws {
        let events = runPipeline(partDuration: second / 3, seconds: 5, gop: 30)
        let published = chunks(events)
        for fragment in fragments(events) where fragment.key.kind == .video {
            let (bytes, ranges) = CMAFWriter.chunkedMediaSegment(
                track: track, sequenceNumber: UInt32(fragment.segment.sequenceNumber), samples: fragment.samples,
                chunkStarts: fragment.chunkStarts)
            let early = published.filter { $0.key == fragment.key && $0.fragmentStart == fragment.segment.startTime }
            for chunk in early {
                let written = CMAFWriter.chunk(track: track, sequenceNumber: UInt32(chunk.sequenceNumber), samples: chunk.samples,
                                               isFirst: chunk.index == 0)
                #expect(Array(bytes[ranges[chunk.index]]) == written)
            }
            let parsed = try MovieFragment(parsing: bytes)
            #expect(parsed.samples.count == fragment.samples.count && parsed.chunkCount == fragment.chunkStarts.count)
        }
    }

    @Test func withoutLowLatencyNothingChanges() throws {
        let events = runPipeline(partDuration: nil, seconds: 6)
        #expect(chunks(events).isEmpty)
        for fragment in fragments(events) {
            #expect(fragment.chunkStarts == [0])
            let chunked = CMAFWriter.chunkedMediaSegment(track: track, sequenceNumber: 1, samples: fragment.samples,
                                                         chunkStarts: fragment.chunkStarts).bytes
            #expect(chunked == CMAFWriter.mediaSegment(track: track, sequenceNumber: 1, samples: fragment.samples))
        }
    }
}

/// A clock the test moves: the channel's wall clock in ticks.
private final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64 = t0
    func now() -> Int64 { lock.withLock { value } }
}

@Suite(.serialized) struct LowLatencyChannelTests {
    /// Feeds the channel the synthetic encoder's frames until `untilMs`.
    func feed(_ channel: LiveChannel, _ encoder: inout SyntheticEncoder, untilMs: Int64) async {
        for frame in encoder.frames(untilMs: untilMs) { await channel.ingest(stream: "s", frame: frame) }
    }

    @Test func blockedRequestsWakeWhenThePartOrSegmentExists() async throws {
        let loop = try EventLoop(name: "low-latency-test")
        let clock = TestClock()
        let channel = LiveChannel(name: "ll", executor: loop.unownedExecutor,
                                  configuration: ChannelConfiguration(partDuration: second / 2),
                                  clock: { clock.now() }, logger: quietLogger)
        await channel.beginSession(stream: "s")
        await channel.declareBitrate(stream: "s", kind: .video, bitsPerSecond: 1_000_000)
        await channel.configure(stream: "s", codec: SyntheticEncoder.video)
        var encoder = SyntheticEncoder()
        encoder.gop = 30
        // The first fragment publishes the track; then the second is in progress.
        await feed(channel, &encoder, untilMs: 1_600)
        let parts = try #require(await channel.parts(trackName: "video", bitrate: 1_000_000))
        #expect(parts.partTarget == second / 2)
        let open = try #require(parts.open)
        #expect(open.sequenceNumber == 2 && open.parts.count == 1 && open.parts[0].independent)
        let closedParts = try #require(parts.closed[open.startTime - second])
        #expect(closedParts.count == 2)

        // An existing part comes at once; the stored segment's parts are its byte ranges.
        guard case .found(let first) = await channel.waitForPart(trackName: "video", bitrate: 1_000_000, time: open.startTime,
                                                                 index: 0, timeout: .seconds(5)) else { Issue.record("part 0"); return }
        #expect(try MovieFragment(parsing: first).samples.first?.isSync == true)
        guard case .found(let closedPart) = await channel.waitForPart(trackName: "video", bitrate: 1_000_000,
                                                                      time: open.startTime - second, index: 1,
                                                                      timeout: .seconds(5)) else { Issue.record("closed part"); return }
        guard case .found(let whole) = await channel.fragment(trackName: "video", bitrate: 1_000_000, time: open.startTime - second)
        else { Issue.record("fragment"); return }
        #expect(Array(whole.suffix(closedPart.count)) == closedPart)

        // A part still to come: the request waits, and is answered when ingest produces it.
        let waiting = Task { await channel.waitForPart(trackName: "video", bitrate: 1_000_000, time: open.startTime, index: 1,
                                                       timeout: .seconds(20)) }
        let playlist = Task { await channel.waitForPlaylist(trackName: "video", bitrate: 1_000_000, msn: 2, part: nil,
                                                            timeout: .seconds(20)) }
        try await Task.sleep(for: .milliseconds(100))
        await feed(channel, &encoder, untilMs: 2_100)
        let answer = await waiting.value
        guard case .found(let bytes) = answer else { Issue.record("\(answer)"); return }
        #expect(try MovieFragment(parsing: bytes).samples.count == 15)
        #expect(await playlist.value == true)

        // Past the end of a closed segment; a time where no segment starts; a part that never comes times out.
        #expect(await channel.waitForPart(trackName: "video", bitrate: 1_000_000, time: open.startTime, index: 5,
                                          timeout: .seconds(5)) == .pastEnd)
        #expect(await channel.waitForPart(trackName: "video", bitrate: 1_000_000, time: open.startTime + 7,
                                          index: 0, timeout: .seconds(5)) == .noSuchSegment)
        let started = ContinuousClock.now
        // The segment after the last closed one has no chunk yet (its first part ends at 2.5 s).
        #expect(await channel.parts(trackName: "video", bitrate: 1_000_000)?.open == nil)
        #expect(await channel.waitForPart(trackName: "video", bitrate: 1_000_000, time: open.startTime + second, index: 0,
                                          timeout: .milliseconds(300)) == .timedOut)
        #expect(ContinuousClock.now - started >= .milliseconds(250))
        #expect(await channel.waitForPlaylist(trackName: "video", bitrate: 1_000_000, msn: 9, part: nil,
                                              timeout: .milliseconds(200)) == false)
        try await loop.shutdownGracefully()
    }
}

/// The held origin requests of a low-latency channel, as a value: capacity, waking by condition, expiry.
@Suite struct LowLatencyWaitersTests {
    actor Holder {
        var waiters = LowLatencyWaiters(capacity: 2)
        func hold(_ condition: LowLatencyCondition) async -> Bool {
            let id = waiters.reserveID()
            return await withCheckedContinuation { continuation in
                waiters.add(id, condition: condition, continuation: continuation, deadline: Task {})
            }
        }
        var isFull: Bool { waiters.isFull }
        func wake(msn: Int) { waiters.wake { if case .playlist(_, let m, _) = $0 { return m <= msn } else { return false } } }
        func expireAll() { for id in 1...2 { waiters.expire(UInt64(id)) } }
    }

    @Test func wakesWhatHoldsAndExpiresTheRest() async throws {
        let holder = Holder()
        let key = TrackKey(stream: "s", kind: .video)
        async let first = holder.hold(.playlist(key, msn: 5, part: nil))
        async let second = holder.hold(.playlist(key, msn: 9, part: nil))
        while !(await holder.isFull) { await Task.yield() }
        await holder.wake(msn: 6)
        #expect(await first == true)
        await holder.expireAll()
        #expect(await second == false)
        #expect(await holder.isFull == false)
    }
}
