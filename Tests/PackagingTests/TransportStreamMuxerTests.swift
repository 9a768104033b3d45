// MPEG-TS segments: packet structure, PSI, continuity counters across segments, PCR spacing, PTS/DTS, ADTS,
// Annex-B conversion, sizes without writing; and ffprobe decoding real H.264 + AAC segments alone and concatenated.

import Foundation
import ISOBMFF
import Media
import Testing
@testable import Packaging

@Suite struct TransportStreamMuxerTests {
    static let t0: Int64 = 17_000_000_000_000_000  // 2023-11-14T22:13:20Z in 100 ns ticks
    static let frame: Int64 = 333_333              // 30 fps at 10 MHz
    static let audioStart: Int64 = 48_000 * 1_700_000_000

    /// Two consecutive 2 s muxed segments: 60 frames of video each and the audio frames of the same time span.
    func twoMuxedSegments() throws -> [[UInt8]] {
        let video = try TSVectors.video(), audio = TSVectors.audio()
        let frames = TSVectors.videoSamples(start: Self.t0, count: 120, frameTicks: Self.frame)
        let aac = TSVectors.audioSamples(start: Self.audioStart, count: 188)
        let boundary = Self.t0 + 60 * Self.frame
        let audioBoundary = MediaTime.rescale(boundary, from: 10_000_000, to: 48_000)
        return try [(0..<60, { $0 < audioBoundary }), (60..<120, { $0 >= audioBoundary })].enumerated().map { index, part in
            try TransportStreamMuxer.segment(
                video: TransportStreamInput(track: video, samples: Array(frames[part.0])),
                audio: TransportStreamInput(track: audio, samples: aac.filter { part.1($0.decodeTime) }),
                continuityIndex: 100 + index)
        }
    }

    @Test func packetsAreWholeAndSynchronisedAndPSIHasValidCRC() throws {
        let segments = try twoMuxedSegments()
        for segment in segments {
            #expect(segment.count % 188 == 0)
            let packets = try TSReader.packets(segment)
            #expect(stride(from: 0, to: segment.count, by: 188).allSatisfy { segment[$0] == 0x47 })
            // PAT then PMT open every segment; both sections carry a valid CRC-32.
            #expect(packets[0].pid == 0 && packets[1].pid == TransportStreamMuxer.pmtPID)
            #expect(TSReader.sectionCRCIsValid(packets[0]))
            #expect(TSReader.sectionCRCIsValid(packets[1]))
            // PMT: PCR on the video PID, H.264 (0x1B) on 0x100 and AAC/ADTS (0x0F) on 0x101.
            let pmt = Array(packets[1].payload.dropFirst())
            #expect(Int(pmt[8] & 0x1F) << 8 | Int(pmt[9]) == 0x100)
            #expect(Array(pmt[12..<15]) == [0x1B, 0xE1, 0x00] && Array(pmt[17..<20]) == [0x0F, 0xE1, 0x01])
        }
    }

    @Test func continuityCountersRunOnAcrossSegmentBoundaries() throws {
        let segments = try twoMuxedSegments()
        let packets = try TSReader.packets(segments[0] + segments[1])
        var last: [UInt16: UInt8] = [:]
        for packet in packets where packet.pid != 0 && packet.pid != TransportStreamMuxer.pmtPID {
            if let previous = last[packet.pid] {
                let expected = packet.hasPayload ? (previous + 1) & 0x0F : previous
                #expect(packet.counter == expected, "PID \(packet.pid): \(packet.counter) after \(previous)")
            } else {
                #expect(packet.counter == 0)
            }
            last[packet.pid] = packet.counter
        }
        #expect(last[TransportStreamMuxer.videoPID] == 15 && last[TransportStreamMuxer.audioPID] == 15)
        // Each segment alone: every elementary PID ends on 15, so whichever segment comes next starts at 0.
        for segment in segments {
            let alone = try TSReader.packets(segment)
            for pid in [TransportStreamMuxer.videoPID, TransportStreamMuxer.audioPID] {
                #expect(alone.filter { $0.pid == pid && $0.hasPayload }.count % 16 == 0)
            }
        }
        // PAT and PMT count with the media sequence number: 100 then 101.
        let psi = packets.filter { $0.pid == 0 }.map(\.counter)
        #expect(psi == [100 & 15, 101 & 15])
    }

