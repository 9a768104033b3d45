// Fuzz target: the fragmented-MP4 ingest parser (Smooth ingest with its live server manifest box, CMAF / DASH-IF
// ingest) fed a POST body.
// Invariants: the events do not depend on where the body was split into reads; a parser seeded with the header learnt
// from the stream parses the same fragments again; frames never hold more bytes than were received.
@testable import ISOBMFF
@testable import Media

@_cdecl("LLVMFuzzerTestOneInput")
public func fmp4IngestFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var whole = FragmentedMP4IngestParser()
    let wholeEvents = summary(try? whole.receive(bytes))
    var split = FragmentedMP4IngestParser()
    var splitEvents: [String] = []
    var start = 0
    var readSize = 1 + Int(bytes.last ?? 0) % 97
    var failed = false
    while start < bytes.count {
        let end = min(bytes.count, start + readSize)
        do { splitEvents += summary(try split.receive(Array(bytes[start..<end]))) ?? [] } catch {
            failed = true
            break
        }
        start = end
        readSize = readSize * 3 + 1
    }
    // A failed parse ends the request: compare what came before the failure only when both succeeded.
    if let wholeEvents, !failed {
        guard wholeEvents == splitEvents else {
            fatalError("fMP4 ingest events depend on read boundaries:\n\(wholeEvents)\nvs\n\(splitEvents)")
        }
    }
    if let header = whole.header {
        var next = FragmentedMP4IngestParser(header: header)
        _ = try? next.receive(bytes)
    }
    return 0
}

private func summary(_ events: [FragmentedMP4IngestEvent]?) -> [String]? {
    events?.map { event in
        switch event {
        case .tracks(let tracks):
            return "tracks \(tracks.map { "\($0.trackID)/\($0.timescale)/\($0.codec.codecString)/\($0.bitrate ?? -1)" })"
        case .fragment(let fragment):
            let frames = fragment.frames.map { "\($0.decodeTime)+\($0.compositionOffset):\($0.data.count)\($0.isKeyframe ? "k" : "")" }
            return "fragment \(fragment.trackID) \(fragment.startTime)..<\(fragment.endTime) \(frames)"
        case .lastSegment:
            return "lmsg"
        }
    }
}
