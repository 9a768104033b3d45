// A decryptor written from ISO/IEC 23001-7 for the tests, separate from the encryptor: it reads tenc from the protected
// header and senc from each chunk, and returns every sample's clear bytes. The interop tests show it agrees with
// ffmpeg where ffmpeg can check (one fragment per file); it checks what ffmpeg 5.1 cannot (several moofs per file).
import Crypto
import Foundation
import ISOBMFF
import Media
import _CryptoExtras

enum ReferenceDecryptor {
    /// The decrypted samples of every chunk of a protected fragment.
    static func decrypt(fragment: [UInt8], protectedInit: [UInt8], key: [UInt8]) throws -> [[UInt8]] {
        let initBoxes = try Box.parseAll(protectedInit)
        let entry = try requireBox(initBoxes.first(path: "moov/trak/mdia/minf/stbl/stsd")?.children.first, "sample entry")
        let entryChildren = try Box.parseAll(entry.payload.dropFirst(entry.type == "encv" ? 78 : 28))
        let sinf = try requireBox(entryChildren.first { $0.type == "sinf" }, "sinf")
        let scheme = String(decoding: try requireBox(sinf.first(path: "schm")).payload.dropFirst(4).prefix(4), as: UTF8.self)
        let tenc = try TrackEncryption(try requireBox(sinf.first(path: "schi/tenc"), "tenc"))
        let symmetricKey = SymmetricKey(data: key)
        var samples: [[UInt8]] = []
        for chunk in try ProtectedChunk.read(fragment, ivSize: Int(tenc.perSampleIVSize)) {
            for (index, range) in chunk.sampleRanges.enumerated() {
                var data = Array(fragment[range])
                let entry = chunk.entries.isEmpty ? SampleEncryptionEntry(iv: [], subsamples: []) : chunk.entries[index]
                let parts = entry.subsamples.isEmpty ? [(clear: 0, protected: data.count)] : entry.subsamples
                switch scheme {
                case "cenc":
                    // One keystream over the protected ranges, counter block IV ‖ 0.
                    var protectedBytes: [UInt8] = []
                    var offset = 0
                    for part in parts { offset += part.clear; protectedBytes += data[offset..<(offset + part.protected)]; offset += part.protected }
                    let nonce = try AES._CTR.Nonce(nonceBytes: entry.iv + [UInt8](repeating: 0, count: 16 - entry.iv.count))
                    let plain = Array(try AES._CTR.decrypt(protectedBytes, using: symmetricKey, nonce: nonce))
                    offset = 0
                    var read = 0
                    for part in parts {
                        offset += part.clear
                        data.replaceSubrange(offset..<(offset + part.protected), with: plain[read..<(read + part.protected)])
                        offset += part.protected; read += part.protected
                    }
                case "cbcs":
                    let iv = try requireValue(tenc.constantIV)
                    let crypt = max(Int(tenc.cryptByteBlock), 1), skip = Int(tenc.skipByteBlock)
                    var offset = 0
                    for part in parts {
                        offset += part.clear
                        // Chain block by block from the constant IV; skipped blocks do not take part.
                        var chain = iv
                        var block = 0
                        let blocks = part.protected / 16
                        while blocks - block >= crypt {
                            for b in block..<(block + crypt) {
                                let at = offset + b * 16
                                let cipher = Array(data[at..<(at + 16)])
                                var plain = cipher
                                try AES.inversePermute(&plain, key: symmetricKey)
                                for i in 0..<16 { plain[i] ^= chain[i] }
                                data.replaceSubrange(at..<(at + 16), with: plain)
                                chain = cipher
                            }
                            block += crypt + skip
                        }
                        offset += part.protected
                    }
                default:
                    throw MediaError(description: "unknown scheme \(scheme)")
                }
                samples.append(data)
            }
        }
        return samples
    }
}

func requireValue<T>(_ value: T?) throws -> T {
    guard let value else { throw MediaError(description: "missing value") }
    return value
}
