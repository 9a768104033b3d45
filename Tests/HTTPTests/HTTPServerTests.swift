// Server behaviour over real sockets: methods, keep-alive, pipelining, ranges, bodies, CORS.
import Testing
import EventLoop
@testable import HTTP

let sampleBody = Array("0123456789abcdefghij".utf8)

/// A handler for the common routes used below.
@Sendable func standardHandler(_ request: HTTPRequest, _ body: HTTPRequestBody) async -> HTTPResponse {
    switch request.path {
    case "/hello":
        return .text("hello")
    case "/bytes":
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream",
                                                   "Cache-Control": "max-age=2"], body: .bytes(sampleBody))
    case "/echo":
        do {
            let data = try await body.collect(upTo: 64 << 20)
            return HTTPResponse(status: 200, body: .bytes(data))
        } catch {
            return .error(status: 400, message: "\(error)")
        }
    case "/stream":
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        Task {
            for part in ["alpha-", "beta-", "gamma"] {
                try? await Task.sleep(for: .milliseconds(10))
                continuation.yield(Array(part.utf8))
            }
            continuation.finish()
        }
        return HTTPResponse(status: 200, headers: ["Content-Type": "text/plain"], body: .stream(stream))
    default:
        if request.path.hasPrefix("/slow/") {
            try? await Task.sleep(for: .milliseconds(150))
        }
        return .text("path=\(request.path)")
    }
}

@Suite struct HTTPServerTests {
    @Test func getAndHead() async throws {
        try await withServer(handler: standardHandler) { loop, _, port in
            let get = try await HTTPClient.request(loop: loop, url: "http://127.0.0.1:\(port)/hello")
            #expect(get.status == 200)
            #expect(get.text == "hello")
            #expect(get.headers["content-length"] == "5")
            #expect(get.headers["Server"] == "edgelive")
            #expect(get.headers["Date"]?.hasSuffix(" GMT") == true)
            #expect(get.headers["Access-Control-Allow-Origin"] == "*")
            #expect(get.headers["Access-Control-Expose-Headers"]?.contains("Content-Range") == true)
            #expect(get.headers["Connection"] == "close")

            let head = try await HTTPClient.request(loop: loop, method: "HEAD", url: "http://127.0.0.1:\(port)/bytes")
            #expect(head.status == 200)
            #expect(head.headers["Content-Length"] == "\(sampleBody.count)")
            #expect(head.headers["Accept-Ranges"] == "bytes")
            #expect(head.headers["Cache-Control"] == "max-age=2")
            #expect(head.body.isEmpty)
        }
    }

