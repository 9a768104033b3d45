import AMSModels
import Foundation

/// The control API's bearer token: set in configuration, or generated on first start into
/// `<data-dir>/api-token` (mode 0600, readable by the daemon's user only) and read from there afterwards.
public struct APIToken: Sendable {
    public let value: String
    /// Where it was read or written (nil when given in configuration).
    public let file: String?

    public static let fileName = "api-token"

    /// The configured token when given; else the token file's, creating it on first start.
    public static func load(configured: String?, dataDirectory: String) throws(StoreError) -> APIToken {
        if let configured, !configured.isEmpty {
            return APIToken(value: configured, file: nil)
        }
        let path = (dataDirectory as NSString).appendingPathComponent(fileName)
        if let data = FileManager.default.contents(atPath: path) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.count >= 16 else {
                throw StoreError("\(path) holds no usable token (at least 16 characters); delete it to get a new one")
            }
            return APIToken(value: text, file: path)
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0 ... 255) }  // SystemRandomNumberGenerator: getrandom(2)
        let token = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        // Created with 0600 from the start, so the token is never readable by others, not even briefly.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw StoreError("cannot create \(path): \(String(cString: strerror(errno))); check the data directory's permissions")
        }
        defer { close(fd) }
        let line = Array((token + "\n").utf8)
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw StoreError("cannot write \(path): \(reason)")
        }
        return APIToken(value: token, file: path)
    }

    /// Compares a presented token in time independent of where it differs.
    public func matches(_ presented: String) -> Bool {
        let a = Array(value.utf8), b = Array(presented.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0 ..< max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