    @Test func pcrIsOnTheVideoPIDAtMost100msApartAcrossSegments() throws {
        let segments = try twoMuxedSegments()
        let packets = try TSReader.packets(segments[0] + segments[1])
        let pcrs = packets.compactMap { packet in packet.pcr.map { ($0, packet.pid) } }
        #expect(pcrs.allSatisfy { $0.1 == TransportStreamMuxer.videoPID })
        #expect(pcrs.count >= 120)
        for (a, b) in zip(pcrs, pcrs.dropFirst()) {
            #expect(b.0 > a.0 && b.0 - a.0 <= 9_000)
        }
        // PCR runs 200 ms ahead of presentation: the first equals the first DTS.
        let first = MediaTime.rescale(Self.t0, from: 10_000_000, to: 90_000) - TransportStreamMuxer.decodeLead
        #expect(pcrs.first?.0 == first & 0x1_FFFF_FFFF)
    }

    @Test func lowFrameRateGetsPCROnlyPackets() throws {
        // 2 fps: frames 500 ms apart; PCR-only packets (no payload, counter unchanged) fill the gaps.
        let video = try TSVectors.video()
        let samples = TSVectors.videoSamples(start: Self.t0, count: 4, frameTicks: 5_000_000, size: 5_000)
        let bytes = try TransportStreamMuxer.segment(video: TransportStreamInput(track: video, samples: samples), audio: nil,
                                                     continuityIndex: 0)
        let packets = try TSReader.packets(bytes)
        let pcrs = packets.compactMap(\.pcr)
        #expect(pcrs.count == 4 + 3 * 4)
        for (a, b) in zip(pcrs, pcrs.dropFirst()) { #expect(b - a <= 9_000 && b > a) }
        #expect(packets.filter { !$0.hasPayload && $0.pcr != nil }.count == 12)
        #expect(try TransportStreamMuxer.segmentSize(video: TransportStreamInput(track: video, samples: samples), audio: nil) == bytes.count)
    }

    @Test func ptsAndDtsAre33BitAbsoluteTimesAcrossSegments() throws {
        let segments = try twoMuxedSegments()
        let packets = try TSReader.packets(segments[0] + segments[1])
        let video = TSReader.pes(packets, pid: TransportStreamMuxer.videoPID)
        #expect(video.count == 120)
        for (index, unit) in video.enumerated() {
            let pts = MediaTime.rescale(Self.t0 + Int64(index) * Self.frame, from: 10_000_000, to: 90_000)
            #expect(unit.pts == pts & 0x1_FFFF_FFFF)
            #expect(unit.dts == (pts - TransportStreamMuxer.decodeLead) & 0x1_FFFF_FFFF)
        }
        let audio = TSReader.pes(packets, pid: TransportStreamMuxer.audioPID)
        // Four AAC frames (85 ms) per PES; PTS only, continuing across the boundary.
        #expect(audio.allSatisfy { $0.dts == nil })
        let starts = audio.map(\.pts)
        for (a, b) in zip(starts, starts.dropFirst()) { #expect(b - a <= 4 * 1920 && b > a) }
        #expect(starts.first == MediaTime.rescale(Self.audioStart, from: 48_000, to: 90_000) & 0x1_FFFF_FFFF)
    }

    @Test func annexBHasDelimiterAndParameterSetsBeforeKeyFramesAndADTSHeaders() throws {
        let segments = try twoMuxedSegments()
        let packets = try TSReader.packets(segments[0])
        let video = TSReader.pes(packets, pid: TransportStreamMuxer.videoPID)
        let config = try AVCConfiguration(record: TSVectors.avcHigh720)
        let sps = config.sequenceParameterSets[0], pps = config.pictureParameterSets[0]
        #expect(Array(video[0].data.prefix(6)) == [0, 0, 0, 1, 0x09, 0xF0])
        #expect(Array(video[0].data[6..<(10 + sps.count)]) == [0, 0, 0, 1] + sps)
        #expect(Array(video[0].data[(10 + sps.count)..<(14 + sps.count + pps.count)]) == [0, 0, 0, 1] + pps)
        #expect(video[0].data[14 + sps.count + pps.count + 4] == 0x65)
        // A P frame: delimiter, then its slice, no parameter sets.
        #expect(Array(video[1].data.prefix(11)) == [0, 0, 0, 1, 0x09, 0xF0, 0, 0, 0, 1, 0x41])
        // The first packet of the key frame is marked a random access point.
        #expect(packets.first { $0.pid == TransportStreamMuxer.videoPID }?.randomAccess == true)

        let audio = TSReader.pes(packets, pid: TransportStreamMuxer.audioPID)
        // ADTS: sync, MPEG-4, no CRC, LC (profile 1), 48 kHz (index 3), stereo, frame length 307.
        #expect(Array(audio[0].data.prefix(7)) == [0xFF, 0xF1, 0x4C, 0x80, 0x26, 0x7F, 0xFC])
        #expect(audio[0].data.count == 4 * 307)
    }

    @Test func sizeIsKnownWithoutWriting() throws {
        let video = try TSVectors.video(), audio = TSVectors.audio()
        for count in [1, 2, 7, 31, 60] {
            let v = TransportStreamInput(track: video, samples: TSVectors.videoSamples(start: Self.t0, count: count, frameTicks: Self.frame, size: 97 * count))
            let a = TransportStreamInput(track: audio, samples: TSVectors.audioSamples(start: Self.audioStart, count: count, size: 13 * count))
            for (x, y) in [(v, a), (v, nil), (nil, a)] as [(TransportStreamInput?, TransportStreamInput?)] {
                let bytes = try TransportStreamMuxer.segment(video: x, audio: y, continuityIndex: count)
                #expect(try TransportStreamMuxer.segmentSize(video: x, audio: y) == bytes.count)
                let packets = try TSReader.packets(bytes)
                for pid in [TransportStreamMuxer.videoPID, TransportStreamMuxer.audioPID] {
                    #expect(packets.filter { $0.pid == pid && $0.hasPayload }.count % 16 == 0)
                }
            }
        }
    }

    @Test func audioOnlySegmentCarriesPCROnTheAudioPID() throws {
        let audio = TSVectors.audio()
        let bytes = try TransportStreamMuxer.segment(
            video: nil, audio: TransportStreamInput(track: audio, samples: TSVectors.audioSamples(start: Self.audioStart, count: 94)),
            continuityIndex: 7)
        let packets = try TSReader.packets(bytes)
        let pmt = Array(packets[1].payload.dropFirst())
        #expect(Int(pmt[8] & 0x1F) << 8 | Int(pmt[9]) == Int(TransportStreamMuxer.audioPID))
        let pcrs = packets.compactMap(\.pcr)
        #expect(!pcrs.isEmpty && packets.allSatisfy { $0.pcr == nil || $0.pid == TransportStreamMuxer.audioPID })
        for (a, b) in zip(pcrs, pcrs.dropFirst()) { #expect(b - a <= 9_000) }
    }

    @Test func unsupportedAudioIsATypedErrorNamingTheTrack() {
        // AAC-LD (object type 23) has no ADTS profile.
        let track = TrackInfo(trackID: 2, kind: .audio, name: "ld", timescale: 48_000,
                              codec: .aac(AudioSpecificConfig(bytes: [0xB9, 0x88], objectType: 23, sampleRate: 48_000, channelCount: 1)),
                              bitrate: 64_000)
        #expect(throws: PackagingError.self) {
            try TransportStreamMuxer.segment(video: nil, audio: TransportStreamInput(track: track, samples: TSVectors.audioSamples(start: 0, count: 2)),
                                             continuityIndex: 0)
        }
        do {
            _ = try TransportStreamMuxer.segment(video: nil, audio: TransportStreamInput(track: track, samples: TSVectors.audioSamples(start: 0, count: 2)),
                                                 continuityIndex: 0)
        } catch {
            #expect(error.code == .unsupportedCodec)
            #expect(error.message.contains("'ld'") && error.message.contains("m3u8-cmaf"))
        }
    }

    @Test func heAACIsSignalledAsItsLCCore() throws {
        // HE-AAC v1, explicit: SBR (5) at 24 kHz core, 48 kHz output, stereo, core AAC-LC.
        let config = try AudioSpecificConfig(bytes: [0x2B, 0x11, 0x88, 0x00])
        let header = try ADTSHeader(config, track: TSVectors.audio())
        #expect(header.profile == 1 && header.samplingFrequencyIndex == 6 && header.channelConfiguration == 2)
    }
}

// MARK: - Interop with ffprobe

@Suite(.serialized) struct TransportStreamInteropTests {
    /// 4 s of H.264 with B-frames (2 s GOPs) and AAC from ffmpeg, through CMAF fragments and back into samples
    /// (the origin's path), muxed into two TS segments per track: each decodes alone and both concatenated, every frame.
    @Test func realH264AndAACDecodeAloneAndConcatenated() throws {
        let dir = try TemporaryDirectory()
        let source = dir.path("source.mp4")
        try Tool.run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi",
                                "-i", "sine=frequency=1000:sample_rate=48000", "-t", "4", "-map", "0:v", "-map", "1:a",
                                "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-bf", "3", "-g", "60",
                                "-keyint_min", "60", "-sc_threshold", "0", "-video_track_timescale", "90000",
                                "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-f", "mp4", source])
        let file = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))
        let boxes = try Box.parseAll(file)
        let traks = try #require(boxes.first(path: "moov")).children(ofType: "trak")
        let avcC = try #require(traks.compactMap { $0.first(path: "mdia/minf/stbl/stsd/avc1/avcC") }.first)
        let videoTrack = TrackInfo(trackID: 1, kind: .video, name: "video", timescale: 90_000,
                                   codec: .avc(try AVCConfiguration(record: Array(avcC.payload))), bitrate: 1_000_000)
        let audioTrack = TSVectors.audio()
        let base90: Int64 = 90_000 * 1_700_000_000, base48: Int64 = 48_000 * 1_700_000_000
        func samples(_ stream: String, base: Int64) throws -> [Sample] {
            try Tool.packets(source, stream: stream).map { p in
                Sample(decodeTime: base + p.dts, compositionOffset: Int32(p.pts - p.dts), duration: UInt32(p.duration),
                       isSync: p.isKey, data: Array(file[p.pos..<(p.pos + p.size)]))
            }
        }
        let video = try samples("v:0", base: base90 + 90_000)  // ffmpeg's B-frame DTS start below 0
        let audio = try samples("a:0", base: base48 + 48_000)
        #expect(video.contains { $0.compositionOffset > 0 } && video.count == 120)

        // One CMAF fragment per GOP, read back as the origin does.
        let cut = try #require(video.dropFirst().firstIndex { $0.isSync })
        let videoFragments = try [Array(video[..<cut]), Array(video[cut...])].enumerated().map { index, part in
            try MovieFragment(parsing: CMAFWriter.mediaSegment(track: videoTrack, sequenceNumber: UInt32(index + 1), samples: part))
        }
        let boundary = MediaTime.rescale(video[cut].decodeTime, from: 90_000, to: 48_000)
        let audioFragment = try MovieFragment(parsing: CMAFWriter.mediaSegment(track: audioTrack, sequenceNumber: 1, samples: audio))
        #expect(videoFragments.map(\.samples.count) == [60, 60])

        var muxed: [[UInt8]] = [], audioOnly: [[UInt8]] = []
        for (index, fragment) in videoFragments.enumerated() {
            let inRange: (FragmentSample) -> Bool = { index == 0 ? $0.decodeTime < boundary : $0.decodeTime >= boundary }
            let audioPart = audioFragment.samples.filter(inRange)
            muxed.append(try TransportStreamMuxer.segment(video: TransportStreamInput(track: videoTrack, samples: fragment.samples),
                                                          audio: TransportStreamInput(track: audioTrack, samples: audioPart),
                                                          continuityIndex: index + 1))
            audioOnly.append(try TransportStreamMuxer.segment(video: nil, audio: TransportStreamInput(track: audioTrack, samples: audioPart),
                                                              continuityIndex: index + 1))
        }
        for (index, segment) in muxed.enumerated() {
            let path = dir.path("muxed\(index).ts")
            try Data(segment).write(to: URL(fileURLWithPath: path))
            let frames = try Tool.countFrames(path)
            #expect(frames["video"]?.codec == "h264" && frames["video"]?.frames == 60)
            #expect(frames["audio"]?.codec == "aac" && (frames["audio"]?.frames ?? 0) >= 90)
        }
        let all = dir.path("muxed.ts")
        try Data(muxed[0] + muxed[1]).write(to: URL(fileURLWithPath: all))
        let frames = try Tool.countFrames(all)
        #expect(frames["video"]?.frames == 120)
        #expect(frames["audio"]?.frames == audio.count)
        // Presentation times survive: ffprobe's video PTS (90 kHz) are ours, B-frame order included.
        let pts = try Tool.packets(all, stream: "v:0").map(\.pts).sorted()
        let expected = video.map { ($0.decodeTime + Int64($0.compositionOffset)) & 0x1_FFFF_FFFF }.sorted()
        #expect(pts == expected)

        let audioPath = dir.path("audio.ts")
        try Data(audioOnly[0] + audioOnly[1]).write(to: URL(fileURLWithPath: audioPath))
        #expect(try Tool.countFrames(audioPath)["audio"]?.frames == audio.count)
    }
}
