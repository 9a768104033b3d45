// Hex test vectors, shared by the Media, ISOBMFF and Packaging tests.

/// Bytes from a hex string (whitespace ignored); the vectors were produced by ffmpeg, libx264 and libx265.
public func hexBytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.filter { !$0.isWhitespace })
    precondition(digits.count % 2 == 0, "odd hex length")
    return stride(from: 0, to: digits.count, by: 2).map { index in
        guard let byte = UInt8(String(digits[index...index + 1]), radix: 16) else {
            preconditionFailure("'\(String(digits[index...index + 1]))' is not a hex byte")
        }
        return byte
    }
}
