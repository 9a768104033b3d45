import Encode
import EncodeModel
import Foundation
import Media
import Testing

/// The live-encoding engine against real contributions (ffmpeg-made H.264 + AAC), decoded back with libavcodec.
/// Serialized: each test keeps the machine's two cores busy on its own.
@Suite(.serialized) struct LadderTranscoderTests {
    // MARK: - 720p into Default720p

    @Test func a720pContributionBecomesTheSixRungLadderAndStereoAAC() throws {
        // Timestamps start at 10.5 s: keyframes fall on whole seconds of absolute time, not on the session's start.
        let contribution = try Contribution.make(width: 1280, height: 720, rate: 30, seconds: 3).shifted(by: 10.5)
        let transcoder = try LadderTranscoder(job: softwareJob(.default720p, keyFrameInterval: 1))
        let run = try transcode(contribution, with: transcoder)

        #expect(run.videoTracks.map { "\($0.index):\($0.width)x\($0.height)@\($0.bitrate)" } == [
            "0:1280x720@3500000", "1:960x540@2200000", "2:704x396@1350000", "3:512x288@850000", "4:384x216@550000", "5:340x192@200000",
        ])
        #expect(run.videoTracks.allSatisfy { $0.codecFamily == "avc" && $0.encoderName == "libx264" && $0.frameRate == 30 })
        #expect(run.tracksPrecedeSamples)
        #expect(!run.logs.contains { $0.hasPrefix("warning") || $0.hasPrefix("error") }, "\(run.logs)")

        let inputFrames = contribution.videoSamples.count
        #expect(inputFrames == 90)
        for track in run.videoTracks {
            let config = try AVCConfiguration(record: track.codecRecord)
            #expect(config.width == track.width && config.height == track.height)
            // x264 caps at High; the tests' ultrafast preset needs no more than Constrained Baseline.
            #expect([66, 77, 100].contains(config.profileIndication))
            let samples = run.samples(track: track.index)
            #expect(samples.allSatisfy { $0.timescale == 90_000 && $0.compositionOffset >= 0 })
            // MP4 form without parameter sets: every NAL length adds up and none is an SPS/PPS.
            for sample in samples {
                let units = try NALUnit.lengthPrefixed(sample.data[...], lengthSize: 4)
                #expect(!units.contains { [7, 8, 9].contains(NALUnit.avcType($0)) })
            }
            let decoded = try DecodedVideo(track: track, samples: samples)
            #expect(decoded.frames == inputFrames, "rung \(track.index)")
            #expect(decoded.errors == 0)
            #expect(decoded.width == track.width && decoded.height == track.height)
        }

        // Keyframes: the first frame, then every whole second, at the same times on every rung.
        let reference = run.keyframeTimes(track: 0)
        #expect(reference == [945_000, 990_000, 1_080_000, 1_170_000])
        for track in run.videoTracks {
            #expect(run.keyframeTimes(track: track.index) == reference, "rung \(track.index)")
            #expect(run.samples(track: track.index).filter(\.isKeyframe).map(\.decodeTime)
                    == run.samples(track: 0).filter(\.isKeyframe).map(\.decodeTime))
        }
        // Output times follow the input's.
        let inputStart = contribution.videoSamples.map { $0.decodeTime + Int64($0.compositionOffset) }.min() ?? 0
        #expect(reference.first == inputStart * 90_000 / Int64(contribution.videoSamples[0].timescale))

        // Audio: one AAC-LC stereo track after the rungs, gapless from the input's first timestamp.
        #expect(run.audioTracks.count == 1)
        let audioTrack = try #require(run.audioTracks.first)
        #expect(audioTrack.index == 6 && audioTrack.codecFamily == "aac" && audioTrack.bitrate == 128_000 && audioTrack.encoderName == "aac")
        let asc = try AudioSpecificConfig(bytes: audioTrack.codecRecord)
        #expect(asc.objectType == 2 && asc.sampleRate == 48_000 && asc.channelCount == 2)
        let audio = run.samples(track: 6)
        #expect(audio.allSatisfy { $0.timescale == 48_000 && $0.isKeyframe })
        let firstAudio = try #require(contribution.audioSamples.first)
        #expect(audio.first?.decodeTime == (firstAudio.decodeTime * 48_000) / Int64(firstAudio.timescale))
        #expect(zip(audio.dropFirst(), audio).allSatisfy { $0.decodeTime - $1.decodeTime == 1024 })
        let decodedAudio = try DecodedAudio(track: audioTrack, samples: audio)
        #expect(decodedAudio.channels == 2 && decodedAudio.sampleRate == 48_000 && decodedAudio.errors == 0)
        #expect(decodedAudio.samples >= 3 * 48_000 - 1024)
        #expect(decodedAudio.peak > 0.05)
        let bits = audio.reduce(0) { $0 + $1.data.count * 8 }
        let kbps = Double(bits) / (Double(decodedAudio.samples) / 48_000) / 1000
        #expect(kbps > 64 && kbps < 192, "about 128 kbps, measured \(kbps)")

        let stats = transcoder.statistics
        #expect(stats.framesIn == 90 && stats.framesOut == 6 * 90 && stats.framesDropped == 0)
        #expect(stats.backendDescription == "libx264 ultrafast (software)")
    }

    // MARK: - Frame-rate ceiling

    @Test func a1080p60ContributionIsEncodedAt30() throws {
        let contribution = try Contribution.make(width: 1920, height: 1080, rate: 60, seconds: 2)
        let transcoder = try LadderTranscoder(job: softwareJob(.lowLatency1080p4Layer, keyFrameInterval: 0.5))
        let run = try transcode(contribution, with: transcoder)

        #expect(run.videoTracks.map { "\($0.width)x\($0.height)" } == ["1920x1080", "1280x720", "960x540", "640x360"])
        #expect(run.videoTracks.allSatisfy { $0.frameRate == 30 })
        #expect(run.audioTracks.first?.index == 4)
        #expect(contribution.videoSamples.count == 120)
        let reference = run.keyframeTimes(track: 0)
        #expect(reference == [0, 45_000, 90_000, 135_000])
        for track in run.videoTracks {
            let samples = run.samples(track: track.index)
            #expect(try DecodedVideo(track: track, samples: samples).frames == 60, "rung \(track.index)")
            #expect(run.keyframeTimes(track: track.index) == reference)
            // 30 fps: one frame every 3000 ticks.
            let times = samples.map { $0.decodeTime + Int64($0.compositionOffset) }.sorted()
            #expect(zip(times.dropFirst(), times).allSatisfy { $0 - $1 == 3000 })
        }
        #expect(run.logs.contains { $0.contains("one frame in 2 is encoded") })
    }

    @Test func premium1080pGivesTheServicesSixRungsAndA720pInputItsFiveLowerOnes() throws {
        // Spec §2.5: Default1080p is 5500k 1080p … 200k 320x180; a 720p contribution gets the five rungs from 720p/3 Mbps.
        let full = try Contribution.make(width: 1920, height: 1080, rate: 30, seconds: 1)
        let run = try transcode(full, with: try LadderTranscoder(job: softwareJob(.default1080p)))
        let expected = ["0:1920x1080@5500000", "1:1280x720@3000000", "2:960x540@1600000", "3:640x360@800000",
                        "4:480x270@400000", "5:320x180@200000"]
        #expect(run.videoTracks.map { "\($0.index):\($0.width)x\($0.height)@\($0.bitrate)" } == expected)
        for track in run.videoTracks {
            let decoded = try DecodedVideo(track: track, samples: run.samples(track: track.index))
            #expect(decoded.frames == 30 && decoded.errors == 0 && decoded.width == track.width && decoded.height == track.height)
            #expect(run.keyframeTimes(track: track.index) == run.keyframeTimes(track: 0))
        }
        #expect(run.audioTracks.map(\.index) == [6])

        let hd = try Contribution.make(width: 1280, height: 720, rate: 30, seconds: 1)
        let lower = try transcode(hd, with: try LadderTranscoder(job: softwareJob(.default1080p)))
        #expect(lower.videoTracks.map { "\($0.index):\($0.width)x\($0.height)@\($0.bitrate)" }
                == expected.dropFirst().enumerated().map { index, rung in "\(index)" + rung.dropFirst(1) })
        for track in lower.videoTracks {
            #expect(try DecodedVideo(track: track, samples: lower.samples(track: track.index)).frames == 30)
        }
    }

    // MARK: - No upscaling, odd audio

    @Test func a360pContributionKeepsOnlyTheRungsAtOrBelowIt() throws {
        // Mono 44.1 kHz in: stereo 44.1 kHz out.
        let contribution = try Contribution.make(width: 640, height: 360, rate: 30, seconds: 2, sampleRate: 44_100, channels: 1)
        let transcoder = try LadderTranscoder(job: softwareJob(.default720p))
        let run = try transcode(contribution, with: transcoder)

        #expect(run.videoTracks.map { "\($0.index):\($0.width)x\($0.height)@\($0.bitrate)" } == [
            "0:512x288@850000", "1:384x216@550000", "2:340x192@200000",
        ])
        for track in run.videoTracks {
            #expect(try DecodedVideo(track: track, samples: run.samples(track: track.index)).frames == 60)
        }
        let audioTrack = try #require(run.audioTracks.first)
        #expect(audioTrack.index == 3)
        let decoded = try DecodedAudio(track: audioTrack, samples: run.samples(track: 3))
        #expect(decoded.channels == 2 && decoded.sampleRate == 44_100)
        #expect(try AudioSpecificConfig(bytes: audioTrack.codecRecord).sampleRate == 44_100)
    }

    // MARK: - Geometry

    @Test func autoFitPillarBoxesA4By3Contribution() throws {
        let contribution = try Contribution.make(width: 640, height: 480, rate: 25, seconds: 1)
        let transcoder = try LadderTranscoder(job: softwareJob(.lowLatency720p3Layer, stretchMode: .autoFit))
        let run = try transcode(contribution, with: transcoder)

        let track = try #require(run.videoTracks.first)
        #expect(run.videoTracks.count == 1)
        #expect(track.width == 640 && track.height == 360 && track.frameRate == 25)
        let decoded = try DecodedVideo(track: track, samples: run.samples(track: 0))
        #expect(decoded.frames == 25)
        // 480x360 picture centred: 80-pixel black bars left and right, the test pattern between them.
        let row = decoded.middleRow
        #expect(row.count == 640)
        #expect(row[0..<72].allSatisfy { $0 <= 20 }, "left bar")
        #expect(row[568..<640].allSatisfy { $0 <= 20 }, "right bar")
        #expect(row[88..<552].contains { $0 > 40 }, "picture")
    }

    // MARK: - Sessions and bad input

    @Test func aFlushEndsTheSessionAndASecondOneWorks() throws {
        let contribution = try Contribution.make(width: 640, height: 360, rate: 30, seconds: 1)
        let transcoder = try LadderTranscoder(job: softwareJob(.lowLatency720p3Layer))
        let first = try transcode(contribution, with: transcoder)
        // The encoder reconnects 5.5 s later; the configuration is the one it sent before.
        let later = contribution.shifted(by: 5.5)
        let second = try transcode(later, with: transcoder, configure: false)

        for run in [first, second] {
            #expect(run.videoTracks.map { "\($0.width)x\($0.height)" } == ["640x360"])
            #expect(run.audioTracks.map(\.index) == [1])
            #expect(run.tracksPrecedeSamples)
            let track = try #require(run.videoTracks.first)
            #expect(try DecodedVideo(track: track, samples: run.samples(track: 0)).frames == 30)
        }
        #expect(second.samples(track: 0).first?.isKeyframe == true)
        #expect(second.keyframeTimes(track: 0) == [495_000, 540_000])
        let firstAudio = try #require(later.audioSamples.first)
        #expect(second.samples(track: 1).first?.decodeTime == firstAudio.decodeTime * 48_000 / Int64(firstAudio.timescale))
        #expect(transcoder.statistics.framesIn == 60 && transcoder.statistics.framesOut == 60)

        // A new configuration (another size) after the flush is taken too, scaled to the pinned rung.
        let smaller = try Contribution.make(width: 480, height: 270, rate: 30, seconds: 1)
        let third = try transcode(smaller, with: transcoder)
        #expect(third.videoTracks.map { "\($0.width)x\($0.height)" } == ["640x360"])
        #expect(try DecodedVideo(track: third.videoTracks[0], samples: third.samples(track: 0)).frames == 30)
    }

    @Test func corruptSamplesAreCountedAndSkipped() throws {
        let contribution = try Contribution.make(width: 640, height: 360, rate: 30, seconds: 1)
        let transcoder = try LadderTranscoder(job: softwareJob(.lowLatency720p3Layer))
        let videoPositions = contribution.samples.indices.filter { contribution.samples[$0].track == WorkerSample.inputVideo }
        let brokenFraming = videoPositions[10], empty = videoPositions[20]
        let audioPositions = contribution.samples.indices.filter { contribution.samples[$0].track == WorkerSample.inputAudio }
        let garbageAudio = audioPositions[5]
        let run = try transcode(contribution, with: transcoder) { position, sample in
            switch position {
            case brokenFraming: sample.data = [0, 0, 0xFF, 0xFF, 0x41, 0x9A]   // a NAL length far past the end
            case empty: sample.data = []
            case garbageAudio: sample.data = [0xFF, 0xF1, 0x00]
            default: break
            }
            return true
        }
        let stats = transcoder.statistics
        #expect(stats.framesIn == 30)
        #expect(stats.framesDropped >= 2)
        #expect(run.logs.contains { $0.contains("NAL unit lengths do not add up") })
        // Everything else is still encoded and decodes (the pictures after the hole are concealed, not lost).
        let track = try #require(run.videoTracks.first)
        let decoded = try DecodedVideo(track: track, samples: run.samples(track: 0))
        #expect(decoded.frames >= 28)
        #expect(run.samples(track: 1).count >= 40)

        // Samples before any configuration, and on tracks that do not exist, are skipped too.
        let fresh = try LadderTranscoder(job: softwareJob(.lowLatency720p3Layer))
        #expect(try fresh.push(contribution.videoSamples[0]).contains { if case .log = $0 { true } else { false } })
        _ = try fresh.push(WorkerSample(track: 7, isKeyframe: true, timescale: 1000, decodeTime: 0, data: [1]))
        #expect(fresh.statistics.framesDropped == 2)
        // An unusable configuration is logged, not thrown.
        let logs = try fresh.configure(kind: .video, record: [1, 2, 3])
        #expect(logs.contains { if case let .log(level, _) = $0 { level == "error" } else { false } })
        #expect(try fresh.flush().isEmpty)
    }

    @Test func jobsThatCannotRunAreRefused() {
        var job = softwareJob(.default720p)
        job.keyFrameInterval = 0
        #expect(throws: EncodeError.self) { try LadderTranscoder(job: job) }
        job = softwareJob(LadderPreset(name: "Empty", rungs: []))
        #expect(throws: EncodeError.self) { try LadderTranscoder(job: job) }
        job = EncodeJob(eventName: "gpu", preset: .default720p, backend: .vaapi(device: "/dev/dri/no-such-node", codec: "h264", lowPower: false))
        do {
            _ = try LadderTranscoder(job: job)
            Issue.record("a VAAPI job on a missing device must be refused")
        } catch {
            #expect(error.code == .deviceUnavailable)
            #expect(error.description.contains("/dev/dri/no-such-node"))
        }
    }
}

