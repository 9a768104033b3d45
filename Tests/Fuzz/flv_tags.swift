// Fuzz target: FLV tag bodies (legacy and enhanced RTMP audio and video messages) into media events, and the codec
// configuration records in sequence headers into codec configurations, as the RTMP ingest does.
// Input: the first byte picks audio (odd) or video (even); the rest is the tag body.
@testable import Media
@testable import RTMP

@_cdecl("LLVMFuzzerTestOneInput")
public func flvTagsFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let payload = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let decodeTime = Int64(size) * 40
    let event = data[0] & 1 == 1
        ? try? FLVMediaParser.audio(payload, decodeTime: decodeTime)
        : try? FLVMediaParser.video(payload, decodeTime: decodeTime)
    switch event {
    case .sequenceHeader(_, let codec, let record)?:
        switch codec {
        case .avc:
            if let configuration = try? AVCConfiguration(record: record) { _ = configuration.codecString }
        case .hevc:
            if let configuration = try? HEVCConfiguration(record: record) { _ = configuration.codecString }
        case .aac:
            if let configuration = try? AudioSpecificConfig(bytes: record) { _ = configuration.codecString }
        }
    case .frame(let frame)?:
        precondition(frame.data.count < size, "a frame larger than its tag")
    default:
        break
    }
    return 0
}
