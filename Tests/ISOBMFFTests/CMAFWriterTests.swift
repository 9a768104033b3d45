import TestSupport
import Testing
import Media
@testable import ISOBMFF

@Suite struct CMAFWriterTests {
    static let liveTime: Int64 = 17_000_000_000_000_000

    // MARK: - Media segments

    @Test func writesAMediaSegmentByteExact() throws {
        let track = try Vectors.videoTrack(Vectors.avcHigh720)
        let samples = [
            Sample(decodeTime: Self.liveTime, compositionOffset: 800_000, duration: 400_000, isSync: true, data: [1, 2, 3]),
            Sample(decodeTime: Self.liveTime + 400_000, compositionOffset: -400_000, duration: 400_000, isSync: false, data: [4, 5]),
        ]
        let bytes = CMAFWriter.mediaSegment(track: track, sequenceNumber: 7, samples: samples)
        let expected = hexBytes("""
            0000001c 73747970 6d736468 00000000 6d736468 636d6673 636d6666
            00000078 6d6f6f66
              00000010 6d666864 00000000 00000007
              00000060 74726166
                00000010 74666864 00020000 00000001
                00000014 74666474 01000000 003c6568f12e8000
                00000034 7472756e 01000f01 00000002 00000080
                  00061a80 00000003 02000000 000c3500
                  00061a80 00000002 01010000 fff9e580
            0000000d 6d646174 0102030405
            """)
        #expect(bytes == expected)
        #expect(CMAFWriter.mediaSegmentSize(samples: samples) == bytes.count)
    }

    @Test func omitsCompositionOffsetsWhenAllAreZeroAndStypOnRequest() throws {
        let track = Vectors.audioTrack()
        let samples = (0..<3).map { Sample(decodeTime: 1024 * Int64($0), duration: 1024, isSync: true, data: [UInt8($0)]) }
        let bytes = CMAFWriter.mediaSegment(track: track, sequenceNumber: 1, samples: samples, includeStyp: false)
        let boxes = try Box.parseAll(bytes)
        #expect(boxes.map(\.type) == ["moof", "mdat"])
        let trun = try TrackRun(try #require(boxes.first(path: "moof/traf/trun")))
        #expect(trun.version == 1)
        #expect(trun.flags == TrackRun.dataOffsetPresent | TrackRun.sampleDurationPresent | TrackRun.sampleSizePresent
                | TrackRun.sampleFlagsPresent)
        #expect(trun.entries.allSatisfy { $0.compositionOffset == nil && $0.flags == SampleFlags.sync })
        #expect(bytes.count == CMAFWriter.mediaSegmentSize(samples: samples, includeStyp: false))
    }

