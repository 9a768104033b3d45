// The incremental fMP4 (Smooth) ingest parser: bytes in at any split, tracks and frames out.
import Media
import Testing
@testable import ISOBMFF

@Suite struct FragmentedMP4IngestParserTests {
    static let base: Int64 = 90_000 * 3_600

    func videoSamples(from start: Int64, count: Int = 4) -> [Sample] {
        (0..<count).map { i in
            Sample(decodeTime: start + Int64(i) * 3_000, compositionOffset: i == 0 ? 0 : 6_000, duration: 3_000,
                   isSync: i == 0, data: [UInt8](repeating: UInt8(i + 1), count: 20 + i))
        }
    }

    func audioSamples(from start: Int64, count: Int = 3) -> [Sample] {
        (0..<count).map { i in
            Sample(decodeTime: start + Int64(i) * 1_024, duration: 1_024, isSync: true, data: [UInt8](repeating: 0xA0 + UInt8(i), count: 7))
        }
    }

    func tracks() throws -> (TrackInfo, TrackInfo) {
        var video = try Vectors.videoTrack(Vectors.avcHigh720, id: 1)
        video.timescale = 90_000
        var audio = Vectors.audioTrack(id: 2)
        audio.language = "fra"
        return (video, audio)
    }

    /// ftyp + moov (two tracks) + live server manifest + a Smooth video fragment (tfdt and tfxd) + a CMAF audio fragment.
    func stream() throws -> [UInt8] {
        let (video, audio) = try tracks()
        let videoInit = CMAFWriter.initSegment(for: video)
        let audioInit = CMAFWriter.initSegment(for: audio)
        // One moov with both traks: the video init's moov plus the audio trak.
        let videoBoxes = try Box.parseAll(videoInit)
        let audioBoxes = try Box.parseAll(audioInit)
        let ftyp = Array(videoInit[videoBoxes[0].range])
        let videoMoov = videoBoxes[1]
        let audioTrak = try #require(audioBoxes[1].first(path: "trak"))
        var body = Array(videoInit[videoMoov.payload.startIndex..<videoMoov.range.upperBound])
        body += audioInit[audioTrak.range]
        let moov = box("moov", body)
        let manifest = uuidBox(FragmentedMP4IngestParser.liveServerManifestUserType, [0, 0, 0, 0] + Array("""
            <smil><body><switch><video src="v.ismv" systemBitrate="2500000"><param name="trackID" value="1" valuetype="data"/></video>\
            <audio src="a.isma" systemBitrate="128000"><param name="trackID" value="2" valuetype="data"/></audio></switch></body></smil>
            """.utf8))
        let videoFragment = CMAFWriter.smoothFragment(trackID: 1, sequenceNumber: 1, samples: videoSamples(from: Self.base).map(FragmentSample.init),
                                                      duration: 12_000, following: nil)
        let audioFragment = CMAFWriter.mediaSegment(track: audio, sequenceNumber: 2, samples: audioSamples(from: 48_000))
        return ftyp + manifest + moov + videoFragment + audioFragment
    }

