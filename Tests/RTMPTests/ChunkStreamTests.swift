import Media
import Testing
@testable import RTMP

@Suite struct ChunkStreamTests {
    private func payload(_ count: Int, _ seed: UInt8 = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0) &+ seed }
    }

    private func decodeAll(_ bytes: [UInt8], limits: ChunkStreamDecoder.Limits = .init()) throws(RTMPError) -> [RTMPMessage] {
        var decoder = ChunkStreamDecoder(limits: limits)
        decoder.append(bytes)
        return try decoder.nextMessages()
    }

    private func decodeError(_ bytes: [UInt8], limits: ChunkStreamDecoder.Limits = .init()) -> RTMPError? {
        do {
            _ = try decodeAll(bytes, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Header types

    @Test func typeZeroHeader() throws {
        // fmt 0, csid 3, ts 1000, length 4, type 20, stream id 1 (little-endian).
        let bytes: [UInt8] = [0x03, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x04, 0x14, 0x01, 0x00, 0x00, 0x00, 1, 2, 3, 4]
        let messages = try decodeAll(bytes)
        #expect(messages == [RTMPMessage(typeID: 20, streamID: 1, timestamp: 1000, chunkStreamID: 3, payload: [1, 2, 3, 4])])
    }

    @Test func typesOneTwoThreeBuildOnThePreviousHeader() throws {
        // RTMP 1.0 §5.3.2.1: audio messages on csid 4 with a constant delta.
        var bytes: [UInt8] = [0x04, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x04, 0x08, 0x05, 0x00, 0x00, 0x00] + payload(4, 1)
        bytes += [0x84, 0x00, 0x00, 0x14] + payload(4, 2)  // fmt 2: delta 20 -> 1020
        bytes += [0xC4] + payload(4, 3)  // fmt 3: same delta -> 1040
        bytes += [0xC4] + payload(4, 4)  // -> 1060
        bytes += [0x44, 0x00, 0x00, 0x21, 0x00, 0x00, 0x02, 0x09] + payload(2, 5)  // fmt 1: delta 33, length 2, video
        bytes += [0xC4] + payload(2, 6)  // fmt 3 after fmt 1: delta 33 again
        let messages = try decodeAll(bytes)
        #expect(messages.map(\.timestamp) == [1000, 1020, 1040, 1060, 1093, 1126])
        #expect(messages.map(\.typeID) == [8, 8, 8, 8, 9, 9])
        #expect(messages.allSatisfy { $0.streamID == 5 && $0.chunkStreamID == 4 })
        #expect(messages.map(\.payload) == [payload(4, 1), payload(4, 2), payload(4, 3), payload(4, 4), payload(2, 5), payload(2, 6)])
    }

    @Test func typeThreeAfterTypeZeroReusesItsTimestampAsDelta() throws {
        // §5.3.1.2.4: a type 3 chunk after type 0 has the type 0 timestamp as its delta.
        var bytes: [UInt8] = [0x05, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x01, 0x08, 0x01, 0, 0, 0, 0xAA]
        bytes += [0xC5, 0xBB]
        #expect(try decodeAll(bytes).map(\.timestamp) == [10, 20])
    }

    @Test func messageSpanningChunks() throws {
        // §5.3.2.2: 307 bytes with chunk size 128 -> 128 + 128 + 51, continuations of type 3.
        let body = payload(307)
        var bytes: [UInt8] = [0x06, 0x00, 0x03, 0xE8, 0x00, 0x01, 0x33, 0x09, 0x01, 0, 0, 0] + body[0..<128]
        bytes += [0xC6] + body[128..<256]
        bytes += [0xC6] + body[256...]
        let messages = try decodeAll(bytes)
        #expect(messages.count == 1)
        #expect(messages.first?.payload == body)
        #expect(messages.first?.timestamp == 1000)
    }

    @Test func basicHeadersOfTwoAndThreeBytes() throws {
        // csid 64 + 6 = 70 (2-byte form), csid 64 + 0x0102 = 322 (3-byte form, little-endian).
        var bytes: [UInt8] = [0x00, 6, 0, 0, 1, 0, 0, 1, 0x12, 0, 0, 0, 0, 0x77]
        bytes += [0x01, 0x02, 0x01, 0, 0, 2, 0, 0, 1, 0x12, 0, 0, 0, 0, 0x78]
        bytes += [0xC1, 0x02, 0x01, 0x79]  // type 3 on csid 322 reuses delta 2
        let messages = try decodeAll(bytes)
        #expect(messages.map(\.chunkStreamID) == [70, 322, 322])
        #expect(messages.map(\.timestamp) == [1, 2, 4])
        #expect(messages.map(\.payload) == [[0x77], [0x78], [0x79]])
    }

    // MARK: - Extended timestamps

    @Test func extendedTimestampRepeatedOnContinuation() throws {
        // ts 0x01020304 needs the extended field; the spec repeats it after each type 3 continuation.
        let body = payload(200)
        var bytes: [UInt8] = [0x06, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0xC8, 0x09, 0x01, 0, 0, 0, 0x01, 0x02, 0x03, 0x04]
        bytes += body[0..<128]
        bytes += [0xC6, 0x01, 0x02, 0x03, 0x04] + body[128...]
        let messages = try decodeAll(bytes)
        #expect(messages.map(\.timestamp) == [0x0102_0304])
        #expect(messages.first?.payload == body)
    }

    @Test func extendedTimestampOmittedOnContinuationIsTolerated() throws {
        let body = payload(200)
        var bytes: [UInt8] = [0x06, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0xC8, 0x09, 0x01, 0, 0, 0, 0x01, 0x02, 0x03, 0x04]
        bytes += body[0..<128]
        bytes += [0xC6] + body[128...]
        let messages = try decodeAll(bytes)
        #expect(messages.first?.payload == body)
        #expect(messages.first?.timestamp == 0x0102_0304)
    }

    @Test func extendedDeltaOnTypeOneAndNewMessageTypeThree() throws {
        var bytes: [UInt8] = [0x04, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x08, 0x01, 0, 0, 0, 0xA0]
        // fmt 1 with an extended delta of 0x01000000.
        bytes += [0x44, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00, 0xA1]
        // fmt 3 starting a new message: the extended field follows again and holds the delta.
        bytes += [0xC4, 0x01, 0x00, 0x00, 0x00, 0xA2]
        let messages = try decodeAll(bytes)
        #expect(messages.map(\.timestamp) == [1, 0x0100_0001, 0x0200_0001])
        #expect(messages.map(\.payload) == [[0xA0], [0xA1], [0xA2]])
    }

    @Test func timestampWrapsAt32Bits() throws {
        var bytes: [UInt8] = [0x04, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x01, 0x08, 0x01, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xF0, 0xA0]
        bytes += [0x84, 0x00, 0x00, 0x20, 0xA1]
        #expect(try decodeAll(bytes).map(\.timestamp) == [0xFFFF_FFF0, 0x10])
    }

    // MARK: - Chunk size, interleaving, abort

    @Test func chunkSizeChangeAppliesToFollowingChunks() throws {
        let body = payload(300)
        var bytes: [UInt8] = [0x02, 0, 0, 0, 0, 0, 4, 0x01, 0, 0, 0, 0, 0x00, 0x00, 0x01, 0x00]  // Set Chunk Size 256
        bytes += [0x06, 0, 0, 0, 0x00, 0x01, 0x2C, 0x09, 0x01, 0, 0, 0] + body[0..<256]
        bytes += [0xC6] + body[256...]
        var decoder = ChunkStreamDecoder()
        decoder.append(bytes)
        let messages = try decoder.nextMessages()
        #expect(decoder.chunkSize == 256)
        #expect(messages.map(\.typeID) == [1, 9])
        #expect(messages.last?.payload == body)
    }

    @Test func interleavedChunkStreams() throws {
        let a = payload(200, 1), b = payload(150, 2)
        var bytes: [UInt8] = [0x04, 0, 0, 5, 0, 0, 200, 0x08, 1, 0, 0, 0] + a[0..<128]
        bytes += [0x06, 0, 0, 7, 0, 0, 150, 0x09, 1, 0, 0, 0] + b[0..<128]
        bytes += [0xC4] + a[128...]
        bytes += [0xC6] + b[128...]
        let messages = try decodeAll(bytes)
        #expect(messages.map(\.chunkStreamID) == [4, 6])
        #expect(messages.map(\.payload) == [a, b])
        #expect(messages.map(\.timestamp) == [5, 7])
    }

    @Test func abortDiscardsThePartialMessage() throws {
        let body = payload(200)
        var bytes: [UInt8] = [0x06, 0, 0, 0, 0, 0, 200, 0x09, 1, 0, 0, 0] + body[0..<128]
        bytes += [0x02, 0, 0, 0, 0, 0, 4, 0x02, 0, 0, 0, 0, 0, 0, 0, 6]  // Abort csid 6
        bytes += [0x46, 0, 0, 1, 0, 0, 1, 0x09, 0x33]  // a new message may start with fmt 1 now
        let messages = try decodeAll(bytes)
        #expect(messages.map(\.typeID) == [2, 9])
        #expect(messages.last?.payload == [0x33])
        #expect(messages.last?.timestamp == 1)
    }

    @Test func incrementalFeedingGivesTheSameMessages() throws {
        var encoder = ChunkStreamEncoder(compressesHeaders: true)
        var generator = SplitMix64(seed: 3)
        // Switch both sides to 64-byte chunks first.
        var messages: [RTMPMessage] = [.setChunkSize(64)]
        var timestamps: [UInt32: UInt32] = [4: 0, 6: 0x00FF_FF00]
        for i in 0..<60 {
            let csid: UInt32 = i % 3 == 0 ? 4 : 6
            timestamps[csid, default: 0] &+= UInt32(generator.next() % 3) * 40
            let length = i % 5 == 0 ? 10 : Int(generator.next() % 300)
            messages.append(RTMPMessage(typeID: csid == 4 ? 8 : 9, streamID: 1, timestamp: timestamps[csid] ?? 0,
                                        chunkStreamID: csid, payload: payload(length, UInt8(i))))
        }
        var bytes: [UInt8] = []
        for m in messages { bytes += encoder.encode(m) }

        var decoder = ChunkStreamDecoder()
        var decoded: [RTMPMessage] = []
        var index = 0
        while index < bytes.count {
            let step = Int(generator.next() % 97) + 1
            decoder.append(bytes[index..<min(index + step, bytes.count)])
            decoded += try decoder.nextMessages()
            index += step
        }
        #expect(decoded == messages)
        #expect(!decoder.hasPartialInput)
    }

    @Test func encoderWritesTypeZeroThenTypeThreeWithExtendedTimestamps() {
        var encoder = ChunkStreamEncoder(chunkSize: 4)
        let bytes = encoder.encode(RTMPMessage(typeID: 9, streamID: 1, timestamp: 0x0100_0000, chunkStreamID: 6,
                                               payload: [1, 2, 3, 4, 5, 6]))
        #expect(bytes == [0x06, 0xFF, 0xFF, 0xFF, 0, 0, 6, 9, 1, 0, 0, 0, 0x01, 0, 0, 0, 1, 2, 3, 4,
                          0xC6, 0x01, 0, 0, 0, 5, 6])
        // Set Chunk Size switches the encoder after the message.
        _ = encoder.encode(.setChunkSize(4096))
        #expect(encoder.chunkSize == 4096)
    }

    // MARK: - Errors

    @Test func chunkSizeAboveTheLimitIsRefused() {
        let bytes: [UInt8] = [0x02, 0, 0, 0, 0, 0, 4, 0x01, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF]
        let error = decodeError(bytes)
        #expect(error?.code == .chunkSizeTooLarge)
        #expect(error?.description == "RTMP chunk size 2147483647 exceeds the 16 MiB limit")
    }

    @Test func chunkSizeZeroOrTopBitIsInvalid() {
        for value: [UInt8] in [[0, 0, 0, 0], [0x80, 0, 0, 1]] {
            let error = decodeError([0x02, 0, 0, 0, 0, 0, 4, 0x01, 0, 0, 0, 0] + value)
            #expect(error?.code == .invalidChunkSize)
        }
    }

    @Test func messageAboveTheLimitIsRefusedFromItsHeader() {
        // Length 0x200000 (2 MiB) against a 1 MiB limit: refused before any payload arrives.
        let error = decodeError([0x06, 0, 0, 0, 0x20, 0x00, 0x00, 0x09, 1, 0, 0, 0],
                                limits: .init(maxMessageLength: 1 << 20))
        #expect(error?.code == .messageTooLarge)
        #expect(error?.description == "RTMP message of 2097152 bytes on chunk stream 6 exceeds the 1 MiB limit")
    }

    @Test func headerWithoutPreviousStateIsInvalid() {
        let error = decodeError([0x47, 0, 0, 1, 0, 0, 1, 0x09, 0x33])
        #expect(error?.code == .invalidChunkHeader)
        #expect(error?.description == "RTMP chunk header invalid: type 1 header on chunk stream 7, which has no previous header")
    }

    @Test func newHeaderInTheMiddleOfAMessageIsInvalid() {
        var bytes: [UInt8] = [0x06, 0, 0, 0, 0, 0, 200, 0x09, 1, 0, 0, 0] + payload(128)
        bytes += [0x06, 0, 0, 0, 0, 0, 1, 0x09, 1, 0, 0, 0, 0]
        #expect(decodeError(bytes)?.code == .invalidChunkHeader)
    }

    @Test func tooManyChunkStreams() {
        var bytes: [UInt8] = []
        for csid in UInt8(3)...UInt8(10) { bytes += [csid, 0, 0, 0, 0, 0, 1, 0x12, 0, 0, 0, 0, 0x05] }
        let error = decodeError(bytes, limits: .init(maxChunkStreams: 4))
        #expect(error?.code == .tooManyChunkStreams)
    }

    @Test func failedDecoderStaysFailed() {
        var decoder = ChunkStreamDecoder()
        decoder.append([0x47, 0, 0, 1, 0, 0, 1, 0x09, 0x33])
        #expect(throws: RTMPError.self) { try decoder.nextMessage() }
        decoder.append([0x03, 0, 0, 0, 0, 0, 1, 0x12, 0, 0, 0, 0, 0x05])
        #expect(throws: RTMPError.self) { try decoder.nextMessage() }
    }

    @Test func randomBytesNeverCrash() {
        var generator = SplitMix64(seed: 11)
        var failures = 0
        for _ in 0..<500 {
            let bytes = (0..<Int(generator.next() % 600)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            var decoder = ChunkStreamDecoder(limits: .init(maxMessageLength: 1 << 20, maxPendingPayload: 1 << 20))
            decoder.append(bytes)
            do {
                let messages = try decoder.nextMessages()
                #expect(messages.allSatisfy { $0.payload.count <= 1 << 20 })
            } catch {
                failures += 1
            }
        }
        #expect(failures > 0)
    }
}
