import Crypto
import Foundation
import ISOBMFF
import Media
import _CryptoExtras

/// One subsample (ISO/IEC 23001-7 §7.2): clear bytes, then protected bytes.
struct Subsample: Equatable {
    var clear: Int
    var protected: Int
}

extension CommonEncryption {
    // MARK: - Subsamples

    /// Appends the subsamples of the NAL-structured sample at `range` of `bytes` (the rule in ``CommonEncryption``);
    /// appends nothing for whole-sample tracks.
    static func subsamples(of bytes: [UInt8], _ range: Range<Int>, track: ProtectedTrack,
                           into list: inout [Subsample]) throws(CommonEncryptionError) {
        guard case let .nalUnits(family, lengthSize) = track.layout else { return }
        var position = range.lowerBound
        var clear = 0
        while position < range.upperBound {
            guard range.upperBound - position >= lengthSize else {
                throw CommonEncryptionError("a sample of track \(track.trackID) ends inside a NAL unit length prefix; the stored sample is damaged")
            }
            var length = 0
            for i in 0..<lengthSize { length = length << 8 | Int(bytes[position + i]) }
            let unitStart = position + lengthSize
            guard length <= range.upperBound - unitStart else {
                throw CommonEncryptionError("a NAL unit of \(length) bytes runs past the end of its sample in track \(track.trackID); the stored sample is damaged")
            }
            let protectable = length - clearLeaderSize
            if length > 0, protectable >= 16, family.isVideoCodingLayer(bytes[unitStart]) {
                let protected = protectable & ~15
                clear += lengthSize + length - protected
                appendSubsample(clear: clear, protected: protected, to: &list)
                clear = 0
            } else {
                clear += lengthSize + length
            }
            position = unitStart + length
        }
        if clear > 0 { appendSubsample(clear: clear, protected: 0, to: &list) }
    }

    /// BytesOfClearData is 16 bits: longer clear runs become subsamples with nothing protected.
    private static func appendSubsample(clear: Int, protected: Int, to list: inout [Subsample]) {
        var clear = clear
        while clear > Int(UInt16.max) {
            list.append(Subsample(clear: Int(UInt16.max), protected: 0))
            clear -= Int(UInt16.max)
        }
        list.append(Subsample(clear: clear, protected: protected))
    }

    /// Whether fragments carry sample auxiliary information: not for `cbcs` whole-sample tracks (constant IV, no
    /// subsamples: every sample is described by `tenc` alone).
    static func hasAuxiliaryInformation(scheme: ProtectionScheme, track: ProtectedTrack) -> Bool {
        !(scheme == .cbcs && track.layout == .wholeSample)
    }

    /// One sample's `senc` entry size, as `saiz` records it (one byte).
    static func auxiliaryInfoSize(scheme: ProtectionScheme, track: ProtectedTrack,
                                  subsampleCount: Int) throws(CommonEncryptionError) -> UInt8 {
        let ivSize = scheme == .cenc ? perSampleIVSize : 0
        let subsampleSize = track.layout == .wholeSample ? 0 : 2 + 6 * subsampleCount
        guard ivSize + subsampleSize <= Int(UInt8.max) else {
            throw CommonEncryptionError("a sample of track \(track.trackID) needs \(subsampleCount) subsamples, more than 'saiz' can describe (\((Int(UInt8.max) - ivSize - 2) / 6)); encode with fewer slices per picture")
        }
        return UInt8(ivSize + subsampleSize)
    }

    /// SHA-256 fed with KID ‖ ivContext: each sample's IV continues from a copy of it.
    static func ivHasher(key: ContentKey, ivContext: [UInt8]) -> SHA256 {
        var hasher = SHA256()
        hasher.update(data: key.idBytes)
        hasher.update(data: ivContext)
        return hasher
    }
}

/// Encrypts the samples of one fragment's chunks and collects their sample auxiliary information. Buffers are reused
/// from chunk to chunk and sample to sample.
struct SampleEncryptor {
    let scheme: ProtectionScheme
    let key: SymmetricKey
    let track: ProtectedTrack
    let ivPrefix: SHA256
    let constantIV: [UInt8]

