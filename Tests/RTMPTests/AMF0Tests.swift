import Media
import Testing
@testable import RTMP

@Suite struct AMF0Tests {
    // MARK: - Known byte sequences

    @Test func decodesScalars() throws {
        let bytes: [UInt8] = [
            0x00, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0,  // number 1.0
            0x01, 0x01,  // true
            0x02, 0x00, 0x03, 0x61, 0x62, 0x63,  // "abc"
            0x05,  // null
            0x06,  // undefined
            0x0B, 0x42, 0x77, 0x48, 0x76, 0xE8, 0x00, 0x00, 0x00, 0x00, 0x00,  // date 1.6e12 ms, tz 0
            0x0C, 0x00, 0x00, 0x00, 0x02, 0xC3, 0xA9,  // long string "é"
        ]
        let values = try AMF0.decodeAll(bytes)
        #expect(values == [.number(1), .boolean(true), .string("abc"), .null, .undefined, .date(1.6e12), .string("é")])
    }

    @Test func decodesObjectWithEndMarker() throws {
        // {"app": "live", "n": 2}
        let bytes: [UInt8] = [0x03, 0x00, 0x03, 0x61, 0x70, 0x70, 0x02, 0x00, 0x04, 0x6C, 0x69, 0x76, 0x65,
                              0x00, 0x01, 0x6E, 0x00, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x09]
        let value = try AMF0.decodeAll(bytes)
        #expect(value == [.object(["app": "live", "n": 2])])
        #expect(value.first?["app"]?.stringValue == "live")
        #expect(value.first?["n"]?.numberValue == 2)
        #expect(value.first?["missing"] == nil)
    }

    @Test func decodesECMAArrayWithEndMarker() throws {
        // ECMA array, count 2: {"width": 1280, "stereo": true}, end 00 00 09, then a trailing null.
        var bytes: [UInt8] = [0x08, 0, 0, 0, 2]
        bytes += [0x00, 0x05] + Array("width".utf8) + [0x00, 0x40, 0x94, 0, 0, 0, 0, 0, 0]
        bytes += [0x00, 0x06] + Array("stereo".utf8) + [0x01, 0x01]
        bytes += [0x00, 0x00, 0x09, 0x05]
        let values = try AMF0.decodeAll(bytes)
        #expect(values == [.ecmaArray(["width": 1280, "stereo": true]), .null])
        #expect(values[0]["stereo"]?.boolValue == true)
    }

    @Test func ecmaArrayCountIsOnlyAHint() throws {
        // Count says 0 but two properties follow: the end marker decides.
        var bytes: [UInt8] = [0x08, 0, 0, 0, 0]
        bytes += [0x00, 0x01, 0x61, 0x05, 0x00, 0x01, 0x62, 0x06, 0x00, 0x00, 0x09]
        #expect(try AMF0.decodeAll(bytes) == [.ecmaArray(["a": .null, "b": .undefined])])
        // Missing end marker at the very end of the input is accepted once the count is reached.
        let unterminated: [UInt8] = [0x08, 0, 0, 0, 1, 0x00, 0x01, 0x61, 0x05]
        #expect(try AMF0.decodeAll(unterminated) == [.ecmaArray(["a": .null])])
    }

    @Test func decodesStrictArrayAndTypedObject() throws {
        var bytes: [UInt8] = [0x0A, 0, 0, 0, 2, 0x05, 0x01, 0x00]
        bytes += [0x10, 0x00, 0x01, 0x43, 0x00, 0x01, 0x6B, 0x02, 0x00, 0x01, 0x76, 0x00, 0x00, 0x09]
        #expect(try AMF0.decodeAll(bytes) == [.strictArray([.null, .boolean(false)]), .object(["k": "v"])])
    }