    @Test func headSendsNoBodyBytesOnTheWire() async throws {
        try await withServer(handler: standardHandler) { loop, _, port in
            let raw = try await RawConnection.open(loop: loop, port: port)
            await raw.send("HEAD /bytes HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let bytes = await raw.read(until: hasResponses(2, headRequests: [0]))
            let responses = ResponseSplitter.split(bytes, headRequests: [0])
            try #require(responses.count == 2)
            #expect(responses[0].headers["Content-Length"] == "\(sampleBody.count)")
            #expect(responses[0].body.isEmpty)
            // Had HEAD leaked a body, the second response would not start right after the first head.
            #expect(responses[1].text == "hello")
            await raw.close()
        }
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await withServer(handler: { request, _ in
            .text("\(request.path) from \(request.remoteAddress) keepAlive=\(request.isKeepAlive)")
        }) { loop, server, port in
            let raw = try await RawConnection.open(loop: loop, port: port)
            for index in 0..<4 {
                await raw.send("GET /r\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                let bytes = await raw.read(until: hasResponses(index + 1))
                let responses = ResponseSplitter.split(bytes)
                try #require(responses.count == index + 1)
                #expect(responses[index].text == "/r\(index) from 127.0.0.1 keepAlive=true")
                #expect(responses[index].headers["Connection"] == "keep-alive")
            }
            #expect(await server.connectionCount == 1)
            #expect(await raw.isEnded() == false)
            await raw.close()
        }
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() async throws {
        try await withServer(handler: standardHandler) { loop, _, port in
            let plain = try await RawConnection.open(loop: loop, port: port)
            await plain.send("GET /hello HTTP/1.0\r\n\r\n")
            let bytes = await plain.readToEnd()
            let responses = ResponseSplitter.split(bytes)
            #expect(responses.first?.headers["Connection"] == "close")
            #expect(await plain.isEnded())

            let kept = try await RawConnection.open(loop: loop, port: port)
            await kept.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let kbytes = await kept.read(until: hasResponses(1))
            #expect(ResponseSplitter.split(kbytes).first?.headers["Connection"] == "keep-alive")
            await kept.close()
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer(handler: standardHandler) { loop, _, port in
            let raw = try await RawConnection.open(loop: loop, port: port)
            // The first handler sleeps, so the other two finish first; responses must still be in order.
            await raw.send("GET /slow/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /fast/2 HTTP/1.1\r\nHost: x\r\n\r\nGET /fast/3 HTTP/1.1\r\nHost: x\r\n\r\n")
            let bytes = await raw.read(until: hasResponses(3))
            let texts = ResponseSplitter.split(bytes).map(\.text)
            #expect(texts == ["path=/slow/1", "path=/fast/2", "path=/fast/3"])
            await raw.close()
        }
    }

    @Test func byteRanges() async throws {
        try await withServer(handler: standardHandler) { loop, _, port in
            let url = "http://127.0.0.1:\(port)/bytes"
            let middle = try await HTTPClient.request(loop: loop, url: url, headers: [("Range", "bytes=2-5")])
            #expect(middle.status == 206)
            #expect(middle.text == "2345")
            #expect(middle.headers["Content-Range"] == "bytes 2-5/20")
            #expect(middle.headers["Content-Length"] == "4")

            let open = try await HTTPClient.request(loop: loop, url: url, headers: [("Range", "bytes=15-")])
            #expect(open.status == 206)
            #expect(open.text == "fghij")
            #expect(open.headers["Content-Range"] == "bytes 15-19/20")

            let suffix = try await HTTPClient.request(loop: loop, url: url, headers: [("Range", "bytes=-3")])
            #expect(suffix.status == 206)
            #expect(suffix.text == "hij")
            #expect(suffix.headers["Content-Range"] == "bytes 17-19/20")

            let clipped = try await HTTPClient.request(loop: loop, url: url, headers: [("Range", "bytes=18-100")])
            #expect(clipped.text == "ij")

            let beyond = try await HTTPClient.request(loop: loop, url: url, headers: [("Range", "bytes=20-")])
            #expect(beyond.status == 416)
            #expect(beyond.headers["Content-Range"] == "bytes */20")
            #expect(beyond.body.isEmpty)

            let multi = try await HTTPClient.request(loop: loop, url: url, headers: [("Range", "bytes=0-1,4-5")])
            #expect(multi.status == 200)
            #expect(multi.body == sampleBody)
        }
    }

    @Test func chunkedRequestBodyIsStreamedToTheHandler() async throws {
        let firstChunkSeen = AsyncStream<String>.makeStream()
        try await withServer(handler: { request, body in
            var parts: [String] = []
            do {
                for try await chunk in body {
                    let text = String(decoding: chunk, as: UTF8.self)
                    if parts.isEmpty { firstChunkSeen.continuation.yield(text) }
                    parts.append(text)
                }
            } catch {
                return .error(status: 400, message: "\(error)")
            }
            return .text(parts.joined(separator: "|"))
        }) { loop, _, port in
            let raw = try await RawConnection.open(loop: loop, port: port)
            await raw.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
            // The handler sees the first chunk while the request is still incomplete.
            var seen = firstChunkSeen.stream.makeAsyncIterator()
            #expect(await seen.next() == "first")
            await raw.send("6\r\nsecond\r\n0\r\n\r\n")
            let bytes = await raw.read(until: hasResponses(1))
            let response = try #require(ResponseSplitter.split(bytes).first)
            #expect(response.status == 200)
            #expect(response.text.hasPrefix("first|"))
            #expect(response.text.replacingOccurrences("|", "") == "firstsecond")
            await raw.close()
        }
    }

    @Test func largeUploadWithBackpressure() async throws {
        try await withServer(handler: { _, body in
            var total = 0
            var checksum: UInt64 = 0
            do {
                for try await chunk in body {
                    // A slow consumer: the server must pause reading instead of buffering everything.
                    if total % (1 << 20) < chunk.count { try? await Task.sleep(for: .milliseconds(5)) }
                    for byte in chunk { checksum = checksum &* 31 &+ UInt64(byte) }
                    total += chunk.count
                }
            } catch {
                return .error(status: 400, message: "\(error)")
            }
            return .text("\(total) \(checksum)")
        }) { loop, _, port in
            var payload = [UInt8](repeating: 0, count: 6 << 20)
            for index in payload.indices { payload[index] = UInt8(truncatingIfNeeded: index &* 7 &+ index >> 9) }
            var expected: UInt64 = 0
            for byte in payload { expected = expected &* 31 &+ UInt64(byte) }
            let response = try await HTTPClient.request(loop: loop, method: "POST", url: "http://127.0.0.1:\(port)/up",
                                                        body: payload, timeout: .seconds(30))
            #expect(response.text == "\(payload.count) \(expected)")
        }
    }

    @Test func streamResponseIsChunked() async throws {
        try await withServer(handler: standardHandler) { loop, _, port in
            let raw = try await RawConnection.open(loop: loop, port: port)
            await raw.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            let bytes = await raw.read(until: hasResponses(1))
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.contains("Transfer-Encoding: chunked\r\n"))
            #expect(text.hasSuffix("0\r\n\r\n"))
            #expect(!text.contains("\r\nContent-Length:"))
            #expect(ResponseSplitter.split(bytes).first?.text == "alpha-beta-gamma")
            // The connection stays usable after the stream.
            await raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let more = await raw.read(until: hasResponses(2))
            #expect(ResponseSplitter.split(more).last?.text == "hello")
            await raw.close()
        }
    }

    @Test func largeStreamResponseToAClientThatReads() async throws {
        let chunkCount = 128
        try await withServer(handler: { _, _ in
            let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
            Task {
                for index in 0..<chunkCount {
                    continuation.yield([UInt8](repeating: UInt8(index), count: 64 * 1024))
                }
                continuation.finish()
            }
            return HTTPResponse(status: 200, body: .stream(stream))
        }) { loop, _, port in
            let response = try await HTTPClient.request(loop: loop, url: "http://127.0.0.1:\(port)/big", timeout: .seconds(30))
            #expect(response.body.count == chunkCount * 64 * 1024)
            #expect(response.body[65 * 1024] == 1)
            #expect(response.body.last == UInt8(chunkCount - 1))
        }
    }

    @Test func streamProducerIsReleasedWhenTheClientLeaves() async throws {
        let terminated = AsyncStream<Void>.makeStream()
        try await withServer(handler: { _, _ in
            let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
            continuation.onTermination = { _ in terminated.continuation.yield() }
            // One chunk, then an idle live producer that never finishes on its own.
            continuation.yield(Array("first".utf8))
            return HTTPResponse(status: 200, body: .stream(stream))
        }) { loop, _, port in
            let raw = try await RawConnection.open(loop: loop, port: port)
            await raw.send("GET /live HTTP/1.1\r\nHost: x\r\n\r\n")
            let bytes = await raw.read(until: { bytes, _ in occurrences(of: "first", in: bytes) == 1 })
            #expect(occurrences(of: "5\r\nfirst\r\n", in: bytes) == 1)
            await raw.close()
            var iterator = terminated.stream.makeAsyncIterator()
            _ = await iterator.next()
        }
    }

    @Test func optionsPreflightIsAnsweredByTheServer() async throws {
        let handlerCalls = Locked(0)
        try await withServer(handler: { request, body in
            handlerCalls.withLock { $0 += 1 }
            return await standardHandler(request, body)
        }) { loop, _, port in
            let preflight = try await HTTPClient.request(
                loop: loop, method: "OPTIONS", url: "http://127.0.0.1:\(port)/hello",
                headers: [("Origin", "http://player.example"), ("Access-Control-Request-Method", "GET"),
                          ("Access-Control-Request-Headers", "range, x-custom")])
            #expect(preflight.status == 204)
            #expect(preflight.headers["Access-Control-Allow-Origin"] == "*")
            #expect(preflight.headers["Access-Control-Allow-Methods"]?.contains("GET") == true)
            #expect(preflight.headers["Access-Control-Allow-Headers"] == "range, x-custom")
            #expect(preflight.headers["Content-Length"] == nil)
            #expect(handlerCalls.withLock { $0 } == 0)
            // A plain OPTIONS (no preflight header) reaches the responder.
            _ = try await HTTPClient.request(loop: loop, method: "OPTIONS", url: "http://127.0.0.1:\(port)/x")
            #expect(handlerCalls.withLock { $0 } == 1)
        }
    }

    @Test func expectContinueGetsInterimResponse() async throws {
        try await withServer(handler: standardHandler) { loop, _, port in
            let raw = try await RawConnection.open(loop: loop, port: port)
            await raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            let interim = await raw.read(until: { bytes, _ in occurrences(of: "\r\n\r\n", in: bytes) >= 1 })
            #expect(String(decoding: interim, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
            await raw.send("HELLO")
            let bytes = await raw.read(until: hasResponses(2))
            let responses = ResponseSplitter.split(bytes)
            #expect(responses.map(\.status) == [100, 200])
            #expect(responses.last?.text == "HELLO")
            await raw.close()
        }
    }

    @Test func unreadRequestBodyIsDiscardedAndTheConnectionReused() async throws {
        try await withServer(handler: { request, _ in .text("ignored body of \(request.path)") }) { loop, _, port in
            let raw = try await RawConnection.open(loop: loop, port: port)
            let body = String(repeating: "z", count: 3 << 20)
            await raw.send("PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
            let bytes = await raw.read(until: hasResponses(2), timeout: .seconds(20))
            #expect(ResponseSplitter.split(bytes).map(\.text) == ["ignored body of /a", "ignored body of /b"])
            await raw.close()
        }
    }

    @Test func handlerHeadersArePassedThrough() async throws {
        try await withServer(handler: { _, _ in
            HTTPResponse(status: 200, headers: ["Cache-Control": "public, max-age=31536000, immutable",
                                                "Access-Control-Allow-Origin": "http://only.example",
                                                "X-Evil": "a\r\nInjected: yes"], body: .bytes([1, 2, 3]))
        }) { loop, _, port in
            let response = try await HTTPClient.request(loop: loop, url: "http://127.0.0.1:\(port)/")
            #expect(response.headers["Cache-Control"] == "public, max-age=31536000, immutable")
            #expect(response.headers["Access-Control-Allow-Origin"] == "http://only.example")
            #expect(response.headers["Injected"] == nil)
            #expect(response.body == [1, 2, 3])
        }
    }

    @Test func stopLetsInFlightResponsesFinish() async throws {
        let loop = try EventLoop()
        let started = AsyncStream<Void>.makeStream()
        let server = HTTPServer(loop: loop, responder: HTTPClosureResponder { _, _ in
            started.continuation.yield()
            try? await Task.sleep(for: .milliseconds(200))
            return .text("finished")
        // A grace period far beyond the 200 ms the response takes: a machine busy with other tests may be slow to run it.
        }, configuration: .init(host: "127.0.0.1", port: 0, shutdownGracePeriod: .seconds(60)))
        let port = try await server.start()
        async let response = HTTPClient.request(loop: loop, url: "http://127.0.0.1:\(port)/")
        var iterator = started.stream.makeAsyncIterator()
        _ = await iterator.next()
        await server.stop()
        let result = try await response
        #expect(result.text == "finished")
        #expect(await server.connectionCount == 0)
        // New connections are refused after stop.
        await #expect(throws: (any Error).self) {
            _ = try await HTTPClient.request(loop: loop, url: "http://127.0.0.1:\(port)/", timeout: .seconds(2))
        }
        try loop.shutdown()
    }
}

extension String {
    func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
