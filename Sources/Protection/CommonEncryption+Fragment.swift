import Crypto
import Foundation
import ISOBMFF
import Media

// MARK: - Fragments

extension CommonEncryption {
    /// A clear CMAF fragment (`[styp] moof mdat`, or a run of CMAF chunks `moof mdat moof mdat …`) with every sample
    /// encrypted for `track` (see the type's documentation for the scheme, IV and clear-byte rules). Each `traf` gains
    /// `saiz`, `saio` and `senc` after its `trun`s (none for `cbcs` audio, which has no auxiliary information); `trun`
    /// data offsets and every enclosing size are fixed; `saio` points at the first IV (or subsample count) in `senc`,
    /// relative to the `moof` (default-base-is-moof, as CMAF requires). Sample sizes do not change, so the mdat keeps
    /// its size.
    ///
    /// `ivContext` must differ between renditions encrypted with one key (the origin uses the track name and bitrate);
    /// it only matters for `cenc`. Apply `FragmentDecodeTime.shifted` after this call, not before: the IVs are derived
    /// from the stored decode times, so the same sample gets the same IV whatever the presentation.
    public static func protectFragment(_ fragment: [UInt8], scheme: ProtectionScheme, key: ContentKey,
                                       track: ProtectedTrack, ivContext: [UInt8]) throws(CommonEncryptionError) -> [UInt8] {
        guard schemeType(scheme) != nil else {
            throw CommonEncryptionError("the AES-128 envelope ('cbc') encrypts whole segments; use EnvelopeEncryption, not common encryption, for it")
        }
        let boxes: [Box]
        do { boxes = try Box.parseAll(fragment) } catch { throw .parse(error, in: "the fragment") }
        let symmetricKey = SymmetricKey(data: key.value)
        var encryptor = SampleEncryptor(scheme: scheme, key: symmetricKey, track: track,
                                        ivPrefix: ivHasher(key: key, ivContext: ivContext), constantIV: constantIV(for: key))
        var output: [UInt8] = []
        output.reserveCapacity(fragment.count + 4096)
        var index = 0
        while index < boxes.count {
            let box = boxes[index]
            guard box.type == "moof" else {
                if box.type == "mdat" { throw CommonEncryptionError("the fragment has an 'mdat' with no 'moof' before it") }
                // Its referenced sizes would no longer match the grown moofs.
                if box.type == "sidx" { throw CommonEncryptionError("the fragment starts with a 'sidx'; pass the stored moof/mdat pairs (with their styp) and index the protected result") }
                output.append(contentsOf: fragment[box.range])
                index += 1
                continue
            }
            guard index + 1 < boxes.count, boxes[index + 1].type == "mdat" else {
                throw CommonEncryptionError("a 'moof' not followed by its 'mdat'; only CMAF fragments and chunks (moof then mdat) can be encrypted")
            }
            try protectChunk(moof: box, mdat: boxes[index + 1], in: fragment, encryptor: &encryptor, into: &output)
            index += 2
        }
        return output
    }

    // MARK: - One chunk

    /// One sample of a chunk: where its bytes lie in the clear fragment and its decode time.
    struct ChunkSample {
        var range: Range<Int>
        var decodeTime: Int64
    }

    /// The samples of one `moof` (each checked to lie in the `mdat` that follows it) and where its `trun` data offsets
    /// lie.
    struct ChunkLayout {
        var traf: Box
        var samples: [ChunkSample] = []
        /// Offsets (in the clear fragment) of each `trun`'s data_offset field.
        var dataOffsetFields: [Int] = []

