import Crypto
import Foundation
import ISOBMFF
import Media

/// Common encryption (ISO/IEC 23001-7) of stored clear CMAF, per request: the init segment gains the protection
/// scheme boxes and `pssh`, a fragment's samples are encrypted and described by `senc`, `saiz` and `saio`.
///
/// Every function is pure and deterministic: the same clear bytes, key and context give the same protected bytes, so
/// caches and byte ranges agree across requests and across boxes.
///
/// Schemes:
/// - `cenc` (``ProtectionScheme/cenc``): AES-128-CTR, `tenc` version 0, 8-byte per-sample IVs. A sample's IV is the
///   first 8 bytes of SHA-256(KID ‖ ivContext ‖ the sample's decode time as a big-endian UInt64); the counter block is
///   IV ‖ 0x00 × 8 and runs on across the protected ranges of the sample. ivContext names the rendition, so no two
///   samples encrypted with one key share an IV (unless SHA-256 collides in 64 bits).
/// - `cbcs` (``ProtectionScheme/cbcs``): AES-128-CBC, `tenc` version 1 with a 16-byte constant IV
///   (``constantIV(for:)``) and no per-sample IV. Video uses the 1:9 pattern (one block encrypted, nine clear) over each
///   protected range, the chain restarting from the constant IV at every subsample. Audio, as §10.4 of the standard
///   requires for tracks other than video, uses whole-block full-sample encryption: every whole 16-byte block of the
///   sample in one chain from the constant IV, a final partial block clear; its `tenc` pattern is 0:0 (skip_byte_block
///   shall be 0) and, with no IV and no subsamples, its fragments carry no `senc`/`saiz`/`saio`.
///
/// Video subsamples (both schemes), per length-prefixed NAL unit of a sample:
/// - units that are not slice data (parameter sets, SEI, AUD, filler, end of sequence, …) stay entirely clear;
/// - a slice unit keeps its length prefix and its first ``clearLeaderSize`` bytes (the NAL header and the start of the
///   slice header) clear; of the rest, the largest whole number of 16-byte blocks is protected and the 0–15 bytes left
///   over join the clear part in front of it;
/// - a slice unit too short to protect one block after its leader stays entirely clear;
/// - clear bytes of consecutive clear units accumulate into the next subsample's clear count (a run longer than
///   65 535 bytes becomes subsamples with nothing protected); clear bytes after the last protected range end the
///   sample as a subsample with nothing protected.
public enum CommonEncryption {
    /// Bytes after a slice NAL unit's length prefix kept clear: the NAL header and the start of the slice header,
    /// where players and secure decoders look before decryption. The same 32 bytes HLS Sample-AES leaves clear.
    public static let clearLeaderSize = 32
    /// The `cbcs` video pattern: `crypt_byte_block` : `skip_byte_block`.
    public static let videoPattern: (crypt: UInt8, skip: UInt8) = (1, 9)
    /// `schm` scheme_version: 1.0.
    static let schemeVersion: UInt32 = 0x0001_0000
    /// `cenc` per-sample IV size.
    static let perSampleIVSize = 8

