import Testing
@testable import Media

@Suite struct NALUnitTests {
    @Test func removesEmulationPreventionBytes() {
        #expect(NALUnit.removingEmulationPrevention([0x00, 0x00, 0x03, 0x01]) == [0x00, 0x00, 0x01])
        // The second 03 follows a removed one, so no zero run precedes it: it stays.
        #expect(NALUnit.removingEmulationPrevention([0x00, 0x00, 0x03, 0x03]) == [0x00, 0x00, 0x03])
        #expect(NALUnit.removingEmulationPrevention([0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03])
                == [0x00, 0x03, 0x00, 0x00, 0x00, 0x00])
        #expect(NALUnit.removingEmulationPrevention([0x67, 0x42, 0x00]) == [0x67, 0x42, 0x00])
    }

    @Test func emulationPreventionRoundTrips() {
        var random = TestRandom(state: 7)
        for _ in 0..<200 {
            let rbsp = random.bytes(64).map { $0 < 0x60 ? 0 : $0 & 0x03 }  // dense in 00 00 0x patterns
            #expect(NALUnit.removingEmulationPrevention(addingEmulationPrevention(rbsp)) == rbsp)
        }
    }

    @Test func splitsLengthPrefixedSamples() throws {
        let sample: [UInt8] = [0, 0, 0, 2, 0x09, 0xF0, 0, 0, 0, 3, 0x65, 0x88, 0x84]
        let units = try NALUnit.lengthPrefixed(sample[...], lengthSize: 4)
        #expect(units.map(Array.init) == [[0x09, 0xF0], [0x65, 0x88, 0x84]])
        #expect(units.map { NALUnit.avcType($0) } == [9, 5])
        #expect(NALUnit.lengthPrefixing(units, lengthSize: 4) == sample)

        let twoByte: [UInt8] = [0, 1, 0x41, 0, 2, 0x01, 0x02]
        #expect(try NALUnit.lengthPrefixed(twoByte[...], lengthSize: 2).map(Array.init) == [[0x41], [0x01, 0x02]])
        #expect(NALUnit.lengthPrefixing([[0x41][...], [0x01, 0x02][...]], lengthSize: 2) == twoByte)
    }

    @Test func rejectsBadLengthPrefixes() {
        let overrun: [UInt8] = [0, 0, 0, 9, 0x65, 0x88]
        #expect(throws: MediaParseError.self) { try NALUnit.lengthPrefixed(overrun[...], lengthSize: 4) }
        let cutPrefix: [UInt8] = [0, 0, 0, 1, 0x65, 0, 0]
        #expect(throws: MediaParseError.self) { try NALUnit.lengthPrefixed(cutPrefix[...], lengthSize: 4) }
        #expect(throws: MediaParseError.self) { try NALUnit.lengthPrefixed([0x01][...], lengthSize: 3) }
    }

    @Test func splitsAnnexBOnThreeAndFourByteStartCodes() {
        let stream: [UInt8] = [0xFF, 0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xCE, 0x00, 0, 0, 0, 1, 0x65, 0x88, 0, 0, 3, 0x01]
        let units = NALUnit.annexBUnits(stream[...])
        #expect(units.map(Array.init) == [[0x67, 0x42], [0x68, 0xCE], [0x65, 0x88, 0, 0, 3, 0x01]])
        #expect(units.map { NALUnit.avcType($0) } == [7, 8, 5])
        #expect(NALUnit.annexBUnits([0x01, 0x02, 0x03][...]).isEmpty)
        #expect(NALUnit.annexBUnits([][...]).isEmpty)
    }

    @Test func readsHEVCTypes() {
        #expect(NALUnit.hevcType([0x40, 0x01][...]) == 32)
        #expect(NALUnit.hevcType([0x42, 0x01][...]) == 33)
        #expect(NALUnit.hevcType([0x26, 0x01][...]) == 19)
        #expect(NALUnit.hevcType([][...]) == nil)
    }
}
