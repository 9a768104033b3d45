// The AES-128 envelope: the NIST vector, openssl decrypting what we encrypt, streaming equal to one shot.
import Foundation
import Testing
import TestSupport
@testable import Protection

@Suite struct EnvelopeEncryptionTests {
    static let key = ContentKey(id: UUID(), value: hexBytes("2b7e151628aed2a6abf7158809cf4f3c"))
    static let iv = hexBytes("000102030405060708090a0b0c0d0e0f")

    /// Bytes that look like a TS segment's worth of data, reproducibly.
    static func segment(_ count: Int) -> [UInt8] {
        var state: UInt32 = 0x1234_5678
        return (0..<count).map { _ in state = state &* 1_664_525 &+ 1_013_904_223; return UInt8(truncatingIfNeeded: state >> 24) }
    }

    @Test func theIVIsTheMediaSequenceNumberBigEndian() {
        #expect(EnvelopeEncryption.iv(mediaSequence: 0) == [UInt8](repeating: 0, count: 16))
        #expect(EnvelopeEncryption.iv(mediaSequence: 0x0102_0304_0506_0708) == [UInt8](repeating: 0, count: 8) + [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func firstBlockMatchesNISTSP800_38A() throws {
        // F.2.1 CBC-AES128.Encrypt, block 1; PKCS#7 adds a second block.
        let cipher = try EnvelopeEncryption.encrypt(hexBytes("6bc1bee22e409f96e93d7e117393172a"), key: Self.key, iv: Self.iv)
        #expect(Array(cipher.prefix(16)) == hexBytes("7649abac8119b246cee98e9b12e9197d"))
        #expect(cipher.count == 32)
    }

    @Test(arguments: [0, 1, 15, 16, 17, 188 * 100 + 5])
    func sizesAndRoundTrip(size: Int) throws {
        let plain = Self.segment(size)
        let cipher = try EnvelopeEncryption.encrypt(plain, key: Self.key, iv: EnvelopeEncryption.iv(mediaSequence: 42))
        #expect(cipher.count == (size / 16 + 1) * 16, "PKCS#7 adds 1 to 16 bytes")
        #expect(try EnvelopeEncryption.decrypt(cipher, key: Self.key, iv: EnvelopeEncryption.iv(mediaSequence: 42)) == plain)
        #expect((try? EnvelopeEncryption.decrypt(cipher, key: Self.key, iv: EnvelopeEncryption.iv(mediaSequence: 43))) != plain)
    }

    @Test func streamingInPiecesEqualsOneShot() throws {
        let plain = Self.segment(188 * 57 + 3)
        let oneShot = try EnvelopeEncryption.encrypt(plain, key: Self.key, iv: Self.iv)
        for pieceSize in [1, 7, 16, 188, 1000, plain.count] {
            var encryptor = try EnvelopeEncryption.Encryptor(key: Self.key, iv: Self.iv)
            var out: [UInt8] = []
            for start in stride(from: 0, to: plain.count, by: pieceSize) {
                out += encryptor.update(plain[start..<min(start + pieceSize, plain.count)])
            }
            out += encryptor.finish()
            #expect(out == oneShot, "pieces of \(pieceSize) bytes")
        }
    }

    @Test func aWrongSizedIVIsRefused() {
        #expect(throws: EnvelopeEncryptionError.self) { try EnvelopeEncryption.encrypt([1, 2, 3], key: Self.key, iv: [0, 1]) }
    }

    @Test(.enabled(if: ExternalTool.isAvailable("openssl"), "openssl not found on PATH (apt install openssl)"))
    func opensslDecryptsIt() throws {
        let plain = Self.segment(188 * 300 + 11)
        let iv = EnvelopeEncryption.iv(mediaSequence: 1_234_567)
        let cipher = try EnvelopeEncryption.encrypt(plain, key: Self.key, iv: iv)
        let dir = try TemporaryDirectory()
        try Data(cipher).write(to: URL(fileURLWithPath: dir.path("seg.ts.enc")))
        let decrypted = try ExternalTool.run("openssl", ["enc", "-d", "-aes-128-cbc", "-K", ProtectionTestMedia.hex(Self.key.value),
                                                         "-iv", ProtectionTestMedia.hex(iv), "-in", dir.path("seg.ts.enc")],
                                             rejectingErrorOutput: true)
        #expect(Array(decrypted) == plain)
    }
}
