import Testing
@testable import Media

@Suite struct BitReaderTests {
    @Test func readsFixedWidthFieldsMSBFirst() throws {
        var bits = BitReader([0b1011_0001, 0xFF, 0x00, 0x12, 0x34])
        #expect(try bits.readBit() == 1)
        #expect(try bits.readBits(3) == 0b011)
        #expect(try bits.readBits(4) == 0b0001)
        #expect(try bits.readBits(12) == 0xFF0)
        #expect(try bits.readBits(20) == 0x01234)
        #expect(bits.bitsRemaining == 0)
        #expect(throws: MediaParseError.self) { try bits.readBit() }
    }

    @Test func decodesHandCodedExpGolomb() throws {
        // 1 | 010 | 011 | 00100 | 00111 | 0001000 | pad: ue = 0, 1, 2, 3, 6, 7
        var bits = BitReader([0b1010_0110, 0b0100_0011, 0b1000_1000])
        #expect(try bits.readUE() == 0)
        #expect(try bits.readUE() == 1)
        #expect(try bits.readUE() == 2)
        #expect(try bits.readUE() == 3)
        #expect(try bits.readUE() == 6)
        #expect(try bits.readUE() == 7)
    }

    @Test func roundTripsExpGolombValues() throws {
        let unsigned: [UInt32] = [0, 1, 2, 3, 4, 7, 8, 254, 255, 256, 65_535, 1 << 20, UInt32.max - 1]
        let signed: [Int32] = [0, 1, -1, 2, -2, 127, -128, 32_767, -32_768, 1 << 30, -(1 << 30)]
        var writer = TestBitWriter()
        for v in unsigned { writer.ue(v) }
        for v in signed { writer.se(v) }
        var bits = BitReader(writer.bytes)
        for v in unsigned { #expect(try bits.readUE() == v) }
        for v in signed { #expect(try bits.readSE() == v) }
    }

    @Test func rejectsOverlongAndTruncatedCodes() {
        var zeros = BitReader([UInt8](repeating: 0, count: 8))
        #expect(throws: MediaParseError.self) { try zeros.readUE() }
        var truncated = BitReader([0b0000_0001])  // 7 leading zeros, then the suffix is missing
        #expect(throws: MediaParseError.self) { try truncated.readUE() }
        var empty = BitReader([UInt8]())
        #expect(throws: MediaParseError.self) { try empty.readSE() }
        var short = BitReader([0xFF])
        #expect(throws: MediaParseError.self) { try short.skipBits(9) }
    }
}

@Suite struct ByteReaderTests {
    @Test func readsBigEndianIntegers() throws {
        var reader = ByteReader([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C,
                                 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14])
        #expect(try reader.readUInt8() == 0x01)
        #expect(try reader.readUInt16() == 0x0203)
        #expect(try reader.readUInt24() == 0x04_0506)
        #expect(try reader.readUInt32() == 0x0708_090A)
        #expect(try reader.readUInt64() == 0x0B0C_0D0E_0F10_1112)
        #expect(reader.offset == 18)
        #expect(try reader.readBytes(2) == [0x13, 0x14])
        #expect(reader.isAtEnd)
    }

    @Test func readsLittleEndianAndSlicesWithoutCopying() throws {
        let storage: [UInt8] = [0xAA, 0x78, 0x56, 0x34, 0x12, 0xBB]
        var reader = ByteReader(storage[1...])
        #expect(try reader.readUInt32LE() == 0x1234_5678)
        let rest = reader.readRemaining()
        #expect(rest.startIndex == 5)
        #expect(Array(rest) == [0xBB])
    }

    @Test func throwsInsteadOfReadingPastTheEnd() {
        var reader = ByteReader([0x01, 0x02, 0x03])
        #expect(throws: MediaParseError.truncated(context: "UInt32", needed: 4, available: 3)) { try reader.readUInt32() }
        #expect(throws: MediaParseError.self) { try reader.readBytes(4) }
        #expect(throws: MediaParseError.self) { try reader.readBytes(-1) }
        #expect(throws: MediaParseError.self) { try reader.skip(5) }
        #expect(reader.remaining == 3)
    }
}