/// Encoder behaviour the fast tests' `ultrafast` preset does not show, and input that changes mid-session.
@Suite(.serialized) struct LadderTranscoderTimelineTests {
    @Test func bFramesKeepDecodeOrderAndTheKeyframeGrid() throws {
        let contribution = try Contribution.make(width: 640, height: 360, rate: 30, seconds: 1)
        let job = EncodeJob(eventName: "test", preset: .lowLatency720p3Layer, keyFrameInterval: 0.5, maxFrameRate: 30,
                            backend: .software(preset: "veryfast", threads: 1))
        let transcoder = try LadderTranscoder(job: job)
        let run = try transcode(contribution, with: transcoder)
        let track = try #require(run.videoTracks.first)
        #expect(try AVCConfiguration(record: track.codecRecord).profileIndication == 100, "High profile")
        let samples = run.samples(track: 0)
        #expect(samples.contains { $0.compositionOffset > 0 }, "veryfast uses B-frames")
        #expect(zip(samples.dropFirst(), samples).allSatisfy { $0.decodeTime > $1.decodeTime })
        // Only the forced keyframes, although veryfast would add its own at scene cuts and every 250 frames.
        #expect(run.keyframeTimes(track: 0) == [0, 45_000])
        #expect(try DecodedVideo(track: track, samples: samples).frames == 30)
    }

