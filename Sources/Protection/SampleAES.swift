import Crypto
import Media
import _CryptoExtras

/// SAMPLE-AES of MPEG-2 transport streams (HLS `METHOD=SAMPLE-AES` on `m3u8-aapl` and `m3u8-aapl-v3`), as Apple's
/// "MPEG-2 Stream Encryption Format for HTTP Live Streaming" §2 lays it out: the cipher the TS muxer applies to each
/// protected block it hands over (Packaging's `TransportStreamSampleEncryption` hooks; the origin wires the two).
///
/// Every protected block is AES-128-CBC without padding, its encrypted 16-byte blocks forming one chain that starts
/// again from the key line's IV at every block (every NAL unit, every audio frame):
/// - **H.264.** Only NAL units of type 1 (non-IDR slice) and 5 (IDR slice). The unit is taken without its emulation
///   prevention bytes; the `nal_unit_type` byte and the 31 bytes after it stay clear; then, while more than 16 bytes
///   remain, one 16-byte block is encrypted and up to 144 bytes (nine blocks) stay clear — the 1:9 pattern, a final
///   block of 16 bytes or fewer clear. Emulation prevention is applied again to the result, so ciphertext never fakes a
///   start code ("each NAL unit is formed with start code emulation prevention applied"); a player removes it before
///   decrypting. A unit of 48 bytes or fewer (unescaped) stays clear, as do parameter sets, SEI and delimiters.
/// - **AAC (ADTS).** The ADTS header (never handed over) and the first 16 bytes of the raw frame stay clear; every
///   whole 16-byte block after them is encrypted; the last 0–15 bytes stay clear.
public struct SampleAES: Sendable {
    /// The clear start of a protected NAL unit: the `nal_unit_type` byte and a 31-byte leader.
    public static let videoClearLeader = 32
    /// The clear start of an AAC frame after its ADTS header.
    public static let audioClearLeader = 16
    /// Of the 1:9 pattern: the clear bytes after each encrypted block (nine blocks).
    static let videoClearRun = 144

    private let key: SymmetricKey
    /// The IV every protected block starts from (the playlist's `IV=0x…`).
    public let iv: [UInt8]

    /// `iv` must be 16 bytes: the origin passes ``CommonEncryption/constantIV(for:)``, the IV its key line writes.
    public init(key: ContentKey, iv: [UInt8]) throws(SampleAESError) {
        guard iv.count == 16 else {
            throw SampleAESError(description: "a SAMPLE-AES IV is 16 bytes, got \(iv.count); use CommonEncryption.constantIV(for:)")
        }
        self.key = SymmetricKey(data: key.value)
        self.iv = iv
    }

    // MARK: - H.264

    /// One H.264 NAL unit as a sample carries it (emulation prevention applied, no start code or length prefix),
    /// encrypted; nil when the unit stays as it is (not a slice, or too short to protect a block).
    public func encryptNALUnit(_ unit: ArraySlice<UInt8>) -> [UInt8]? {
        transformNALUnit(unit, decrypt: false)
    }

    /// The inverse of ``encryptNALUnit(_:)`` (tests and tools): nil when the unit was left clear.
    public func decryptNALUnit(_ unit: ArraySlice<UInt8>) -> [UInt8]? {
        transformNALUnit(unit, decrypt: true)
    }

    /// Whether `unit` (with or without emulation prevention) is a slice the format encrypts.
    static func isProtectedSlice(_ unit: ArraySlice<UInt8>) -> Bool {
        guard let type = NALUnit.avcType(unit) else { return false }
        return type == NALUnit.AVCType.nonIDRSlice || type == NALUnit.AVCType.idrSlice
    }

    /// Where the encrypted blocks of an unescaped unit of `length` bytes start.
    static func videoBlockOffsets(length: Int) -> [Int] {
        var offsets: [Int] = []
        var position = videoClearLeader
        while length - position > 16 {
            offsets.append(position)
            position += 16 + min(videoClearRun, length - position - 16)
        }
        return offsets
    }

    private func transformNALUnit(_ unit: ArraySlice<UInt8>, decrypt: Bool) -> [UInt8]? {
        // Escaping only ever adds bytes: a unit of 48 bytes or fewer as stored is 48 or fewer unescaped.
        guard unit.count > Self.videoClearLeader + 16, Self.isProtectedSlice(unit) else { return nil }
        var raw = NALUnit.removingEmulationPrevention(unit)
        let offsets = Self.videoBlockOffsets(length: raw.count)
        guard !offsets.isEmpty else { return nil }
        var gathered: [UInt8] = []
        gathered.reserveCapacity(offsets.count * 16)
        for offset in offsets { gathered += raw[offset..<(offset + 16)] }
        let output = cbc(gathered, decrypt: decrypt)
        for (index, offset) in offsets.enumerated() {
            raw.replaceSubrange(offset..<(offset + 16), with: output[(index * 16)..<(index * 16 + 16)])
        }
        return Self.addingEmulationPrevention(raw)
    }

    /// Inserts `0x03` after every `00 00` that precedes a byte ≤ 3 (ISO/IEC 14496-10 §7.4.1), and after a final `00`
    /// run, so the unit cannot contain a start code prefix.
    static func addingEmulationPrevention(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count + raw.count / 64 + 2)
        var zeros = 0
        for byte in raw {
            if zeros >= 2 && byte <= 0x03 {
                out.append(0x03)
                zeros = 0
            }
            out.append(byte)
            zeros = byte == 0 ? zeros + 1 : 0
        }
        if out.last == 0 { out.append(0x03) }
        return out
    }

    // MARK: - AAC

    /// One raw AAC frame (what follows its ADTS header) encrypted, the same size; nil when it is too short to protect
    /// a block after the clear leader.
    public func encryptAACFrame(_ frame: ArraySlice<UInt8>) -> [UInt8]? {
        transformAACFrame(frame, decrypt: false)
    }

    /// The inverse of ``encryptAACFrame(_:)`` (tests and tools).
    public func decryptAACFrame(_ frame: ArraySlice<UInt8>) -> [UInt8]? {
        transformAACFrame(frame, decrypt: true)
    }

    private func transformAACFrame(_ frame: ArraySlice<UInt8>, decrypt: Bool) -> [UInt8]? {
        let blocks = (frame.count - Self.audioClearLeader) / 16
        guard blocks > 0 else { return nil }
        let start = frame.startIndex + Self.audioClearLeader
        let end = start + blocks * 16
        var out = Array(frame)
        let cipher = cbc(Array(frame[start..<end]), decrypt: decrypt)
        out.replaceSubrange(Self.audioClearLeader..<(Self.audioClearLeader + blocks * 16), with: cipher)
        return out
    }

    // MARK: - Cipher

    /// AES-128-CBC of whole blocks from ``iv``, no padding.
    private func cbc(_ blocks: [UInt8], decrypt: Bool) -> [UInt8] {
        // The key and the IV were checked at init and `blocks` is whole blocks: AES cannot fail on them.
        guard let iv = try? AES._CBC.IV(ivBytes: iv) else { preconditionFailure("AES-128-CBC refused a checked IV") }
        let result = decrypt ? try? AES._CBC.decrypt(blocks, using: key, iv: iv, noPadding: true)
                             : try? AES._CBC.encrypt(blocks, using: key, iv: iv, noPadding: true)
        guard let result else { preconditionFailure("AES-128-CBC refused whole blocks with a checked key and IV") }
        return Array(result)
    }
}

/// Why SAMPLE-AES could not be set up: the message names the value and what to pass instead.
public struct SampleAESError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
}