    func box(_ type: String, _ payload: [UInt8]) -> [UInt8] {
        let size = UInt32(8 + payload.count)
        return [UInt8(size >> 24), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)] + Array(type.utf8) + payload
    }

    func uuidBox(_ userType: [UInt8], _ payload: [UInt8]) -> [UInt8] { box("uuid", userType + payload) }

    func collect(_ chunks: [[UInt8]]) throws -> (tracks: [IngestTrackDescription], fragments: [IngestFragment]) {
        var parser = FragmentedMP4IngestParser()
        var tracks: [IngestTrackDescription] = []
        var fragments: [IngestFragment] = []
        for chunk in chunks {
            for event in try parser.receive(chunk) {
                switch event {
                case .tracks(let t): tracks += t
                case .fragment(let f): fragments.append(f)
                case .lastSegment: break
                }
            }
        }
        #expect(parser.isAtBoxBoundary)
        return (tracks, fragments)
    }

    @Test func moovGivesCodecsTimescalesAndManifestBitrates() throws {
        let (tracks, fragments) = try collect([try stream()])
        #expect(tracks.map(\.trackID) == [1, 2])
        #expect(tracks.map(\.timescale) == [90_000, 48_000])
        #expect(tracks.map(\.kind) == [.video, .audio])
        #expect(tracks.map(\.bitrate) == [2_500_000, 128_000])
        // The mdhd language: `und` (the video) is no language, `fra` is kept.
        #expect(tracks.map(\.language) == [nil, "fra"])
        #expect(FragmentedMP4IngestParser.language(packed: 0x55C4) == nil)
        #expect(FragmentedMP4IngestParser.language(packed: 0x15C7) == "eng")
        #expect(FragmentedMP4IngestParser.language(packed: 0) == nil)
        guard case .avc(let avc) = tracks[0].codec else { Issue.record("video is not AVC"); return }
        #expect(avc.record == Vectors.avcHigh720)
        guard case .aac(let asc) = tracks[1].codec else { Issue.record("audio is not AAC"); return }
        #expect(asc.sampleRate == 48_000 && asc.channelCount == 2)

        #expect(fragments.count == 2)
        let video = fragments[0]
        #expect(video.trackID == 1 && video.startTime == Self.base && video.endTime == Self.base + 12_000)
        #expect(video.frames.map(\.decodeTime) == videoSamples(from: Self.base).map(\.decodeTime))
        #expect(video.frames.map(\.data) == videoSamples(from: Self.base).map(\.data))
        #expect(video.frames.map(\.isKeyframe) == [true, false, false, false])
        #expect(video.frames.map(\.compositionOffset) == [0, 6_000, 6_000, 6_000])
        #expect(video.frames.allSatisfy { $0.timescale == 90_000 && $0.kind == .video })
        let audio = fragments[1]
        #expect(audio.trackID == 2 && audio.frames.map(\.decodeTime) == [48_000, 49_024, 50_048])
        #expect(audio.frames.map(\.data) == audioSamples(from: 48_000).map(\.data))
        #expect(audio.frames.allSatisfy { $0.timescale == 48_000 && $0.kind == .audio && $0.isKeyframe })
    }

    @Test func bytesSplitAtEveryBoundaryGiveTheSameResult() throws {
        let bytes = try stream()
        let whole = try collect([bytes])
        for split in 1..<bytes.count {
            let parts = try collect([Array(bytes[..<split]), Array(bytes[split...])])
            #expect(parts.tracks == whole.tracks, "split at \(split)")
            #expect(parts.fragments.map(\.frames) == whole.fragments.map(\.frames), "split at \(split)")
        }
        // One byte at a time.
        let bytewise = try collect(bytes.map { [$0] })
        #expect(bytewise.fragments.map(\.frames) == whole.fragments.map(\.frames))
    }

    @Test func tfxdGivesTheTimeWhenTfdtIsMissing() throws {
        var bytes = try stream()
        // Hide the video fragment's tfdt (rename it to an unknown box): the tfxd time must be used.
        let tfdt = Array("tfdt".utf8)
        let index = try #require((0..<(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == tfdt })
        bytes.replaceSubrange(index..<(index + 4), with: Array("free".utf8))
        let (_, fragments) = try collect([bytes])
        #expect(fragments.first?.startTime == Self.base)
        #expect(fragments.first?.frames.first?.decodeTime == Self.base)
    }

    @Test func hevcTrackAndTrexDefaults() throws {
        var hevc = try Vectors.videoTrack(Vectors.avcHigh720, id: 7)
        hevc.codec = .hevc(try HEVCConfiguration(record: Vectors.hevcMain720))
        let samples = videoSamples(from: 0, count: 3)
        let bytes = CMAFWriter.initSegment(for: hevc) + CMAFWriter.mediaSegment(track: hevc, sequenceNumber: 1, samples: samples)
        let (tracks, fragments) = try collect([bytes])
        #expect(tracks.map(\.trackID) == [7])
        guard case .hevc(let config) = tracks.first?.codec else { Issue.record("not HEVC"); return }
        #expect(config.record == Vectors.hevcMain720)
        #expect(fragments.first?.frames.map(\.data) == samples.map(\.data))
    }

    /// Found by the fmp4_ingest fuzz target (Tests/Fuzz): a fragment whose tfdt lies just below Int64.max trapped on
    /// overflow adding the first sample's duration, killing the daemon; now the request fails with a parse error.
    @Test func decodeTimeOverflowThrows() throws {
        let (_, audio) = try tracks()
        let samples = audioSamples(from: Int64.max - 10, count: 1)
        var parser = FragmentedMP4IngestParser()
        #expect(throws: MediaParseError.self) {
            try parser.receive(CMAFWriter.initSegment(for: audio)
                               + CMAFWriter.mediaSegment(track: audio, sequenceNumber: 1, samples: samples))
        }
    }

    @Test func malformedInputThrows() throws {
        var garbage = FragmentedMP4IngestParser()
        #expect(throws: MediaParseError.self) { try garbage.receive(Array("this is not an mp4 stream at all".utf8)) }

        var tiny = FragmentedMP4IngestParser()
        #expect(throws: MediaParseError.self) { try tiny.receive([0, 0, 0, 4] + Array("ftyp".utf8)) }

        // A fragment before any moov: its track is unknown.
        let (_, audio) = try tracks()
        var early = FragmentedMP4IngestParser()
        #expect(throws: MediaParseError.self) {
            try early.receive(CMAFWriter.mediaSegment(track: audio, sequenceNumber: 1, samples: audioSamples(from: 0)))
        }

        // A trun pointing past the mdat.
        var bytes = try stream()
        let mdatStart = try #require((0..<(bytes.count - 4)).last { Array(bytes[$0..<($0 + 4)]) == Array("mdat".utf8) }) - 4
        bytes.removeSubrange((mdatStart + 8)...)
        bytes.replaceSubrange(mdatStart..<(mdatStart + 4), with: [0, 0, 0, 8])
        var truncated = FragmentedMP4IngestParser()
        #expect(throws: MediaParseError.self) { try truncated.receive(bytes) }

        // An absurd box size is refused before it is buffered.
        var huge = FragmentedMP4IngestParser()
        #expect(throws: MediaParseError.self) { try huge.receive([0x7F, 0xFF, 0xFF, 0xFF] + Array("mdat".utf8)) }
    }
}
