// SAMPLE-AES of MPEG-TS against a real player: the ffmpeg clip's fragments muxed to TS by Packaging's muxer, clear and
// with SampleAES through the muxer's hooks (as the origin wires them), played by ffmpeg's HLS demuxer
// (libavformat/hls_sample_encryption.c) from a local playlist with METHOD=SAMPLE-AES, KEYFORMAT="identity" and the IV.
import Foundation
import ISOBMFF
import Media
import Packaging
import Testing
import TestSupport
@testable import Protection

@Suite(.serialized) struct SampleAESInteropTests {
    static let key = ContentKey(id: UUID(uuidString: "8a3f4c1e-2b6d-4e0f-9a1b-3c5d7e9f1a2b")!, value: hexBytes("c0ffee00112233445566778899aabbcc"))
    static let wrongKey = ContentKey(id: key.id, value: hexBytes("00112233445566778899aabbccddeeff"))

    enum Layout: String, CaseIterable, CustomStringConvertible {
        /// `m3u8-aapl` video: video-only segments.
        case video
        /// `m3u8-aapl` audio rendition: audio-only segments.
        case audio
        /// `m3u8-aapl-v3`: audio muxed into the video's segments.
        case muxed
        var description: String { rawValue }
    }

    static func encryption(_ key: ContentKey) throws -> TransportStreamSampleEncryption {
        let cipher = try SampleAES(key: key, iv: CommonEncryption.constantIV(for: key))
        return TransportStreamSampleEncryption(nalUnit: { cipher.encryptNALUnit($0) }, aacFrame: { cipher.encryptAACFrame($0) })
    }

    /// The clip's TS segments: one per stored video fragment (a GOP), or per audio fragment for audio alone.
    ///
    /// `padded` appends one more segment: the first GOP again, 2 s later. ffmpeg's HLS demuxer decrypts a packet with the
    /// key of the segment it is reading; the access units its H.264 parser still holds when the playlist ends come out
    /// after the last segment and are passed on undecrypted, so the padding carries them over that edge.
    static func segments(_ layout: Layout, encryption: TransportStreamSampleEncryption?,
                         padded: Bool = false) throws -> (segments: [[UInt8]], durations: [Double]) {
        let video = try ProtectionTestMedia.video(), audio = try ProtectionTestMedia.audio()
        let audioSamples = try audio.fragments.flatMap { try MovieFragment(parsing: $0).samples }
        var segments: [[UInt8]] = [], durations: [Double] = []
        switch layout {
        case .audio:
            for (index, fragment) in audio.fragments.enumerated() {
                let samples = try MovieFragment(parsing: fragment).samples
                segments.append(try TransportStreamMuxer.segment(
                    video: nil, audio: TransportStreamInput(track: audio.info, samples: samples, sampleEncryption: encryption),
                    continuityIndex: index))
                durations.append(Double(samples.reduce(0) { $0 + Int($1.duration) }) / Double(audio.info.timescale))
            }
        case .video, .muxed:
            for (index, fragment) in video.fragments.enumerated() {
                let samples = try MovieFragment(parsing: fragment).samples
                guard let first = samples.first, let last = samples.last else { continue }
                var muxedAudio: TransportStreamInput?
                if layout == .muxed {
                    let start = MediaTime.rescale(first.decodeTime, from: 90_000, to: 48_000)
                    let end = MediaTime.rescale(last.decodeTime + Int64(last.duration), from: 90_000, to: 48_000)
                    let span = audioSamples.filter { $0.decodeTime >= start && ($0.decodeTime < end || index == video.fragments.count - 1) }
                    muxedAudio = TransportStreamInput(track: audio.info, samples: span, sampleEncryption: encryption)
                }
                segments.append(try TransportStreamMuxer.segment(
                    video: TransportStreamInput(track: video.info, samples: samples, sampleEncryption: encryption), audio: muxedAudio,
                    continuityIndex: index))
                durations.append(Double(last.decodeTime + Int64(last.duration) - first.decodeTime) / 90_000)
            }
            if padded, let fragment = video.fragments.first {
                let shift = Int64(durations.reduce(0, +) * 90_000)
                let samples = try MovieFragment(parsing: fragment).samples.map { sample in
                    var moved = sample
                    moved.decodeTime += shift
                    return moved
                }
                segments.append(try TransportStreamMuxer.segment(
                    video: TransportStreamInput(track: video.info, samples: samples, sampleEncryption: encryption), audio: nil,
                    continuityIndex: segments.count))
                durations.append(durations[0])
            }
        }
        return (segments, durations)
    }