    @Test func anInputOfAnotherSizeKeepsThePinnedLadder() throws {
        // 960x540 into 720p-3-Layer plans two rungs (960x540, 640x360); a 480x270 input then keeps both, upscaled,
        // so each track goes on at its size instead of changing size or ending.
        let large = try Contribution.make(width: 960, height: 540, rate: 30, seconds: 1)
        let small = try Contribution.make(width: 480, height: 270, rate: 30, seconds: 1).shifted(by: 1)
        let transcoder = try LadderTranscoder(job: softwareJob(.lowLatency720p3Layer))
        var run = TranscoderRun()
        run.append(try transcoder.configure(kind: .video, record: large.videoRecord))
        run.append(try transcoder.configure(kind: .audio, record: large.audioRecord))
        for sample in large.samples { run.append(try transcoder.push(sample)) }
        // The encoder changes resolution: a new avcC, then its samples; the audio configuration is unchanged.
        run.append(try transcoder.configure(kind: .video, record: small.videoRecord))
        run.append(try transcoder.configure(kind: .audio, record: small.audioRecord))
        for sample in small.samples { run.append(try transcoder.push(sample)) }
        run.append(try transcoder.flush())

        #expect(run.ladders == [[LadderRung(width: 960, height: 540, bitrate: 1_000_000), LadderRung(width: 640, height: 360, bitrate: 400_000)]])
        #expect(transcoder.job.pinnedRungs == run.ladders.first)
        for (track, size) in [(0, "960x540"), (1, "640x360")] {
            let segments = run.segments(track: track)
            #expect(segments.map { "\($0.track.width)x\($0.track.height)" } == [size, size])
            for segment in segments {
                #expect(try DecodedVideo(track: segment.track, samples: segment.samples).frames == 30)
                #expect(segment.samples.first?.isKeyframe == true)
            }
            #expect(segments.last?.samples.first.map { $0.decodeTime + Int64($0.compositionOffset) } == 90_000)
        }
        // Audio goes on: announced once, gapless.
        #expect(run.audioTracks.map(\.index) == [2])
        let audio = run.samples(track: 2)
        #expect(zip(audio.dropFirst(), audio).allSatisfy { $0.decodeTime - $1.decodeTime == 1024 })
        #expect(run.logs.contains { $0.contains("the input changed from 960x540") && $0.contains("2 rungs go on at their sizes") })
        #expect(run.logs.contains { $0.contains("960x540, 640x360 are above this 480x270 input and upscaled") })
    }

