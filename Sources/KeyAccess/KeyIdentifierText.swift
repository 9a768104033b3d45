// Key ids as requests and tokens write them.
import Foundation

/// Reads a key id from text: a UUID in any letter case, optionally in braces or after the v2 `nb:kid:UUID:` prefix.
public enum KeyIdentifierText {
    public static func parse(_ text: String) -> UUID? {
        var trimmed = Substring(text.trimmingCharacters(in: .whitespaces))
        let prefix = "nb:kid:uuid:"
        if trimmed.lowercased().hasPrefix(prefix) { trimmed = trimmed.dropFirst(prefix.count) }
        if trimmed.hasPrefix("{"), trimmed.hasSuffix("}") { trimmed = trimmed.dropFirst().dropLast() }
        return UUID(uuidString: String(trimmed))
    }

    /// The 16 bytes W3C Clear Key and the boxes carry (big-endian, as the UUID is written) as a UUID.
    public static func uuid(bytes: [UInt8]) -> UUID? {
        guard bytes.count == 16 else { return nil }
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
