// The TLS engine between a server and a client engine in memory: handshakes, data both ways, the refusals (old
// protocol versions, bytes that are not TLS, unusable certificates) and a context replaced under live engines.
import Foundation
import Testing
import TestSupport
import TLS

@Suite struct TLSEngineTests {
    @Test func handshakeCarriesDataBothWays() throws {
        let certificate = try TestCertificate(commonName: "ingest.test")
        let server = try TLSServerContext(certificateFile: certificate.certificatePath, keyFile: certificate.keyPath)
        let pair = try EnginePair(server: server.makeEngine(), client: TLSClientContext().makeEngine())
        try pair.handshake()
        #expect(pair.server.state == .established && pair.client.state == .established)
        #expect(pair.server.negotiatedVersion == "TLSv1.3")
        #expect(pair.client.peerCertificate?.subject == "/CN=ingest.test")
        #expect(pair.server.cipher != nil)

        try pair.client.send(Array("connect live/token".utf8))
        try pair.server.send(Array("_result".utf8))
        try pair.run()
        #expect(pair.serverReceived == Array("connect live/token".utf8))
        #expect(pair.clientReceived == Array("_result".utf8))
    }

    @Test func tls12IsAccepted() throws {
        let certificate = try TestCertificate(commonName: "tls12.test")
        let server = try TLSServerContext(certificateFile: certificate.certificatePath, keyFile: certificate.keyPath)
        let pair = try EnginePair(server: server.makeEngine(),
                                  client: TLSClientContext(minimumVersion: .tls1_2, maximumVersion: .tls1_2).makeEngine())
        try pair.handshake()
        #expect(pair.server.negotiatedVersion == "TLSv1.2")
    }

    @Test(arguments: [TLSProtocolVersion.tls1_0, .tls1_1])
    func olderVersionsAreRefused(version: TLSProtocolVersion) throws {
        let certificate = try TestCertificate(commonName: "old.test")
        let server = try TLSServerContext(certificateFile: certificate.certificatePath, keyFile: certificate.keyPath)
        let pair = try EnginePair(server: server.makeEngine(),
                                  client: TLSClientContext(minimumVersion: version, maximumVersion: version).makeEngine())
        let error = #expect(throws: TLSError.self) { try pair.handshake() }
        #expect(error?.description.contains("unsupported protocol") == true, "\(String(describing: error))")
        #expect(pair.server.state == .failed)
        #expect(pair.client.state != .established)
    }

