// The telemetry models encode exactly the swagger's keys, and the mapping from a channel snapshot carries real figures.
import AMSModels
import Foundation
import Live
import Media
import Testing
import TestSupport
@testable import ControlPlane

@Suite struct LiveEventTelemetryTests {
    static let second = MediaTime.ticksPerSecond
    static let start: Int64 = 1_700_000_000 * MediaTime.ticksPerSecond

    /// A channel's telemetry after a session with a reconnect, a refusal and fragments.
    static func snapshot() -> ChannelTelemetrySnapshot {
        var telemetry = ChannelTelemetry()
        let video = TrackKey(stream: "cam", kind: .video)
        telemetry.beginIngest(stream: "cam", remoteAddress: "192.0.2.77", remotePort: 50123, now: start)
        telemetry.declareBitrate(video, bitsPerSecond: 2_000_000)
        telemetry.publishTrack(video, trackID: 1, bitrate: 2_000_000)
        var now = start
        for index in 0 ..< 250 {
            now = start + Int64(index) * second / 25
            telemetry.frame(video, byteCount: 10_000, decodeTime: Int64(index * 40), timescale: 1000, now: now)
        }
        telemetry.fragmentStored(video, segment: TimelineSegment(startTime: start, duration: 2 * second, sequenceNumber: 1), now: now)
        telemetry.endIngest(stream: "cam", reason: .clientTerminated, now: now)
        telemetry.invalidConnection(code: "MPE_INGEST_ENCODER_CONNECTION_DENIED", reason: "not allowed", streamName: "cam",
                                    remoteAddress: "203.0.113.9", remotePort: 1935, now: now + second)
        telemetry.beginIngest(stream: "cam", remoteAddress: "192.0.2.77", remotePort: 50124, now: now + 3 * second / 2)
        telemetry.discontinuity(stream: "cam", previousEnd: start + 10 * second, newStart: start + 12 * second, now: now + 2 * second)
        now += 2 * second
        for index in 0 ..< 25 {
            telemetry.frame(video, byteCount: 10_000, decodeTime: Int64(index * 40), timescale: 1000, now: now + Int64(index) * second / 25)
        }
        return telemetry.snapshot(now: now + second)
    }

