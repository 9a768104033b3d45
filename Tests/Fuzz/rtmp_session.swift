// Fuzz target: an RTMP server session fed a publisher's bytes (handshake, chunk streams, AMF0 commands, FLV tags).
// Every connect and publish is accepted, so input reaches media; sequence headers are parsed as the ingest does.
// Invariant beyond "no crash": the session's non-send actions do not depend on how the bytes were split into reads.
@testable import Media
@testable import RTMP

@_cdecl("LLVMFuzzerTestOneInput")
public func rtmpSessionFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = events(feeding: bytes, readSizes: [bytes.count])
    // A split that cuts the handshake and chunk headers at odd places, derived from the input so it is reproducible.
    let split = events(feeding: bytes, readSizes: [1, 7, 1536, 3, 128, 13, Int(bytes.last ?? 0) + 1])
    // Compared as values first (cheap); NaN numbers in AMF0 are unequal to themselves, so compare the descriptions
    // before calling a difference a bug.
    guard whole == split || whole.map(describe) == split.map(describe) else {
        fatalError("RTMP session actions depend on read boundaries:\n\(whole)\nvs\n\(split)")
    }
    return 0
}

/// The session's actions without the bytes it sends (acknowledgements fall at read boundaries by design).
private func events(feeding bytes: [UInt8], readSizes: [Int]) -> [RTMPAction] {
    var session = RTMPServerSession(configuration: .init(handshakeSeed: 1))
    var events: [RTMPAction] = []
    var start = 0
    var turn = 0
    while start < bytes.count && !session.isClosed {
        let end = min(bytes.count, start + max(1, readSizes[turn % readSizes.count]))
        var pending = session.receive(bytes[start..<end])
        start = end
        turn += 1
        while !pending.isEmpty {
            let action = pending.removeFirst()
            switch action {
            case .send:
                continue
            case .connect:
                pending += session.acceptConnect()
            case .publish(let request):
                pending += session.acceptPublish(streamID: request.streamID)
            case .media(_, .sequenceHeader(_, let codec, let record)):
                switch codec {
                case .avc: _ = try? AVCConfiguration(record: record)
                case .hevc: _ = try? HEVCConfiguration(record: record)
                case .aac: _ = try? AudioSpecificConfig(bytes: record)
                }
            case .close:
                // The reason's wording may name the read that failed; only the fact is compared.
                events.append(.close(reason: .malformedMedia("")))
                continue
            default:
                break
            }
            events.append(action)
        }
    }
    return events
}

private func describe(_ action: RTMPAction) -> String {
    // A dictionary's description has no stable order.
    if case .metadata(let name, let values) = action { return "metadata(\(name), \(values.sorted { $0.key < $1.key }))" }
    return "\(action)"
}
