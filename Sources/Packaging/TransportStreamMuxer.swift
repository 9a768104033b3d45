// MPEG-2 transport stream segments (ISO/IEC 13818-1) for the HLS TS formats (`m3u8-aapl`, `m3u8-aapl-v3`),
// muxed on request from the samples of canonical CMAF fragments.

import ISOBMFF
import Media

/// One elementary stream's samples for a transport stream segment.
public struct TransportStreamInput: Sendable {
    public var track: TrackInfo
    public var samples: [FragmentSample]
    /// SAMPLE-AES of this stream (HLS `METHOD=SAMPLE-AES`); nil: clear.
    public var sampleEncryption: TransportStreamSampleEncryption?

    public init(track: TrackInfo, samples: [FragmentSample], sampleEncryption: TransportStreamSampleEncryption? = nil) {
        self.track = track
        self.samples = samples
        self.sampleEncryption = sampleEncryption
    }
}

/// Writes self-contained MPEG-2 TS segments: PAT, PMT, then one PES per video access unit and one per group of AAC
/// frames, interleaved by decode time; pure functions.
///
/// Every segment can be requested alone and still continues the one before it, because nothing in it depends on
/// other segments:
/// - **Continuity counters.** Each elementary PID's packets are numbered from 0 in every segment, and each segment
///   carries a multiple of 16 packets per PID (the last PES is spread over a few more packets, using adaptation-field
///   stuffing), so a segment always ends at counter 15 and the next one's 0 follows it. PAT and PMT, sent once at the
///   start of each segment, take `continuityIndex mod 16`: callers pass the HLS media sequence number, which grows by
///   one per segment.
/// - **Timestamps.** PTS and DTS are the samples' absolute media times at 90 kHz (33 bits, wrapping as the standard
///   says); video DTS is moved `decodeLead` earlier so it never exceeds PTS when B-frames have negative composition
///   offsets. PCR rides on the first packet of every video PES (the audio PES in audio-only segments) and equals that
///   PES's DTS, so it runs on across segments; PCR-only packets fill any gap longer than 100 ms.
public enum TransportStreamMuxer {
    public static let packetSize = 188
    static let payloadSize = 184

    public static let patPID: UInt16 = 0
    public static let pmtPID: UInt16 = 0x1000
    public static let videoPID: UInt16 = 0x100
    public static let audioPID: UInt16 = 0x101

    /// The 90 kHz clock of PTS, DTS and the PCR base.
    public static let clockRate: Int64 = 90_000
    /// How much earlier than its presentation time video is decoded (and the system clock runs): 200 ms, which
    /// covers the reorder delay of B-frame pyramids up to 6 frames at 30 fps.
    public static let decodeLead: Int64 = 18_000
    /// ISO/IEC 13818-1 §2.7.2 asks for a PCR at least every 100 ms.
    public static let maximumPCRInterval: Int64 = 9_000
    /// AAC frames are grouped into PES packets of at most this many 90 kHz ticks (about 4 frames at 48 kHz).
    static let maximumAudioPESDuration: Int64 = 8_100

    // MARK: - Public API

    /// The segment's bytes: `video` and/or `audio` (at least one), continuity counters of PAT and PMT from
    /// `continuityIndex` (the HLS media sequence number of the segment).
    public static func segment(video: TransportStreamInput?, audio: TransportStreamInput?,
                               continuityIndex: Int) throws(PackagingError) -> [UInt8] {
        let plan = try Plan(video: video, audio: audio)
        var out: [UInt8] = []
        out.reserveCapacity(plan.packetCount * packetSize)
        let psiCounter = UInt8(truncatingIfNeeded: continuityIndex) & 0x0F
        writeSection(&out, pid: patPID, counter: psiCounter, section: patSection())
        writeSection(&out, pid: pmtPID, counter: psiCounter, section: pmtSection(plan))
        var counters: [UInt16: UInt8] = [:]
        for unit in plan.units {
            for pcr in unit.pcrOnlyBefore {
                // No payload: the counter is not incremented, so it repeats the PID's previous value (15 at the start).
                let last = ((counters[unit.pid] ?? 0) &- 1) & 0x0F
                writePCROnlyPacket(&out, pid: unit.pid, counter: last, pcr: pcr)
            }
            var counter = counters[unit.pid] ?? 0
            writePES(&out, unit, counter: &counter)
            counters[unit.pid] = counter
        }
        assert(out.count == plan.packetCount * packetSize, "TS plan and writer disagree")
        assert(counters.values.allSatisfy { $0 == 0 }, "a PID does not end at continuity counter 15")
        return out
    }

