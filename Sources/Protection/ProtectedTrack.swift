import ISOBMFF
import Media

/// What encrypting one track's fragments needs, read once from its clear CMAF header: the track id, whether it is
/// video or audio, the original sample entry and how its samples divide into clear and protected bytes.
///
/// Build it when the init segment is stored (or on the first request) and keep it beside the track: it is a few
/// words, and every ``CommonEncryption/protectFragment(_:scheme:key:track:ivContext:)`` call takes it.
public struct ProtectedTrack: Sendable, Hashable {
    /// How a sample's bytes are split into subsamples.
    public enum SampleLayout: Sendable, Hashable {
        /// NAL-structured video (ISO/IEC 14496-15): length-prefixed NAL units, encrypted per unit (subsample encryption).
        case nalUnits(NALFamily, lengthSize: Int)
        /// The whole sample is one protected range (audio: full-sample encryption).
        case wholeSample
    }

    /// Which NAL unit header and type table a sample's units use.
    public enum NALFamily: Sendable, Hashable {
        case avc, hevc

        /// Whether a unit of this type carries slice data (VCL); every other unit (parameter sets, SEI, AUD, filler, …)
        /// stays entirely clear.
        func isVideoCodingLayer(_ firstHeaderByte: UInt8) -> Bool {
            switch self {
            case .avc: return (1...5).contains(firstHeaderByte & 0x1F)  // coded slices, partitions A–C, IDR
            case .hevc: return (firstHeaderByte >> 1) & 0x3F < 32  // nal_unit_type 0...31: VCL
            }
        }
    }

    public var trackID: UInt32
    public var kind: MediaKind
    /// The clear sample entry's four-character code (`avc1`, `hvc1`, `mp4a`, `ec-3`, …): what `frma` records.
    public var originalFormat: String
    public var layout: SampleLayout

    public init(trackID: UInt32, kind: MediaKind, originalFormat: String, layout: SampleLayout) {
        self.trackID = trackID
        self.kind = kind
        self.originalFormat = originalFormat
        self.layout = layout
    }

    // MARK: - Per-codec table

    /// NAL-structured video sample entries and the configuration box that holds their NAL length size.
    static let nalStructuredEntries: [String: (configBox: String, family: NALFamily)] = [
        "avc1": ("avcC", .avc), "avc3": ("avcC", .avc),
        "hvc1": ("hvcC", .hevc), "hev1": ("hvcC", .hevc), "dvh1": ("hvcC", .hevc), "dvhe": ("hvcC", .hevc),
    ]
    /// Fixed fields of a VisualSampleEntry before its child boxes (ISO/IEC 14496-12 §12.1.3).
    static let visualSampleEntryHeaderSize = 78

    // MARK: - Reading the init segment

    /// Reads the track of a clear CMAF header. With several tracks in the header, `trackID` picks one (the first by
    /// default).
    public init(initSegment: [UInt8], trackID: UInt32? = nil) throws(CommonEncryptionError) {
        let boxes: [Box]
        do { boxes = try Box.parseAll(initSegment) } catch { throw .parse(error, in: "the init segment") }
        guard let moov = boxes.first(where: { $0.type == "moov" }) else {
            throw CommonEncryptionError("the init segment has no 'moov' box; pass the track's CMAF header, not a fragment")
        }
        var chosen: TrackBoxes?
        for trak in moov.children(ofType: "trak") {
            let found = try TrackBoxes(trak)
            if trackID == nil || found.trackID == trackID { chosen = found; break }
        }
        guard let track = chosen else {
            throw CommonEncryptionError(trackID.map { "the init segment has no track \($0)" } ?? "the init segment has no 'trak'")
        }
        let entry = track.sampleEntry
        if entry.type == "encv" || entry.type == "enca" {
            throw CommonEncryptionError("track \(track.trackID)'s sample entry is already '\(entry.type)'; encrypt the clear CMAF header, not a protected one")
        }
        self.trackID = track.trackID
        self.kind = track.kind
        self.originalFormat = entry.type
        switch track.kind {
        case .audio:
            layout = .wholeSample
        case .video:
            guard let codec = Self.nalStructuredEntries[entry.type] else {
                throw CommonEncryptionError("video sample entry '\(entry.type)' of track \(track.trackID) has no subsample rule here (only AVC and HEVC); leave the track clear with a clearTracks rule")
            }
            let children: [Box]
            do {
                children = try Box.parseAll(entry.payload.dropFirst(Self.visualSampleEntryHeaderSize))
            } catch { throw .parse(error, in: "sample entry '\(entry.type)' of track \(track.trackID)") }
            guard let config = children.first(where: { $0.type == codec.configBox }) else {
                throw CommonEncryptionError("sample entry '\(entry.type)' of track \(track.trackID) has no '\(codec.configBox)' box; the NAL length size is unknown")
            }
            // Only the NAL length size matters here: `lengthSizeMinusOne` is the low two bits of byte 4 of an `avcC`
            // (ISO/IEC 14496-15 §5.3.3.1) and of byte 21 of an `hvcC` (§8.3.3.1); the parameter sets are not read.
            let record = Array(config.payload)
            let offset = codec.family == .avc ? 4 : 21
            guard record.count > offset, record[offset] & 0x03 != 2 else {
                throw CommonEncryptionError("'\(codec.configBox)' of track \(track.trackID) is too short or names a 3-byte NAL length; "
                                            + "the stored CMAF is damaged: re-record or re-ingest it")
            }
            layout = .nalUnits(codec.family, lengthSize: Int(record[offset] & 0x03) + 1)
        case .text:
            throw CommonEncryptionError("track \(track.trackID) is a text track; common encryption protects audio and video only: leave it clear")
        }
    }
}

/// The boxes of one `trak` that encryption reads and rewrites.
struct TrackBoxes {
    var trackID: UInt32
    var kind: MediaKind
    var sampleEntries: [Box]
    var sampleEntry: Box { sampleEntries[0] }

    init(_ trak: Box) throws(CommonEncryptionError) {
        guard let tkhd = trak.children.first(where: { $0.type == "tkhd" }) else {
            throw CommonEncryptionError("a 'trak' without 'tkhd' in the init segment")
        }
        do {
            let (version, _, body) = try tkhd.fullBoxHeader()
            var reader = ByteReader(body)
            try reader.skip(version == 1 ? 16 : 8)  // creation and modification times
            trackID = try reader.readUInt32()
        } catch { throw .parse(error, in: "'tkhd'") }
        guard let hdlr = trak.first(path: "mdia/hdlr") else {
            throw CommonEncryptionError("track \(trackID) has no 'mdia/hdlr'; its media kind is unknown")
        }
        var reader = ByteReader(hdlr.payload)
        let handler: String
        do {
            try reader.skip(8)  // version, flags, pre_defined
            handler = String(decoding: try reader.readBytes(4), as: UTF8.self)
        } catch { throw .parse(error, in: "'hdlr' of track \(trackID)") }
        switch handler {
        case "vide": kind = .video
        case "soun": kind = .audio
        default: kind = .text
        }
        guard let stsd = trak.first(path: "mdia/minf/stbl/stsd"), !stsd.children.isEmpty else {
            throw CommonEncryptionError("track \(trackID) has no sample entry in 'mdia/minf/stbl/stsd'")
        }
        sampleEntries = stsd.children
    }
}