    @Test func fragmentFieldsPointAtTheSampleData() throws {
        let track = try Vectors.videoTrack(Vectors.avcHigh720, id: 9)
        let samples = (0..<30).map { i in
            Sample(decodeTime: Self.liveTime + Int64(i) * 333_667, compositionOffset: i % 3 == 0 ? 0 : 667_334,
                   duration: 333_667, isSync: i == 0, data: [UInt8](repeating: UInt8(i), count: 10 + i))
        }
        let bytes = CMAFWriter.mediaSegment(track: track, sequenceNumber: 123, samples: samples)
        let boxes = try Box.parseAll(bytes)
        let moof = try #require(boxes.first(path: "moof"))
        #expect(try MovieFragmentHeader(try #require(moof.first(path: "mfhd"))).sequenceNumber == 123)
        let tfhd = try TrackFragmentHeader(try #require(moof.first(path: "traf/tfhd")))
        #expect(tfhd.trackID == 9 && tfhd.isDefaultBaseMoof)
        let tfdt = try TrackFragmentDecodeTime(try #require(moof.first(path: "traf/tfdt")))
        #expect(tfdt.version == 1 && tfdt.baseMediaDecodeTime == UInt64(Self.liveTime))
        let trun = try TrackRun(try #require(moof.first(path: "traf/trun")))
        #expect(trun.entries.count == 30)
        var offset = moof.range.lowerBound + Int(try #require(trun.dataOffset))
        for (sample, entry) in zip(samples, trun.entries) {
            #expect(entry.duration == sample.duration)
            #expect(entry.compositionOffset == sample.compositionOffset)
            #expect(entry.flags.map(SampleFlags.isSync) == sample.isSync)
            let size = Int(try #require(entry.size))
            #expect(Array(bytes[offset..<(offset + size)]) == sample.data)
            offset += size
        }
        #expect(offset == bytes.count)
    }

    // MARK: - Init segments

    @Test func writesAVideoInitSegment() throws {
        let track = try Vectors.videoTrack(Vectors.avcHigh720)
        let boxes = try Box.parseAll(CMAFWriter.initSegment(for: track))
        #expect(boxes.map(\.type) == ["ftyp", "moov"])
        var ftyp = PayloadReader(boxes[0].payload)
        #expect(try ftyp.fourCC() == "iso6")
        try ftyp.skip(4)
        #expect(try [ftyp.fourCC(), ftyp.fourCC(), ftyp.fourCC()] == ["iso6", "cmfc", "dash"])

        let moov = boxes[1]
        #expect(moov.children.map(\.type) == ["mvhd", "trak", "mvex"])
        var mvhd = PayloadReader(try #require(moov.first(path: "mvhd")).payload)
        try mvhd.skip(12)
        #expect(try mvhd.u32() == 10_000_000)
        try mvhd.skip(4 + 4 + 2 + 10 + 36 + 24)
        #expect(try mvhd.u32() == 2)  // next_track_ID

        let tkhd = try #require(moov.first(path: "trak/tkhd"))
        var tk = PayloadReader(tkhd.payload)
        #expect(try tk.u32() == 3)  // version 0, enabled | in_movie
        try tk.skip(8)
        #expect(try tk.u32() == 1)
        try tk.skip(4 + 4 + 8 + 2 + 2)
        #expect(try tk.u16() == 0)  // video volume
        try tk.skip(2 + 36)
        #expect(try tk.u32() == 1280 << 16 && tk.u32() == 720 << 16)

        #expect(moov.first(path: "trak/mdia")?.children.map(\.type) == ["mdhd", "hdlr", "minf"])
        var hdlr = PayloadReader(try #require(moov.first(path: "trak/mdia/hdlr")).payload)
        try hdlr.skip(8)
        #expect(try hdlr.fourCC() == "vide")
        #expect(moov.first(path: "trak/mdia/minf")?.children.map(\.type) == ["vmhd", "dinf", "stbl"])
        #expect(moov.first(path: "trak/mdia/minf/dinf/dref")?.children.map(\.type) == ["url "])
        #expect(moov.first(path: "trak/mdia/minf/stbl")?.children.map(\.type) == ["stsd", "stts", "stsc", "stsz", "stco"])

        let avc1 = try #require(moov.first(path: "trak/mdia/minf/stbl/stsd/avc1"))
        #expect(avc1.children.map(\.type) == ["avcC"])
        var entry = PayloadReader(avc1.payload)
        try entry.skip(6)
        #expect(try entry.u16() == 1)
        try entry.skip(16)
        #expect(try entry.u16() == 1280 && entry.u16() == 720)

        var trex = PayloadReader(try #require(moov.first(path: "mvex/trex")).payload)
        try trex.skip(4)
        #expect(try trex.u32() == 1 && trex.u32() == 1)
    }

    @Test func appliesTheSampleAspectRatio() throws {
        let track = try Vectors.videoTrack(Vectors.avcSAR720x576)
        let moov = try #require(try Box.parseAll(CMAFWriter.initSegment(for: track)).first(path: "moov"))
        let avc1 = try #require(moov.first(path: "trak/mdia/minf/stbl/stsd/avc1"))
        #expect(avc1.children.map(\.type) == ["avcC", "pasp"])
        var pasp = PayloadReader(avc1.children[1].payload)
        #expect(try pasp.u32() == 16 && pasp.u32() == 11)
        var tk = PayloadReader(try #require(moov.first(path: "trak/tkhd")).payload)
        try tk.skip(4 + 8 + 4 + 4 + 4 + 8 + 2 + 2 + 2 + 2 + 36)
        // 720 × 16/11 = 1047.27 → 1047 display pixels wide.
        #expect(try tk.u32() == 1047 << 16 && tk.u32() == 576 << 16)
    }

    @Test func writesAnHEVCSampleEntry() throws {
        let track = TrackInfo(trackID: 1, kind: .video, name: "video", timescale: 90000,
                              codec: .hevc(try HEVCConfiguration(record: Vectors.hevcMain720)), bitrate: 2_000_000)
        let boxes = try Box.parseAll(CMAFWriter.initSegment(for: track))
        let hvcC = try #require(boxes.first(path: "moov/trak/mdia/minf/stbl/stsd/hvc1/hvcC"))
        #expect(Array(hvcC.payload) == Vectors.hevcMain720)
    }

    @Test func writesAnAudioInitSegment() throws {
        let track = Vectors.audioTrack(language: "fra")
        let moov = try #require(try Box.parseAll(CMAFWriter.initSegment(for: track)).first(path: "moov"))
        var mdhd = PayloadReader(try #require(moov.first(path: "trak/mdia/mdhd")).payload)
        try mdhd.skip(12)
        #expect(try mdhd.u32() == 48000)
        try mdhd.skip(4)
        // 'f' 'r' 'a' → 6, 18, 1 in 5-bit letters.
        #expect(try mdhd.u16() == 6 << 10 | 18 << 5 | 1)
        var hdlr = PayloadReader(try #require(moov.first(path: "trak/mdia/hdlr")).payload)
        try hdlr.skip(8)
        #expect(try hdlr.fourCC() == "soun")
        #expect(moov.first(path: "trak/mdia/minf/smhd") != nil)

        let mp4a = try #require(moov.first(path: "trak/mdia/minf/stbl/stsd/mp4a"))
        var entry = PayloadReader(mp4a.payload)
        try entry.skip(16)
        #expect(try entry.u16() == 2 && entry.u16() == 16)
        try entry.skip(4)
        #expect(try entry.u32() == 48000 << 16)
        let esds = try #require(mp4a.first(path: "esds"))
        #expect(try ElementaryStreamDescriptor.audioSpecificConfig(esdsPayload: esds.payload) == [0x11, 0x90])
        // ES_Descriptor(3) { ES_ID 0, flags 0, DecoderConfig(4) { 0x40, 0x15, buffer 1536, 128000, 128000,
        // DecoderSpecificInfo(5) { 11 90 } }, SLConfig(6) { 2 } }
        #expect(Array(esds.payload) == hexBytes("00000000 0319 000000 0411 4015 000600 0001f400 0001f400 0502 1190 0601 02"))
    }

    @Test func unknownLanguagesBecomeUnd() {
        #expect(CMAFWriter.packedLanguage("und") == 21 << 10 | 14 << 5 | 4)
        #expect(CMAFWriter.packedLanguage("English") == CMAFWriter.packedLanguage("und"))
        #expect(CMAFWriter.packedLanguage("EN") == CMAFWriter.packedLanguage("und"))
    }

    @Test func readsTheESDSThatFFmpegWrites() throws {
        // esds payload from an ffmpeg-made 44.1 kHz mono AAC mp4 (4-byte descriptor sizes).
        let payload = hexBytes("0000000003808080250001000480808017401500000000011288000112880580808005120856e500068080800102")
        #expect(try ElementaryStreamDescriptor.audioSpecificConfig(esdsPayload: payload[...]) == [0x12, 0x08, 0x56, 0xE5, 0x00])
        for length in 0..<(payload.count - 9) {
            #expect(throws: MediaParseError.self) {
                try ElementaryStreamDescriptor.audioSpecificConfig(esdsPayload: payload.prefix(length))
            }
        }
    }
}