    /// The exact size of ``segment(video:audio:continuityIndex:)`` without writing it.
    public static func segmentSize(video: TransportStreamInput?, audio: TransportStreamInput?) throws(PackagingError) -> Int {
        try Plan(video: video, audio: audio).packetCount * packetSize
    }

    // MARK: - Plan

    /// One PES packet and how it is split into TS packets.
    struct Unit {
        var pid: UInt16
        var header: [UInt8]
        var chunks: [ArraySlice<UInt8>]
        /// PES header plus payload bytes.
        var length: Int
        /// Interleaving key: decode time at 90 kHz, unwrapped.
        var order: Int64
        var pcr: Int64?
        var randomAccess: Bool
        var packets: Int = 0
        var pcrOnlyBefore: [Int64] = []

        /// Adaptation-field bytes the first packet needs for its flags (length, flags, PCR).
        var firstAdaptation: Int { pcr != nil ? 8 : (randomAccess ? 2 : 0) }
        var minimumPackets: Int {
            let first = payloadSize - firstAdaptation
            return length <= first ? 1 : 1 + (length - first + payloadSize - 1) / payloadSize
        }
    }

    struct Stream {
        var pid: UInt16
        var codec: TransportStreamCodec
    }

    struct Plan {
        var streams: [Stream] = []
        var pcrPID: UInt16 = videoPID
        var units: [Unit] = []
        var packetCount = 2  // PAT, PMT

        init(video: TransportStreamInput?, audio: TransportStreamInput?) throws(PackagingError) {
            let video = video.flatMap { $0.samples.isEmpty ? nil : $0 }
            let audio = audio.flatMap { $0.samples.isEmpty ? nil : $0 }
            guard video != nil || audio != nil else {
                throw PackagingError(.invalidMedia, "a transport stream segment needs video or audio samples")
            }
            var perStream: [[Unit]] = []
            if let video {
                let codec = try TransportStreamCodec(video.track, sampleEncryption: video.sampleEncryption)
                guard codec.isVideo else {
                    throw PackagingError(.invalidMedia, "track '\(video.track.name)' is not video")
                }
                streams.append(Stream(pid: videoPID, codec: codec))
                perStream.append(try Self.videoUnits(video, codec: codec))
            }
            if let audio {
                let codec = try TransportStreamCodec(audio.track, sampleEncryption: audio.sampleEncryption)
                guard !codec.isVideo else {
                    throw PackagingError(.invalidMedia, "track '\(audio.track.name)' is not audio")
                }
                streams.append(Stream(pid: audioPID, codec: codec))
                perStream.append(try Self.audioUnits(audio, codec: codec, carriesPCR: video == nil))
            }
            pcrPID = video != nil ? videoPID : audioPID

            for index in perStream.indices {
                Self.padToWholeCounterCycles(&perStream[index])
            }
            // Interleave by decode time; on a tie video goes first (stable by stream, then by position).
            var ordered: [(unit: Unit, stream: Int, position: Int)] = []
            for (stream, units) in perStream.enumerated() {
                for (position, unit) in units.enumerated() { ordered.append((unit, stream, position)) }
            }
            ordered.sort { a, b in
                if a.unit.order != b.unit.order { return a.unit.order < b.unit.order }
                if a.stream != b.stream { return a.stream < b.stream }
                return a.position < b.position
            }
            units = ordered.map(\.unit)

            var lastPCR: Int64?
            for index in units.indices {
                guard let pcr = units[index].pcr else { continue }
                if let last = lastPCR, pcr - last > maximumPCRInterval {
                    var next = last + maximumPCRInterval
                    while next < pcr {
                        units[index].pcrOnlyBefore.append(next)
                        next += maximumPCRInterval
                    }
                }
                lastPCR = pcr
                packetCount += units[index].pcrOnlyBefore.count
            }
            packetCount += units.reduce(0) { $0 + $1.packets }
        }

