import Media

/// A track announced by the `moov` of a fragmented MP4 ingest stream.
public struct IngestTrackDescription: Sendable, Hashable {
    public var trackID: UInt32
    public var timescale: UInt32
    public var codec: CodecConfiguration
    /// Average bitrate from the live server manifest box or the sample entry's `btrt` (bit/s), when present.
    public var bitrate: Int?
    /// The edit list's media time (track timescale): where presentation starts in the `tfdt` timeline. ffmpeg's
    /// CMAF writes the video's composition delay and the AAC encoder delay here; times from `tfdt` are moved back
    /// by it so tracks keep their true offset to each other. 0 without an edit list.
    public var editMediaTime: Int64
    /// The `mdhd` language (ISO 639-2/T, e.g. `eng`), nil when absent or `und`.
    public var language: String?

    public var kind: MediaKind { codec.kind }

    public init(trackID: UInt32, timescale: UInt32, codec: CodecConfiguration, bitrate: Int? = nil, editMediaTime: Int64 = 0,
                language: String? = nil) {
        self.trackID = trackID
        self.timescale = timescale
        self.codec = codec
        self.bitrate = bitrate
        self.editMediaTime = editMediaTime
        self.language = language
    }
}

/// One fragment of one track: its first decode time and samples as frames (timescale = the track's).
public struct IngestFragment: Sendable {
    public var trackID: UInt32
    public var startTime: Int64
    public var endTime: Int64
    public var frames: [MediaFrame]
}

/// What the parser found, in stream order.
public enum FragmentedMP4IngestEvent: Sendable {
    /// The `moov`: every usable track.
    case tracks([IngestTrackDescription])
    case fragment(IngestFragment)
    /// A `styp` with the `lmsg` brand: the segment that follows is the track's last (DASH-IF ingest, CMAF).
    case lastSegment
}

/// Parses a fragmented MP4 byte stream as it arrives — Smooth Streaming ingest (`ftyp`, the live server manifest
/// `uuid`, `moov`, then `moof`/`mdat` pairs) — into track descriptions and frames. Bytes may be split anywhere;
/// a box is parsed once complete. No I/O: bytes in, events out.
public struct FragmentedMP4IngestParser: Sendable {
    /// Largest top-level box accepted: a fragment of several seconds of high-bitrate video fits with room;
    /// anything larger is a broken or hostile stream, refused before it is buffered.
    public static let maximumBoxSize = 64 << 20
    /// `uuid` user type of the Smooth live server manifest box: A5D40B30-E814-11DD-BA2F-0800200C9A66.
    public static let liveServerManifestUserType: [UInt8] = [0xA5, 0xD4, 0x0B, 0x30, 0xE8, 0x14, 0x11, 0xDD,
                                                               0xBA, 0x2F, 0x08, 0x00, 0x20, 0x0C, 0x9A, 0x66]

    /// What a CMAF header (`moov`) taught the parser: enough to parse fragments sent in later requests
    /// (DASH-IF CMAF ingest POSTs the header once, then each segment on its own).
    public struct Header: Sendable {
        public fileprivate(set) var tracks: [UInt32: IngestTrackDescription]
        fileprivate var trackDefaults: [UInt32: (duration: UInt32, size: UInt32, flags: UInt32)]
    }

    private var buffer: [UInt8] = []
    /// A `moof` waiting for its `mdat`.
    private var pendingMoof: [UInt8]?
    /// Stream offset of the pending `moof`: `tfhd` base data offsets (ffmpeg writes them) count from the stream start.
    private var pendingMoofOffset = 0
    private(set) public var tracks: [UInt32: IngestTrackDescription] = [:]
    /// `trex` defaults by track (duration, size, flags).
    private var trackDefaults: [UInt32: (duration: UInt32, size: UInt32, flags: UInt32)] = [:]
    /// Bitrates by track id from the live server manifest, applied to the `moov` tracks.
    private var manifestBitrates: [UInt32: Int] = [:]
    /// Next decode time per track, for fragments that carry neither `tfdt` nor `tfxd`.
    private var nextDecodeTime: [UInt32: Int64] = [:]
    public private(set) var bytesReceived = 0
    /// Set when a `moof` arrived before any CMAF header: the sender must (re)send the header first.
    public private(set) var lacksHeader = false

