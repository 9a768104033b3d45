// Encoders connecting through a real RTMPIngestServer on an ephemeral port: admission by token and address,
// refusal codes on the wire, accepted publishing, and disconnect(accessToken:reason:).
import EventLoop
import Live
import Logging
import Media
import MediaDirectory
import Testing
@testable import Ingest
@testable import RTMP

/// Admits `good` and `denied` tokens (the latter only from 10.x addresses; the real allow lists are the
/// control plane's), refuses the rest; records what it saw.
final class TestResolver: IngestResolver, @unchecked Sendable {
    let channel: LiveChannel
    /// (token, address) of every call, loop thread only.
    var calls: [(String, String)] = []

    init(channel: LiveChannel) { self.channel = channel }

    func admitIngest(accessToken: String, remoteAddress: String) -> IngestAdmission {
        calls.append((accessToken, remoteAddress))
        switch accessToken {
        case "good":
            return .accept(channel)
        case "denied":
            guard remoteAddress.hasPrefix("10.") else {
                let reason = "address \(remoteAddress) is not in the live event's allow list"
                channel.assumeIsolated { $0.recordInvalidConnection(code: IngestRefusalCode.connectionDenied, reason: reason, remoteAddress: remoteAddress) }
                return .refuse(code: IngestRefusalCode.connectionDenied, reason: reason)
            }
            return .accept(channel)
        case "stopped":
            return .refuse(code: IngestRefusalCode.eventNotRunning, reason: "live event 'news' is Stopped; start it to accept encoders")
        default:
            return .refuse(code: IngestRefusalCode.unknownAccessToken, reason: "no live event has access token '\(accessToken)'")
        }
    }
}

/// The bytes an ffmpeg-like publisher sends.
struct PublisherBytes {
    var encoder = ChunkStreamEncoder(chunkSize: 128, compressesHeaders: true)
    var bytes: [UInt8] = []
    var transaction = 0.0
    /// avcC of ffmpeg/libx264 baseline 640x360 25 fps.
    static let avcRecord: [UInt8] = [0x01, 0x42, 0xC0, 0x1E, 0xFF, 0xE1, 0x00, 0x19, 0x67, 0x42, 0xC0, 0x1E, 0xD9, 0x00, 0xA0, 0x2F, 0xF9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0F, 0x16, 0x2E, 0x48, 0x01, 0x00, 0x05, 0x68, 0xCB, 0x83, 0xCB, 0x20]

    mutating func command(_ name: String, _ object: AMF0Value = .null, _ arguments: [AMF0Value] = [], streamID: UInt32 = 0, chunkStreamID: UInt32 = 3) {
        transaction += 1
        bytes += encoder.encode(.command([.string(name), .number(transaction), object] + arguments, streamID: streamID, chunkStreamID: chunkStreamID))
    }

    static func connectAndPublish(app: String, stream: String, frames: Int = 0) -> [UInt8] {
        var p = PublisherBytes()
        p.bytes = [3] + [UInt8](repeating: 0, count: 8) + (0 ..< 1528).map { UInt8(truncatingIfNeeded: $0) } + [UInt8](repeating: 0xC2, count: 1536)
        p.command("connect", .object(["app": .string(app), "type": "nonprivate", "tcUrl": .string("rtmp://127.0.0.1/\(app)")]))
        p.command("createStream")
        p.command("publish", .null, [.string(stream), "live"], streamID: 1, chunkStreamID: 8)
        p.bytes += p.encoder.encode(RTMPMessage(typeID: RTMPMessageType.video, streamID: 1, chunkStreamID: 6, payload: [0x17, 0, 0, 0, 0] + avcRecord))
        for index in 0 ..< frames {
            let nalu: [UInt8] = [0, 0, 0, 40, index % 25 == 0 ? 0x65 : 0x41] + [UInt8](repeating: UInt8(index & 0xFF), count: 39)
            p.bytes += p.encoder.encode(RTMPMessage(typeID: RTMPMessageType.video, streamID: 1, timestamp: UInt32(index * 40), chunkStreamID: 6,
                                                    payload: [index % 25 == 0 ? 0x17 : 0x27, 1, 0, 0, 0] + nalu))
        }
        return p.bytes
    }
}

/// What the server sent, decoded: every AMF0 command after the handshake.
func serverCommands(_ received: [UInt8]) throws -> [[AMF0Value]] {
    var decoder = ChunkStreamDecoder()
    decoder.append(received.dropFirst(1 + 2 * 1536))
    return try decoder.nextMessages().filter { $0.typeID == RTMPMessageType.commandAMF0 }.map { try AMF0.decodeAll($0.payload) }
}

/// The description of the `_error` or error-level `onStatus` the server sent.
func errorDescription(_ commands: [[AMF0Value]]) -> String? {
    for command in commands {
        guard let name = command.first?.stringValue, name == "_error" || name == "onStatus",
              let info = command.last?.objectValue?.dictionary, info["level"]?.stringValue == "error" else { continue }
        return info["description"]?.stringValue
    }
    return nil
}

final class Received: @unchecked Sendable { var bytes: [UInt8] = [] }

