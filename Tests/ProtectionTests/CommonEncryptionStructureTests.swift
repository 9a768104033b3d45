// The boxes common encryption writes, read back with an independent reader: sample entries, tenc, pssh, senc, saiz,
// saio, trun offsets; the subsample rule; determinism and IV uniqueness.
import Crypto
import Foundation
import ISOBMFF
import Media
import Testing
import TestSupport
@testable import Protection

@Suite struct CommonEncryptionStructureTests {
    static let key = CommonEncryptionInteropTests.key

    @Test(.enabled(if: ProtectionTestMedia.hasFFmpeg, "\(ProtectionTestMedia.ffmpegMissing)"),
          arguments: [ProtectionScheme.cenc, .cbcs], TestTrack.allCases)
    func fragmentBoxesDescribeEverySample(scheme: ProtectionScheme, kind: TestTrack) throws {
        let clear = try kind.clear
        let track = try ProtectedTrack(initSegment: clear.initSegment)
        let ivSize = scheme == .cenc ? 8 : 0
        var ivs = Set<[UInt8]>()
        for fragment in clear.fragments {
            let protected = try CommonEncryption.protectFragment(fragment, scheme: scheme, key: Self.key, track: track, ivContext: Array("v".utf8))
            let clearChunk = try #require(try ProtectedChunk.read(fragment, ivSize: 0).first)
            let chunk = try #require(try ProtectedChunk.read(protected, ivSize: ivSize).first)
            // Sample sizes and order unchanged; trun data offsets point into the new mdat.
            #expect(chunk.sampleRanges.map(\.count) == clearChunk.sampleRanges.map(\.count))
            #expect(chunk.sampleRanges.first?.lowerBound == chunk.mdat.payload.startIndex)
            #expect(chunk.sampleRanges.last?.upperBound == chunk.mdat.range.upperBound)

            if scheme == .cbcs && !kind.isVideo {
                #expect(chunk.trafChildTypes == ["tfhd", "tfdt", "trun"], "cbcs audio has no sample auxiliary information")
                continue
            }
            #expect(chunk.trafChildTypes == ["tfhd", "tfdt", "trun", "saiz", "saio", "senc"])
            #expect(chunk.entries.count == chunk.sampleRanges.count)
            #expect(chunk.saizSizes.count == chunk.sampleRanges.count)
            #expect(Int(try #require(chunk.saioOffset)) == chunk.sencEntriesOffset, "saio points at senc's first entry, relative to moof")
            #expect(chunk.sencFlags == (kind.isVideo ? 2 : 0))
            for (index, entry) in chunk.entries.enumerated() {
                #expect(Int(chunk.saizSizes[index]) == ivSize + (kind.isVideo ? 2 + 6 * entry.subsamples.count : 0))
                if kind.isVideo {
                    let total = entry.subsamples.reduce(0) { $0 + $1.clear + $1.protected }
                    #expect(total == chunk.sampleRanges[index].count, "sample \(index)'s subsamples cover it exactly")
                    #expect(entry.subsamples.allSatisfy { $0.protected % 16 == 0 })
                    #expect(entry.subsamples.contains { $0.protected > 0 })
                    // Clear bytes stay clear.
                    var offset = chunk.sampleRanges[index].lowerBound, clearOffset = clearChunk.sampleRanges[index].lowerBound
                    for part in entry.subsamples {
                        #expect(protected[offset..<(offset + part.clear)] == fragment[clearOffset..<(clearOffset + part.clear)])
                        offset += part.clear + part.protected
                        clearOffset += part.clear + part.protected
                    }
                }
                if scheme == .cenc {
                    // IV = SHA-256(KID ‖ ivContext ‖ decode time)[0..<8], never repeated.
                    let expected = SHA256.hash(data: Self.key.idBytes + Array("v".utf8) + bigEndian(chunk.decodeTimes[index]))
                    #expect(entry.iv == Array(expected.prefix(8)))
                    #expect(ivs.insert(entry.iv).inserted, "IV repeated")
                }
            }
        }
    }

    @Test(.enabled(if: ProtectionTestMedia.hasFFmpeg, "\(ProtectionTestMedia.ffmpegMissing)"),
          arguments: [ProtectionScheme.cenc, .cbcs], TestTrack.allCases)
    func referenceDecryptionGivesBackEverySample(scheme: ProtectionScheme, kind: TestTrack) throws {
        let clear = try kind.clear
        let protectedInit = try CommonEncryptionInteropTests.protectedInit(clear, scheme: scheme)
        for (fragment, protected) in zip(clear.fragments, try CommonEncryptionInteropTests.protectedFragments(clear, scheme: scheme)) {
            let samples = try MovieFragment(parsing: fragment).samples.map { Array($0.data) }
            let encrypted = try MovieFragment(parsing: protected).samples.map { Array($0.data) }
            #expect(zip(samples, encrypted).filter { $0.0 != $0.1 }.count > samples.count / 2, "most samples change")
            #expect(try ReferenceDecryptor.decrypt(fragment: protected, protectedInit: protectedInit, key: Self.key.value) == samples)
        }
    }

