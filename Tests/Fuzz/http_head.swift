// Fuzz target: HTTP/1.1 request heads and bodies as the server reads them (`HTTPMessageParser` over the system
// http-parser, with the server's header size limit), pipelined requests included.
// Invariant: the heads, body sizes and completed messages do not depend on how the bytes were split into reads.
@testable import HTTP

private final class Recorder: HTTPMessageParserDelegate {
    var events: [String] = []
    func parserDidParseHead(_ head: HTTPMessageHead) -> HTTPMessageParser.HeadAction {
        events.append("\(head.method) \(head.target) \(head.version) \(Array(head.headers).map { "\($0)" }) "
                      + "\(head.keepAlive) \(head.upgrade)")
        return .proceed
    }
    func parserDidReceiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // Body bytes arrive in as many callbacks as reads: count them, not the calls.
        if case let last? = events.last, last.hasPrefix("body ") {
            events[events.count - 1] = "body \(Int(last.dropFirst(5))! + bytes.count)"
        } else {
            events.append("body \(bytes.count)")
        }
        return true
    }
    func parserDidCompleteMessage() -> Bool {
        events.append("complete")
        return true
    }
}

private func parse(_ bytes: [UInt8], readSize: (Int) -> Int) -> [String] {
    let recorder = Recorder()
    let parser = HTTPMessageParser(kind: .request, maxHeaderBytes: 16 * 1024)
    parser.delegate = recorder
    var start = 0, turn = 0
    while start < bytes.count {
        let end = min(bytes.count, start + max(1, readSize(turn)))
        let consumed: Int
        do {
            consumed = try bytes[start..<end].withUnsafeBytes { try parser.feed($0) }
        } catch {
            recorder.events.append("error")
            return recorder.events
        }
        // Less than all was consumed: an upgrade; the server hands the rest to the new protocol.
        if consumed < end - start { recorder.events.append("upgrade"); break }
        start = end
        turn += 1
    }
    return recorder.events
}

@_cdecl("LLVMFuzzerTestOneInput")
public func httpHeadFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = parse(bytes) { _ in bytes.count }
    let split = parse(bytes) { turn in [1, 5, 17, 64][turn % 4] }
    // An error may be detected at a different point; compare what came before it.
    let prefix = min(whole.firstIndex(of: "error") ?? whole.count, split.firstIndex(of: "error") ?? split.count)
    guard whole.prefix(prefix) == split.prefix(prefix), whole.contains("error") == split.contains("error") else {
        fatalError("HTTP parse depends on read boundaries:\n\(whole)\nvs\n\(split)")
    }
    return 0
}
