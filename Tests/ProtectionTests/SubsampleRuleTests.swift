// The clear-byte rule on hand-made samples: which NAL units are protected, how much stays clear, how long clear runs
// split. No tools needed.
import Media
import Testing
@testable import Protection

@Suite struct SubsampleRuleTests {
    static let avc = ProtectedTrack(trackID: 1, kind: .video, originalFormat: "avc1", layout: .nalUnits(.avc, lengthSize: 4))
    static let hevc = ProtectedTrack(trackID: 1, kind: .video, originalFormat: "hvc1", layout: .nalUnits(.hevc, lengthSize: 4))

    func unit(_ header: [UInt8], _ size: Int) -> ArraySlice<UInt8> {
        ArraySlice(header + [UInt8](repeating: 0xAB, count: size - header.count))
    }

    func subsamples(_ units: [ArraySlice<UInt8>], track: ProtectedTrack = avc) throws -> [Subsample] {
        let sample = NALUnit.lengthPrefixing(units, lengthSize: 4)
        var list: [Subsample] = []
        try CommonEncryption.subsamples(of: sample, 0..<sample.count, track: track, into: &list)
        #expect(list.reduce(0) { $0 + $1.clear + $1.protected } == sample.count)
        return list
    }

    @Test func nonVCLUnitsAreClearAndJoinTheNextSlicesClearPart() throws {
        // AUD (2), SPS (20), PPS (6), SEI (40), IDR slice (1000 bytes).
        let list = try subsamples([unit([0x09, 0xF0], 2), unit([0x67], 20), unit([0x68], 6), unit([0x06], 40), unit([0x65], 1000)])
        // Slice: 1000 - 32 leader = 968 → 960 protected, 8 join the clear part.
        let clear = (4 + 2) + (4 + 20) + (4 + 6) + (4 + 40) + 4 + 32 + 8
        #expect(list == [Subsample(clear: clear, protected: 960)])
    }

    @Test func eachSliceIsItsOwnSubsampleAndShortSlicesStayClear() throws {
        let list = try subsamples([unit([0x41], 100), unit([0x41], 47), unit([0x41], 48), unit([0x01], 300)])
        // 100: 68 → 64 protected. 47: 15 after the leader, clear. 48: 16 → 16 protected. 300: 268 → 256.
        #expect(list == [Subsample(clear: 4 + 36, protected: 64), Subsample(clear: 4 + 47 + 4 + 32, protected: 16),
                         Subsample(clear: 4 + 44, protected: 256)])
    }

    @Test func clearBytesAfterTheLastSliceEndTheSample() throws {
        let list = try subsamples([unit([0x65], 64), unit([0x0C], 30)])  // slice, then filler data
        #expect(list == [Subsample(clear: 4 + 32, protected: 32), Subsample(clear: 4 + 30, protected: 0)])
    }

    @Test func clearRunsLongerThan16BitsSplit() throws {
        let list = try subsamples([unit([0x06], 70_000), unit([0x65], 100)])
        #expect(list == [Subsample(clear: 65_535, protected: 0), Subsample(clear: 4 + 70_000 + 4 + 36 - 65_535, protected: 64)])
    }

    @Test func hevcTypesFollowTheHEVCHeader() throws {
        // VPS (32), SPS (33), PPS (34), prefix SEI (39) clear; IDR_W_RADL (19) and TRAIL_R (1) protected.
        let list = try subsamples([unit([32 << 1, 1], 30), unit([33 << 1, 1], 50), unit([34 << 1, 1], 10), unit([39 << 1, 1], 60),
                                   unit([19 << 1, 1], 500), unit([1 << 1, 1], 80)], track: Self.hevc)
        #expect(list == [Subsample(clear: 34 + 54 + 14 + 64 + 4 + 32 + 4, protected: 464), Subsample(clear: 4 + 32, protected: 48)])
    }

    @Test func aDamagedSampleIsRefused() {
        var sample = NALUnit.lengthPrefixing([unit([0x65], 100)], lengthSize: 4)
        sample[3] = 200  // longer than the sample
        var list: [Subsample] = []
        #expect(throws: CommonEncryptionError.self) {
            try CommonEncryption.subsamples(of: sample, 0..<sample.count, track: Self.avc, into: &list)
        }
    }

    @Test func auxiliaryInfoSizeFitsInOneByte() throws {
        #expect(try CommonEncryption.auxiliaryInfoSize(scheme: .cenc, track: Self.avc, subsampleCount: 3) == 8 + 2 + 18)
        #expect(try CommonEncryption.auxiliaryInfoSize(scheme: .cbcs, track: Self.avc, subsampleCount: 3) == 2 + 18)
        #expect(try CommonEncryption.auxiliaryInfoSize(scheme: .cenc, track: Self.avc, subsampleCount: 40) == 250)
        #expect(throws: CommonEncryptionError.self) { try CommonEncryption.auxiliaryInfoSize(scheme: .cenc, track: Self.avc, subsampleCount: 41) }
    }
}