        /// One PES per access unit: PTS and DTS (when they differ), PCR, random access flag on sync samples.
        static func videoUnits(_ input: TransportStreamInput, codec: TransportStreamCodec) throws(PackagingError) -> [Unit] {
            let timescale = Int64(input.track.timescale)
            var units: [Unit] = []
            units.reserveCapacity(input.samples.count)
            for sample in input.samples {
                let chunks = try codec.payload(sample, track: input.track)
                let pts = MediaTime.rescale(sample.presentationTime, from: timescale, to: clockRate)
                let dts = min(pts, MediaTime.rescale(sample.decodeTime, from: timescale, to: clockRate) - decodeLead)
                let header = pesHeader(streamID: codec.streamID, pts: pts, dts: dts == pts ? nil : dts, payloadLength: nil)
                let length = header.count + chunks.reduce(0) { $0 + $1.count }
                units.append(Unit(pid: videoPID, header: header, chunks: chunks, length: length, order: dts, pcr: dts,
                                  randomAccess: sample.isSync))
            }
            return units
        }

        /// AAC frames grouped into PES packets of up to ~90 ms, each frame behind its ADTS header.
        static func audioUnits(_ input: TransportStreamInput, codec: TransportStreamCodec,
                               carriesPCR: Bool) throws(PackagingError) -> [Unit] {
            let timescale = Int64(input.track.timescale)
            let limit = MediaTime.rescale(maximumAudioPESDuration, from: clockRate, to: timescale)
            var units: [Unit] = []
            var index = 0
            let samples = input.samples
            while index < samples.count {
                let first = samples[index]
                var chunks: [ArraySlice<UInt8>] = []
                var payloadBytes = 0
                var end = index
                while end < samples.count {
                    let sample = samples[end]
                    let frameBytes = ADTSHeader.size + sample.data.count
                    if end > index {
                        let span = sample.endTime - first.decodeTime
                        // PES_packet_length is 16 bits: header fields (8 bytes) plus payload must fit.
                        guard span <= limit, payloadBytes + frameBytes + 8 <= 0xFFFF else { break }
                    }
                    chunks += try codec.payload(sample, track: input.track)
                    payloadBytes += frameBytes
                    end += 1
                }
                let pts = MediaTime.rescale(first.presentationTime, from: timescale, to: clockRate)
                let header = pesHeader(streamID: codec.streamID, pts: pts, dts: nil, payloadLength: payloadBytes)
                units.append(Unit(pid: audioPID, header: header, chunks: chunks, length: header.count + payloadBytes,
                                  order: pts, pcr: carriesPCR ? pts - decodeLead : nil, randomAccess: carriesPCR && index == 0))
                index = end
            }
            return units
        }

        /// Gives each unit its packet count so that the PID's total is a multiple of 16: extra packets go to the last
        /// units (each packet needs at least one payload byte).
        static func padToWholeCounterCycles(_ units: inout [Unit]) {
            var total = 0
            for index in units.indices {
                units[index].packets = units[index].minimumPackets
                total += units[index].packets
            }
            var extra = (16 - total % 16) % 16
            for index in units.indices.reversed() where extra > 0 {
                let room = units[index].length - units[index].packets
                let added = min(room, extra)
                units[index].packets += added
                extra -= added
            }
            assert(extra == 0, "PES packets too small to pad to whole continuity counter cycles")
        }
    }