    @Test func aReplacementWorkerPlansThePinnedLadder() throws {
        // The daemon hands a replacement worker the pinned rungs: a 480x270 input gets the 960x540 and 640x360 rungs.
        var job = softwareJob(.lowLatency720p3Layer)
        job.pinnedRungs = [LadderRung(width: 960, height: 540, bitrate: 1_000_000), LadderRung(width: 640, height: 360, bitrate: 400_000)]
        let contribution = try Contribution.make(width: 480, height: 270, rate: 30, seconds: 1)
        let run = try transcode(contribution, with: try LadderTranscoder(job: job))
        #expect(run.videoTracks.map { "\($0.index):\($0.width)x\($0.height)@\($0.bitrate)" } == ["0:960x540@1000000", "1:640x360@400000"])
        #expect(run.ladders.isEmpty, "a pinned ladder is not announced again")
        for track in run.videoTracks {
            #expect(try DecodedVideo(track: track, samples: run.samples(track: track.index)).frames == 30)
        }
    }

    @Test func aClockThatGoesBackRestartsTheRungs() throws {
        let contribution = try Contribution.make(width: 640, height: 360, rate: 30, seconds: 1)
        let transcoder = try LadderTranscoder(job: softwareJob(.lowLatency720p3Layer))
        var run = TranscoderRun()
        run.append(try transcoder.configure(kind: .video, record: contribution.videoRecord))
        run.append(try transcoder.configure(kind: .audio, record: contribution.audioRecord))
        // The encoder restarts its clock at 0 without the ingest noticing (no end of session in between).
        for sample in contribution.shifted(by: 20).samples + contribution.samples { run.append(try transcoder.push(sample)) }
        run.append(try transcoder.flush())

        let segments = run.segments(track: 0)
        #expect(segments.count == 2)
        for segment in segments {
            #expect(try DecodedVideo(track: segment.track, samples: segment.samples).frames == 30)
        }
        #expect(segments.map { $0.samples.first?.decodeTime } == [1_800_000, 0])
        #expect(run.logs.contains { $0.contains("video clock went back") })
        #expect(run.logs.contains { $0.contains("audio timestamps jump") })
        let audio = run.samples(track: 1)
        let restart = try #require(audio.indices.dropFirst().first { audio[$0].decodeTime < audio[$0 - 1].decodeTime })
        #expect(audio[..<restart].allSatisfy { $0.decodeTime >= 20 * 48_000 - 1024 })
        #expect(restart > 40)
        #expect(audio[restart].decodeTime < 48_000)
        #expect(transcoder.statistics.framesDropped == 0)
    }
}

