// Limits and hostile input: oversized headers, garbage, too many connections, idle clients.
import Testing
import EventLoop
@testable import HTTP

@Suite struct HTTPLimitsTests {
    @Test func oversizedHeaderGets431() async throws {
        try await withServer(handler: standardHandler) { loop, _, port in
            let big = String(repeating: "a", count: 20 * 1024)
            let response = try await HTTPClient.request(loop: loop, url: "http://127.0.0.1:\(port)/hello",
                                                        headers: [("X-Big", big)])
            #expect(response.status == 431)
            #expect(response.headers["Connection"] == "close")
            #expect(response.text.contains("16384"))
            // A normal request still works afterwards.
            let next = try await HTTPClient.request(loop: loop, url: "http://127.0.0.1:\(port)/hello")
            #expect(next.text == "hello")
        }
    }

    @Test func garbageGets400AndTheServerKeepsServing() async throws {
        try await withServer(handler: standardHandler) { loop, _, port in
            let raw = try await RawConnection.open(loop: loop, port: port)
            await raw.send("\u{01}\u{02}GARBAGE \u{7f}\r\n\r\n")
            let bytes = await raw.readToEnd()
            let response = try #require(ResponseSplitter.split(bytes).first)
            #expect(response.status == 400)
            #expect(response.text.contains("malformed request"))
            #expect(await raw.isEnded())
            let next = try await HTTPClient.request(loop: loop, url: "http://127.0.0.1:\(port)/hello")
            #expect(next.text == "hello")
        }
    }

    @Test func errorAfterPipelinedRequestComesAfterItsResponse() async throws {
        try await withServer(handler: standardHandler) { loop, _, port in
            let raw = try await RawConnection.open(loop: loop, port: port)
            await raw.send("GET /slow/a HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n")
            let bytes = await raw.readToEnd()
            #expect(ResponseSplitter.split(bytes).map(\.status) == [200, 400])
        }
    }

    @Test func tooManyConnectionsGet503() async throws {
        let configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0, maxConnections: 2)
        try await withServer(configuration, handler: standardHandler) { loop, server, port in
            let first = try await RawConnection.open(loop: loop, port: port)
            let second = try await RawConnection.open(loop: loop, port: port)
            for raw in [first, second] {
                await raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                _ = await raw.read(until: hasResponses(1))
            }
            #expect(await server.connectionCount == 2)
            let third = try await RawConnection.open(loop: loop, port: port)
            await third.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let bytes = await third.readToEnd()
            let response = try #require(ResponseSplitter.split(bytes).first)
            #expect(response.status == 503)
            #expect(response.headers["Connection"] == "close")
            #expect(await third.isEnded())
            // Closing one frees a slot.
            await first.close()
            var served = false
            for _ in 0..<50 where !served {
                if let retry = try? await HTTPClient.request(loop: loop, url: "http://127.0.0.1:\(port)/hello"),
                   retry.status == 200 { served = true } else { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(served)
            await second.close()
        }
    }

    @Test func idleConnectionsAreClosed() async throws {
        // Generous margins: idle time counts from accept, and a loaded CI machine may take hundreds of
        // milliseconds between the test opening the socket and sending the request.
        let configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0, idleTimeout: .seconds(2))
        try await withServer(configuration, handler: standardHandler) { loop, server, port in
            let raw = try await RawConnection.open(loop: loop, port: port)
            // The clock starts before the request, so the last activity cannot precede it.
            let start = ContinuousClock.now
            await raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let bytes = await raw.readToEnd(timeout: .seconds(15))
            let waited = ContinuousClock.now - start
            #expect(ResponseSplitter.split(bytes).first?.text == "hello")
            #expect(await raw.isEnded())
            #expect(waited >= .seconds(1))
            #expect(waited < .seconds(10))
            #expect(await server.connectionCount == 0)
        }
    }

    @Test func maxRequestsPerConnectionCloses() async throws {
        let configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0, maxRequestsPerConnection: 2)
        try await withServer(configuration, handler: standardHandler) { loop, _, port in
            let raw = try await RawConnection.open(loop: loop, port: port)
            await raw.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n")
            let bytes = await raw.readToEnd()
            let responses = ResponseSplitter.split(bytes)
            #expect(responses.map(\.text) == ["path=/a", "path=/b"])
            #expect(responses.last?.headers["Connection"] == "close")
        }
    }

    @Test func randomBytesNeverCrashTheServer() async throws {
        try await withServer(handler: standardHandler) { loop, _, port in
            var state: UInt64 = 0x1234_5678_9ABC_DEF1
            func next() -> UInt64 {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                return state
            }
            let prefixes = ["", "GET / HTTP/1.1\r\n", "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                            "GET /hello HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", "HEAD /bytes HTTP/1.1\r\nHost"]
            for round in 0..<40 {
                let raw = try await RawConnection.open(loop: loop, port: port)
                var bytes = Array(prefixes[round % prefixes.count].utf8)
                let count = Int(next() % 3000)
                for _ in 0..<count { bytes.append(UInt8(truncatingIfNeeded: next())) }
                await raw.send(bytes)
                let reply = await raw.read(until: { bytes, ended in ended || !bytes.isEmpty }, timeout: .milliseconds(300))
                if let response = ResponseSplitter.split(reply).first {
                    #expect([200, 400, 431].contains(response.status))
                }
                await raw.close()
            }
            let check = try await HTTPClient.request(loop: loop, url: "http://127.0.0.1:\(port)/hello")
            #expect(check.text == "hello")
        }
    }

    @Test func bodyFailsWhenTheClientDisappears() async throws {
        let outcome = AsyncStream<String>.makeStream()
        try await withServer(handler: { _, body in
            do {
                _ = try await body.collect(upTo: 1 << 20)
                outcome.continuation.yield("complete")
            } catch {
                outcome.continuation.yield("failed: \(error)")
            }
            return .text("done")
        }) { loop, _, port in
            let raw = try await RawConnection.open(loop: loop, port: port)
            await raw.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial")
            try await Task.sleep(for: .milliseconds(50))
            await raw.close()
            var iterator = outcome.stream.makeAsyncIterator()
            let result = await iterator.next()
            #expect(result?.hasPrefix("failed:") == true)
        }
    }

    @Test func startOnAUsedPortReportsAddressInUse() async throws {
        try await withServer(handler: standardHandler) { loop, _, port in
            let second = HTTPServer(loop: loop, responder: HTTPClosureResponder(standardHandler),
                                    configuration: .init(host: "127.0.0.1", port: port))
            do {
                _ = try await second.start()
                Issue.record("second server bound a used port")
            } catch let error as UVError {
                #expect(error.isAddressInUse)
                #expect(error.description.contains("address already in use"))
            }
        }
    }
}
