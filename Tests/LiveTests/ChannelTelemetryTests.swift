import Media
import Testing
@testable import Live

/// Drives ``ChannelTelemetry`` with synthetic frames on an explicit clock (ticks since 1970).
@Suite struct ChannelTelemetryTests {
    static let second = MediaTime.ticksPerSecond
    static let start: Int64 = 1_700_000_000 * MediaTime.ticksPerSecond
    static let video = TrackKey(stream: "cam", kind: .video)
    static let audio = TrackKey(stream: "cam", kind: .audio)

    /// Sends `seconds` of video at `bitsPerSecond` (25 fps) and audio at 128 kbit/s (50 frames/s), media time
    /// advancing `mediaRate` seconds per wall second. Returns the clock after the last frame.
    static func feed(_ telemetry: inout ChannelTelemetry, from wall: Int64, mediaStart: Int64 = 0, seconds: Int,
                     bitsPerSecond: Int, mediaRate: Double = 1) -> Int64 {
        var now = wall
        for index in 0 ..< seconds * 50 {
            now = wall + Int64(index) * second / 50
            let media = mediaStart + Int64(Double(index * 20) * mediaRate)
            telemetry.frame(audio, byteCount: 128_000 / 8 / 50, decodeTime: media, timescale: 1000, now: now)
            if index % 2 == 0 {
                telemetry.frame(video, byteCount: bitsPerSecond / 8 / 25, decodeTime: media, timescale: 1000, now: now)
            }
        }
        return wall + Int64(seconds) * second
    }

    @Test func incomingBitrateIsTheLast20SecondsAverage() throws {
        var telemetry = ChannelTelemetry()
        telemetry.beginIngest(stream: "cam", remoteAddress: "10.0.0.5", remotePort: 50000, now: Self.start)
        telemetry.declareBitrate(Self.video, bitsPerSecond: 2_000_000)
        telemetry.declareBitrate(Self.audio, bitsPerSecond: 128_000)
        // 30 s at 4 Mbit/s, then 20 s at 1 Mbit/s: the window only sees the second part.
        var now = Self.feed(&telemetry, from: Self.start, seconds: 30, bitsPerSecond: 4_000_000)
        #expect(telemetry.snapshot(now: now).tracks.first { $0.key == Self.video }?.incomingBitrate == 4_000_000)
        now = Self.feed(&telemetry, from: now, mediaStart: 30_000, seconds: 20, bitsPerSecond: 1_000_000)
        let snapshot = telemetry.snapshot(now: now)
        let video = try #require(snapshot.tracks.first { $0.key == Self.video })
        let audio = try #require(snapshot.tracks.first { $0.key == Self.audio })
        #expect(video.incomingBitrate == 1_000_000)
        #expect(audio.incomingBitrate == 128_000)
        #expect(video.expectedBitrate == 2_000_000 && video.trackId == "video_2000000")
        #expect(audio.trackId == "audio_128000")
        #expect(video.lastTimestamp == 49_960 && video.timescale == 1000)
        #expect(video.ingestDrift == 0 && audio.ingestDrift == 0)
        // 50 % of the expected rate: Good, with the reason given.
        #expect(video.health == .good && !video.unexpectedBitrate)
        #expect(snapshot.health == .good)
        #expect(snapshot.healthDescriptions.contains { $0.contains("50 %") && $0.contains("video_2000000") })
    }

    @Test func youngTrackIsAveragedOverItsOwnSeconds() throws {
        var telemetry = ChannelTelemetry()
        telemetry.beginIngest(stream: "cam", remoteAddress: nil, remotePort: nil, now: Self.start)
        let now = Self.feed(&telemetry, from: Self.start, seconds: 5, bitsPerSecond: 3_000_000)
        #expect(telemetry.snapshot(now: now).tracks.first { $0.key == Self.video }?.incomingBitrate == 3_000_000)
    }

    @Test func healthLevelsFollowTheServiceRule() throws {
        var telemetry = ChannelTelemetry()
        #expect(telemetry.snapshot(now: Self.start).health == .poor)
        telemetry.beginIngest(stream: "cam", remoteAddress: nil, remotePort: nil, now: Self.start)
        telemetry.declareBitrate(Self.video, bitsPerSecond: 1_000_000)
        telemetry.declareBitrate(Self.audio, bitsPerSecond: 128_000)
        var now = Self.feed(&telemetry, from: Self.start, seconds: 25, bitsPerSecond: 900_000)
        var snapshot = telemetry.snapshot(now: now)
        #expect(snapshot.health == .excellent && snapshot.healthDescriptions.isEmpty)
        #expect(snapshot.tracks.allSatisfy { $0.healthy })

        // A short discontinuity (reconnect after 3 s) keeps Good; a 12 s one makes it Poor.
        telemetry.discontinuity(stream: "cam", previousEnd: 100 * Self.second, newStart: 103 * Self.second, now: now)
        snapshot = telemetry.snapshot(now: now)
        #expect(snapshot.health == .good)
        #expect(snapshot.tracks.allSatisfy { $0.discontinuitiesInWindow == 1 })
        telemetry.discontinuity(stream: "cam", previousEnd: 200 * Self.second, newStart: 212 * Self.second, now: now)
        #expect(telemetry.snapshot(now: now).health == .poor)

        // 21 s later, with media flowing at 15 % of the expected rate: the discontinuities left the window, the rate is Poor.
        now = Self.feed(&telemetry, from: now, mediaStart: 25_000, seconds: 21, bitsPerSecond: 150_000)
        snapshot = telemetry.snapshot(now: now)
        let video = try #require(snapshot.tracks.first { $0.key == Self.video })
        #expect(video.discontinuitiesInWindow == 0)
        #expect(video.health == .poor && !video.healthy && video.unexpectedBitrate)
        #expect(snapshot.health == .poor)
    }