    @Test(.enabled(if: ProtectionTestMedia.hasFFmpeg, "\(ProtectionTestMedia.ffmpegMissing)"),
          arguments: [ProtectionScheme.cenc, .cbcs])
    func lowLatencyChunksAreProtectedChunkByChunk(scheme: ProtectionScheme) throws {
        // A fragment made of CMAF chunks (styp moof mdat moof mdat …), as low-latency channels store them.
        let clear = try ProtectionTestMedia.video()
        let samples = try MovieFragment(parsing: clear.fragments[0]).samples.map {
            Sample(decodeTime: $0.decodeTime, compositionOffset: $0.compositionOffset, duration: $0.duration, isSync: $0.isSync, data: Array($0.data))
        }
        var chunked: [UInt8] = []
        for (index, start) in stride(from: 0, to: samples.count, by: 4).enumerated() {
            chunked += CMAFWriter.mediaSegment(track: clear.info, sequenceNumber: UInt32(index + 1),
                                               samples: Array(samples[start..<min(start + 4, samples.count)]), includeStyp: index == 0)
        }
        let track = try ProtectedTrack(initSegment: clear.initSegment)
        let protected = try CommonEncryption.protectFragment(chunked, scheme: scheme, key: Self.key, track: track, ivContext: [1])
        let chunks = try ProtectedChunk.read(protected, ivSize: scheme == .cenc ? 8 : 0)
        #expect(chunks.count == (samples.count + 3) / 4)
        for chunk in chunks {
            #expect(Int(try #require(chunk.saioOffset)) == chunk.sencEntriesOffset)
            #expect(chunk.entries.count == chunk.sampleRanges.count)
        }
        let protectedInit = try CommonEncryptionInteropTests.protectedInit(clear, scheme: scheme)
        #expect(try ReferenceDecryptor.decrypt(fragment: protected, protectedInit: protectedInit, key: Self.key.value) == samples.map(\.data))
    }

    @Test(.enabled(if: ProtectionTestMedia.hasFFmpeg, "\(ProtectionTestMedia.ffmpegMissing)"))
    func sameInputGivesTheSameBytesAndRenditionsGetTheirOwnIVs() throws {
        let clear = try ProtectionTestMedia.video()
        let track = try ProtectedTrack(initSegment: clear.initSegment)
        let fragment = clear.fragments[0]
        for scheme in [ProtectionScheme.cenc, .cbcs] {
            let first = try CommonEncryption.protectFragment(fragment, scheme: scheme, key: Self.key, track: track, ivContext: Array("video-500000".utf8))
            let again = try CommonEncryption.protectFragment(fragment, scheme: scheme, key: Self.key, track: track, ivContext: Array("video-500000".utf8))
            #expect(first == again, "\(scheme) is deterministic")
            let initOnce = try CommonEncryption.protectInitSegment(clear.initSegment, scheme: scheme, key: Self.key, pssh: [])
            #expect(initOnce == (try CommonEncryption.protectInitSegment(clear.initSegment, scheme: scheme, key: Self.key, pssh: [])))
        }
        let a = try ProtectedChunk.read(CommonEncryption.protectFragment(fragment, scheme: .cenc, key: Self.key, track: track, ivContext: Array("video-500000".utf8)), ivSize: 8)[0]
        let b = try ProtectedChunk.read(CommonEncryption.protectFragment(fragment, scheme: .cenc, key: Self.key, track: track, ivContext: Array("video-1000000".utf8)), ivSize: 8)[0]
        #expect(Set(a.entries.map(\.iv)).isDisjoint(with: Set(b.entries.map(\.iv))), "two renditions never share an IV")
    }

    // MARK: - Init segments

