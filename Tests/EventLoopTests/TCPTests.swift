// TCP server, connection and client over the loop.
#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import Testing
@testable import EventLoop

/// Starts an echo server on 127.0.0.1 that applies read backpressure when its write queue grows.
func startEchoServer(loop: EventLoop) async throws -> Int {
    try await loop.submit {
        let server = try TCPServer.listen(loop: loop, host: "127.0.0.1", port: 0) { connection in
            connection.setNoDelay(true)
            connection.startReading(onRead: { bytes in
                connection.write(contentsOf: bytes) { _ in
                    if connection.writeQueueSize < 256 * 1024 { connection.resumeReading() }
                }
                if connection.writeQueueSize > 1024 * 1024 { connection.stopReading() }
            }, onEnd: { _ in
                connection.shutdown { _ in connection.close() }
            })
        }
        return server.localPort ?? 0
    }
}

/// Connects, sends `payload` (then FIN) and collects everything until the peer's EOF.
func exchange(loop: EventLoop, port: Int, payload: [UInt8]) async throws -> (bytes: [UInt8], endError: UVError?) {
    let connection = try await TCPClient.connect(loop: loop, host: "127.0.0.1", port: port)
    return try await withCheckedThrowingContinuation { continuation in
        loop.execute {
            var received: [UInt8] = []
            connection.startReading(onRead: { bytes in
                received.append(contentsOf: bytes)
            }, onEnd: { error in
                connection.close()
                continuation.resume(returning: (received, error))
            })
            connection.write(payload) { error in
                if let error { continuation.resume(throwing: error); return }
                connection.shutdown()
            }
        }
    }
}

@Suite struct TCPTests {
    @Test func echoRoundTripWithLargePayload() async throws {
        try await withLoop { loop in
            let port = try await startEchoServer(loop: loop)
            #expect(port > 0)
            let payload = patternBytes(count: 6 * 1024 * 1024 + 123)
            let result = try await exchange(loop: loop, port: port, payload: payload)
            #expect(result.endError == nil)
            #expect(result.bytes.count == payload.count)
            #expect(result.bytes == payload)
        }
    }

    @Test func severalClientsAtOnce() async throws {
        try await withLoop { loop in
            let port = try await startEchoServer(loop: loop)
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let payload = patternBytes(count: 200_000 + index, seed: UInt64(index + 1))
                        return try await exchange(loop: loop, port: port, payload: payload).bytes == payload
                    }
                }
                for try await matched in group { #expect(matched) }
            }
        }
    }

    @Test func peerClosingEndsTheReadWithEOF() async throws {
        try await withLoop { loop in
            let port: Int = try await loop.submit {
                let server = try TCPServer.listen(loop: loop, host: "127.0.0.1", port: 0) { connection in
                    #expect(connection.peerAddress == "127.0.0.1")
                    #expect(connection.peerPort > 0)
                    connection.write(Array("bye".utf8)) { _ in connection.close() }
                }
                return server.localPort ?? 0
            }
            let connection = try await TCPClient.connect(loop: loop, host: "localhost", port: port)
            let (bytes, error): ([UInt8], UVError?) = await withCheckedContinuation { continuation in
                loop.execute {
                    var received: [UInt8] = []
                    connection.startReading(onRead: { received.append(contentsOf: $0) }, onEnd: { error in
                        connection.close()
                        continuation.resume(returning: (received, error))
                    })
                }
            }
            #expect(String(decoding: bytes, as: UTF8.self) == "bye")
            #expect(error == nil)
        }
    }

    @Test func bindingAUsedPortSaysAddressInUse() async throws {
        try await withLoop { loop in
            let outcome: String = try await loop.submit {
                let first = try TCPServer.listen(loop: loop, host: "127.0.0.1", port: 0) { _ in }
                let port = first.localPort ?? 0
                do {
                    _ = try TCPServer.listen(loop: loop, host: "127.0.0.1", port: port) { _ in }
                    return "second listen succeeded"
                } catch let error as UVError {
                    return error.isAddressInUse ? error.description : "unexpected \(error)"
                }
            }
            #expect(outcome.contains("address already in use"), "\(outcome)")
            #expect(outcome.contains("cannot listen on 127.0.0.1:"), "\(outcome)")
        }
    }

    @Test func ipv6LoopbackWorks() async throws {
        try await withLoop { loop in
            let port: Int = try await loop.submit {
                let server = try TCPServer.listen(loop: loop, host: "::1", port: 0) { connection in
                    connection.write(Array((connection.peerAddress ?? "none").utf8)) { _ in connection.close() }
                }
                return server.localPort ?? 0
            }
            let connection = try await TCPClient.connect(loop: loop, host: "::1", port: port)
            let text: String = await withCheckedContinuation { continuation in
                loop.execute {
                    var received: [UInt8] = []
                    connection.startReading(onRead: { received.append(contentsOf: $0) }, onEnd: { _ in
                        connection.close()
                        continuation.resume(returning: String(decoding: received, as: UTF8.self))
                    })
                }
            }
            #expect(text == "::1")
        }
    }

    @Test func connectToAClosedPortFails() async throws {
        // A port bound but not listening: connections are refused, and no other test (they run in parallel and
        // listen on port 0) can be handed this port while the socket holds it.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(holder >= 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, length) == 0 && getsockname(holder, $0, &length) == 0 }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        try await withLoop { loop in
            await #expect(throws: UVError.self) {
                _ = try await TCPClient.connect(loop: loop, host: "127.0.0.1", port: port)
            }
        }
    }

    @Test func writeAfterCloseReportsCancelled() async throws {
        try await withLoop { loop in
            let port = try await startEchoServer(loop: loop)
            let connection = try await TCPClient.connect(loop: loop, host: "127.0.0.1", port: port)
            let error: UVError? = try await loop.submit {
                connection.close()
                var reported: UVError?
                connection.write([1, 2, 3]) { reported = $0 }
                return reported
            }
            #expect(error?.isCancelled == true)
        }
    }
}
