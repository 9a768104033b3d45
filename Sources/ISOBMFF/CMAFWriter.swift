import Media

/// Writes CMAF headers (init segments) and CMAF fragments (ISO/IEC 23000-19) for one track.
/// The same bytes serve HLS-CMAF, DASH and, remuxed, Smooth Streaming.
public enum CMAFWriter {
    // MARK: - Brands

    /// `ftyp`: ISO BMFF v6 (`tfdt` v1, signed `trun` offsets) plus the CMAF structural brand and DASH.
    static let initMajorBrand = "iso6"
    static let initCompatibleBrands = ["iso6", "cmfc", "dash"]
    /// `styp`: a DASH media segment that is a CMAF segment made of one CMAF fragment. No `msix`:
    /// that brand promises a `sidx`, which live fragments do not carry.
    static let segmentMajorBrand = "msdh"
    static let segmentCompatibleBrands = ["msdh", "cmfs", "cmff"]

    static let identityMatrix: [UInt32] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000]

    // MARK: - Init segment

    /// The CMAF header for `track`: `ftyp` and a `moov` with one track, empty sample tables and `mvex`.
    public static func initSegment(for track: TrackInfo) -> [UInt8] {
        var w = BoxWriter(capacity: 1024)
        w.box("ftyp") { w in
            w.writeFourCC(initMajorBrand)
            w.write(UInt32(0))
            for brand in initCompatibleBrands { w.writeFourCC(brand) }
        }
        w.box("moov") { w in
            writeMovieHeader(&w, track)
            w.box("trak") { w in
                writeTrackHeader(&w, track)
                w.box("mdia") { w in
                    writeMediaHeader(&w, track)
                    writeHandler(&w, track)
                    w.box("minf") { w in
                        writeMediaInformationHeader(&w, track)
                        w.box("dinf") { w in
                            w.fullBox("dref") { w in
                                w.write(UInt32(1))
                                w.fullBox("url ", flags: 1) { _ in }  // flag 1: media is in this file
                            }
                        }
                        w.box("stbl") { w in
                            w.fullBox("stsd") { w in
                                w.write(UInt32(1))
                                writeSampleEntry(&w, track)
                            }
                            // Samples live in fragments; the movie's own tables are empty.
                            w.fullBox("stts") { w in w.write(UInt32(0)) }
                            w.fullBox("stsc") { w in w.write(UInt32(0)) }
                            w.fullBox("stsz") { w in w.write(UInt32(0)); w.write(UInt32(0)) }
                            w.fullBox("stco") { w in w.write(UInt32(0)) }
                        }
                    }
                }
            }
            w.box("mvex") { w in
                w.fullBox("trex") { w in
                    w.write(track.trackID)
                    w.write(UInt32(1))  // default_sample_description_index
                    w.write(UInt32(0))  // default_sample_duration
                    w.write(UInt32(0))  // default_sample_size
                    w.write(UInt32(0))  // default_sample_flags
                }
            }
        }
        return w.bytes
    }

    private static func writeMovieHeader(_ w: inout BoxWriter, _ track: TrackInfo) {
        w.fullBox("mvhd") { w in
            w.write(UInt32(0)); w.write(UInt32(0))  // creation, modification time
            w.write(track.timescale)
            w.write(UInt32(0))  // duration: unknown, fragments follow
            w.write(UInt32(0x0001_0000))  // rate 1.0
            w.write(UInt16(0x0100))  // volume 1.0
            w.writeZeros(2 + 8)
            for v in identityMatrix { w.write(v) }
            w.writeZeros(24)  // pre_defined
            w.write(track.trackID &+ 1)  // next_track_ID
        }
    }

    private static func writeTrackHeader(_ w: inout BoxWriter, _ track: TrackInfo) {
        // flags: track_enabled | track_in_movie.
        w.fullBox("tkhd", flags: 0x000003) { w in
            w.write(UInt32(0)); w.write(UInt32(0))
            w.write(track.trackID)
            w.write(UInt32(0))  // reserved
            w.write(UInt32(0))  // duration
            w.writeZeros(8)
            w.write(UInt16(0))  // layer
            w.write(UInt16(0))  // alternate_group
            w.write(UInt16(track.kind == .audio ? 0x0100 : 0))
            w.write(UInt16(0))
            for v in identityMatrix { w.write(v) }
            let (width, height) = displaySize(track.codec)
            w.write(UInt32(clamping: width) << 16)
            w.write(UInt32(clamping: height) << 16)
        }
    }

    /// Presentation size: the coded picture stretched horizontally by the sample aspect ratio.
    static func displaySize(_ codec: CodecConfiguration) -> (Int, Int) {
        switch codec {
        case .avc(let c):
            guard c.sarWidth > 0, c.sarHeight > 0 else { return (c.width, c.height) }
            return ((c.width * c.sarWidth + c.sarHeight / 2) / c.sarHeight, c.height)
        case .hevc(let c):
            return (c.width, c.height)
        case .aac:
            return (0, 0)
        }
    }

    private static func writeMediaHeader(_ w: inout BoxWriter, _ track: TrackInfo) {
        w.fullBox("mdhd") { w in
            w.write(UInt32(0)); w.write(UInt32(0))
            w.write(track.timescale)
            w.write(UInt32(0))
            w.write(packedLanguage(track.language))
            w.write(UInt16(0))
        }
    }

    /// ISO-639-2/T code packed as three 5-bit letters (`und` when the code is not three lowercase letters).
    static func packedLanguage(_ code: String) -> UInt16 {
        var letters = Array(code.utf8)
        if letters.count != 3 || !letters.allSatisfy({ (0x61...0x7A).contains($0) }) { letters = Array("und".utf8) }
        return letters.reduce(UInt16(0)) { $0 << 5 | UInt16($1 - 0x60) }
    }

    private static func writeHandler(_ w: inout BoxWriter, _ track: TrackInfo) {
        let isAudio = track.codec.kind == .audio
        w.fullBox("hdlr") { w in
            w.write(UInt32(0))
            w.writeFourCC(isAudio ? "soun" : "vide")
            w.writeZeros(12)
            w.write(contentsOf: (isAudio ? "SoundHandler" : "VideoHandler").utf8)
            w.write(UInt8(0))
        }
    }

    private static func writeMediaInformationHeader(_ w: inout BoxWriter, _ track: TrackInfo) {
        if track.codec.kind == .audio {
            w.fullBox("smhd") { w in w.write(UInt16(0)); w.write(UInt16(0)) }
        } else {
            // flags 1 is required for vmhd; graphicsmode copy, opcolor 0.
            w.fullBox("vmhd", flags: 1) { w in w.writeZeros(8) }
        }
    }

    // MARK: - Sample entries

    private static func writeSampleEntry(_ w: inout BoxWriter, _ track: TrackInfo) {
        switch track.codec {
        case .avc(let c):
            writeVisualSampleEntry(&w, fourCC: "avc1", width: c.width, height: c.height) { w in
                w.box("avcC") { w in w.write(contentsOf: c.record) }
                if c.sarWidth != c.sarHeight && c.sarWidth > 0 && c.sarHeight > 0 {
                    w.box("pasp") { w in w.write(UInt32(c.sarWidth)); w.write(UInt32(c.sarHeight)) }
                }
            }
        case .hevc(let c):
            writeVisualSampleEntry(&w, fourCC: "hvc1", width: c.width, height: c.height) { w in
                w.box("hvcC") { w in w.write(contentsOf: c.record) }
            }
        case .aac(let c):
            w.box("mp4a") { w in
                w.writeZeros(6)
                w.write(UInt16(1))  // data_reference_index
                w.writeZeros(8)
                w.write(UInt16(clamping: c.channelCount))
                w.write(UInt16(16))  // samplesize
                w.writeZeros(4)  // pre_defined, reserved
                // 16.16 fixed point; rates above 65535 Hz do not fit and are signalled only in the ASC.
                w.write(c.sampleRate <= 0xFFFF ? UInt32(c.sampleRate) << 16 : 0)
                w.fullBox("esds") { w in
                    // Largest AAC frame: 6144 bits per channel (ISO/IEC 14496-3 §4.5.3.2).
                    w.write(contentsOf: ElementaryStreamDescriptor.bytes(
                        audioSpecificConfig: c.bytes, bitrate: track.bitrate, bufferSize: 768 * max(1, c.channelCount)))
                }
            }
        }
    }

    private static func writeVisualSampleEntry(_ w: inout BoxWriter, fourCC: String, width: Int, height: Int,
                                               _ children: (inout BoxWriter) -> Void) {
        w.box(fourCC) { w in
            w.writeZeros(6)
            w.write(UInt16(1))  // data_reference_index
            w.writeZeros(16)  // pre_defined, reserved
            w.write(UInt16(clamping: width))
            w.write(UInt16(clamping: height))
            w.write(UInt32(0x0048_0000))  // 72 dpi
            w.write(UInt32(0x0048_0000))
            w.write(UInt32(0))
            w.write(UInt16(1))  // frame_count
            w.writeZeros(32)  // compressorname: empty
            w.write(UInt16(0x0018))  // depth
            w.write(UInt16(0xFFFF))  // pre_defined = -1
            children(&w)
        }
    }

    // MARK: - Media segment

    /// One CMAF fragment (optionally preceded by `styp`): `moof` with `mfhd`, `traf` (`tfhd` default-base-is-moof,
    /// `tfdt` v1, `trun` v1) and `mdat` with the samples' data in order.
    public static func mediaSegment(track: TrackInfo, sequenceNumber: UInt32, samples: [Sample],
                                    includeStyp: Bool = true) -> [UInt8] {
        precondition(!samples.isEmpty, "a CMAF fragment needs at least one sample")
        precondition(samples[0].decodeTime >= 0, "tfdt cannot carry a negative decode time")
        let hasOffsets = samples.contains { $0.compositionOffset != 0 }
        let dataSize = samples.reduce(0) { $0 + $1.data.count }
        let total = mediaSegmentSize(sampleCount: samples.count, dataSize: dataSize,
                                     hasCompositionOffsets: hasOffsets, includeStyp: includeStyp)
        var w = BoxWriter(capacity: total)
        if includeStyp {
            w.box("styp") { w in
                w.writeFourCC(segmentMajorBrand)
                w.write(UInt32(0))
                for brand in segmentCompatibleBrands { w.writeFourCC(brand) }
            }
        }
        let moofStart = w.count
        var dataOffsetIndex = 0
        w.box("moof") { w in
            w.fullBox("mfhd") { w in w.write(sequenceNumber) }
            w.box("traf") { w in
                w.fullBox("tfhd", flags: TrackFragmentHeader.defaultBaseIsMoof) { w in w.write(track.trackID) }
                w.fullBox("tfdt", version: 1) { w in w.write(UInt64(samples[0].decodeTime)) }
                var flags = TrackRun.dataOffsetPresent | TrackRun.sampleDurationPresent | TrackRun.sampleSizePresent
                    | TrackRun.sampleFlagsPresent
                if hasOffsets { flags |= TrackRun.sampleCompositionTimeOffsetsPresent }
                w.fullBox("trun", version: 1, flags: flags) { w in
                    w.write(UInt32(samples.count))
                    dataOffsetIndex = w.count
                    w.write(UInt32(0))  // patched below, once the moof size is known
                    for sample in samples {
                        w.write(sample.duration)
                        w.write(UInt32(sample.data.count))
                        w.write(sample.isSync ? SampleFlags.sync : SampleFlags.nonSync)
                        if hasOffsets { w.write(sample.compositionOffset) }
                    }
                }
            }
        }
        // default-base-is-moof: offsets count from the first byte of the moof; data follows the mdat header.
        w.patch(UInt32(w.count - moofStart + 8), at: dataOffsetIndex)
        precondition(8 + dataSize <= Int(UInt32.max), "fragment data exceeds 4 GiB")
        w.box("mdat") { w in
            for sample in samples { w.write(contentsOf: sample.data) }
        }
        let bytes = w.bytes
        assert(bytes.count == total, "mediaSegmentSize disagrees with the writer")
        return bytes
    }

    // MARK: - Sizes

    /// Exact byte size of ``mediaSegment(track:sequenceNumber:samples:includeStyp:)`` without writing it
    /// (Content-Length and byte ranges).
    public static func mediaSegmentSize(sampleCount: Int, dataSize: Int, hasCompositionOffsets: Bool,
                                        includeStyp: Bool = true) -> Int {
        let styp = includeStyp ? 16 + 4 * segmentCompatibleBrands.count : 0
        let mfhd = 16
        let tfhd = 16
        let tfdt = 20
        let trun = 20 + sampleCount * (hasCompositionOffsets ? 16 : 12)
        let moof = 8 + mfhd + 8 + tfhd + tfdt + trun
        return styp + moof + 8 + dataSize
    }

    /// Same as ``mediaSegmentSize(sampleCount:dataSize:hasCompositionOffsets:includeStyp:)`` for given samples.
    public static func mediaSegmentSize(samples: [Sample], includeStyp: Bool = true) -> Int {
        mediaSegmentSize(sampleCount: samples.count, dataSize: samples.reduce(0) { $0 + $1.data.count },
                         hasCompositionOffsets: samples.contains { $0.compositionOffset != 0 }, includeStyp: includeStyp)
    }
}