    /// The key line the origin's TS playlists write for a Clear Key policy (its `KEYID` left out: ffmpeg ignores it).
    static func keyLine(_ key: ContentKey) -> String {
        "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"key.bin\",KEYFORMAT=\"identity\",IV=0x" + ProtectionTestMedia.hex(CommonEncryption.constantIV(for: key))
    }

    /// `ffmpeg -f framemd5` of a local VOD playlist over `segments`, with `keyFile` as the key the line names.
    static func decode(_ segments: [[UInt8]], durations: [Double], keyLine: String?, keyFile: [UInt8]?,
                       rejectingErrors: Bool = true) throws -> [String] {
        let output = try play(segments, durations: durations, keyLine: keyLine, keyFile: keyFile,
                              output: ["-f", "framemd5", "-"], rejectingErrors: rejectingErrors)
        return String(decoding: output, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init).filter { !$0.hasPrefix("#") }
    }

    /// The H.264 byte stream ffmpeg's HLS demuxer hands on (after its SAMPLE-AES decryption), not decoded.
    static func demuxedVideo(_ segments: [[UInt8]], durations: [Double], keyLine: String?, keyFile: [UInt8]?) throws -> [UInt8] {
        Array(try play(segments, durations: durations, keyLine: keyLine, keyFile: keyFile,
                       output: ["-map", "0:v:0", "-c", "copy", "-f", "h264", "-"], rejectingErrors: true))
    }

    /// The NAL units of a properly escaped H.264 byte stream, each with the bytes before it (its start code and any
    /// zero bytes leading into it).
    static func units(_ stream: [UInt8]) -> [(prefix: ArraySlice<UInt8>, unit: ArraySlice<UInt8>)] {
        var starts: [Int] = []
        var i = 0
        while i + 2 < stream.count {
            if stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1 { starts.append(i); i += 3 } else { i += 1 }
        }
        var units: [(ArraySlice<UInt8>, ArraySlice<UInt8>)] = []
        var prefixStart = 0
        for (k, at) in starts.enumerated() {
            var end = k + 1 < starts.count ? starts[k + 1] : stream.count
            if k + 1 < starts.count { while end > at + 3 && stream[end - 1] == 0 { end -= 1 } }
            units.append((stream[prefixStart..<(at + 3)], stream[(at + 3)..<end]))
            prefixStart = end
        }
        return units
    }