        init(moof: Box, mdat: Box, in bytes: [UInt8], track: ProtectedTrack) throws(CommonEncryptionError) {
            let trafs = moof.children(ofType: "traf")
            guard trafs.count == 1 else {
                throw CommonEncryptionError("a 'moof' with \(trafs.count) 'traf' boxes; CMAF fragments carry exactly one track")
            }
            traf = trafs[0]
            if let found = traf.children.first(where: { ["senc", "saiz", "saio"].contains($0.type) }) {
                throw CommonEncryptionError("the fragment already has '\(found.type)': it is encrypted; pass the clear stored fragment")
            }
            do {
                guard let tfhdBox = traf.children.first(where: { $0.type == "tfhd" }),
                      let tfdtBox = traf.children.first(where: { $0.type == "tfdt" }) else {
                    throw CommonEncryptionError("a 'traf' without 'tfhd' or 'tfdt'; CMAF fragments carry both")
                }
                let tfhd = try TrackFragmentHeader(tfhdBox)
                guard tfhd.trackID == track.trackID else {
                    throw CommonEncryptionError("the fragment belongs to track \(tfhd.trackID) but the ProtectedTrack describes track \(track.trackID); build it from this track's init segment")
                }
                guard tfhd.baseDataOffset == nil else {
                    throw CommonEncryptionError("'tfhd' with an explicit base_data_offset; CMAF fragments use default-base-is-moof")
                }
                var time = Int64(clamping: try TrackFragmentDecodeTime(tfdtBox).baseMediaDecodeTime)
                for trunBox in traf.children(ofType: "trun") {
                    let trun = try TrackRun(trunBox)
                    guard let dataOffset = trun.dataOffset else {
                        throw CommonEncryptionError("a 'trun' without data_offset; CMAF fragments give it")
                    }
                    dataOffsetFields.append(trunBox.payload.startIndex + 8)  // after version/flags and sample_count
                    var offset = moof.range.lowerBound + Int(dataOffset)
                    samples.reserveCapacity(samples.count + trun.entries.count)
                    for entry in trun.entries {
                        guard let size = entry.size ?? tfhd.defaultSampleSize, let duration = entry.duration ?? tfhd.defaultSampleDuration else {
                            throw CommonEncryptionError("a 'trun' sample with no size or duration and no 'tfhd' default")
                        }
                        samples.append(ChunkSample(range: offset..<(offset + Int(size)), decodeTime: time))
                        offset += Int(size)
                        time &+= Int64(duration)  // a hostile tfdt near Int64.max must not trap
                    }
                }
            } catch let error as CommonEncryptionError {
                throw error
            } catch let error as MediaParseError {
                throw .parse(error, in: "the fragment's 'traf'")
            } catch {
                throw CommonEncryptionError("the fragment's 'traf' could not be read: \(error)")
            }
            let dataStart = mdat.payload.startIndex, dataEnd = mdat.payload.endIndex
            for sample in samples where sample.range.lowerBound < dataStart || sample.range.upperBound > dataEnd {
                throw CommonEncryptionError("a sample at bytes \(sample.range) lies outside the 'mdat' that follows its 'moof' (\(dataStart)..<\(dataEnd)); the stored fragment is damaged")
            }
        }
    }

    private static func protectChunk(moof: Box, mdat: Box, in fragment: [UInt8], encryptor: inout SampleEncryptor,
                                     into output: inout [UInt8]) throws(CommonEncryptionError) {
        let layout = try ChunkLayout(moof: moof, mdat: mdat, in: fragment, track: encryptor.track)

        // Pass 1: subsamples and IVs → senc, saiz; the samples themselves are encrypted in the output afterwards.
        encryptor.beginChunk(sampleCount: layout.samples.count)
        for sample in layout.samples {
            try encryptor.describe(fragment, sample)
        }

        // The new moof: every child copied, the traf extended; trun data offsets move by the growth of the moof.
        var w = BoxWriter(capacity: moof.size + encryptor.sampleInfo.count + layout.samples.count + 64)
        var dataOffsetPositions: [(old: Int, new: Int)] = []
        w.begin("moof")
        for child in moof.children {
            guard child.range == layout.traf.range else {
                w.write(contentsOf: fragment[child.range])
                continue
            }
            w.begin("traf")
            for box in child.children {
                for field in layout.dataOffsetFields where box.range.contains(field) {
                    dataOffsetPositions.append((field, w.count + field - box.range.lowerBound))
                }
                w.write(contentsOf: fragment[box.range])
            }
            encryptor.writeAuxiliaryBoxes(into: &w, moofStart: 0)
            w.end()
        }
        w.end()
        var moofBytes = w.bytes
        let growth = moofBytes.count - moof.size
        for (old, new) in dataOffsetPositions {
            let value = UInt32(fragment[old]) << 24 | UInt32(fragment[old + 1]) << 16 | UInt32(fragment[old + 2]) << 8 | UInt32(fragment[old + 3])
            let moved = UInt32(truncatingIfNeeded: Int64(Int32(bitPattern: value)) + Int64(growth))
            for i in 0..<4 { moofBytes[new + i] = UInt8(truncatingIfNeeded: moved >> (24 - 8 * UInt32(i))) }
        }
        output.append(contentsOf: moofBytes)

        // Pass 2: the mdat copied as is, then each sample encrypted in place.
        let mdatOut = output.count
        output.append(contentsOf: fragment[mdat.range])
        let shift = mdatOut - mdat.range.lowerBound
        try encryptor.encryptChunk(layout.samples, in: &output, shift: shift)
    }
}
