// Shared presentations for the manifest golden tests: a 1280x720 H.264 track and an AAC track, epoch-based times.

import Media

enum Fixtures {
    /// 2023-11-14T22:13:20Z as live media time (seconds since 1970 × 10^7).
    static let t0: Int64 = 17_000_000_000_000_000
    static let second: Int64 = 10_000_000

    static let avc720 = AVCConfiguration(
        record: [1, 0x64, 0x00, 0x1F, 0xFF, 0xE1], profileIndication: 0x64, profileCompatibility: 0x00,
        levelIndication: 0x1F, nalUnitLengthSize: 4, sequenceParameterSets: [], pictureParameterSets: [],
        width: 1280, height: 720, frameRate: 30)

    static let avc360 = AVCConfiguration(
        record: [1, 0x4D, 0x40, 0x1E, 0xFF, 0xE1], profileIndication: 0x4D, profileCompatibility: 0x40,
        levelIndication: 0x1E, nalUnitLengthSize: 4, sequenceParameterSets: [], pictureParameterSets: [],
        width: 640, height: 360, frameRate: 30)

    static let aacStereo = AudioSpecificConfig(bytes: [0x11, 0x90], objectType: 2, sampleRate: 48_000, channelCount: 2)

    static let video = TrackInfo(trackID: 1, kind: .video, name: "video", timescale: 10_000_000,
                                 codec: .avc(avc720), bitrate: 3_000_000)
    static let video360 = TrackInfo(trackID: 3, kind: .video, name: "video_360", timescale: 10_000_000,
                                    codec: .avc(avc360), bitrate: 1_000_000)
    static let audio = TrackInfo(trackID: 2, kind: .audio, name: "audio", timescale: 10_000_000,
                                 codec: .aac(aacStereo), bitrate: 128_000, language: "eng")

    /// Live video: three 2 s segments from t0 (sequence 100…), a 4 s gap, then a discontinuity, 2 s and 2.4 s.
    static let liveVideoSegments: [TimelineSegment] = [
        TimelineSegment(startTime: t0, duration: 2 * second, sequenceNumber: 100),
        TimelineSegment(startTime: t0 + 2 * second, duration: 2 * second, sequenceNumber: 101),
        TimelineSegment(startTime: t0 + 4 * second, duration: 2 * second, sequenceNumber: 102),
        TimelineSegment(startTime: t0 + 10 * second, duration: 2 * second, sequenceNumber: 103, discontinuity: true),
        TimelineSegment(startTime: t0 + 12 * second, duration: 24_000_000, sequenceNumber: 104),
    ]

    /// Live audio with the same gap but no discontinuity flag: the gap alone must force an explicit `t`.
    static let liveAudioSegments: [TimelineSegment] = [
        TimelineSegment(startTime: t0, duration: 2 * second, sequenceNumber: 100),
        TimelineSegment(startTime: t0 + 2 * second, duration: 2 * second, sequenceNumber: 101),
        TimelineSegment(startTime: t0 + 4 * second, duration: 2 * second, sequenceNumber: 102),
        TimelineSegment(startTime: t0 + 10 * second, duration: 2 * second, sequenceNumber: 103),
        TimelineSegment(startTime: t0 + 12 * second, duration: 2 * second, sequenceNumber: 104),
    ]

    static var live: Presentation {
        Presentation(tracks: [TrackTimeline(track: video, segments: liveVideoSegments, discontinuitySequence: 3),
                              TrackTimeline(track: audio, segments: liveAudioSegments, discontinuitySequence: 3)],
                     isLive: true, windowDuration: 30 * second, nominalFragmentDuration: 2)
    }

    /// On demand: video 2 s, 2 s, 1.6 s from t0; audio starts 20 ms later and ends at the same time.
    static var vod: Presentation {
        let video = [
            TimelineSegment(startTime: t0, duration: 2 * second, sequenceNumber: 0),
            TimelineSegment(startTime: t0 + 2 * second, duration: 2 * second, sequenceNumber: 1),
            TimelineSegment(startTime: t0 + 4 * second, duration: 16_000_000, sequenceNumber: 2),
        ]
        let audio = [
            TimelineSegment(startTime: t0 + 200_000, duration: 19_800_000, sequenceNumber: 0),
            TimelineSegment(startTime: t0 + 2 * second, duration: 2 * second, sequenceNumber: 1),
            TimelineSegment(startTime: t0 + 4 * second, duration: 16_000_000, sequenceNumber: 2),
        ]
        return Presentation(tracks: [TrackTimeline(track: Fixtures.video, segments: video),
                                     TrackTimeline(track: Fixtures.audio, segments: audio)],
                            isLive: false, windowDuration: nil, nominalFragmentDuration: 2)
    }
}
