// Fuzz target: the encode worker's pipe protocol (frames: length, type, binary sample header or JSON), as the daemon
// reads a worker's output and the worker reads the daemon's.
// Invariants: the messages do not depend on how the bytes were split into reads; a decoded message re-encodes to a
// frame that decodes to the same message.
@testable import EncodeModel

@_cdecl("LLVMFuzzerTestOneInput")
public func workerProtocolFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var whole = WorkerFrameDecoder()
    guard let messages = try? whole.feed(bytes) else { return 0 }
    var split = WorkerFrameDecoder()
    var splitMessages: [WorkerMessage] = []
    var start = 0
    var readSize = 1
    while start < bytes.count {
        let end = min(bytes.count, start + readSize)
        do { splitMessages += try split.feed(bytes[start..<end]) } catch {
            fatalError("worker frames decode whole but fail when split: \(error)")
        }
        start = end
        readSize = readSize * 2 + 1
    }
    guard splitMessages == messages else { fatalError("worker messages depend on read boundaries: \(messages) vs \(splitMessages)") }
    for message in messages {
        var again = WorkerFrameDecoder()
        let encoded = WorkerProtocol.encode(message)
        let decoded: [WorkerMessage]
        do { decoded = try again.feed(encoded) } catch {
            fatalError("\(message) re-encodes to a frame that does not decode: \(error)")
        }
        guard decoded == [message] else { fatalError("\(message) round-trips to \(decoded)") }
    }
    return 0
}
