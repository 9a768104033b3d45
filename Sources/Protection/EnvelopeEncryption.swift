import Crypto
import Foundation
import _CryptoExtras

/// The AES-128 envelope (HLS `METHOD=AES-128`, RFC 8216 §5.2): a whole segment encrypted with AES-128-CBC and PKCS#7
/// padding, keyed by the content key's 16 bytes.
public enum EnvelopeEncryption {
    /// The IV HLS uses when the playlist's `EXT-X-KEY` has no `IV` attribute: the segment's media sequence number as a
    /// 16-byte big-endian integer.
    public static func iv(mediaSequence: UInt64) -> [UInt8] {
        [UInt8](repeating: 0, count: 8) + (0..<8).map { UInt8(truncatingIfNeeded: mediaSequence >> (56 - 8 * UInt64($0))) }
    }


    /// `segment` encrypted with `key` and `iv` (16 bytes).
    public static func encrypt(_ segment: [UInt8], key: ContentKey, iv: [UInt8]) throws(EnvelopeEncryptionError) -> [UInt8] {
        var encryptor = try Encryptor(key: key, iv: iv)
        var out = encryptor.update(segment)
        out += encryptor.finish()
        return out
    }

    /// `ciphertext` decrypted (for tests and tools).
    public static func decrypt(_ ciphertext: [UInt8], key: ContentKey, iv: [UInt8]) throws(EnvelopeEncryptionError) -> [UInt8] {
        do {
            return Array(try AES._CBC.decrypt(ciphertext, using: SymmetricKey(data: key.value), iv: AES._CBC.IV(ivBytes: iv)))
        } catch {
            throw EnvelopeEncryptionError(description: "the ciphertext does not decrypt with this key and IV (\(error)): wrong key, wrong IV or a truncated segment")
        }
    }

    /// Incremental encryption for a segment that arrives in pieces (a TS segment muxed while sent): `update` returns
    /// every whole block it can, holding back up to 16 bytes, and `finish` the padded last block. The concatenated
    /// outputs equal ``encrypt(_:key:iv:)`` of the concatenated inputs.
    public struct Encryptor: Sendable {
        private let key: SymmetricKey
        /// The last ciphertext block (the IV at first): the next block's chaining value.
        private var chain: [UInt8]
        private var pending: [UInt8] = []
        private var finished = false

        public init(key: ContentKey, iv: [UInt8]) throws(EnvelopeEncryptionError) {
            guard iv.count == 16 else {
                throw EnvelopeEncryptionError(description: "an AES-128 IV is 16 bytes, got \(iv.count); use EnvelopeEncryption.iv(mediaSequence:)")
            }
            self.key = SymmetricKey(data: key.value)
            chain = iv
        }

        /// Encrypts what whole blocks `bytes` completes; the rest waits for more input or ``finish()``.
        public mutating func update(_ bytes: some Collection<UInt8>) -> [UInt8] {
            precondition(!finished, "EnvelopeEncryption.Encryptor.update after finish")
            pending.append(contentsOf: bytes)
            // Hold back the last partial (or, when aligned, the last whole) block: PKCS#7 pads in finish().
            let ready = pending.isEmpty ? 0 : (pending.count - 1) / 16 * 16
            guard ready > 0 else { return [] }
            let out = cipher(pending[..<ready], noPadding: true)
            pending.removeFirst(ready)
            return out
        }

        /// The last block(s), padded.
        public mutating func finish() -> [UInt8] {
            precondition(!finished, "EnvelopeEncryption.Encryptor.finish called twice")
            finished = true
            return cipher(pending[...], noPadding: false)
        }

        private mutating func cipher(_ bytes: ArraySlice<UInt8>, noPadding: Bool) -> [UInt8] {
            // Only a 16-byte IV and a 16-byte key reach here, both checked: AES cannot fail on them.
            guard let iv = try? AES._CBC.IV(ivBytes: chain),
                  let data = try? AES._CBC.encrypt(bytes, using: key, iv: iv, noPadding: noPadding) else {
                preconditionFailure("AES-128-CBC refused a checked key and IV")
            }
            let out = Array(data)
            chain = Array(out.suffix(16))
            return out
        }
    }
}

/// Why envelope encryption could not run: the message names the value and what to pass instead.
public struct EnvelopeEncryptionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
}
