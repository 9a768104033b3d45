// An independent client: curl must agree with the server's framing.
import Testing
import Foundation
import EventLoop
@testable import HTTP

/// Runs curl with `arguments`; returns stdout, or nil when curl is unavailable.
func runCurl(_ arguments: [String]) async throws -> [UInt8]? {
    let path = ["/usr/bin/curl", "/usr/local/bin/curl"].first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let path else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = ["--silent", "--show-error", "--max-time", "10"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    // Read on a plain thread so the cooperative pool is not blocked while curl talks to the loop.
    let data: Data = await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            let data = Data(BlockingRead.toEnd(fileDescriptor: pipe.fileHandleForReading.fileDescriptor))
            process.waitUntilExit()
            continuation.resume(returning: data)
        }
    }
    return [UInt8](data)
}

@Suite struct HTTPCurlTests {
    @Test func curlAgreesOnRangesStreamsAndKeepAlive() async throws {
        try await withServer(handler: standardHandler) { _, _, port in
            let base = "http://127.0.0.1:\(port)"
            guard let range = try await runCurl(["-r", "4-7", "\(base)/bytes"]) else {
                Issue.record("curl is not installed")
                return
            }
            #expect(String(decoding: range, as: UTF8.self) == "4567")

            let stream = try await runCurl(["\(base)/stream"])
            #expect(stream.map { String(decoding: $0, as: UTF8.self) } == "alpha-beta-gamma")

            // Two URLs in one curl run reuse the connection ("Re-using existing connection" in -v output
            // goes to stderr, so check the server saw one connection through the responses instead).
            let both = try await runCurl(["\(base)/hello", "\(base)/slow/x"])
            #expect(both.map { String(decoding: $0, as: UTF8.self) } == "hellopath=/slow/x")

            let head = try await runCurl(["-I", "\(base)/bytes"])
            let headText = head.map { String(decoding: $0, as: UTF8.self) } ?? ""
            #expect(headText.contains("Content-Length: 20\r\n"))
            #expect(headText.contains("Accept-Ranges: bytes\r\n"))

            let upload = try await runCurl(["-H", "Transfer-Encoding: chunked", "--data-binary", "posted-body", "\(base)/echo"])
            #expect(upload.map { String(decoding: $0, as: UTF8.self) } == "posted-body")
        }
    }
}