    /// `senc` entries after sample_count, for the current chunk.
    private(set) var sampleInfo = ByteWriter(capacity: 1024)
    private var infoSizes: [UInt8] = []
    /// Every sample's subsamples, flat; `subsampleEnds[i]` ends sample i's.
    private var subsamples: [Subsample] = []
    private var subsampleEnds: [Int] = []
    /// Every sample's 8-byte IV, flat (`cenc`).
    private var ivs: [UInt8] = []
    /// Protected bytes gathered for one cipher call.
    private var scratch: [UInt8] = []
    /// IV ‖ 0x00 × 8: the first counter block of a `cenc` sample.
    private var counterBlock = [UInt8](repeating: 0, count: 16)

    init(scheme: ProtectionScheme, key: SymmetricKey, track: ProtectedTrack, ivPrefix: SHA256, constantIV: [UInt8]) {
        self.scheme = scheme
        self.key = key
        self.track = track
        self.ivPrefix = ivPrefix
        self.constantIV = constantIV
    }

    mutating func beginChunk(sampleCount: Int) {
        sampleInfo = ByteWriter(capacity: sampleCount * 32)
        infoSizes.removeAll(keepingCapacity: true)
        infoSizes.reserveCapacity(sampleCount)
        subsamples.removeAll(keepingCapacity: true)
        subsampleEnds.removeAll(keepingCapacity: true)
        ivs.removeAll(keepingCapacity: true)
    }

    /// Pass 1 for one sample: its subsamples and IV, recorded for `senc` and for ``encryptChunk(_:in:shift:)``.
    mutating func describe(_ bytes: [UInt8], _ sample: CommonEncryption.ChunkSample) throws(CommonEncryptionError) {
        let first = subsamples.count
        try CommonEncryption.subsamples(of: bytes, sample.range, track: track, into: &subsamples)
        subsampleEnds.append(subsamples.count)
        let count = subsamples.count - first
        infoSizes.append(try CommonEncryption.auxiliaryInfoSize(scheme: scheme, track: track, subsampleCount: count))
        if scheme == .cenc {
            var hasher = ivPrefix
            withUnsafeBytes(of: UInt64(bitPattern: sample.decodeTime).bigEndian) { hasher.update(bufferPointer: $0) }
            let start = ivs.count
            ivs.append(contentsOf: hasher.finalize().prefix(CommonEncryption.perSampleIVSize))
            sampleInfo.write(contentsOf: ivs[start...])
        }
        if track.layout != .wholeSample {
            sampleInfo.write(UInt16(count))
            for entry in subsamples[first...] {
                sampleInfo.write(UInt16(entry.clear))
                sampleInfo.write(UInt32(entry.protected))
            }
        }
    }

    /// `saiz`, `saio` and `senc` for the described samples, at the end of a `traf` being written into `w`, whose `moof`
    /// starts at `moofStart` in `w`.
    func writeAuxiliaryBoxes(into w: inout BoxWriter, moofStart: Int) {
        guard CommonEncryption.hasAuxiliaryInformation(scheme: scheme, track: track) else { return }
        let uniform = infoSizes.allSatisfy { $0 == infoSizes.first }
        w.fullBox("saiz") { w in
            w.write(uniform ? infoSizes.first ?? 0 : 0)  // default_sample_info_size; 0: one size per sample follows
            w.write(UInt32(infoSizes.count))
            if !uniform { w.write(contentsOf: infoSizes) }
        }
        var offsetField = 0
        w.fullBox("saio") { w in
            w.write(UInt32(1))  // entry_count: the traf's aux info is contiguous in senc
            offsetField = w.count
            w.write(UInt32(0))  // patched once senc's position is known
        }
        // senc's entries start after its header, version and flags and sample_count.
        w.patch(UInt32(w.count + 16 - moofStart), at: offsetField)
        w.fullBox("senc", flags: track.layout == .wholeSample ? 0 : 0x2) { w in  // 0x2: subsample information present
            w.write(UInt32(infoSizes.count))
            w.write(contentsOf: sampleInfo.bytes)
        }
    }

    // MARK: - Encryption

