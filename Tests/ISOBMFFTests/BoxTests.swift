import TestSupport
import Testing
import Media
@testable import ISOBMFF

@Suite struct BoxTests {
    @Test func readsSizeZeroAsToTheEnd() throws {
        let bytes = hexBytes("00000008 66726565  00000000 6d646174 01020304")
        let boxes = try Box.parseAll(bytes)
        #expect(boxes.map(\.type) == ["free", "mdat"])
        #expect(Array(boxes[1].payload) == [1, 2, 3, 4])
        #expect(boxes[1].range == 8..<20)
    }

    @Test func readsLargeSize() throws {
        let bytes = hexBytes("00000001 6d646174 0000000000000013 aabbcc")
        let boxes = try Box.parseAll(bytes)
        #expect(boxes.count == 1 && boxes[0].size == 19)
        #expect(Array(boxes[0].payload) == [0xAA, 0xBB, 0xCC])
    }

    @Test func readsUUIDBoxes() throws {
        let userType = (0..<16).map { UInt8($0) }
        let bytes = hexBytes("0000001a 75756964") + userType + [0xDE, 0xAD]
        let box = try #require(try Box.parseAll(bytes).first)
        #expect(box.type == "uuid" && box.userType == userType && Array(box.payload) == [0xDE, 0xAD])
    }

    @Test func rejectsBadSizes() {
        let cases: [(String, [UInt8])] = [
            ("size beyond the buffer", hexBytes("00000010 6d646174 0102")),
            ("size below the header", hexBytes("00000004 6d646174")),
            ("largesize below the header", hexBytes("00000001 6d646174 000000000000000f")),
            ("largesize beyond the buffer", hexBytes("00000001 6d646174 ffffffffffffffff")),
            ("header cut", hexBytes("000000")),
            ("type cut", hexBytes("00000008 6d64")),
            ("largesize cut", hexBytes("00000001 6d646174 0000")),
            ("uuid without its type", hexBytes("0000000c 75756964 00000000")),
            ("child beyond its parent", hexBytes("00000010 6d6f6f66 00000010 6d666864")),
            ("stsd shorter than its header", hexBytes("0000000c 73747364 00000000")),
        ]
        for (what, bytes) in cases {
            #expect(throws: MediaParseError.self, "\(what)") { try Box.parseAll(bytes) }
        }
    }

    @Test func navigatesInitSegmentsIntoSampleEntries() throws {
        let track = try Vectors.videoTrack(Vectors.avcHigh720)
        let boxes = try Box.parseAll(CMAFWriter.initSegment(for: track))
        let avcC = try #require(boxes.first(path: "moov/trak/mdia/minf/stbl/stsd/avc1/avcC"))
        #expect(Array(avcC.payload) == Vectors.avcHigh720)
        #expect(boxes.first(path: "moov/trak/mdia/minf/stbl/stsd/hvc1") == nil)
        #expect(boxes.first(path: "moov/nope") == nil)
    }

    /// Found by the fmp4_ingest fuzz target (Tests/Fuzz): a `trun` declaring 4 294 967 295 samples with no
    /// per-sample field passed the bytes-present check (0 bytes needed) and reserved ~50 GB, killing the process.
    @Test func trackRunWithAHugeSampleCountIsRefusedBeforeAllocating() throws {
        let boxes = try Box.parseAll(hexBytes("00000010 7472756e 00000000 ffffffff"))
        #expect(throws: MediaParseError.self) { try TrackRun(boxes[0]) }
        let atLimit = try Box.parseAll(hexBytes("00000010 7472756e 00000000 00100000"))
        #expect(try TrackRun(atLimit[0]).entries.count == TrackRun.maximumSampleCount)
    }

    @Test func parsesFragmentBoxes() throws {
        let boxes = try Box.parseAll(hexBytes("""
            00000010 6d666864 00000000 0000002a
            0000001c 74666864 00020038 00000005 00000400 00000200 01010000
            00000010 74666474 00000000 00001234
            00000028 7472756e 00000305 00000002 00000064 02000000 00000010 00000011 00000012 00000013
            """))
        #expect(try MovieFragmentHeader(boxes[0]).sequenceNumber == 42)
        let tfhd = try TrackFragmentHeader(boxes[1])
        #expect(tfhd.trackID == 5 && tfhd.isDefaultBaseMoof)
        #expect(tfhd.defaultSampleDuration == 0x400 && tfhd.defaultSampleSize == 0x200)
        #expect(tfhd.defaultSampleFlags == SampleFlags.nonSync && tfhd.baseDataOffset == nil)
        let tfdt = try TrackFragmentDecodeTime(boxes[2])
        #expect(tfdt.version == 0 && tfdt.baseMediaDecodeTime == 0x1234)
        let trun = try TrackRun(boxes[3])
        #expect(trun.dataOffset == 100 && trun.firstSampleFlags == SampleFlags.sync)
        #expect(trun.entries.map(\.duration) == [0x10, 0x12])
        #expect(trun.entries.map(\.size) == [0x11, 0x13])
        #expect(trun.entries.allSatisfy { $0.flags == nil && $0.compositionOffset == nil })
        #expect(throws: MediaParseError.self) { try TrackRun(boxes[2]) }
    }

    @Test func rejectsTrunCountsLargerThanTheBox() throws {
        let boxes = try Box.parseAll(hexBytes("00000014 7472756e 00000300 ffffffff 00000001"))
        #expect(throws: MediaParseError.self) { try TrackRun(boxes[0]) }
        let badTfdt = try Box.parseAll(hexBytes("00000010 74666474 02000000 00000001"))
        #expect(throws: MediaParseError.self) { try TrackFragmentDecodeTime(badTfdt[0]) }
    }

    @Test func everyTruncationOfASegmentThrowsAndGarbageNeverTraps() throws {
        let track = try Vectors.videoTrack(Vectors.avcHigh720)
        let segment = CMAFWriter.mediaSegment(track: track, sequenceNumber: 1, samples: [
            Sample(decodeTime: 0, duration: 10, isSync: true, data: [1, 2, 3]),
        ])
        // A prefix ending between top-level boxes parses; every other one ends inside a box and must throw.
        let boundaries = try Box.parseAll(segment).map(\.range.upperBound)
        #expect(boundaries.count == 3)
        for length in 1..<segment.count {
            let prefix = Array(segment.prefix(length))
            if boundaries.contains(length) {
                #expect(try Box.parseAll(prefix).last?.range.upperBound == length)
            } else {
                #expect(throws: MediaParseError.self) { try Box.parseAll(prefix) }
            }
        }
        var state: UInt64 = 1
        for _ in 0..<5000 {
            var mutated = segment
            for _ in 0..<2 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                mutated[Int(state >> 33) % mutated.count] = UInt8(truncatingIfNeeded: state >> 13)
            }
            if let boxes = try? Box.parseAll(mutated), let trun = boxes.first(path: "moof/traf/trun") {
                _ = try? TrackRun(trun)
            }
        }
    }
}