    @Test func bytesThatAreNotTLSAreRefused() throws {
        let certificate = try TestCertificate(commonName: "plain.test")
        let server = try TLSServerContext(certificateFile: certificate.certificatePath, keyFile: certificate.keyPath).makeEngine()
        // An RTMP client's C0 (version 3) and C1 (time, zero, 1528 random bytes), as a plain-TCP publisher sends them.
        let handshake = [UInt8(3)] + [UInt8](repeating: 0, count: 8) + (0 ..< 1528).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let error = #expect(throws: TLSError.self) {
            try handshake.withUnsafeBytes { bytes in try server.receive(bytes) { _ in } }
        }
        #expect(error?.description.hasPrefix("TLS handshake failed") == true, "\(String(describing: error))")
        #expect(server.state == .failed)
    }

    @Test func engineOutlivesItsReplacedContext() throws {
        let first = try TestCertificate(commonName: "first.test")
        let second = try TestCertificate(commonName: "second.test")
        var context: TLSServerContext? = try TLSServerContext(certificateFile: first.certificatePath, keyFile: first.keyPath)
        let client = try TLSClientContext()
        let older = try EnginePair(server: context!.makeEngine(), client: client.makeEngine())
        // A reload: the new context takes the old one's place, and the engine made before keeps working.
        context = try TLSServerContext(certificateFile: second.certificatePath, keyFile: second.keyPath)
        try older.handshake()
        #expect(older.client.peerCertificate?.subject == "/CN=first.test")
        let newer = try EnginePair(server: context!.makeEngine(), client: client.makeEngine())
        try newer.handshake()
        #expect(newer.client.peerCertificate?.subject == "/CN=second.test")
        try older.client.send(Array("still here".utf8))
        try older.run()
        #expect(older.serverReceived == Array("still here".utf8))
    }

    @Test func dataSentBeforeTheHandshakeWaitsForIt() throws {
        let certificate = try TestCertificate(commonName: "early.test")
        let server = try TLSServerContext(certificateFile: certificate.certificatePath, keyFile: certificate.keyPath)
        let pair = try EnginePair(server: server.makeEngine(), client: TLSClientContext().makeEngine())
        try pair.client.send(Array("early".utf8))
        #expect(pair.client.state == .handshaking)
        try pair.handshake()
        try pair.run()
        #expect(pair.serverReceived == Array("early".utf8))
    }

    @Test func largeTransfersArriveWhole() throws {
        let certificate = try TestCertificate(commonName: "large.test")
        let server = try TLSServerContext(certificateFile: certificate.certificatePath, keyFile: certificate.keyPath)
        let pair = try EnginePair(server: server.makeEngine(), client: TLSClientContext().makeEngine())
        try pair.handshake()
        let payload = (0 ..< 3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
        try pair.client.send(payload)
        try pair.run()
        #expect(pair.serverReceived == payload)
    }

    @Test func closeNotifyEndsBothSides() throws {
        let certificate = try TestCertificate(commonName: "close.test")
        let server = try TLSServerContext(certificateFile: certificate.certificatePath, keyFile: certificate.keyPath)
        let pair = try EnginePair(server: server.makeEngine(), client: TLSClientContext().makeEngine())
        try pair.handshake()
        pair.client.close()
        try pair.run()
        #expect(pair.server.state == .closed)
        #expect(pair.client.state == .closed)
        try pair.server.send(Array("ignored".utf8))
        #expect(!pair.server.hasOutput)
    }

    // MARK: - Certificates

    @Test func expiredAndNotYetValidCertificatesAreRefused() throws {
        let certificate = try TestCertificate(commonName: "dated.test", days: 2)
        let later = Date().addingTimeInterval(3 * 86_400)
        let expired = #expect(throws: TLSError.self) {
            try TLSServerContext(certificateFile: certificate.certificatePath, keyFile: certificate.keyPath, now: later)
        }
        #expect(expired?.description.contains("expired on") == true, "\(String(describing: expired))")
        let earlier = Date().addingTimeInterval(-86_400)
        let early = #expect(throws: TLSError.self) {
            try TLSServerContext(certificateFile: certificate.certificatePath, keyFile: certificate.keyPath, now: earlier)
        }
        #expect(early?.description.contains("is not valid before") == true, "\(String(describing: early))")
        let valid = try TLSServerContext(certificateFile: certificate.certificatePath, keyFile: certificate.keyPath)
        #expect(valid.certificate.subject == "/CN=dated.test")
        #expect(valid.certificate.notAfter.contains("GMT"))
    }

    @Test func aKeyOfAnotherCertificateIsRefused() throws {
        let first = try TestCertificate(commonName: "one.test")
        let second = try TestCertificate(commonName: "two.test")
        let error = #expect(throws: TLSError.self) {
            try TLSServerContext(certificateFile: first.certificatePath, keyFile: second.keyPath)
        }
        #expect(error?.description.contains("does not belong to the certificate") == true, "\(String(describing: error))")
    }

    @Test func unreadableAndMalformedFilesAreRefused() throws {
        let certificate = try TestCertificate(commonName: "files.test")
        let missing = #expect(throws: TLSError.self) {
            try TLSServerContext(certificateFile: certificate.directory + "/absent.pem", keyFile: certificate.keyPath)
        }
        #expect(missing?.description.contains("missing or not readable") == true)
        let garbage = certificate.directory + "/garbage.pem"
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: garbage))
        let malformed = #expect(throws: TLSError.self) {
            try TLSServerContext(certificateFile: garbage, keyFile: certificate.keyPath)
        }
        #expect(malformed?.description.contains("cannot use the TLS certificate") == true, "\(String(describing: malformed))")
    }
}

// MARK: - Helpers

/// A self-signed certificate and key made with the openssl command for one test, in its own directory.
struct TestCertificate {
    let directory: String
    var certificatePath: String { directory + "/certificate.pem" }
    var keyPath: String { directory + "/key.pem" }

    init(commonName: String, days: Int = 30) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try ExternalTool.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                         "-keyout", directory + "/key.pem", "-out", directory + "/certificate.pem",
                                         "-days", "\(days)", "-subj", "/CN=\(commonName)"], rejectingErrorOutput: false)
    }
}

/// A server and a client engine wired back to back: what one writes, the other reads.
final class EnginePair {
    let server: TLSEngine
    let client: TLSEngine
    private(set) var serverReceived: [UInt8] = []
    private(set) var clientReceived: [UInt8] = []

    init(server: TLSEngine, client: TLSEngine) {
        self.server = server
        self.client = client
    }

    /// Starts the client's handshake and shuttles bytes until neither side has more to say.
    func handshake() throws {
        try client.startHandshake()
        try run()
    }

    /// Shuttles bytes both ways until both engines are quiet.
    func run() throws {
        for _ in 0 ..< 1000 {
            let toServer = client.takeOutput(), toClient = server.takeOutput()
            if toServer.isEmpty && toClient.isEmpty { return }
            var serverError: (any Error)?
            do {
                try toServer.withUnsafeBytes { bytes in
                    try server.receive(bytes) { serverReceived.append(contentsOf: $0) }
                }
            } catch {
                // The server's alert still goes to the client before the failure is reported.
                serverError = error
            }
            try toClient.withUnsafeBytes { bytes in
                try client.receive(bytes) { clientReceived.append(contentsOf: $0) }
            }
            if let serverError {
                let alert = server.takeOutput()
                try? alert.withUnsafeBytes { bytes in try client.receive(bytes) { _ in } }
                throw serverError
            }
        }
        Issue.record("the engines never went quiet")
    }
}