    // MARK: - PES

    /// `PES_packet_length` is 0 (unbounded) for video; for audio the bytes after the length field.
    static func pesHeader(streamID: UInt8, pts: Int64, dts: Int64?, payloadLength: Int?) -> [UInt8] {
        let headerDataLength = dts == nil ? 5 : 10
        var header: [UInt8] = [0, 0, 1, streamID]
        let length = payloadLength.map { 3 + headerDataLength + $0 } ?? 0
        header += [UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
        header.append(0x84)  // marker '10', not scrambled, data_alignment_indicator
        header.append(dts == nil ? 0x80 : 0xC0)
        header.append(UInt8(headerDataLength))
        appendTimestamp(&header, prefix: dts == nil ? 0x2 : 0x3, pts)
        if let dts { appendTimestamp(&header, prefix: 0x1, dts) }
        return header
    }

    /// A 33-bit timestamp in the 5-byte PES form with its 4-bit prefix and marker bits.
    static func appendTimestamp(_ bytes: inout [UInt8], prefix: UInt8, _ time: Int64) {
        let t = UInt64(bitPattern: time) & 0x1_FFFF_FFFF
        bytes.append(prefix << 4 | UInt8(truncatingIfNeeded: t >> 29) & 0x0E | 1)
        bytes.append(UInt8(truncatingIfNeeded: t >> 22))
        bytes.append(UInt8(truncatingIfNeeded: t >> 14) | 1)
        bytes.append(UInt8(truncatingIfNeeded: t >> 7))
        bytes.append(UInt8(truncatingIfNeeded: t << 1) | 1)
    }

    /// Splits a PES into its planned packets: full packets first, the last ones shrunk (adaptation-field stuffing)
    /// so that each of the planned packets carries at least one byte.
    static func writePES(_ out: inout [UInt8], _ unit: Unit, counter: inout UInt8) {
        var remaining = unit.length
        var pieces: [ArraySlice<UInt8>] = [unit.header[...]] + unit.chunks
        var pieceIndex = 0
        for packet in 0..<unit.packets {
            let capacity = packet == 0 ? payloadSize - unit.firstAdaptation : payloadSize
            let payload = min(capacity, remaining - (unit.packets - 1 - packet))
            let adaptation = payloadSize - payload
            out.append(0x47)
            out.append((packet == 0 ? 0x40 : 0) | UInt8(truncatingIfNeeded: unit.pid >> 8) & 0x1F)
            out.append(UInt8(truncatingIfNeeded: unit.pid))
            out.append((adaptation > 0 ? 0x30 : 0x10) | counter)
            if adaptation > 0 {
                out.append(UInt8(adaptation - 1))
                if adaptation > 1 {
                    var flags: UInt8 = 0
                    if packet == 0 && unit.randomAccess { flags |= 0x40 }
                    let pcr = packet == 0 ? unit.pcr : nil
                    if pcr != nil { flags |= 0x10 }
                    out.append(flags)
                    if let pcr { appendPCR(&out, pcr) }
                    let stuffing = adaptation - 2 - (pcr != nil ? 6 : 0)
                    out.append(contentsOf: repeatElement(0xFF, count: stuffing))
                }
            }
            var needed = payload
            while needed > 0 {
                let piece = pieces[pieceIndex]
                let take = min(needed, piece.count)
                out.append(contentsOf: piece.prefix(take))
                if take == piece.count {
                    pieceIndex += 1
                } else {
                    pieces[pieceIndex] = piece.dropFirst(take)
                }
                needed -= take
            }
            remaining -= payload
            counter = (counter + 1) & 0x0F
        }
    }

    /// An adaptation-field-only packet carrying a PCR (no payload, so the continuity counter is not incremented).
    static func writePCROnlyPacket(_ out: inout [UInt8], pid: UInt16, counter: UInt8, pcr: Int64) {
        out += [0x47, UInt8(truncatingIfNeeded: pid >> 8) & 0x1F, UInt8(truncatingIfNeeded: pid), 0x20 | counter]
        out += [183, 0x10]
        appendPCR(&out, pcr)
        out.append(contentsOf: repeatElement(0xFF, count: 183 - 7))
    }

    /// `program_clock_reference_base` (33 bits, 90 kHz), 6 reserved bits, extension 0.
    static func appendPCR(_ out: inout [UInt8], _ base: Int64) {
        let b = UInt64(bitPattern: base) & 0x1_FFFF_FFFF
        out.append(UInt8(truncatingIfNeeded: b >> 25))
        out.append(UInt8(truncatingIfNeeded: b >> 17))
        out.append(UInt8(truncatingIfNeeded: b >> 9))
        out.append(UInt8(truncatingIfNeeded: b >> 1))
        out.append(UInt8(truncatingIfNeeded: b << 7) | 0x7E)
        out.append(0)
    }

    // MARK: - PSI

    /// One PSI section in one packet: pointer field, section, 0xFF filling.
    static func writeSection(_ out: inout [UInt8], pid: UInt16, counter: UInt8, section: [UInt8]) {
        precondition(section.count <= payloadSize - 1, "PSI section longer than one packet")
        out += [0x47, 0x40 | UInt8(truncatingIfNeeded: pid >> 8) & 0x1F, UInt8(truncatingIfNeeded: pid), 0x10 | counter, 0]
        out += section
        out.append(contentsOf: repeatElement(0xFF, count: payloadSize - 1 - section.count))
    }

    /// Program association: program 1 at the PMT PID.
    static func patSection() -> [UInt8] {
        section(tableID: 0x00, tableIDExtension: 0x0001,
                body: [0x00, 0x01, 0xE0 | UInt8(pmtPID >> 8), UInt8(truncatingIfNeeded: pmtPID)])
    }

    /// Program map of program 1: the PCR PID and one entry per stream, with its descriptors (SAMPLE-AES signalling).
    static func pmtSection(_ plan: Plan) -> [UInt8] {
        var body: [UInt8] = [0xE0 | UInt8(plan.pcrPID >> 8), UInt8(truncatingIfNeeded: plan.pcrPID), 0xF0, 0x00]
        for stream in plan.streams {
            let descriptors = stream.codec.descriptors
            body += [stream.codec.streamType, 0xE0 | UInt8(stream.pid >> 8), UInt8(truncatingIfNeeded: stream.pid),
                     0xF0 | UInt8(descriptors.count >> 8), UInt8(truncatingIfNeeded: descriptors.count)]
            body += descriptors
        }
        return section(tableID: 0x02, tableIDExtension: 0x0001, body: body)
    }

    /// A long-form section: header, version 0, current, section 0 of 0, `body`, CRC-32.
    static func section(tableID: UInt8, tableIDExtension: UInt16, body: [UInt8]) -> [UInt8] {
        let length = 5 + body.count + 4
        var bytes: [UInt8] = [tableID, 0xB0 | UInt8(length >> 8), UInt8(truncatingIfNeeded: length),
                              UInt8(tableIDExtension >> 8), UInt8(truncatingIfNeeded: tableIDExtension), 0xC1, 0x00, 0x00]
        bytes += body
        let crc = crc32(bytes[...])
        bytes += [UInt8(crc >> 24), UInt8(truncatingIfNeeded: crc >> 16), UInt8(truncatingIfNeeded: crc >> 8), UInt8(truncatingIfNeeded: crc)]
        return bytes
    }

    /// CRC-32/MPEG-2: polynomial 0x04C11DB7, initial value 0xFFFFFFFF, no reflection, no final XOR.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crc << 8 ^ crcTable[Int(UInt8(truncatingIfNeeded: crc >> 24) ^ byte)]
        }
        return crc
    }

    private static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index) << 24
        for _ in 0..<8 { value = value & 0x8000_0000 != 0 ? value << 1 ^ 0x04C1_1DB7 : value << 1 }
        return value
    }
}