    public init() {}

    /// A parser for a request that carries fragments of a track whose header came in an earlier request.
    public init(header: Header?) {
        if let header {
            tracks = header.tracks
            trackDefaults = header.trackDefaults
        }
    }

    /// The tracks and defaults learnt from the last `moov` (or the seeding header); nil before any.
    public var header: Header? {
        tracks.isEmpty ? nil : Header(tracks: tracks, trackDefaults: trackDefaults)
    }

    /// True when no partial box is buffered (the stream may end here cleanly).
    public var isAtBoxBoundary: Bool { buffer.isEmpty && pendingMoof == nil }

    /// Consumes `bytes`; returns what the now complete boxes describe.
    public mutating func receive(_ bytes: [UInt8]) throws(MediaParseError) -> [FragmentedMP4IngestEvent] {
        bytesReceived += bytes.count
        if buffer.isEmpty { buffer = bytes } else { buffer.append(contentsOf: bytes) }
        var events: [FragmentedMP4IngestEvent] = []
        var start = 0
        let bufferOffset = bytesReceived - buffer.count
        while let size = try completeBoxSize(at: start) {
            try handle(buffer[start..<(start + size)], streamOffset: bufferOffset + start, into: &events)
            start += size
        }
        if start > 0 { buffer.removeFirst(start) }
        return events
    }

