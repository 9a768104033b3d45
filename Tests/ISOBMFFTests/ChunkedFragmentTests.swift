// Fragments made of CMAF chunks (low-latency channels): the writer's bytes are the concatenation of the chunks, and
// MovieFragment reads all of them back.
import Media
import Testing
@testable import ISOBMFF

@Suite struct ChunkedFragmentTests {
    static let base: Int64 = 17_000_000_000_000_000

    func samples(_ count: Int) -> [Sample] {
        (0..<count).map { i in
            Sample(decodeTime: Self.base + Int64(i) * 333_333, compositionOffset: i % 3 == 1 ? 666_666 : 0,
                   duration: 333_333, isSync: i == 0, data: [UInt8](repeating: UInt8(i), count: 7 + i))
        }
    }

    @Test func oneChunkIsTheOrdinaryFragment() throws {
        let track = try Vectors.videoTrack(Vectors.avcHigh720)
        let written = samples(6)
        let (bytes, ranges) = CMAFWriter.chunkedMediaSegment(track: track, sequenceNumber: 9, samples: written, chunkStarts: [0])
        #expect(bytes == CMAFWriter.mediaSegment(track: track, sequenceNumber: 9, samples: written))
        #expect(ranges == [0..<bytes.count])
    }

    @Test func chunksConcatenateToTheFragmentAndReadBackAsOne() throws {
        let track = try Vectors.videoTrack(Vectors.avcHigh720)
        let written = samples(10)
        let starts = [0, 4, 7]
        let (bytes, ranges) = CMAFWriter.chunkedMediaSegment(track: track, sequenceNumber: 12, samples: written, chunkStarts: starts)
        // Each chunk as published on its own is the same byte range of the stored fragment.
        let chunks = [
            CMAFWriter.chunk(track: track, sequenceNumber: 12, samples: Array(written[0..<4]), isFirst: true),
            CMAFWriter.chunk(track: track, sequenceNumber: 12, samples: Array(written[4..<7]), isFirst: false),
            CMAFWriter.chunk(track: track, sequenceNumber: 12, samples: Array(written[7...]), isFirst: false),
        ]
        #expect(chunks.flatMap { $0 } == bytes)
        #expect(ranges.map { Array(bytes[$0]) } == chunks)
        let top = try Box.parseAll(bytes).map(\.type)
        #expect(top == ["styp", "moof", "mdat", "moof", "mdat", "moof", "mdat"])

        let fragment = try MovieFragment(parsing: bytes)
        #expect(fragment.chunkCount == 3)
        #expect(fragment.sequenceNumber == 12 && fragment.trackID == track.trackID)
        #expect(fragment.baseMediaDecodeTime == Self.base)
        #expect(fragment.samples.map { Sample(decodeTime: $0.decodeTime, compositionOffset: $0.compositionOffset, duration: $0.duration,
                                              isSync: $0.isSync, data: Array($0.data)) } == written)
        #expect(fragment.endTime == Self.base + 10 * 333_333)
        // A later chunk read alone starts at its own tfdt.
        let second = try MovieFragment(parsing: chunks[1])
        #expect(second.baseMediaDecodeTime == written[4].decodeTime && second.samples.count == 3)
        #expect(second.samples.first?.isSync == false)
    }

    @Test func aChunkOfAnotherTrackIsRefused() throws {
        let track = try Vectors.videoTrack(Vectors.avcHigh720)
        var other = track
        other.trackID = track.trackID + 1
        let written = samples(4)
        let bytes = CMAFWriter.chunk(track: track, sequenceNumber: 1, samples: Array(written[0..<2]), isFirst: true)
            + CMAFWriter.chunk(track: other, sequenceNumber: 1, samples: Array(written[2...]), isFirst: false)
        #expect(throws: MediaParseError.self) { try MovieFragment(parsing: bytes) }
        // A truncated last chunk is an error, not a trap.
        let good = CMAFWriter.chunkedMediaSegment(track: track, sequenceNumber: 1, samples: written, chunkStarts: [0, 2]).bytes
        #expect(throws: MediaParseError.self) { try MovieFragment(parsing: Array(good.dropLast(2))) }
    }
}
