// Pure pieces: headers, request target splitting, byte ranges, response framing.
import Testing
@testable import HTTP

@Suite struct HTTPModelTests {
    @Test func headersAreOrderedAndCaseInsensitive() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain", "X-A": "1"]
        headers.add(name: "x-a", value: "2")
        #expect(headers["content-type"] == "text/plain")
        #expect(headers.values(for: "X-A") == ["1", "2"])
        headers.set(name: "X-A", value: "3")
        #expect(headers.values(for: "x-a") == ["3"])
        #expect(headers.map(\.name) == ["Content-Type", "X-A"])
        headers["content-type"] = nil
        #expect(headers.count == 1)
        headers.add(name: "Connection", value: "keep-alive, Close")
        #expect(headers.hasToken("close", in: "connection"))
    }

    @Test func originTargetsAreNotDecoded() {
        let request = HTTPRequest(method: "GET", target: "/loc/name.ism/manifest(format=m3u8-cmaf,filter=f1)?a=1&b=x%20y+z&flag")
        #expect(request.path == "/loc/name.ism/manifest(format=m3u8-cmaf,filter=f1)")
        #expect(request.query == "a=1&b=x%20y+z&flag")
        let items = request.queryItems
        #expect(items.map(\.0) == ["a", "b", "flag"])
        #expect(items.map(\.1) == ["1", "x y z", ""])
        #expect(HTTPRequest(method: "GET", target: "/plain").query == nil)
        #expect(HTTPRequest.percentDecode("%zz%41") == "%zzA")
    }

    @Test func byteRangeResolution() {
        #expect(ByteRange.resolve("bytes=0-0", length: 10) == .satisfiable(0..<1))
        #expect(ByteRange.resolve("bytes=3-", length: 10) == .satisfiable(3..<10))
        #expect(ByteRange.resolve("bytes=-4", length: 10) == .satisfiable(6..<10))
        #expect(ByteRange.resolve("bytes=-40", length: 10) == .satisfiable(0..<10))
        #expect(ByteRange.resolve("bytes=5-99999999999999999999999", length: 10) == .satisfiable(5..<10))
        #expect(ByteRange.resolve("bytes=10-", length: 10) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=-0", length: 10) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=5-2", length: 10) == .ignore)
        #expect(ByteRange.resolve("items=0-1", length: 10) == .ignore)
        #expect(ByteRange.resolve("bytes=a-b", length: 10) == .ignore)
        #expect(ByteRange.resolve("bytes=0-1,3-4", length: 10) == .ignore)
    }

    @Test func preparedResponseFraming() {
        let policy = ResponsePolicy(corsAllowOrigin: "*", corsExposeHeaders: "Content-Range", serverName: "edgelive")
        let get = RequestSummary(method: "GET", version: .http1_1, range: nil, keepAlive: true)
        let noContent = PreparedResponse.prepare(HTTPResponse(status: 204), for: get, policy: policy, date: "D")
        #expect(noContent.headers["Content-Length"] == nil)
        let head = String(decoding: noContent.encodeHead(), as: UTF8.self)
        #expect(head.hasPrefix("HTTP/1.1 204 No Content\r\n"))
        #expect(head.contains("\r\nDate: D\r\n"))
        #expect(head.hasSuffix("\r\n\r\n"))

        var closing = HTTPResponse.text("x")
        closing.headers.set(name: "Connection", value: "close")
        closing.headers.set(name: "Content-Length", value: "999")
        let prepared = PreparedResponse.prepare(closing, for: get, policy: policy, date: "D")
        #expect(prepared.closeConnection)
        #expect(prepared.headers["Content-Length"] == "1")
        #expect(prepared.headers.values(for: "Connection") == ["close"])

        let headRequest = RequestSummary(method: "HEAD", version: .http1_1, range: "bytes=0-1", keepAlive: true)
        let headResponse = PreparedResponse.prepare(.text("abcdef"), for: headRequest, policy: policy, date: "D")
        #expect(headResponse.status == 200)
        #expect(headResponse.headers["Content-Length"] == "6")
        if case .none = headResponse.payload {} else { Issue.record("HEAD response carries a payload") }

        let old = RequestSummary(method: "GET", version: .http1_0, range: nil, keepAlive: true)
        let stream = AsyncStream<[UInt8]> { $0.finish() }
        let oldStream = PreparedResponse.prepare(HTTPResponse(body: .stream(stream)), for: old, policy: policy, date: "D")
        #expect(oldStream.closeConnection)
        #expect(oldStream.headers["Transfer-Encoding"] == nil)
    }

    @Test func dateFormat() {
        #expect(HTTPDateCache.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    @Test func clientURLParsing() throws {
        let plain = try ParsedURL("http://example.com/a?b=c")
        #expect(plain.host == "example.com")
        #expect(plain.port == 80)
        #expect(plain.pathAndQuery == "/a?b=c")
        let v6 = try ParsedURL("http://[::1]:8080")
        #expect(v6.host == "::1")
        #expect(v6.port == 8080)
        #expect(v6.pathAndQuery == "/")
        #expect(v6.hostHeader == "[::1]:8080")
        #expect(throws: HTTPClientError.self) { try ParsedURL("https://x/") }
        #expect(throws: HTTPClientError.self) { try ParsedURL("http://x:99999/") }
    }

    @Test func requestBodyBuffersAndEnds() async throws {
        let body = HTTPRequestBody(bytes: Array("abc".utf8))
        #expect(try await body.collect(upTo: 10) == Array("abc".utf8))
        let small = HTTPRequestBody(bytes: [1, 2, 3, 4])
        await #expect(throws: HTTPBodyError.self) { _ = try await small.collect(upTo: 2) }
    }
}