    /// The 16-byte constant IV of `cbcs` for a key: the first 16 bytes of SHA-256("edgelive cbcs constant IV" ‖ KID).
    /// Fixed per key so every rendition's init segment and every fragment agree without carrying it around (HLS
    /// players read it from `tenc`; a FairPlay `EXT-X-KEY` may name it as `IV=0x…`).
    public static func constantIV(for key: ContentKey) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array("edgelive cbcs constant IV".utf8))
        hasher.update(data: key.idBytes)
        return Array(hasher.finalize().prefix(16))
    }

    /// The `schm` scheme type of a common encryption scheme, or nil for the envelope.
    static func schemeType(_ scheme: ProtectionScheme) -> String? {
        switch scheme {
        case .cenc: return "cenc"
        case .cbcs: return "cbcs"
        case .envelope: return nil
        }
    }

    // MARK: - Init segment

    /// The CMAF header of `initSegment` protected with `scheme` and `key`: each sample entry (`avc1`, `hvc1`, `mp4a`,
    /// `ec-3`, …) becomes `encv` (video) or `enca` (audio) and ends with a `sinf` (`frma` with the original format,
    /// `schm`, `schi/tenc`); `pssh` boxes (e.g. from ``PSSH``) are appended to `moov`. Every enclosing size is rewritten;
    /// nothing else changes.
    public static func protectInitSegment(_ initSegment: [UInt8], scheme: ProtectionScheme, key: ContentKey,
                                          pssh: [[UInt8]]) throws(CommonEncryptionError) -> [UInt8] {
        guard let schemeType = schemeType(scheme) else {
            throw CommonEncryptionError("the AES-128 envelope ('cbc') encrypts whole segments; use EnvelopeEncryption, not common encryption, for it")
        }
        let boxes: [Box]
        do { boxes = try Box.parseAll(initSegment) } catch { throw .parse(error, in: "the init segment") }
        guard let moov = boxes.first(where: { $0.type == "moov" }) else {
            throw CommonEncryptionError("the init segment has no 'moov' box; pass the track's CMAF header, not a fragment")
        }
        // Each trak's kind decides encv or enca for its entries.
        var kinds: [Int: MediaKind] = [:]  // sample entry start → kind
        for trak in moov.children(ofType: "trak") {
            let track = try TrackBoxes(trak)
            for entry in track.sampleEntries {
                if entry.type == "encv" || entry.type == "enca" {
                    throw CommonEncryptionError("track \(track.trackID)'s sample entry is already '\(entry.type)'; encrypt the clear CMAF header, not a protected one")
                }
                guard track.kind != .text else {
                    throw CommonEncryptionError("track \(track.trackID) is a text track; common encryption protects audio and video only: leave it clear")
                }
                kinds[entry.range.lowerBound] = track.kind
            }
        }
        guard !kinds.isEmpty else { throw CommonEncryptionError("the init segment's 'moov' holds no track") }
        let extra = pssh.reduce(0) { $0 + $1.count } + kinds.count * 96
        var writer = BoxWriter(capacity: initSegment.count + extra)
        let rewrite = InitRewrite(bytes: initSegment, kinds: kinds, schemeType: schemeType, scheme: scheme, key: key, pssh: pssh)
        for box in boxes { rewrite.write(box, into: &writer) }
        return writer.bytes
    }

    /// Copies an init segment box by box, rebuilding the path down to each sample entry so every size is recomputed.
    private struct InitRewrite {
        let bytes: [UInt8]
        let kinds: [Int: MediaKind]
        let schemeType: String
        let scheme: ProtectionScheme
        let key: ContentKey
        let pssh: [[UInt8]]

        static let rebuilt: Set<String> = ["moov", "trak", "mdia", "minf", "stbl", "stsd"]

        func write(_ box: Box, into w: inout BoxWriter) {
            if let kind = kinds[box.range.lowerBound] {
                writeProtectedEntry(box, kind: kind, into: &w)
            } else if Self.rebuilt.contains(box.type) && box.userType == nil {
                w.begin(box.type)
                // Bytes before the first child (stsd's version, flags and entry count) and after the last are kept.
                let childrenStart = box.children.first?.range.lowerBound ?? box.payload.endIndex
                let childrenEnd = box.children.last?.range.upperBound ?? box.payload.endIndex
                w.write(contentsOf: bytes[box.payload.startIndex..<childrenStart])
                for child in box.children { write(child, into: &w) }
                w.write(contentsOf: bytes[childrenEnd..<box.payload.endIndex])
                if box.type == "moov" { for entry in pssh { w.write(contentsOf: entry) } }
                w.end()
            } else {
                w.write(contentsOf: bytes[box.range])
            }
        }

        /// The entry renamed encv/enca with its whole payload kept and a `sinf` appended as its last child.
        private func writeProtectedEntry(_ entry: Box, kind: MediaKind, into w: inout BoxWriter) {
            w.begin(kind == .video ? "encv" : "enca")
            w.write(contentsOf: entry.payload)
            w.box("sinf") { w in
                w.box("frma") { w in w.writeFourCC(entry.type) }
                w.fullBox("schm") { w in
                    w.writeFourCC(schemeType)
                    w.write(CommonEncryption.schemeVersion)
                }
                w.box("schi") { w in writeTrackEncryption(kind: kind, into: &w) }
            }
            w.end()
        }

        private func writeTrackEncryption(kind: MediaKind, into w: inout BoxWriter) {
            switch scheme {
            case .cbcs:
                w.fullBox("tenc", version: 1) { w in
                    w.write(UInt8(0))  // reserved
                    let pattern = kind == .video ? CommonEncryption.videoPattern : (crypt: 0, skip: 0)
                    w.write(pattern.crypt << 4 | pattern.skip)
                    w.write(UInt8(1))  // default_isProtected
                    w.write(UInt8(0))  // default_Per_Sample_IV_Size: the constant IV follows
                    w.write(contentsOf: key.idBytes)
                    let iv = CommonEncryption.constantIV(for: key)
                    w.write(UInt8(iv.count))
                    w.write(contentsOf: iv)
                }
            default:
                w.fullBox("tenc", version: 0) { w in
                    w.write(UInt8(0)); w.write(UInt8(0))  // reserved
                    w.write(UInt8(1))  // default_isProtected
                    w.write(UInt8(CommonEncryption.perSampleIVSize))
                    w.write(contentsOf: key.idBytes)
                }
            }
        }
    }
}