    @Test func overlapsAndNonIncreasingTimestampsAreCountedOver20Seconds() throws {
        var telemetry = ChannelTelemetry()
        telemetry.beginIngest(stream: "cam", remoteAddress: nil, remotePort: nil, now: Self.start)
        for (index, time) in [0, 40, 40, 80, 60, 120].enumerated() {
            telemetry.frame(Self.video, byteCount: 100, decodeTime: Int64(time), timescale: 1000, now: Self.start + Int64(index) * Self.second / 25)
        }
        telemetry.dropped(Self.video, reason: .nonIncreasing, count: 1, now: Self.start + Self.second / 5)
        var track = try #require(telemetry.snapshot(now: Self.start + Self.second).tracks.first)
        #expect(track.overlapsInWindow == 1 && track.nonIncreasingInWindow == 1 && track.droppedInWindow == 1)
        #expect(track.health == .poor)
        track = try #require(telemetry.snapshot(now: Self.start + 22 * Self.second).tracks.first)
        #expect(track.overlapsInWindow == 0 && track.nonIncreasingInWindow == 0 && track.droppedInWindow == 0)
        let events = telemetry.snapshot(now: Self.start).events
        #expect(events.map(\.kind) == [.beginIngest, .chunkDropped])
        #expect(events.last?.fragmentDropReason == DropReason.nonIncreasing.rawValue)
    }

    @Test func slowEncoderShowsDriftInSecondsPerMinute() throws {
        var telemetry = ChannelTelemetry()
        telemetry.beginIngest(stream: "cam", remoteAddress: nil, remotePort: nil, now: Self.start)
        // 58 s of media per 60 s of wall clock: 2 s of delay per minute.
        let now = Self.feed(&telemetry, from: Self.start, seconds: 60, bitsPerSecond: 1_000_000, mediaRate: 58.0 / 60.0)
        let snapshot = telemetry.snapshot(now: now)
        #expect(snapshot.tracks.allSatisfy { $0.ingestDrift == 2 })
        // No media for over a minute: n/a.
        #expect(telemetry.snapshot(now: now + 61 * Self.second).tracks.allSatisfy { $0.ingestDrift == nil })
    }

    @Test func reconnectsBecomeInterruptionsAndEvents() throws {
        var telemetry = ChannelTelemetry()
        telemetry.beginIngest(stream: "cam", remoteAddress: "192.0.2.7", remotePort: 40001, now: Self.start)
        var now = Self.feed(&telemetry, from: Self.start, seconds: 2, bitsPerSecond: 1_000_000)
        telemetry.publishTrack(Self.video, trackID: 1, bitrate: 1_000_000)
        telemetry.fragmentStored(Self.video, segment: TimelineSegment(startTime: 5 * Self.second, duration: 2 * Self.second, sequenceNumber: 1), now: now)
        telemetry.fragmentStored(Self.video, segment: TimelineSegment(startTime: 7 * Self.second, duration: 2 * Self.second, sequenceNumber: 2), now: now)
        telemetry.endIngest(stream: "cam", reason: .idleTimeout(seconds: 30), now: now)
        var snapshot = telemetry.snapshot(now: now)
        #expect(snapshot.ingestion?.end == now && snapshot.ingestion?.endReason?.code == "MPE_RTMP_SESSION_IDLE_TIMEOUT")
        #expect(snapshot.health == .poor)

        now += 4 * Self.second
        telemetry.beginIngest(stream: "cam", remoteAddress: "192.0.2.7", remotePort: 40002, now: now)
        telemetry.discontinuity(stream: "cam", previousEnd: 9 * Self.second, newStart: 13 * Self.second, now: now)
        snapshot = telemetry.snapshot(now: now)
        let ingestion = try #require(snapshot.ingestion)
        #expect(ingestion.begin == Self.start && ingestion.end == nil && ingestion.endReason == nil)
        #expect(ingestion.interruptions == [IngestInterruption(begin: now - 4 * Self.second, end: now, reason: "MPE_RTMP_SESSION_IDLE_TIMEOUT")])
        #expect(ingestion.interruptions.first?.duration == 4 * Self.second)

        let kinds = snapshot.events.map(\.kind)
        #expect(kinds == [.beginIngest, .firstChunkReceived, .endIngest, .beginIngest, .discontinuity, .discontinuity])
        let first = try #require(snapshot.events.first { $0.kind == .firstChunkReceived })
        #expect(first.trackID == 1 && first.bitrate == 1_000_000 && first.mediaTimestamp == 5 * Self.second && first.mediaType == .video)
        #expect(snapshot.events[0].remoteAddress == "192.0.2.7" && snapshot.events[0].remotePort == 40001)
        #expect(snapshot.events[2].level == .warning && snapshot.events[2].resultCode == "MPE_RTMP_SESSION_IDLE_TIMEOUT")
        #expect(snapshot.events[4].discontinuityGap == 4 * Self.second)
        #expect(snapshot.tracks.first { $0.key == Self.video }?.requestsSucceeded == 2)
    }

    @Test func eventRingIsBounded() throws {
        var telemetry = ChannelTelemetry(eventCapacity: 5)
        for index in 0 ..< 12 {
            telemetry.invalidConnection(code: "MPE_INGEST_ENCODER_CONNECTION_DENIED", reason: "#\(index)", streamName: nil,
                                        remoteAddress: "203.0.113.9", remotePort: nil, now: Self.start + Int64(index))
        }
        let events = telemetry.snapshot(now: Self.start).events
        #expect(events.map(\.resultMessage) == ["#7", "#8", "#9", "#10", "#11"])
        #expect(events.allSatisfy { $0.kind == .invalidConnection && $0.level == .error })
    }
}