@Suite(.serialized) struct IngestAdmissionTests {
    /// Runs `body` with a loop, a channel on it and a started ingest server; proves the loop closes cleanly.
    func withServer(_ body: (EventLoop, RTMPIngestServer, LiveChannel, TestResolver, Int) async throws -> Void) async throws {
        let loop = try EventLoop(name: "ingest-test")
        let logger = Logger(label: "test")
        let channel = LiveChannel(name: "news", executor: loop.unownedExecutor, logger: logger)
        let resolver = TestResolver(channel: channel)
        let server = RTMPIngestServer(loop: loop, resolver: resolver, logger: logger)
        do {
            let port = try await server.start(host: "127.0.0.1", port: 0)
            try await body(loop, server, channel, resolver, port)
            await server.stop()
        } catch {
            await server.stop()
            try? loop.shutdown()
            throw error
        }
        try await loop.shutdownGracefully()
    }

    /// Connects, sends `bytes`, runs `whileOpen` once the bytes are written, and returns all received bytes when the server closes.
    func exchange(loop: EventLoop, port: Int, _ bytes: [UInt8], whileOpen: @escaping @Sendable () async -> Void = {}) async throws -> [UInt8] {
        let connection = try await TCPClient.connect(loop: loop, host: "127.0.0.1", port: port)
        let received = Received()
        async let ended: Void = withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                connection.startReading(onRead: { received.bytes.append(contentsOf: $0) }, onEnd: { _ in
                    connection.close()
                    continuation.resume()
                })
                connection.write(bytes)
            }
        }
        await whileOpen()
        await ended
        return try await loop.submit { received.bytes }
    }

    @Test func unknownTokenIsRefusedWithTheAppIDCode() async throws {
        try await withServer { loop, _, _, resolver, port in
            let received = try await exchange(loop: loop, port: port, PublisherBytes.connectAndPublish(app: "live/nosuch", stream: "cam"))
            let description = try #require(errorDescription(try serverCommands(received)))
            #expect(description.hasPrefix("MPE_RTMP_APPID_AUTH_FAILURE: "))
            #expect(description.contains("nosuch"))
            let calls = try await loop.submit { resolver.calls.map { "\($0.0)@\($0.1)" } }
            #expect(calls == ["nosuch@127.0.0.1"])
        }
    }

    @Test func addressOutsideTheAllowListIsDenied() async throws {
        try await withServer { loop, _, channel, resolver, port in
            let received = try await exchange(loop: loop, port: port, PublisherBytes.connectAndPublish(app: "live/denied", stream: "cam"))
            let description = try #require(errorDescription(try serverCommands(received)))
            #expect(description.hasPrefix("MPE_INGEST_ENCODER_CONNECTION_DENIED: "))
            #expect(try await loop.submit { resolver.calls.map(\.1) } == ["127.0.0.1"])
            let events = await channel.telemetry().events
            #expect(events.map(\.kind) == [.invalidConnection])
            #expect(events.first?.remoteAddress == "127.0.0.1" && events.first?.resultCode == "MPE_INGEST_ENCODER_CONNECTION_DENIED")
            #expect(await channel.activeStreams.isEmpty)
        }
    }

    @Test func tokenInTheStreamNameIsAdmittedAtPublish() async throws {
        try await withServer { loop, _, _, resolver, port in
            let received = try await exchange(loop: loop, port: port, PublisherBytes.connectAndPublish(app: "live", stream: "nosuch/cam"))
            let description = try #require(errorDescription(try serverCommands(received)))
            #expect(description.hasPrefix("MPE_RTMP_APPID_AUTH_FAILURE: "))
            #expect(try await loop.submit { resolver.calls.map(\.0) } == ["nosuch"])
        }
    }

    @Test func acceptedPublishFeedsTheChannelUntilDisconnected() async throws {
        try await withServer { loop, server, channel, _, port in
            let bytes = PublisherBytes.connectAndPublish(app: "live/good", stream: "cam", frames: 60)
            let received = try await exchange(loop: loop, port: port, bytes) {
                // Wait until every frame reached the channel, then stop the event under the encoder.
                for _ in 0 ..< 200 where await channel.stats.framesIn < 60 { try? await Task.sleep(for: .milliseconds(10)) }
                #expect(await server.disconnect(accessToken: "GOOD", reason: .eventStopped) == 1)
            }
            let commands = try serverCommands(received)
            #expect(errorDescription(commands) == nil)
            #expect(commands.contains { $0.last?.objectValue?.dictionary["code"]?.stringValue == "NetStream.Publish.Start" })
            #expect(await channel.stats.framesIn == 60)
            let telemetry = await channel.telemetry()
            #expect(telemetry.events.first?.kind == .beginIngest && telemetry.events.first?.remoteAddress == "127.0.0.1")
            #expect(telemetry.events.last?.kind == .endIngest && telemetry.events.last?.resultCode == "MPE_INGEST_LIVE_EVENT_STOPPED")
            #expect(telemetry.ingestion?.endReason == .eventStopped)
            #expect(telemetry.tracks.first?.requestsSucceeded ?? 0 >= 2)
            #expect(await channel.activeStreams.isEmpty)
            #expect(await server.connectionCount == 0)
        }
    }
}