    /// The size of the box at `start` when all of it is buffered.
    private func completeBoxSize(at start: Int) throws(MediaParseError) -> Int? {
        let available = buffer.count - start
        guard available >= 8 else { return nil }
        var reader = ByteReader(buffer[start...])
        let size32 = try reader.readUInt32()
        let type = String(try reader.readBytes(4).map { Character(Unicode.Scalar($0)) })
        var size = Int(size32)
        if size32 == 1 {
            guard available >= 16 else { return nil }
            let large = try reader.readUInt64()
            guard large <= UInt64(Self.maximumBoxSize) else {
                throw .unsupported("box '\(type)' of \(large) bytes exceeds the \(Self.maximumBoxSize)-byte limit")
            }
            size = Int(large)
        } else if size32 == 0 {
            throw .unsupported("box '\(type)' with size 0 (to end of stream) cannot be ingested live")
        }
        guard size >= 8 else { throw .invalid("box '\(type)' declares size \(size), smaller than its header") }
        guard type.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
            throw .invalid("bytes at offset \(bytesReceived - buffer.count + start) are not an ISO BMFF box header")
        }
        guard size <= Self.maximumBoxSize else {
            throw .unsupported("box '\(type)' of \(size) bytes exceeds the \(Self.maximumBoxSize)-byte limit")
        }
        return available >= size ? size : nil
    }

    private mutating func handle(_ bytes: ArraySlice<UInt8>, streamOffset: Int, into events: inout [FragmentedMP4IngestEvent]) throws(MediaParseError) {
        let boxes = try Box.parseAll(bytes)
        guard let box = boxes.first else { return }
        switch box.type {
        case "moov":
            let described = try parseMovie(box)
            events.append(.tracks(described))
        case "uuid" where box.userType == Self.liveServerManifestUserType:
            manifestBitrates = Self.parseManifestBitrates(box.payload)
        case "moof":
            guard pendingMoof == nil else { throw .invalid("two 'moof' boxes without an 'mdat' between them") }
            guard !tracks.isEmpty else {
                lacksHeader = true
                throw .invalid("a 'moof' before any 'moov' (CMAF header): the tracks are unknown; send the header first")
            }
            pendingMoof = Array(bytes)
            pendingMoofOffset = streamOffset
        case "mdat":
            guard let moof = pendingMoof else { return }  // an mdat on its own carries nothing we can place
            pendingMoof = nil
            events += try parseFragment(moof + bytes, streamOffset: pendingMoofOffset).map(FragmentedMP4IngestEvent.fragment)
        case "styp":
            // major_brand, minor_version, compatible_brands: `lmsg` marks the last segment of the track.
            var reader = ByteReader(box.payload)
            var brands: [[UInt8]] = []
            if let major = try? reader.readBytes(4) { brands.append(Array(major)) }
            _ = try? reader.readUInt32()
            while let brand = try? reader.readBytes(4) { brands.append(Array(brand)) }
            if brands.contains(Array("lmsg".utf8)) { events.append(.lastSegment) }
        default:
            break  // ftyp, free, skip, sidx, mfra, other uuid boxes
        }
    }

    // MARK: - moov

    private mutating func parseMovie(_ moov: Box) throws(MediaParseError) -> [IngestTrackDescription] {
        for trex in moov.first(path: "mvex")?.children(ofType: "trex") ?? [] {
            let (_, _, body) = try trex.fullBoxHeader()
            var r = ByteReader(body)
            let id = try r.readUInt32()
            _ = try r.readUInt32()  // default_sample_description_index
            trackDefaults[id] = (try r.readUInt32(), try r.readUInt32(), try r.readUInt32())
        }
        var described: [IngestTrackDescription] = []
        for trak in moov.children(ofType: "trak") {
            guard let tkhd = trak.first(path: "tkhd") else { throw .invalid("trak without 'tkhd'") }
            let (version, _, tkhdBody) = try tkhd.fullBoxHeader()
            var r = ByteReader(tkhdBody)
            try r.skip(version == 1 ? 16 : 8)
            let trackID = try r.readUInt32()
            guard let mdhd = trak.first(path: "mdia/mdhd") else { throw .invalid("track \(trackID) without 'mdhd'") }
            let (mdhdVersion, _, mdhdBody) = try mdhd.fullBoxHeader()
            var m = ByteReader(mdhdBody)
            try m.skip(mdhdVersion == 1 ? 16 : 8)
            let timescale = try m.readUInt32()
            guard timescale > 0 else { throw .invalid("track \(trackID) has timescale 0") }
            try m.skip(mdhdVersion == 1 ? 8 : 4)
            let language = Self.language(packed: try m.readUInt16())
            guard let entry = trak.first(path: "mdia/minf/stbl/stsd")?.children.first else {
                throw .invalid("track \(trackID) has no sample description")
            }
            let codec: CodecConfiguration
            switch entry.type {
            case "avc1", "avc3":
                guard let avcC = entry.first(path: "avcC") else { throw .invalid("track \(trackID) '\(entry.type)' without 'avcC'") }
                codec = .avc(try AVCConfiguration(record: Array(avcC.payload)))
            case "hvc1", "hev1":
                guard let hvcC = entry.first(path: "hvcC") else { throw .invalid("track \(trackID) '\(entry.type)' without 'hvcC'") }
                codec = .hevc(try HEVCConfiguration(record: Array(hvcC.payload)))
            case "mp4a":
                guard let esds = entry.first(path: "esds") else { throw .invalid("track \(trackID) 'mp4a' without 'esds'") }
                codec = .aac(try AudioSpecificConfig(bytes: ElementaryStreamDescriptor.audioSpecificConfig(esdsPayload: esds.payload)))
            default:
                continue  // text, metadata or a codec we do not carry: ignored, not fatal
            }
            var bitrate = manifestBitrates[trackID]
            if bitrate == nil, let btrt = entry.first(path: "btrt") {
                var b = ByteReader(btrt.payload)
                try b.skip(8)  // bufferSizeDB, maxBitrate
                let average = try b.readUInt32()
                if average > 0 { bitrate = Int(average) }
            }
            let description = IngestTrackDescription(trackID: trackID, timescale: timescale, codec: codec, bitrate: bitrate,
                                                     editMediaTime: try Self.editMediaTime(trak), language: language)
            tracks[trackID] = description
            described.append(description)
        }
        guard !described.isEmpty else { throw .unsupported("the 'moov' has no H.264, HEVC or AAC track") }
        return described
    }

    /// The `mdhd` language: three 5-bit letters (each + 0x60) after a pad bit; nil for `und` or anything not a-z.
    static func language(packed: UInt16) -> String? {
        let letters = [(packed >> 10) & 0x1F, (packed >> 5) & 0x1F, packed & 0x1F].map { UInt8($0) + 0x60 }
        guard letters.allSatisfy({ (0x61...0x7A).contains($0) }) else { return nil }
        let code = String(decoding: letters, as: UTF8.self)
        return code == "und" ? nil : code
    }

    /// The media time of the first edit that shows media (empty edits, media time -1, are skipped), or 0.
    static func editMediaTime(_ trak: Box) throws(MediaParseError) -> Int64 {
        guard let elst = trak.first(path: "edts/elst") else { return 0 }
        let (version, _, body) = try elst.fullBoxHeader()
        var r = ByteReader(body)
        let count = try r.readUInt32()
        for _ in 0..<min(count, 16) {
            let mediaTime: Int64
            if version == 1 {
                _ = try r.readUInt64()
                mediaTime = Int64(bitPattern: try r.readUInt64())
            } else {
                _ = try r.readUInt32()
                mediaTime = Int64(Int32(bitPattern: try r.readUInt32()))
            }
            _ = try r.readUInt32()  // media_rate
            if mediaTime >= 0 { return mediaTime }
        }
        return 0
    }

    /// `systemBitrate` per `trackID` from the SMIL text of the live server manifest box (after version/flags).
    static func parseManifestBitrates(_ payload: ArraySlice<UInt8>) -> [UInt32: Int] {
        let text = String(decoding: payload.dropFirst(4), as: UTF8.self)
        var result: [UInt32: Int] = [:]
        for element in text.split(separator: "<").dropFirst() where element.hasPrefix("video") || element.hasPrefix("audio") {
            // <video src="…" systemBitrate="N"><param name="trackID" value="T" valuetype="data"/></video>
            guard let rate = attribute("systemBitrate", in: element).flatMap({ Int($0) }) else { continue }
            let rest = text[element.endIndex...]
            guard let close = rest.firstRange(of: "</") else { continue }
            let params = rest[..<close.lowerBound]
            guard let idRange = params.firstRange(of: "name=\"trackID\"") else { continue }
            if let id = attribute("value", in: params[idRange.upperBound...]).flatMap({ UInt32($0) }) { result[id] = rate }
        }
        return result
    }

    private static func attribute(_ name: String, in text: Substring) -> String? {
        guard let r = text.firstRange(of: name + "=\"") else { return nil }
        let rest = text[r.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    // MARK: - moof + mdat

    private mutating func parseFragment(_ bytes: [UInt8], streamOffset: Int) throws(MediaParseError) -> [IngestFragment] {
        let boxes = try Box.parseAll(bytes)
        guard let moof = boxes.first, moof.type == "moof" else { throw .invalid("fragment does not start with 'moof'") }
        var fragments: [IngestFragment] = []
        var previousEnd = moof.range.lowerBound
        for (trafIndex, traf) in moof.children(ofType: "traf").enumerated() {
            guard let tfhdBox = traf.first(path: "tfhd") else { throw .invalid("traf without 'tfhd'") }
            let tfhd = try TrackFragmentHeader(tfhdBox)
            guard let track = tracks[tfhd.trackID] else {
                throw .invalid("fragment of track \(tfhd.trackID), which the 'moov' does not declare")
            }
            var start: Int64
            if let tfdtBox = traf.first(path: "tfdt") {
                let tfdt = try TrackFragmentDecodeTime(tfdtBox)
                guard tfdt.baseMediaDecodeTime <= UInt64(Int64.max) else { throw .invalid("tfdt \(tfdt.baseMediaDecodeTime) is absurd") }
                let shifted = Int64(tfdt.baseMediaDecodeTime).subtractingReportingOverflow(track.editMediaTime)
                guard !shifted.overflow else {
                    throw .invalid("tfdt \(tfdt.baseMediaDecodeTime) of track \(tfhd.trackID) less the edit list's media time "
                                   + "\(track.editMediaTime) overflows")
                }
                start = shifted.partialValue
            } else if let tfxd = traf.children.first(where: { $0.type == "uuid" && $0.userType == CMAFWriter.tfxdUserType }) {
                let (version, _, body) = try tfxd.fullBoxHeader()
                var r = ByteReader(body)
                // Signed in practice: ffmpeg's audio starts before zero by its encoder delay (AAC priming).
                start = version == 1 ? Int64(bitPattern: try r.readUInt64()) : Int64(Int32(bitPattern: try r.readUInt32()))
            } else {
                start = nextDecodeTime[tfhd.trackID] ?? 0
            }
            let defaults = trackDefaults[tfhd.trackID]
            let base: Int
            if let explicit = tfhd.baseDataOffset {
                // Counted from the start of the stream (this POST's body).
                guard explicit >= UInt64(streamOffset), explicit - UInt64(streamOffset) <= UInt64(bytes.count) else {
                    throw .invalid("tfhd base_data_offset \(explicit) lies outside the fragment at stream offset \(streamOffset)")
                }
                base = Int(explicit - UInt64(streamOffset))
            } else if tfhd.isDefaultBaseMoof || trafIndex == 0 {
                base = moof.range.lowerBound
            } else {
                base = previousEnd
            }
            var frames: [MediaFrame] = []
            var time = start
            var nextOffset = base
            for trunBox in traf.children(ofType: "trun") {
                let trun = try TrackRun(trunBox)
                var offset = trun.dataOffset.map { base + Int($0) } ?? nextOffset
                for (index, entry) in trun.entries.enumerated() {
                    guard let size = entry.size ?? tfhd.defaultSampleSize ?? defaults?.size,
                          let duration = entry.duration ?? tfhd.defaultSampleDuration ?? defaults?.duration else {
                        throw .invalid("trun sample \(index) of track \(tfhd.trackID) has no size or duration and no default")
                    }
                    let flags = index == 0 ? (trun.firstSampleFlags ?? entry.flags ?? tfhd.defaultSampleFlags ?? defaults?.flags)
                                           : (entry.flags ?? tfhd.defaultSampleFlags ?? defaults?.flags)
                    let end = offset + Int(size)
                    guard offset >= moof.range.upperBound, end <= bytes.count else {
                        throw .invalid("sample \(index) of track \(tfhd.trackID) lies outside the 'mdat'")
                    }
                    // A decode time past Int64.max is a broken or hostile stream: end this request, not the process.
                    let next = time.addingReportingOverflow(Int64(duration))
                    guard !next.overflow else {
                        throw .invalid("decode time of sample \(index) of track \(tfhd.trackID) overflows (\(time) + \(duration))")
                    }
                    let isSync = track.kind != .video || (flags.map(SampleFlags.isSync) ?? (index == 0))
                    frames.append(MediaFrame(kind: track.kind, decodeTime: time, compositionOffset: entry.compositionOffset ?? 0,
                                             timescale: Int64(track.timescale), isKeyframe: isSync, data: Array(bytes[offset..<end])))
                    time = next.partialValue
                    offset = end
                }
                nextOffset = offset
            }
            previousEnd = nextOffset
            nextDecodeTime[tfhd.trackID] = time
            if !frames.isEmpty {
                fragments.append(IngestFragment(trackID: tfhd.trackID, startTime: start, endTime: time, frames: frames))
            }
        }
        return fragments
    }
}