    static func object(_ value: some Encodable) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: ARMJSON.encode(value)) as? [String: Any])
    }

    static func properties(_ definition: String) throws -> Set<String> {
        let swagger = try SwaggerFixtures.json(SwaggerFixtures.streamingSwagger)
        let properties = try #require(SwaggerFixtures.dig(swagger, "definitions", definition, "properties") as? [String: Any], "\(definition)")
        return Set(properties.keys)
    }

    @Test func everyModelEncodesExactlyTheSwaggerKeys() throws {
        var streamData = LiveEventStreamEventData()
        let mirror = Mirror(reflecting: streamData)
        #expect(mirror.children.count == (try Self.properties("LiveEventStreamEventData")).count)
        streamData.trackName = "video"; streamData.streamId = "video_1"; streamData.trackId = 1; streamData.mediaType = .video
        streamData.bitrate = 1; streamData.mediaTimestamp = "1"; streamData.timescale = "1"; streamData.previousFragmentTimestamp = "1"
        streamData.previousFragmentDuration = "1"; streamData.currentFragmentTimestamp = "1"; streamData.fragmentOneTimestamp = "1"
        streamData.fragmentOneDuration = "1"; streamData.fragmentTwoTimestamp = "1"; streamData.fragmentTwoDuration = "1"
        streamData.fragmentDropReason = "r"; streamData.discontinuityGap = 1; streamData.streamName = "s"; streamData.resultCode = "c"
        streamData.resultMessage = "m"; streamData.duration = "1"; streamData.resolution = "1x1"; streamData.minTime = "1"
        streamData.minTimeMediaType = .audio; streamData.maxTime = "2"; streamData.maxTimeMediaType = .video
        streamData.timescaleOfMinTime = "1"; streamData.timescaleOfMaxTime = "1"; streamData.remoteIp = "1.2.3.xxx"; streamData.remotePort = "1"
        var trackData = LiveEventTrackEventData()
        trackData.trackName = "audio"; trackData.trackType = .audio; trackData.bitrate = 1; trackData.incomingBitrate = 1
        trackData.lastTimestamp = "1"; trackData.timescale = "1"; trackData.overlapCount = 0; trackData.discontinuityCount = 0
        trackData.nonincreasingCount = 0; trackData.unexpectedBitrate = false; trackData.state = "Running"; trackData.healthy = true
        trackData.lastFragmentArrivalTime = Date(); trackData.ingestDriftValue = "0"; trackData.transcriptionState = "On"
        trackData.transcriptionLanguage = "en-US"
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let interruption = LiveEventIngestInterruption(begin: date, end: date, duration: "PT1S", reason: "r")
        let status = LiveEventStatus(state: .running, healthStatus: .good, healthDescriptions: ["x"], lastUpdatedTime: date,
                                     ingestion: LiveEventIngestion(streamName: "s", begin: date, end: date, endReason: "e", ingestInterruptions: [interruption]),
                                     trackStatus: [LiveEventTrackStatus(trackId: "video_1", expectedBitrate: 1, incomingBitrate: 1, ingestDrift: "0",
                                                                        requestReceived: 1, requestSucceeded: 1)])
        let statusJSON = try Self.object(LiveEventGetStatusResult(value: [status]))
        let streamJSON = try Self.object(LiveEventGetStreamEventsResult(value: [LiveEventStreamEvent(eventType: .beginIngest, eventTime: date, eventLevel: .information, data: streamData)]))
        let trackJSON = try Self.object(LiveEventGetTrackIngestHeartbeatsResult(value: [LiveEventTrackEvent(eventType: .ingestHeartbeat, eventTime: date, data: trackData)]))
        let statusEntry = (statusJSON["value"] as? [Any])?.first
        let streamEntry = (streamJSON["value"] as? [Any])?.first
        let trackEntry = (trackJSON["value"] as? [Any])?.first
        let checks: [(String, Any?)] = [
            ("LiveEventGetStatusResult", statusJSON), ("LiveEventGetStreamEventsResult", streamJSON),
            ("LiveEventGetTrackIngestHeartbeatsResult", trackJSON),
            ("LiveEventStatus", statusEntry), ("LiveEventIngestion", SwaggerFixtures.dig(statusEntry, "ingestion")),
            ("LiveEventIngestInterruption", (SwaggerFixtures.dig(statusEntry, "ingestion", "ingestInterruptions") as? [Any])?.first),
            ("LiveEventTrackStatus", (SwaggerFixtures.dig(statusEntry, "trackStatus") as? [Any])?.first),
            ("LiveEventStreamEvent", streamEntry), ("LiveEventStreamEventData", SwaggerFixtures.dig(streamEntry, "data")),
            ("LiveEventTrackEvent", trackEntry), ("LiveEventTrackEventData", SwaggerFixtures.dig(trackEntry, "data")),
        ]
        for (definition, value) in checks {
            let object = try #require(value as? [String: Any], "\(definition) not encoded")
            let expected = try Self.properties(definition)
            #expect(expected == Set(object.keys), "\(definition): \(expected.symmetricDifference(object.keys).sorted())")
        }
    }

    @Test func enumsMatchSwagger() throws {
        let swagger = try SwaggerFixtures.json(SwaggerFixtures.streamingSwagger)
        func values(_ definition: String, _ property: String) throws -> Set<String> {
            Set(try #require(SwaggerFixtures.dig(swagger, "definitions", definition, "properties", property, "enum") as? [String], "\(definition).\(property)"))
        }
        #expect(try values("LiveEventStatus", "state") == Set(LiveEventState.allCases.map(\.rawValue)))
        #expect(try values("LiveEventStatus", "healthStatus") == Set(LiveEventHealthStatus.allCases.map(\.rawValue)))
        #expect(try values("LiveEventStreamEvent", "eventType") == Set(LiveEventStreamEventType.allCases.map(\.rawValue)))
        #expect(try values("LiveEventStreamEvent", "eventLevel") == Set(LiveEventStreamEventLevel.allCases.map(\.rawValue)))
        #expect(try values("LiveEventStreamEventData", "mediaType") == Set(LiveEventStreamEventMediaType.allCases.map(\.rawValue)))
        #expect(try values("LiveEventStreamEventData", "minTimeMediaType") == Set(LiveEventStreamEventTimeMediaType.allCases.map(\.rawValue)))
        #expect(try values("LiveEventTrackEvent", "eventType") == Set(LiveEventTrackEventType.allCases.map(\.rawValue)))
        #expect(try values("LiveEventTrackEventData", "trackType") == Set(LiveEventTrackEventTrackType.allCases.map(\.rawValue)))
        // Every event kind the channel records has a swagger type.
        for kind in ChannelStreamEvent.Kind.allCases {
            #expect(LiveEventStreamEventType(rawValue: "StreamEvent/\(kind.rawValue)") != nil, "\(kind)")
        }
    }

    @Test func statusMapsTheSnapshot() throws {
        let snapshot = Self.snapshot()
        let result = LiveEventGetStatusResult(snapshot: snapshot)
        let json = try Self.object(result)
        let status = try #require((json["value"] as? [[String: Any]])?.first)
        #expect(status["state"] as? String == "Running")
        #expect(status["healthStatus"] as? String == "Good", "\(snapshot.healthDescriptions)")
        #expect((status["healthDescriptions"] as? [String])?.contains { $0.contains("discontinuities shorter than 10 s") } == true)
        #expect(status["lastUpdatedTime"] as? String == "2023-11-14T22:13:32.9600000Z")
        let ingestion = try #require(status["ingestion"] as? [String: Any])
        #expect(ingestion["streamName"] as? String == "cam")
        #expect(ingestion["begin"] as? String == "2023-11-14T22:13:20.0000000Z")
        #expect(ingestion["end"] == nil && ingestion["endReason"] == nil)
        let interruption = try #require((ingestion["ingestInterruptions"] as? [[String: Any]])?.first)
        #expect(interruption["duration"] as? String == "PT1.5S")
        #expect(interruption["reason"] as? String == "MPE_CLIENT_TERMINATED_SESSION")
        let track = try #require((status["trackStatus"] as? [[String: Any]])?.first)
        #expect(track["trackId"] as? String == "video_2000000")
        #expect(track["expectedBitrate"] as? Int == 2_000_000)
        #expect(track["requestReceived"] as? Int == 1 && track["requestSucceeded"] as? Int == 1)
        #expect(track["ingestDrift"] as? String == "0")
        // 10 000 bytes × 25 fps over the 12 whole seconds the track has existed, one of them empty (the reconnect gap).
        let incoming = try #require(track["incomingBitrate"] as? Int)
        #expect(incoming == snapshot.tracks[0].incomingBitrate && incoming > 0)

        // Decoding gives back the same model.
        let decoded = try ARMJSON.decoder().decode(LiveEventGetStatusResult.self, from: ARMJSON.encode(result))
        #expect(decoded.value?.first?.trackStatus == result.value?.first?.trackStatus)
        #expect(decoded.value?.first?.ingestion?.ingestInterruptions == result.value?.first?.ingestion?.ingestInterruptions)
    }

    @Test func streamEventsMapWithTruncatedAddresses() throws {
        let result = LiveEventGetStreamEventsResult(snapshot: Self.snapshot())
        let events = try #require(result.value)
        #expect(events.map { $0.eventType } == [.beginIngest, .firstChunkReceived, .endIngest, .invalidConnection, .beginIngest, .discontinuity])
        #expect(events[0].data?.remoteIp == "192.0.2.xxx" && events[0].data?.remotePort == "50123")
        #expect(events[1].data?.streamId == "video_2000000" && events[1].data?.trackId == 1 && events[1].data?.mediaType == .video)
        #expect(events[1].data?.timescale == "10000000" && events[1].data?.mediaTimestamp == String(Self.start))
        #expect(events[2].data?.resultCode == "MPE_CLIENT_TERMINATED_SESSION" && events[2].eventLevel == .information)
        #expect(events[3].eventLevel == .error && events[3].data?.resultCode == "MPE_INGEST_ENCODER_CONNECTION_DENIED")
        #expect(events[3].data?.remoteIp == "203.0.113.xxx")
        #expect(events[5].data?.discontinuityGap == 2 * Self.second && events[5].eventLevel == .warning)
        let json = try Self.object(result)
        let first = try #require((json["value"] as? [[String: Any]])?.first)
        #expect(first["eventType"] as? String == "StreamEvent/BeginIngest")
        #expect(first["eventTime"] as? String == "2023-11-14T22:13:20.0000000Z")
        #expect(LiveEventTelemetryTime.truncatedAddress("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2:xxxx")
    }

    @Test func heartbeatsMapEachTrack() throws {
        let snapshot = Self.snapshot()
        let result = LiveEventGetTrackIngestHeartbeatsResult(snapshot: snapshot, transcriptionLanguage: "en-US")
        let heartbeat = try #require(result.value?.first)
        #expect(heartbeat.eventType == .ingestHeartbeat)
        let data = try #require(heartbeat.data)
        #expect(data.trackName == "video" && data.trackType == .video && data.bitrate == 2_000_000)
        #expect(data.lastTimestamp == "960" && data.timescale == "1000")
        #expect(data.discontinuityCount == 1 && data.overlapCount == 0 && data.nonincreasingCount == 0)
        #expect(data.state == "Running" && data.healthy == true && data.ingestDriftValue == "0")
        #expect(data.transcriptionState == "" && data.transcriptionLanguage == "")
        #expect(data.lastFragmentArrivalTime.map(ARMDateTime.format) == "2023-11-14T22:13:29.9600000Z")
    }

    @Test func durationsAreISO8601() {
        #expect(LiveEventTelemetryTime.duration(0) == "PT0S")
        #expect(LiveEventTelemetryTime.duration(15_000_000) == "PT1.5S")
        #expect(LiveEventTelemetryTime.duration(3_725 * Self.second) == "PT1H2M5S")
        #expect(LiveEventTelemetryTime.duration(120 * Self.second) == "PT2M")
    }
}
