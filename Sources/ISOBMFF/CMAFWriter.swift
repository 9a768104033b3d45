import Media

/// Writes CMAF tracks (ISO/IEC 23000-19): one init segment per track (`ftyp` + `moov` with `mvex`) and
/// media segments (`styp` + `moof` + `mdat`), shared by HLS-CMAF and DASH.
public enum CMAFWriter {
    // Unity matrix used by mvhd and tkhd.
    private static let matrix: [UInt32] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000]

    /// Sample flags: a sync sample depends on nothing; others depend on earlier samples.
    static let syncSampleFlags: UInt32 = 0x0200_0000
    static let nonSyncSampleFlags: UInt32 = 0x0101_0000

    // MARK: - Init segment

    public static func initSegment(for track: TrackInfo) -> [UInt8] {
        var b = BoxWriter(capacity: 1024)
        b.box("ftyp") { b in
            b.writeFourCC("iso6"); b.u32(0)
            for brand: StaticString in ["iso6", "cmfc", "cmf2", "mp41", "dash"] { b.writeFourCC(brand) }
        }
        b.box("moov") { b in
            b.fullBox("mvhd", version: 0, flags: 0) { b in
                b.u32(0); b.u32(0)                 // creation, modification
                b.u32(track.timescale); b.u32(0)   // timescale, duration (fragmented: 0)
                b.u32(0x0001_0000); b.u16(0x0100)  // rate 1.0, volume 1.0
                b.zeros(10)
                for m in matrix { b.u32(m) }
                b.zeros(24)                        // pre_defined
                b.u32(track.trackID &+ 1)          // next_track_ID
            }
            b.box("trak") { b in
                writeTrackHeader(&b, track)
                b.box("mdia") { b in
                    b.fullBox("mdhd", version: 0, flags: 0) { b in
                        b.u32(0); b.u32(0); b.u32(track.timescale); b.u32(0)
                        b.u16(packedLanguage(track.language)); b.u16(0)
                    }
                    b.fullBox("hdlr", version: 0, flags: 0) { b in
                        b.u32(0)
                        b.writeFourCC(track.kind == .audio ? "soun" : "vide")
                        b.zeros(12)
                        b.bytes((track.kind == .audio ? "edgelive audio" : "edgelive video").utf8); b.u8(0)
                    }
                    b.box("minf") { b in
                        if track.kind == .audio {
                            b.fullBox("smhd", version: 0, flags: 0) { b in b.u16(0); b.u16(0) }
                        } else {
                            b.fullBox("vmhd", version: 0, flags: 1) { b in b.zeros(8) }
                        }
                        b.box("dinf") { b in
                            b.fullBox("dref", version: 0, flags: 0) { b in
                                b.u32(1)
                                b.fullBox("url ", version: 0, flags: 1) { _ in }
                            }
                        }
                        b.box("stbl") { b in
                            b.fullBox("stsd", version: 0, flags: 0) { b in
                                b.u32(1)
                                writeSampleEntry(&b, track)
                            }
                            b.fullBox("stts", version: 0, flags: 0) { b in b.u32(0) }
                            b.fullBox("stsc", version: 0, flags: 0) { b in b.u32(0) }
                            b.fullBox("stsz", version: 0, flags: 0) { b in b.u32(0); b.u32(0) }
                            b.fullBox("stco", version: 0, flags: 0) { b in b.u32(0) }
                        }
                    }
                }
            }
            b.box("mvex") { b in
                b.fullBox("trex", version: 0, flags: 0) { b in
                    b.u32(track.trackID); b.u32(1); b.u32(0); b.u32(0); b.u32(0)
                }
            }
        }
        return b.bytes
    }

    private static func writeTrackHeader(_ b: inout BoxWriter, _ track: TrackInfo) {
        // Flags: enabled | in movie | in preview.
        b.fullBox("tkhd", version: 0, flags: 0x7) { b in
            b.u32(0); b.u32(0)
            b.u32(track.trackID); b.u32(0)
            b.u32(0)                              // duration
            b.zeros(8)
            b.u16(0); b.u16(0)                    // layer, alternate group
            b.u16(track.kind == .audio ? 0x0100 : 0); b.u16(0)
            for m in matrix { b.u32(m) }
            let (w, h) = displaySize(track.codec)
            b.u32(UInt32(w) << 16); b.u32(UInt32(h) << 16)
        }
    }

    /// Presentation size: the coded size with the sample aspect ratio applied to the width.
    static func displaySize(_ codec: CodecConfiguration) -> (Int, Int) {
        switch codec {
        case .avc(let c):
            let sarW = max(c.sarWidth, 1), sarH = max(c.sarHeight, 1)
            return (c.width * sarW / sarH, c.height)
        case .hevc(let c): return (c.width, c.height)
        case .aac: return (0, 0)
        }
    }

    private static func writeSampleEntry(_ b: inout BoxWriter, _ track: TrackInfo) {
        switch track.codec {
        case .avc(let c):
            b.box("avc1") { b in
                writeVisualSampleEntryFields(&b, width: c.width, height: c.height)
                b.box("avcC") { b in b.bytes(c.record) }
                if c.sarWidth > 0, c.sarHeight > 0, c.sarWidth != c.sarHeight {
                    b.box("pasp") { b in b.u32(UInt32(c.sarWidth)); b.u32(UInt32(c.sarHeight)) }
                }
                writeBitrate(&b, track)
            }
        case .hevc(let c):
            b.box("hvc1") { b in
                writeVisualSampleEntryFields(&b, width: c.width, height: c.height)
                b.box("hvcC") { b in b.bytes(c.record) }
                writeBitrate(&b, track)
            }
        case .aac(let asc):
            b.box("mp4a") { b in
                b.zeros(6); b.u16(1)               // reserved, data_reference_index
                b.zeros(8)
                b.u16(UInt16(clamping: asc.channelCount)); b.u16(16)
                b.u16(0); b.u16(0)
                b.u32(asc.sampleRate <= 0xFFFF ? UInt32(asc.sampleRate) << 16 : 0)
                writeESDS(&b, asc, bitrate: track.bitrate)
            }
        }
    }

    private static func writeVisualSampleEntryFields(_ b: inout BoxWriter, width: Int, height: Int) {
        b.zeros(6); b.u16(1)                       // reserved, data_reference_index
        b.u16(0); b.u16(0); b.zeros(12)            // pre_defined, reserved, pre_defined
        b.u16(UInt16(clamping: width)); b.u16(UInt16(clamping: height))
        b.u32(0x0048_0000); b.u32(0x0048_0000)     // 72 dpi
        b.u32(0); b.u16(1)                         // reserved, frame_count
        b.zeros(32)                                // compressorname
        b.u16(0x0018); b.u16(0xFFFF)               // depth, pre_defined = -1
    }

    private static func writeBitrate(_ b: inout BoxWriter, _ track: TrackInfo) {
        guard track.bitrate > 0 else { return }
        b.box("btrt") { b in
            b.u32(0); b.u32(UInt32(clamping: track.bitrate)); b.u32(UInt32(clamping: track.bitrate))
        }
    }

    /// `esds` with ES_Descriptor → DecoderConfigDescriptor (MPEG-4 audio) → DecoderSpecificInfo (the ASC).
    private static func writeESDS(_ b: inout BoxWriter, _ asc: AudioSpecificConfig, bitrate: Int) {
        func descriptor(_ tag: UInt8, _ body: [UInt8]) -> [UInt8] {
            // Size as four 7-bit groups, always, so sizes never change the layout.
            let n = body.count
            return [tag, UInt8(0x80 | (n >> 21 & 0x7F)), UInt8(0x80 | (n >> 14 & 0x7F)), UInt8(0x80 | (n >> 7 & 0x7F)),
                    UInt8(n & 0x7F)] + body
        }
        var config = ByteWriter(capacity: 32)
        config.write(UInt8(0x40))                  // objectTypeIndication: MPEG-4 audio
        config.write(UInt8(0x05 << 2 | 1))         // streamType audio, upStream 0, reserved 1
        config.writeUInt24(0)                      // bufferSizeDB
        config.write(UInt32(clamping: bitrate))    // maxBitrate
        config.write(UInt32(clamping: bitrate))    // avgBitrate
        let decoderConfig = descriptor(0x04, config.bytes + descriptor(0x05, asc.bytes))
        let slConfig = descriptor(0x06, [0x02])
        let es = descriptor(0x03, [0, 0, 0] + decoderConfig + slConfig)   // ES_ID 0, flags 0
        b.fullBox("esds", version: 0, flags: 0) { b in b.bytes(es) }
    }

    /// ISO-639-2/T packed as three 5-bit letters; `und` for anything unusable.
    static func packedLanguage(_ code: String) -> UInt16 {
        let letters = Array(code.lowercased().utf8)
        let valid = letters.count == 3 && letters.allSatisfy { $0 >= 0x61 && $0 <= 0x7A }
        let l = valid ? letters : Array("und".utf8)
        return UInt16(l[0] - 0x60) << 10 | UInt16(l[1] - 0x60) << 5 | UInt16(l[2] - 0x60)
    }

    // MARK: - Media segment

    /// `styp` + `moof` + `mdat` for `samples` (non-empty), `tfdt` = first sample's decode time.
    public static func mediaSegment(track: TrackInfo, sequenceNumber: UInt32, samples: [Sample],
                                    includeStyp: Bool = true) -> [UInt8] {
        precondition(!samples.isEmpty, "a fragment has at least one sample")
        let payload = samples.reduce(0) { $0 + $1.data.count }
        var b = BoxWriter(capacity: payload + 64 + samples.count * 16)
        if includeStyp {
            b.box("styp") { b in
                b.writeFourCC("msdh"); b.u32(0)
                for brand: StaticString in ["msdh", "msix", "cmfs", "cmff"] { b.writeFourCC(brand) }
            }
        }
        let moofStart = b.count
        var dataOffsetIndex = 0
        let hasCompositionOffsets = samples.contains { $0.compositionOffset != 0 }
        b.box("moof") { b in
            b.fullBox("mfhd", version: 0, flags: 0) { b in b.u32(sequenceNumber) }
            b.box("traf") { b in
                b.fullBox("tfhd", version: 0, flags: 0x02_0000) { b in b.u32(track.trackID) }   // default-base-is-moof
                b.fullBox("tfdt", version: 1, flags: 0) { b in b.u64(UInt64(bitPattern: samples[0].decodeTime)) }
                // data-offset, sample duration, size, flags, and composition offsets when present.
                let flags: UInt32 = 0x0001 | 0x0100 | 0x0200 | 0x0400 | (hasCompositionOffsets ? 0x0800 : 0)
                b.fullBox("trun", version: 1, flags: flags) { b in
                    b.u32(UInt32(samples.count))
                    dataOffsetIndex = b.count
                    b.i32(0)
                    for s in samples {
                        b.u32(s.duration)
                        b.u32(UInt32(s.data.count))
                        b.u32(s.isSync ? syncSampleFlags : nonSyncSampleFlags)
                        if hasCompositionOffsets { b.i32(s.compositionOffset) }
                    }
                }
            }
        }
        // Sample data begins right after the mdat header, measured from the start of moof.
        b.patchUInt32(UInt32(b.count - moofStart + 8), at: dataOffsetIndex)
        b.u32(UInt32(8 + payload)); b.writeFourCC("mdat")
        for s in samples { b.bytes(s.data) }
        return b.bytes
    }
}