    /// Pass 2: encrypts every described sample in `output`, where each sample's bytes lie `shift` bytes after their
    /// place in the clear fragment.
    mutating func encryptChunk(_ samples: [CommonEncryption.ChunkSample], in output: inout [UInt8],
                               shift: Int) throws(CommonEncryptionError) {
        do {
            try output.withUnsafeMutableBytes { buffer in
                var first = 0
                for (index, sample) in samples.enumerated() {
                    let start = sample.range.lowerBound + shift
                    let sampleBuffer = UnsafeMutableRawBufferPointer(rebasing: buffer[start..<(start + sample.range.count)])
                    let end = subsampleEnds[index]
                    let parts = subsamples[first..<end]
                    first = end
                    switch scheme {
                    case .cbcs:
                        try encryptCBCS(sampleBuffer, parts)
                    default:
                        let iv = ivs[(index * CommonEncryption.perSampleIVSize)..<((index + 1) * CommonEncryption.perSampleIVSize)]
                        try encryptCENC(sampleBuffer, parts, iv: iv)
                    }
                }
            }
        } catch {
            throw CommonEncryptionError("AES failed while encrypting a fragment of track \(track.trackID): \(error)")
        }
    }

    /// AES-CTR, counter block IV ‖ 0; one keystream across the sample's protected ranges (or the whole sample).
    private mutating func encryptCENC(_ sample: UnsafeMutableRawBufferPointer, _ parts: ArraySlice<Subsample>,
                                      iv: ArraySlice<UInt8>) throws {
        counterBlock.replaceSubrange(0..<8, with: iv)
        let nonce = try AES._CTR.Nonce(nonceBytes: counterBlock)
        guard track.layout != .wholeSample else {
            guard sample.count > 0 else { return }
            let cipher = try AES._CTR.encrypt(UnsafeRawBufferPointer(sample), using: key, nonce: nonce)
            cipher.withUnsafeBytes { sample.copyMemory(from: $0) }
            return
        }
        scratch.removeAll(keepingCapacity: true)
        var offset = 0
        for part in parts {
            offset += part.clear
            scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: sample[offset..<(offset + part.protected)]))
            offset += part.protected
        }
        guard !scratch.isEmpty else { return }
        let cipher = try AES._CTR.encrypt(scratch, using: key, nonce: nonce)
        cipher.withUnsafeBytes { source in
            var offset = 0, read = 0
            for part in parts {
                offset += part.clear
                UnsafeMutableRawBufferPointer(rebasing: sample[offset..<(offset + part.protected)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[read..<(read + part.protected)]))
                offset += part.protected
                read += part.protected
            }
        }
    }

    /// AES-CBC from the constant IV: the 1:9 pattern over each protected range for video (the encrypted blocks of a
    /// range form one chain), every whole block of the sample for audio.
    private mutating func encryptCBCS(_ sample: UnsafeMutableRawBufferPointer, _ parts: ArraySlice<Subsample>) throws {
        let iv = try AES._CBC.IV(ivBytes: constantIV)
        guard track.layout != .wholeSample else {
            let whole = sample.count & ~15
            guard whole > 0 else { return }
            let region = UnsafeMutableRawBufferPointer(rebasing: sample[0..<whole])
            let cipher = try AES._CBC.encrypt(UnsafeRawBufferPointer(region), using: key, iv: iv, noPadding: true)
            cipher.withUnsafeBytes { region.copyMemory(from: $0) }
            return
        }
        let crypt = Int(CommonEncryption.videoPattern.crypt), cycle = crypt + Int(CommonEncryption.videoPattern.skip)
        var offset = 0
        for part in parts {
            offset += part.clear
            let blocks = part.protected / 16  // protected ranges are whole blocks (the subsample rule)
            defer { offset += part.protected }
            guard blocks > 0 else { continue }
            scratch.removeAll(keepingCapacity: true)
            var block = 0
            // A final run shorter than crypt_byte_block stays clear (§9.6).
            while blocks - block >= crypt {
                let at = offset + block * 16
                scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: sample[at..<(at + crypt * 16)]))
                block += cycle
            }
            let cipher = try AES._CBC.encrypt(scratch, using: key, iv: iv, noPadding: true)
            cipher.withUnsafeBytes { source in
                var block = 0, read = 0
                while blocks - block >= crypt {
                    let at = offset + block * 16
                    UnsafeMutableRawBufferPointer(rebasing: sample[at..<(at + crypt * 16)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[read..<(read + crypt * 16)]))
                    read += crypt * 16
                    block += cycle
                }
            }
        }
    }
}