@Suite struct AudioInputTests {
    @Test func anSBRSignalledInputIsEncodedAtItsOutputRate() throws {
        // HE-AAC as RTMP encoders signal it: object type 5 (SBR), a 24 kHz core, 48 kHz out. ffmpeg cannot make SBR
        // data, so the core is plain AAC-LC; the decoder still runs its SBR stage and gives 2048 samples at 48 kHz
        // per access unit, which is what the transcoder must cope with.
        let contribution = try Contribution.make(width: 320, height: 180, rate: 25, seconds: 1, sampleRate: 24_000)
        let sbr: [UInt8] = [0x2B, 0x11, 0x88, 0x00]  // 5, 24 kHz, stereo, 48 kHz, 2 (LC), GA
        let parsed = try AudioSpecificConfig(bytes: sbr)
        #expect(parsed.objectType == 5 && parsed.sampleRate == 24_000 && parsed.channelCount == 2)
        var heAAC = contribution
        heAAC.audioRecord = sbr

        let transcoder = try LadderTranscoder(job: softwareJob(.lowLatency720p3Layer))
        let run = try transcode(heAAC, with: transcoder)
        let track = try #require(run.audioTracks.first)
        let asc = try AudioSpecificConfig(bytes: track.codecRecord)
        #expect(asc.objectType == 2 && asc.sampleRate == 48_000 && asc.channelCount == 2)
        let audio = run.samples(track: track.index)
        let decoded = try DecodedAudio(track: track, samples: audio)
        #expect(decoded.sampleRate == 48_000 && decoded.channels == 2 && decoded.errors == 0)
        // One second of input is about one second of output.
        #expect(abs(decoded.samples - 48_000) < 6 * 1024, "\(decoded.samples) samples")
        let firstInput = try #require(contribution.audioSamples.first)
        #expect(audio.first?.decodeTime == firstInput.decodeTime * 2)
        #expect(zip(audio.dropFirst(), audio).allSatisfy { $0.decodeTime - $1.decodeTime == 1024 })
        #expect(transcoder.statistics.framesDropped == 0)
    }
}