    @Test(.enabled(if: ProtectionTestMedia.hasFFmpeg, "\(ProtectionTestMedia.ffmpegMissing)"),
          arguments: [ProtectionScheme.cenc, .cbcs], TestTrack.allCases)
    func initSegmentCarriesTheSchemeBoxes(scheme: ProtectionScheme, kind: TestTrack) throws {
        let clear = try kind.clear
        let pssh = [PSSH.box(for: .clearKey, key: Self.key, scheme: scheme)!, PSSH.box(for: .playReady, key: Self.key, scheme: scheme)!]
        let protected = try CommonEncryption.protectInitSegment(clear.initSegment, scheme: scheme, key: Self.key, pssh: pssh)
        let sinfSize = 8 + 12 + 20 + 8 + (scheme == .cenc ? 32 : 49)
        #expect(protected.count == clear.initSegment.count + sinfSize + pssh.reduce(0) { $0 + $1.count })
        let boxes = try Box.parseAll(protected)  // every size consistent, or this throws
        let clearBoxes = try Box.parseAll(clear.initSegment)
        let stsd = try #require(boxes.first(path: "moov/trak/mdia/minf/stbl/stsd"))
        let entry = try #require(stsd.children.first)
        let clearEntry = try #require(clearBoxes.first(path: "moov/trak/mdia/minf/stbl/stsd")?.children.first)
        #expect(entry.type == (kind.isVideo ? "encv" : "enca"))
        #expect(entry.payload.prefix(clearEntry.payload.count).elementsEqual(clearEntry.payload), "the entry keeps its fields and children")
        let sinf = try #require(entry.children.last)
        #expect(sinf.type == "sinf")
        #expect(String(decoding: try #require(sinf.first(path: "frma")).payload, as: UTF8.self) == clearEntry.type)
        let schm = try #require(sinf.first(path: "schm")).payload
        #expect(Array(schm) == [0, 0, 0, 0] + Array((scheme == .cenc ? "cenc" : "cbcs").utf8) + [0, 1, 0, 0])
        let tenc = try TrackEncryption(try #require(sinf.first(path: "schi/tenc")))
        #expect(tenc.keyID == Self.key.idBytes && tenc.isProtected == 1)
        switch scheme {
        case .cenc:
            #expect(tenc.version == 0 && tenc.perSampleIVSize == 8 && tenc.constantIV == nil)
        default:
            #expect(tenc.version == 1 && tenc.perSampleIVSize == 0)
            #expect(tenc.constantIV == CommonEncryption.constantIV(for: Self.key) && tenc.constantIV?.count == 16)
            #expect((tenc.cryptByteBlock, tenc.skipByteBlock) == (kind.isVideo ? (1, 9) : (0, 0)))
        }
        // pssh boxes end the moov, in order.
        let moov = try #require(boxes.first(path: "moov"))
        #expect(moov.children.suffix(2).map(\.type) == ["pssh", "pssh"])
        #expect(moov.children.suffix(2).map { Array(protected[$0.range]) } == pssh)
        // Everything else is as it was.
        #expect(boxes.first(path: "moov/mvex").map { Array(protected[$0.range]) } == clearBoxes.first(path: "moov/mvex").map { Array(clear.initSegment[$0.range]) })
        // ProtectedTrack refuses the protected header: it must be built from the clear one.
        #expect(throws: CommonEncryptionError.self) { try ProtectedTrack(initSegment: protected) }
        #expect(throws: CommonEncryptionError.self) { try CommonEncryption.protectInitSegment(protected, scheme: scheme, key: Self.key, pssh: []) }
    }

    @Test(.enabled(if: ProtectionTestMedia.hasFFmpeg, "\(ProtectionTestMedia.ffmpegMissing)"))
    func protectedTrackReadsTheClearHeader() throws {
        let video = try ProtectedTrack(initSegment: try ProtectionTestMedia.video().initSegment)
        #expect(video == ProtectedTrack(trackID: 1, kind: .video, originalFormat: "avc1", layout: .nalUnits(.avc, lengthSize: 4)))
        let hevc = try ProtectedTrack(initSegment: try ProtectionTestMedia.hevc().initSegment)
        #expect(hevc == ProtectedTrack(trackID: 1, kind: .video, originalFormat: "hvc1", layout: .nalUnits(.hevc, lengthSize: 4)))
        let audio = try ProtectedTrack(initSegment: try ProtectionTestMedia.audio().initSegment)
        #expect(audio == ProtectedTrack(trackID: 2, kind: .audio, originalFormat: "mp4a", layout: .wholeSample))
        let fragment = try ProtectionTestMedia.video().fragments[0]
        #expect(throws: CommonEncryptionError.self) {
            try CommonEncryption.protectFragment(fragment, scheme: .cenc, key: Self.key, track: audio, ivContext: [])
        }
        let protected = try CommonEncryption.protectFragment(fragment, scheme: .cenc, key: Self.key, track: video, ivContext: [])
        #expect(throws: CommonEncryptionError.self) {
            try CommonEncryption.protectFragment(protected, scheme: .cenc, key: Self.key, track: video, ivContext: [])
        }
        #expect(throws: CommonEncryptionError.self) {
            try CommonEncryption.protectFragment(fragment, scheme: .envelope, key: Self.key, track: video, ivContext: [])
        }
    }

    @Test(.enabled(if: ProtectionTestMedia.hasFFmpeg, "\(ProtectionTestMedia.ffmpegMissing)"))
    func aDamagedFragmentIsRefusedNotRead() throws {
        let clear = try ProtectionTestMedia.video()
        let track = try ProtectedTrack(initSegment: clear.initSegment)
        let fragment = clear.fragments[0]
        let trun = try #require(try Box.parseAll(fragment).first(path: "moof/traf/trun"))
        for (field, value) in [(8, UInt32(0x7FFF_FFF0)), (8, UInt32(0xFFFF_0000)), (16, UInt32(0xFFFF_FFFF))] {  // data_offset, first sample size
            var damaged = fragment
            for i in 0..<4 { damaged[trun.payload.startIndex + field + i] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(i))) }
            #expect(throws: CommonEncryptionError.self) {
                try CommonEncryption.protectFragment(damaged, scheme: .cenc, key: Self.key, track: track, ivContext: [])
            }
        }
        #expect(throws: CommonEncryptionError.self) {
            try CommonEncryption.protectFragment(Array(fragment.dropLast(10)), scheme: .cenc, key: Self.key, track: track, ivContext: [])
        }
    }

    func bigEndian(_ v: Int64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: v) >> (56 - 8 * UInt64($0))) } }
}
