// Rebasing a stored fragment's `tfdt` in place (HLS-CMAF's presentation timeline): only the decode time moves.
import Media
import Testing
@testable import ISOBMFF

@Suite struct FragmentDecodeTimeTests {
    static let base: Int64 = 17_000_000_000_000_000

    func samples(_ count: Int, from start: Int64 = base) -> [Sample] {
        (0..<count).map { i in
            Sample(decodeTime: start + Int64(i) * 333_333, compositionOffset: i % 3 == 1 ? 666_666 : 0,
                   duration: 333_333, isSync: i == 0, data: [UInt8](repeating: UInt8(i), count: 7 + i))
        }
    }

    @Test func shiftingIsWritingTheFragmentAtTheEarlierTime() throws {
        let track = try Vectors.videoTrack(Vectors.avcHigh720)
        let stored = CMAFWriter.mediaSegment(track: track, sequenceNumber: 9, samples: samples(6))
        let offset = Self.base - 20_000_000
        let shifted = FragmentDecodeTime.shifted(stored, by: offset)
        // Byte for byte what the writer makes for the same samples 2 s after 0: sizes and data offsets untouched.
        #expect(shifted == CMAFWriter.mediaSegment(track: track, sequenceNumber: 9, samples: samples(6, from: 20_000_000)))
        #expect(FragmentDecodeTime.firstDecodeTime(stored) == UInt64(Self.base))
        #expect(FragmentDecodeTime.firstDecodeTime(shifted) == 20_000_000)
        let parsed = try MovieFragment(parsing: shifted)
        #expect(parsed.samples.map(\.decodeTime) == samples(6, from: 20_000_000).map(\.decodeTime))
        #expect(FragmentDecodeTime.shifted(stored, by: 0) == stored)
    }

    @Test func everyChunkOfAChunkedFragmentMoves() throws {
        let track = try Vectors.videoTrack(Vectors.avcHigh720)
        let (stored, _) = CMAFWriter.chunkedMediaSegment(track: track, sequenceNumber: 12, samples: samples(10), chunkStarts: [0, 4, 7])
        let (expected, _) = CMAFWriter.chunkedMediaSegment(track: track, sequenceNumber: 12, samples: samples(10, from: 0),
                                                           chunkStarts: [0, 4, 7])
        #expect(FragmentDecodeTime.shifted(stored, by: Self.base) == expected)
    }

    @Test func decodeTimesNeverGoNegativeAndGarbageIsLeftAlone() throws {
        let track = try Vectors.videoTrack(Vectors.avcHigh720)
        let stored = CMAFWriter.mediaSegment(track: track, sequenceNumber: 1, samples: samples(2, from: 1_000))
        #expect(FragmentDecodeTime.firstDecodeTime(FragmentDecodeTime.shifted(stored, by: 5_000)) == 0)
        let garbage: [UInt8] = [0, 0, 0, 200, 0x6D, 0x6F, 0x6F, 0x66, 1, 2, 3]
        #expect(FragmentDecodeTime.shifted(garbage, by: 7) == garbage)
        #expect(FragmentDecodeTime.shifted([], by: 7) == [])
    }
}
