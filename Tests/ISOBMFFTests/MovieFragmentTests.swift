// Reading CMAF fragments back into samples, and the Smooth Streaming fragment form (tfxd, tfrf).
import Media
import Testing
@testable import ISOBMFF

@Suite struct MovieFragmentTests {
    static let base: Int64 = 17_000_000_000_000_000

    func samples() -> [Sample] {
        (0..<5).map { i in
            Sample(decodeTime: Self.base + Int64(i) * 333_333, compositionOffset: i == 2 ? -333_333 : (i == 0 ? 0 : 666_666),
                   duration: 333_333, isSync: i == 0, data: [UInt8](repeating: UInt8(i), count: 10 + i))
        }
    }

    @Test func canonicalFragmentReadsBackIntoTheSameSamples() throws {
        let track = try Vectors.videoTrack(Vectors.avcHigh720)
        let written = samples()
        let bytes = CMAFWriter.mediaSegment(track: track, sequenceNumber: 42, samples: written)
        let fragment = try MovieFragment(parsing: bytes)
        #expect(fragment.sequenceNumber == 42 && fragment.trackID == track.trackID)
        #expect(fragment.baseMediaDecodeTime == Self.base)
        #expect(fragment.samples.map { Sample(decodeTime: $0.decodeTime, compositionOffset: $0.compositionOffset, duration: $0.duration,
                                              isSync: $0.isSync, data: Array($0.data)) } == written)
        #expect(fragment.endTime == Self.base + 5 * 333_333)
        // Without styp too.
        let bare = try MovieFragment(parsing: CMAFWriter.mediaSegment(track: track, sequenceNumber: 1, samples: written, includeStyp: false))
        #expect(bare.samples.count == 5)
    }

    @Test func truncatedOrForeignBytesAreErrorsNotTraps() throws {
        let track = try Vectors.videoTrack(Vectors.avcHigh720)
        let bytes = CMAFWriter.mediaSegment(track: track, sequenceNumber: 1, samples: samples())
        #expect(throws: MediaParseError.self) { try MovieFragment(parsing: Array(bytes.dropLast(3))) }
        #expect(throws: MediaParseError.self) { try MovieFragment(parsing: CMAFWriter.initSegment(for: track)) }
        #expect(throws: MediaParseError.self) { try MovieFragment(parsing: []) }
        // A sample size pointing past the mdat.
        var corrupt = bytes
        let trun = try #require(try Box.parseAll(bytes).first(path: "moof/traf/trun"))
        corrupt[trun.range.lowerBound + 25] = 0xFF  // header 8, version/flags 4, count 4, offset 4, duration 4: size
        #expect(throws: MediaParseError.self) { try MovieFragment(parsing: corrupt) }
    }

    @Test func smoothFragmentHasTfxdAndLiveTfrf() throws {
        let track = try Vectors.videoTrack(Vectors.avcHigh720)
        let parsed = try MovieFragment(parsing: CMAFWriter.mediaSegment(track: track, sequenceNumber: 7, samples: samples()))
        let following = [CMAFWriter.FragmentReference(time: Self.base + 20_000_000, duration: 20_000_000),
                         CMAFWriter.FragmentReference(time: Self.base + 40_000_000, duration: 19_000_000)]
        let bytes = CMAFWriter.smoothFragment(trackID: 1, sequenceNumber: 7, samples: parsed.samples, duration: 20_000_000,
                                              following: following)
        #expect(bytes.count == CMAFWriter.smoothFragmentSize(sampleCount: 5, dataSize: 60, hasCompositionOffsets: true, followingCount: 2))
        let boxes = try Box.parseAll(bytes)
        #expect(boxes.map(\.type) == ["moof", "mdat"])
        let traf = try #require(boxes.first(path: "moof/traf"))
        #expect(traf.children.map(\.type) == ["tfhd", "tfdt", "trun", "uuid", "uuid"])
        // tfhd: no default-base-is-moof; trun version 1 because one offset is negative.
        #expect(try traf.children[0].fullBoxHeader().flags == 0)
        #expect(try traf.children[2].fullBoxHeader().version == 1)
        let tfxd = traf.children[3], tfrf = traf.children[4]
        #expect(tfxd.userType == CMAFWriter.tfxdUserType && tfrf.userType == CMAFWriter.tfrfUserType)
        var x = PayloadReader(tfxd.payload)
        #expect(try x.u32() == 0x0100_0000)
        #expect(try x.u64() == UInt64(Self.base) && x.reader.remaining == 8)
        #expect(try x.u64() == 20_000_000)
        var f = PayloadReader(tfrf.payload)
        #expect(try f.u32() == 0x0100_0000 && f.u8() == 2)
        #expect(try [f.u64(), f.u64(), f.u64(), f.u64()] == [UInt64(Self.base + 20_000_000), 20_000_000, UInt64(Self.base + 40_000_000), 19_000_000])
        // The same samples read back from the Smooth form (its data offset counts from the moof).
        let reread = try MovieFragment(parsing: bytes)
        #expect(reread.samples == parsed.samples)  // ArraySlice equality compares elements
        #expect(reread.samples.map { Array($0.data) } == parsed.samples.map { Array($0.data) })

        // On demand: no tfrf; without negative offsets trun is version 0.
        let plain = samples().map { sample -> FragmentSample in
            var s = FragmentSample(sample)
            s.compositionOffset = max(0, s.compositionOffset)
            return s
        }
        let vod = CMAFWriter.smoothFragment(trackID: 1, sequenceNumber: 7, samples: plain, duration: 20_000_000, following: nil)
        let vodTraf = try #require(try Box.parseAll(vod).first(path: "moof/traf"))
        #expect(vodTraf.children.map(\.type) == ["tfhd", "tfdt", "trun", "uuid"])
        #expect(try vodTraf.children[2].fullBoxHeader().version == 0)
        #expect(vod.count == CMAFWriter.smoothFragmentSize(sampleCount: 5, dataSize: 60, hasCompositionOffsets: true, followingCount: nil))
    }
}
