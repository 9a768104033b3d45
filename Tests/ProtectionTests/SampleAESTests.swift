// SAMPLE-AES of MPEG-TS (Apple's MPEG-2 stream encryption): which bytes of an H.264 NAL unit and an AAC frame are
// encrypted, checked against AES-CBC computed here from the rule as the document states it, not from SampleAES.
import Crypto
import Foundation
import Media
import Testing
import TestSupport
import _CryptoExtras
@testable import Protection

@Suite struct SampleAESTests {
    static let key = ContentKey(id: UUID(), value: hexBytes("2b7e151628aed2a6abf7158809cf4f3c"))
    static let iv = hexBytes("000102030405060708090a0b0c0d0e0f")

    static func bytes(_ count: Int, seed: UInt32 = 0x1234_5678) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in state = state &* 1_664_525 &+ 1_013_904_223; return UInt8(truncatingIfNeeded: state >> 24) }
    }

    /// A slice NAL unit of `length` unescaped bytes with no `00 00` in it (so escaped = unescaped).
    static func slice(type: UInt8, length: Int) -> [UInt8] {
        [0x60 | type] + bytes(length - 1).map { $0 == 0 ? 1 : $0 }
    }

    static func cbc(_ plain: [UInt8]) throws -> [UInt8] {
        Array(try AES._CBC.encrypt(plain, using: SymmetricKey(data: key.value), iv: AES._CBC.IV(ivBytes: iv), noPadding: true))
    }

    @Test func blockOffsetsFollowTheListing() {
        // 32 clear, then "if more than 16 remain: one block encrypted; then up to 144 clear".
        #expect(SampleAES.videoBlockOffsets(length: 48).isEmpty)
        #expect(SampleAES.videoBlockOffsets(length: 49) == [32])
        #expect(SampleAES.videoBlockOffsets(length: 208) == [32])   // 32 + 16 + 144 = 192; 16 left stay clear
        #expect(SampleAES.videoBlockOffsets(length: 209) == [32, 192])
        #expect(SampleAES.videoBlockOffsets(length: 1000) == [32, 192, 352, 512, 672, 832])
    }

    @Test(arguments: [49, 100, 209, 1000, 5000])
    func sliceBlocksAreOneChainFromTheIVAndTheRestIsClear(length: Int) throws {
        let cipher = try SampleAES(key: Self.key, iv: Self.iv)
        let unit = Self.slice(type: 5, length: length)
        let protected = try #require(cipher.encryptNALUnit(unit[...]))
        let raw = NALUnit.removingEmulationPrevention(protected)
        #expect(raw.count == length)
        // Expected: the blocks at 32, 192, 352, … of the clear unit, chained in one CBC run.
        var offsets: [Int] = []
        var at = 32
        while length - at > 16 { offsets.append(at); at += 160 }
        let chain = try Self.cbc(offsets.flatMap { Array(unit[$0..<($0 + 16)]) })
        var expected = unit
        for (index, offset) in offsets.enumerated() { expected.replaceSubrange(offset..<(offset + 16), with: chain[(index * 16)..<(index * 16 + 16)]) }
        #expect(raw == expected)
        #expect(Array(raw.prefix(32)) == Array(unit.prefix(32)))
        #expect(cipher.decryptNALUnit(protected[...]).map { NALUnit.removingEmulationPrevention($0) } == unit)
    }

    @Test func shortSlicesAndOtherUnitsStayClear() throws {
        let cipher = try SampleAES(key: Self.key, iv: Self.iv)
        #expect(cipher.encryptNALUnit(Self.slice(type: 1, length: 48)[...]) == nil)
        for type: UInt8 in [2, 6, 7, 8, 9, 12] {
            #expect(cipher.encryptNALUnit(Self.slice(type: type, length: 500)[...]) == nil, "NAL type \(type)")
        }
        #expect(cipher.encryptNALUnit(Self.slice(type: 1, length: 500)[...]) != nil)
    }

    /// Encryption works on the unescaped unit; the output is escaped again, so it never holds a start code prefix.
    @Test func emulationPreventionIsRemovedBeforeAndAppliedAfter() throws {
        let cipher = try SampleAES(key: Self.key, iv: Self.iv)
        // An escaped unit with emulation prevention bytes in its clear leader and in its protected part.
        var raw = Self.slice(type: 1, length: 600)
        for position in [10, 40, 100, 300, 590] { raw[position] = 0; raw[position + 1] = 0; raw[position + 2] = 1 }
        let escaped = SampleAES.addingEmulationPrevention(raw)
        #expect(escaped.count == raw.count + 5)
        #expect(NALUnit.removingEmulationPrevention(escaped) == raw)

        for seed: UInt32 in 1...50 {
            let cipher = try SampleAES(key: ContentKey(id: UUID(), value: Self.bytes(16, seed: seed)), iv: Self.iv)
            let protected = try #require(cipher.encryptNALUnit(escaped[...]))
            for index in 0..<(protected.count - 2) where protected[index] == 0 && protected[index + 1] == 0 {
                #expect(protected[index + 2] == 3, "start code emulation at \(index) with seed \(seed)")
            }
            let decrypted = try #require(cipher.decryptNALUnit(protected[...]))
            #expect(NALUnit.removingEmulationPrevention(decrypted) == raw)
        }
        // The encrypted blocks are those of the unescaped unit.
        let protected = try #require(cipher.encryptNALUnit(escaped[...]))
        let unescaped = NALUnit.removingEmulationPrevention(protected)
        let chain = try Self.cbc(Array(raw[32..<48]) + Array(raw[192..<208]) + Array(raw[352..<368]) + Array(raw[512..<528]))
        #expect(Array(unescaped[32..<48]) == Array(chain[0..<16]))
        #expect(Array(unescaped[512..<528]) == Array(chain[48..<64]))
        #expect(Array(unescaped[48..<192]) == Array(raw[48..<192]))
    }

    @Test(arguments: [0, 15, 16, 31, 32, 40, 47, 48, 371])
    func aacFramesKeepSixteenClearBytesThenEveryWholeBlockAndAClearTail(size: Int) throws {
        let cipher = try SampleAES(key: Self.key, iv: Self.iv)
        let frame = Self.bytes(size)
        let blocks = max(0, (size - 16) / 16)
        guard blocks > 0 else {
            #expect(cipher.encryptAACFrame(frame[...]) == nil)
            return
        }
        let protected = try #require(cipher.encryptAACFrame(frame[...]))
        let end = 16 + blocks * 16
        #expect(protected.count == size)
        #expect(Array(protected[0..<16]) == Array(frame[0..<16]))
        #expect(Array(protected[16..<end]) == (try Self.cbc(Array(frame[16..<end]))))
        #expect(Array(protected[end...]) == Array(frame[end...]))
        #expect(cipher.decryptAACFrame(protected[...]) == frame)
    }

    @Test func eachProtectedBlockRestartsFromTheIV() throws {
        // The same frame twice encrypts the same way: no chaining from one frame (or NAL unit) to the next.
        let cipher = try SampleAES(key: Self.key, iv: Self.iv)
        let frame = Self.bytes(300)
        #expect(cipher.encryptAACFrame(frame[...]) == cipher.encryptAACFrame(frame[...]))
        let unit = Self.slice(type: 5, length: 700)
        #expect(cipher.encryptNALUnit(unit[...]) == cipher.encryptNALUnit(unit[...]))
    }

    @Test func theIVMustBeSixteenBytes() {
        #expect(throws: SampleAESError.self) { try SampleAES(key: Self.key, iv: [1, 2, 3]) }
    }
}
