// RTMPS through a real RTMPIngestServer on ephemeral ports: a publisher over TLS feeds the channel as over RTMP and is
// ended by the same disconnect; a plain-RTMP publisher on the TLS port is refused before it reaches admission; a new
// certificate reaches only new connections.
import EventLoop
import Foundation
import Live
import Logging
import MediaDirectory
import Testing
import TLS
@testable import Ingest
@testable import RTMP

/// What a TLS client over a loop TCP connection saw: decrypted bytes, the server's certificate, how TLS ended.
final class TLSClientSide: @unchecked Sendable {
    var plaintext: [UInt8] = []
    var certificate: TLSCertificateSummary?
    var error: TLSError?
    var engine: TLSEngine?
}

@Suite(.serialized) struct RTMPSIngestTests {
    /// A self-signed certificate made with the openssl command, in a directory of its own.
    static func certificate(_ commonName: String) throws -> TLSServerContext {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rtmps-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem", "-days", "2", "-subj", "/CN=\(commonName)"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl req failed")
        return try TLSServerContext(certificateFile: directory + "/cert.pem", keyFile: directory + "/key.pem")
    }

    /// A loop, a channel, and a server listening for RTMP and RTMPS; proves the loop closes cleanly.
    func withServer(_ body: (EventLoop, RTMPIngestServer, LiveChannel, TestResolver, _ rtmp: Int, _ rtmps: Int) async throws -> Void) async throws {
        let loop = try EventLoop(name: "rtmps-test")
        let logger = Logger(label: "test")
        let channel = LiveChannel(name: "news", executor: loop.unownedExecutor, logger: logger)
        let resolver = TestResolver(channel: channel)
        let server = RTMPIngestServer(loop: loop, resolver: resolver, logger: logger)
        do {
            let rtmp = try await server.start(host: "127.0.0.1", port: 0)
            let rtmps = try await server.startTLS(host: "127.0.0.1", port: 0, context: Self.certificate("first.test"))
            #expect(await server.tlsPort == rtmps)
            try await body(loop, server, channel, resolver, rtmp, rtmps)
            await server.stop()
            #expect(await server.tlsPort == nil)
        } catch {
            await server.stop()
            try? loop.shutdown()
            throw error
        }
        try await loop.shutdownGracefully()
    }

    /// Connects over TLS, sends `plaintext` once the handshake allows, runs `whileOpen`, and returns what the client
    /// saw when the server closed.
    func tlsExchange(loop: EventLoop, port: Int, _ plaintext: [UInt8],
                     whileOpen: @escaping @Sendable () async -> Void = {}) async throws -> TLSClientSide {
        let client = try TLSClientContext()
        let connection = try await TCPClient.connect(loop: loop, host: "127.0.0.1", port: port)
        let side = TLSClientSide()
        async let ended: Void = withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                do {
                    let engine = try client.makeEngine()
                    side.engine = engine
                    try engine.startHandshake()
                    try engine.send(plaintext)
                    connection.write(engine.takeOutput())
                    connection.startReading(onRead: { bytes in
                        do {
                            try engine.receive(bytes) { side.plaintext.append(contentsOf: $0) }
                        } catch {
                            side.error = error as? TLSError
                        }
                        if side.certificate == nil { side.certificate = engine.peerCertificate }
                        if engine.hasOutput { connection.write(engine.takeOutput()) }
                    }, onEnd: { _ in
                        connection.close()
                        continuation.resume()
                    })
                } catch {
                    side.error = error as? TLSError
                    connection.close()
                    continuation.resume()
                }
            }
        }
        await whileOpen()
        await ended
        return side
    }

    @Test func aPublisherOverTLSFeedsTheChannelAndIsEndedByToken() async throws {
        try await withServer { loop, server, channel, _, _, rtmps in
            let bytes = PublisherBytes.connectAndPublish(app: "live/good", stream: "cam", frames: 60)
            let side = try await tlsExchange(loop: loop, port: rtmps, bytes) {
                for _ in 0 ..< 300 where await channel.stats.framesIn < 60 { try? await Task.sleep(for: .milliseconds(10)) }
                #expect(await server.disconnect(accessToken: "good", reason: .eventStopped) == 1)
            }
            #expect(side.error == nil)
            #expect(side.certificate?.subject == "/CN=first.test")
            let commands = try serverCommands(side.plaintext)
            #expect(errorDescription(commands) == nil)
            #expect(commands.contains { $0.last?.objectValue?.dictionary["code"]?.stringValue == "NetStream.Publish.Start" })
            #expect(await channel.stats.framesIn == 60)
            let telemetry = await channel.telemetry()
            #expect(telemetry.events.first?.kind == .beginIngest)
            #expect(telemetry.events.last?.resultCode == "MPE_INGEST_LIVE_EVENT_STOPPED")
            #expect(await server.connectionCount == 0)
        }
    }

    @Test func plainRTMPOnTheTLSPortNeverReachesAdmission() async throws {
        try await withServer { loop, server, channel, resolver, rtmp, rtmps in
            let bytes = PublisherBytes.connectAndPublish(app: "live/good", stream: "cam", frames: 10)
            let connection = try await TCPClient.connect(loop: loop, host: "127.0.0.1", port: rtmps)
            let received = Received()
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                loop.execute {
                    connection.startReading(onRead: { received.bytes.append(contentsOf: $0) }, onEnd: { _ in
                        connection.close()
                        continuation.resume()
                    })
                    connection.write(bytes)
                }
            }
            let answer = try await loop.submit { received.bytes }
            #expect(answer.first != 3, "an RTMP S0 came back on the TLS port")
            #expect(try await loop.submit { resolver.calls.isEmpty })
            #expect(await channel.stats.framesIn == 0)
            #expect(await server.connectionCount == 0)
            // The plain port still takes the same publisher.
            let plain = try await IngestAdmissionTests().exchange(loop: loop, port: rtmp, bytes) {
                for _ in 0 ..< 300 where await channel.stats.framesIn < 10 { try? await Task.sleep(for: .milliseconds(10)) }
                _ = await server.disconnect(accessToken: "good")
            }
            #expect(errorDescription(try serverCommands(plain)) == nil)
            #expect(await channel.stats.framesIn == 10)
        }
    }

    @Test func aNewCertificateReachesOnlyNewConnections() async throws {
        try await withServer { loop, server, channel, _, _, rtmps in
            let bytes = PublisherBytes.connectAndPublish(app: "live/good", stream: "cam", frames: 20)
            let second = try Self.certificate("second.test")
            let older = try await tlsExchange(loop: loop, port: rtmps, bytes) {
                for _ in 0 ..< 300 where await channel.stats.framesIn < 20 { try? await Task.sleep(for: .milliseconds(10)) }
                // Replaced while the first session publishes: it goes on, and a new connection gets the new certificate.
                await server.replaceTLSContext(second)
                #expect(await server.tlsCertificate?.subject == "/CN=second.test")
                #expect(await server.connectionCount == 1)
                let probe = try? await tlsExchange(loop: loop, port: rtmps, Array("not rtmp".utf8))
                #expect(probe?.certificate?.subject == "/CN=second.test")
                _ = await server.disconnect(accessToken: "good")
            }
            #expect(older.certificate?.subject == "/CN=first.test")
            #expect(older.error == nil)
            #expect(errorDescription(try serverCommands(older.plaintext)) == nil)
        }
    }
}
