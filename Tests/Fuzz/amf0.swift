// Fuzz target: AMF0 decoding (RTMP command and data messages).
// Invariant: whatever decodes re-encodes to bytes that decode to the same values, and re-encoding is stable.
@testable import Media
@testable import RTMP

@_cdecl("LLVMFuzzerTestOneInput")
public func amf0Fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let values = try? AMF0.decodeAll(bytes) else { return 0 }
    let encoded = AMF0.encode(values)
    let again: [AMF0Value]
    do { again = try AMF0.decodeAll(encoded) } catch {
        fatalError("AMF0 re-encoding of \(values) does not decode: \(error)")
    }
    // NaN numbers are not equal to themselves: compare the encodings instead of the values.
    guard AMF0.encode(again) == encoded else { fatalError("AMF0 round trip changed \(values) into \(again)") }
    return 0
}