    @Test func encodesKnownBytes() {
        let bytes = AMF0.encode(["_result", 1, .null, .object(["a": true])])
        #expect(bytes == [0x02, 0x00, 0x07] + Array("_result".utf8) + [0x00, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0x05,
                          0x03, 0x00, 0x01, 0x61, 0x01, 0x01, 0x00, 0x00, 0x09])
    }

    // MARK: - Round trips

    @Test func roundTripsNestedValues() throws {
        let longText = String(repeating: "x", count: 70_000)
        let values: [AMF0Value] = [
            "connect", 1, .object(["app": "live/abc", "nested": .object(["deep": .strictArray([1, "two", .null])]),
                                   "fpad": false, "capabilities": 239.0]),
            .ecmaArray(["duration": 0, "encoder": "Lavf61", "": .undefined]),
            .date(-1.5), .string(longText), .strictArray([]), .number(-0.25), .number(.infinity),
        ]
        let bytes = AMF0.encode(values)
        #expect(try AMF0.decodeAll(bytes) == values)
        // One at a time through a reader.
        var reader = ByteReader(bytes)
        var decoded: [AMF0Value] = []
        while !reader.isAtEnd { decoded.append(try AMF0.decode(&reader)) }
        #expect(decoded == values)
    }

    @Test func objectKeepsOrderAndSubscriptEdits() {
        var object: AMF0Object = ["z": 1, "a": 2]
        object["m"] = 3
        object["z"] = 9
        object["a"] = nil
        #expect(object.properties.map(\.key) == ["z", "m"])
        #expect(object.dictionary == ["z": 9, "m": 3])
    }

    // MARK: - Malformed input

    @Test func everyTruncationOfAnObjectThrows() throws {
        let value: AMF0Value = .object(["a": .ecmaArray(["w": 1]), "b": .strictArray(["s", .date(3)]),
                                        "c": .string("text"), "d": .boolean(true)])
        let bytes = AMF0.encode([value])
        for end in 0..<bytes.count {
            var reader = ByteReader(bytes[..<end])
            #expect(throws: RTMPError.self) { try AMF0.decode(&reader) }
        }
    }

    @Test func rejectsUnknownAndUnsupportedMarkers() {
        for bytes: [UInt8] in [[0x12], [0x07, 0x00, 0x01], [0x11, 0x01], [0x09], [0x04]] {
            #expect {
                try AMF0.decodeAll(bytes)
            } throws: { error in
                (error as? RTMPError)?.code == .malformedAMF0
            }
        }
        #expect(throws: RTMPError.self) { try AMF0.decodeAll([0x12]) }
        do {
            _ = try AMF0.decodeAll([0x02, 0x00, 0x01, 0x61, 0x12])
            Issue.record("unknown marker accepted")
        } catch {
            #expect(error.description == "AMF0 data malformed: invalid input: unknown AMF0 type marker 0x12 at offset 4")
        }
    }

    @Test func rejectsDeepNestingWithoutCrashing() {
        // 10 000 nested objects {"a": {"a": ...}} would overflow a naive recursive decoder.
        var bytes: [UInt8] = []
        for _ in 0..<10_000 { bytes += [0x03, 0x00, 0x01, 0x61] }
        bytes += [0x05]
        #expect(throws: RTMPError.self) { try AMF0.decodeAll(bytes) }
    }

    @Test func rejectsLyingCounts() {
        // Strict array claiming 4 billion elements with 1 byte of input.
        #expect(throws: RTMPError.self) { try AMF0.decodeAll([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x05]) }
        // String claiming 65535 bytes.
        #expect(throws: RTMPError.self) { try AMF0.decodeAll([0x02, 0xFF, 0xFF, 0x61]) }
        // ECMA array claiming 5 properties, input ends after 1 without end marker.
        #expect(throws: RTMPError.self) { try AMF0.decodeAll([0x08, 0, 0, 0, 5, 0x00, 0x01, 0x61, 0x05]) }
    }

    @Test func randomBytesNeverCrash() {
        var generator = SplitMix64(seed: 7)
        var decodedCount = 0
        for _ in 0..<3000 {
            let count = Int(generator.next() % 40)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next() % 0x13) }
            do {
                let values = try AMF0.decodeAll(bytes)
                decodedCount += 1
                // Whatever decodes must survive a round trip of its canonical form.
                #expect(try AMF0.decodeAll(AMF0.encode(values)) == values)
            } catch {
                #expect(error.code == .malformedAMF0)
            }
        }
        #expect(decodedCount > 0)
    }
}