    /// Runs ffmpeg on a local VOD playlist over `segments`, with `keyFile` as the key the key line names.
    static func play(_ segments: [[UInt8]], durations: [Double], keyLine: String?, keyFile: [UInt8]?, output arguments: [String],
                     rejectingErrors: Bool) throws -> Data {
        let dir = try TemporaryDirectory()
        var lines = ["#EXTM3U", "#EXT-X-VERSION:5", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-PLAYLIST-TYPE:VOD"]
        if let keyLine { lines.append(keyLine) }
        for (index, segment) in segments.enumerated() {
            try Data(segment).write(to: URL(fileURLWithPath: dir.path("s\(index).ts")))
            lines += [String(format: "#EXTINF:%.6f,", durations[index]), "s\(index).ts"]
        }
        lines.append("#EXT-X-ENDLIST")
        if let keyFile { try Data(keyFile).write(to: URL(fileURLWithPath: dir.path("key.bin"))) }
        let playlist = dir.path("index.m3u8")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: playlist))
        return try ExternalTool.run("ffmpeg", ["-v", "error", "-allowed_extensions", "ALL", "-i", playlist] + arguments,
                                    rejectingErrorOutput: rejectingErrors)
    }

    /// The stream types and ES_info descriptors of a segment's PMT (PID 0x1000, one packet).
    static func programMap(_ segment: [UInt8]) -> [(type: UInt8, descriptors: [UInt8])] {
        for start in stride(from: 0, to: segment.count - 187, by: 188) {
            let pid = UInt16(segment[start + 1] & 0x1F) << 8 | UInt16(segment[start + 2])
            guard pid == TransportStreamMuxer.pmtPID else { continue }
            let section = Array(segment[(start + 5)..<(start + 188)])
            let length = Int(section[1] & 0x0F) << 8 | Int(section[2])
            let programInfo = Int(section[10] & 0x0F) << 8 | Int(section[11])
            var at = 12 + programInfo
            var streams: [(UInt8, [UInt8])] = []
            while at < 3 + length - 4 {
                let infoLength = Int(section[at + 3] & 0x0F) << 8 | Int(section[at + 4])
                streams.append((section[at], Array(section[(at + 5)..<(at + 5 + infoLength)])))
                at += 5 + infoLength
            }
            return streams
        }
        return []
    }

    /// Audio: every decoded frame (audio alone, and the audio muxed with video) equals the clear TS's.
    @Test(.enabled(if: ProtectionTestMedia.hasFFmpeg, "\(ProtectionTestMedia.ffmpegMissing)"), arguments: [Layout.audio, .muxed])
    func ffmpegDecodesTheClearAudioFrames(layout: Layout) throws {
        let clear = try Self.segments(layout, encryption: nil, padded: true)
        let protected = try Self.segments(layout, encryption: Self.encryption(Self.key), padded: true)
        #expect(protected.segments != clear.segments)
        // Stream 1 is the audio when muxed; errors of the padding's last video frames are ffmpeg's (see segments()).
        let audioStream = layout == .audio ? "0," : "1,"
        let expected = try Self.decode(clear.segments, durations: clear.durations, keyLine: nil, keyFile: nil).filter { $0.hasPrefix(audioStream) }
        #expect(expected.count >= (try ProtectionTestMedia.audio().sampleCount) - 2, "the clear TS decodes to every AAC frame")
        let decrypted = try Self.decode(protected.segments, durations: protected.durations, keyLine: Self.keyLine(Self.key),
                                        keyFile: Self.key.value, rejectingErrors: false).filter { $0.hasPrefix(audioStream) }
        #expect(decrypted == expected)
    }

    /// Video: every H.264 NAL unit ffmpeg's SAMPLE-AES decryption hands on equals the clear one, so every frame decodes
    /// the same. One documented difference is ffmpeg's, not the format's: hls_sample_encryption.c removes a slice's
    /// emulation prevention bytes to decrypt it and never puts them back (Apple: "each NAL unit is formed with start
    /// code emulation prevention applied"), so such a slice comes out unescaped — it is compared unescaped.
    @Test(.enabled(if: ProtectionTestMedia.hasFFmpeg, "\(ProtectionTestMedia.ffmpegMissing)"), arguments: [Layout.video, .muxed])
    func ffmpegDecryptsEveryNALUnitToTheClearOne(layout: Layout) throws {
        let clear = try Self.segments(layout, encryption: nil, padded: true)
        let protected = try Self.segments(layout, encryption: Self.encryption(Self.key), padded: true)
        let unpadded = try Self.segments(layout, encryption: nil)
        // Compared: the NAL units of the real segments (the padding's come after them).
        let count = Self.units(try Self.demuxedVideo(unpadded.segments, durations: unpadded.durations, keyLine: nil, keyFile: nil)).count
        let expected = Self.units(try Self.demuxedVideo(clear.segments, durations: clear.durations, keyLine: nil, keyFile: nil))
        let decrypted = try Self.demuxedVideo(protected.segments, durations: protected.durations, keyLine: Self.keyLine(Self.key),
                                              keyFile: Self.key.value)
        #expect(count >= (try ProtectionTestMedia.video().sampleCount) * 4, "AUD and three slices per picture at least")
        // Walked along the clear units: an unescaped slice may hold bytes that look like a start code.
        var at = 0, slices = 0
        for (index, (prefix, clearUnit)) in expected.prefix(count).enumerated() {
            let isSlice = SampleAES.isProtectedSlice(clearUnit) && clearUnit.count > 48
            let view = isSlice ? NALUnit.removingEmulationPrevention(clearUnit) : Array(clearUnit)
            if isSlice { slices += 1 }
            let end = at + prefix.count + view.count
            guard end <= decrypted.count, decrypted[at..<(at + prefix.count)].elementsEqual(prefix),
                  decrypted[(at + prefix.count)..<end].elementsEqual(view) else {
                Issue.record("NAL unit \(index) (type \((clearUnit.first ?? 0) & 0x1F), \(clearUnit.count) bytes) is not the clear one")
                return
            }
            at = end
        }
        #expect(slices >= (try ProtectionTestMedia.video().sampleCount) * 3, "the slices were encrypted and compared")
    }

    /// Every protected slice of the real segments differs from the clear one before decryption.
    @Test func slicesAndFramesAreEncryptedInTheSegments() throws {
        let clear = try Self.segments(.muxed, encryption: nil)
        let protected = try Self.segments(.muxed, encryption: Self.encryption(Self.key))
        #expect(clear.segments.count == protected.segments.count)
        for (plain, cipher) in zip(clear.segments, protected.segments) {
            #expect(plain != cipher)
            #expect(plain.count / 188 <= cipher.count / 188 + 1 && cipher.count / 188 <= plain.count / 188 + 1,
                    "SAMPLE-AES keeps the sizes (but for emulation prevention)")
        }
    }

    @Test(.enabled(if: ProtectionTestMedia.hasFFmpeg, "\(ProtectionTestMedia.ffmpegMissing)"), arguments: Layout.allCases)
    func withTheWrongKeyTheFramesDiffer(layout: Layout) throws {
        let clear = try Self.segments(layout, encryption: nil)
        let protected = try Self.segments(layout, encryption: Self.encryption(Self.key))
        let expected = try Self.decode(clear.segments, durations: clear.durations, keyLine: nil, keyFile: nil)
        let wrong = try? Self.decode(protected.segments, durations: protected.durations, keyLine: Self.keyLine(Self.key),
                                     keyFile: Self.wrongKey.value, rejectingErrors: false)
        #expect(wrong != expected)
        // And as clear TS (no key line) it does not decode to the clear frames either.
        let unkeyed = try? Self.decode(protected.segments, durations: protected.durations, keyLine: nil, keyFile: nil, rejectingErrors: false)
        #expect(unkeyed != expected)
    }

    @Test func theProgramMapSignalsSampleAES() throws {
        let protected = try Self.segments(.muxed, encryption: Self.encryption(Self.key))
        let streams = Self.programMap(try #require(protected.segments.first))
        #expect(streams.map(\.type) == [0xDB, 0xCF])
        #expect(streams.first?.descriptors == [0x0F, 4] + Array("zavc".utf8))
        let audio = try #require(streams.last?.descriptors)
        let config = try ProtectionTestMedia.audio().info.codec
        guard case .aac(let asc) = config else { Issue.record("the clip's audio is not AAC"); return }
        // private_data_indicator 'aacd'; registration 'apad' + audio setup: 'zaac', priming 0, version 1, the ASC.
        #expect(audio == [0x0F, 4] + Array("aacd".utf8) + [0x05, UInt8(4 + 8 + asc.bytes.count)] + Array("apad".utf8)
                + Array("zaac".utf8) + [0, 0, 1, UInt8(asc.bytes.count)] + asc.bytes)
        let clear = try Self.segments(.muxed, encryption: nil)
        #expect(Self.programMap(try #require(clear.segments.first)).map(\.type) == [0x1B, 0x0F])
    }
}
