// Common encryption checked against an independent decryptor: ffmpeg's mov demuxer decrypts cenc and cbcs with
// -decryption_key (following saiz/saio to the IVs and subsample maps); the decoded frames must be bit-exact with the
// clear track's, and without the key (or with a wrong one) they must not be.
//
// Each fragment is decoded as its own file (header + that fragment): ffmpeg 5.1 (Debian 12) looks a packet's
// encryption info up in the fragment it parsed last rather than the one the packet came from, so a file of several
// protected fragments fails there whoever wrote it (newer ffmpeg finds the fragment from the packet position). Every
// fragment starts with a sync sample, so the frames are the same.
import Foundation
import ISOBMFF
import Media
import Testing
import TestSupport
@testable import Protection

@Suite(.serialized) struct CommonEncryptionInteropTests {
    static let key = ContentKey(id: UUID(uuidString: "6F651AE1-DBE4-4434-BCB4-690D1564C41C")!,
                                value: hexBytes("00112233445566778899aabbccddeeff"))
    static let wrongKey = hexBytes("ffeeddccbbaa99887766554433221100")

    static func ivContext(_ clear: ClearTrack) -> [UInt8] { Array("\(clear.info.name)-\(clear.info.bitrate)".utf8) }

    /// The header as the origin serves it under `scheme`, with ClearKey and Widevine `pssh`.
    static func protectedInit(_ clear: ClearTrack, scheme: ProtectionScheme) throws -> [UInt8] {
        let pssh = [PSSH.box(for: .clearKey, key: key, scheme: scheme)!, PSSH.box(for: .widevine, key: key, scheme: scheme)!]
        return try CommonEncryption.protectInitSegment(clear.initSegment, scheme: scheme, key: key, pssh: pssh)
    }

    static func protectedFragments(_ clear: ClearTrack, scheme: ProtectionScheme) throws -> [[UInt8]] {
        let track = try ProtectedTrack(initSegment: clear.initSegment)
        return try clear.fragments.map {
            try CommonEncryption.protectFragment($0, scheme: scheme, key: key, track: track, ivContext: ivContext(clear))
        }
    }

    @Test(.enabled(if: ProtectionTestMedia.hasFFmpeg, "\(ProtectionTestMedia.ffmpegMissing)"),
          arguments: [ProtectionScheme.cenc, .cbcs], TestTrack.allCases)
    func decryptsToTheClearFramesBitExact(scheme: ProtectionScheme, kind: TestTrack) throws {
        let clear = try kind.clear
        let protectedInit = try Self.protectedInit(clear, scheme: scheme)
        let protected = try Self.protectedFragments(clear, scheme: scheme)
        #expect(clear.fragments.count >= 2)
        var frames = 0
        for (index, fragment) in clear.fragments.enumerated() {
            #expect(protected[index] != fragment)
            let expected = try ProtectionTestMedia.frameHashes(of: clear.initSegment + fragment)
            let decrypted = try ProtectionTestMedia.frameHashes(of: protectedInit + protected[index], key: Self.key.value)
            #expect(decrypted == expected, "\(scheme) \(kind) fragment \(index): decrypted frames differ from the clear ones")
            frames += expected.count
        }
        #expect(frames == clear.sampleCount, "every sample decodes to a frame")
    }

    @Test(.enabled(if: ProtectionTestMedia.hasFFmpeg, "\(ProtectionTestMedia.ffmpegMissing)"),
          arguments: [ProtectionScheme.cenc, .cbcs], TestTrack.allCases)
    func withoutTheKeyTheFramesDiffer(scheme: ProtectionScheme, kind: TestTrack) throws {
        let clear = try kind.clear
        let expected = try ProtectionTestMedia.frameHashes(of: clear.initSegment + clear.fragments[0])
        let file = try Self.protectedInit(clear, scheme: scheme) + Self.protectedFragments(clear, scheme: scheme)[0]
        for key in [nil, Self.wrongKey] {
            // ffmpeg may fail outright or decode garbage; either way the clear frames must not come out.
            let hashes = try? ProtectionTestMedia.frameHashes(of: file, key: key, rejectingErrors: false)
            #expect(hashes != expected, "\(scheme) \(kind) decoded to the clear frames with key \(key.map(ProtectionTestMedia.hex) ?? "none")")
        }
    }
}
