// Reads back what common encryption wrote, independently of the writer: tenc, schm, frma, pssh, senc, saiz, saio.
import Foundation
import ISOBMFF
import Media

struct TrackEncryption: Equatable {
    var version: UInt8
    var cryptByteBlock: UInt8
    var skipByteBlock: UInt8
    var isProtected: UInt8
    var perSampleIVSize: UInt8
    var keyID: [UInt8]
    var constantIV: [UInt8]?

    init(_ box: Box) throws {
        let (version, _, body) = try box.fullBoxHeader()
        var r = ByteReader(body)
        self.version = version
        _ = try r.readUInt8()
        let pattern = try r.readUInt8()
        cryptByteBlock = version == 0 ? 0 : pattern >> 4
        skipByteBlock = version == 0 ? 0 : pattern & 0x0F
        isProtected = try r.readUInt8()
        perSampleIVSize = try r.readUInt8()
        keyID = Array(try r.readBytes(16))
        if isProtected == 1 && perSampleIVSize == 0 {
            let size = Int(try r.readUInt8())
            constantIV = Array(try r.readBytes(size))
        }
        guard r.isAtEnd else { throw MediaError(description: "tenc has \(r.remaining) bytes left over") }
    }
}

struct SampleEncryptionEntry: Equatable {
    var iv: [UInt8]
    var subsamples: [(clear: Int, protected: Int)]

    static func == (a: Self, b: Self) -> Bool {
        a.iv == b.iv && a.subsamples.map(\.clear) == b.subsamples.map(\.clear) && a.subsamples.map(\.protected) == b.subsamples.map(\.protected)
    }
}

/// One protected chunk read back: the samples (from trun), the senc entries, saiz sizes and the saio offset.
struct ProtectedChunk {
    var moof: Box
    var mdat: Box
    var sampleRanges: [Range<Int>]
    var decodeTimes: [Int64]
    var sencFlags: UInt32?
    var entries: [SampleEncryptionEntry]
    var saizDefaultSize: UInt8?
    var saizSizes: [UInt8]
    var saioOffset: UInt32?
    /// Where senc's first entry starts, relative to the moof.
    var sencEntriesOffset: Int?
    var trafChildTypes: [String]

    static func read(_ bytes: [UInt8], ivSize: Int) throws -> [ProtectedChunk] {
        let boxes = try Box.parseAll(bytes)
        var chunks: [ProtectedChunk] = []
        for (index, moof) in boxes.enumerated() where moof.type == "moof" {
            let mdat = boxes[index + 1]
            let traf = try requireBox(moof.first(path: "traf"))
            let tfhd = try TrackFragmentHeader(try requireBox(traf.first(path: "tfhd")))
            var time = Int64(try TrackFragmentDecodeTime(try requireBox(traf.first(path: "tfdt"))).baseMediaDecodeTime)
            var ranges: [Range<Int>] = [], times: [Int64] = []
            for trunBox in traf.children(ofType: "trun") {
                let trun = try TrackRun(trunBox)
                var offset = moof.range.lowerBound + Int(trun.dataOffset ?? 0)
                for entry in trun.entries {
                    let size = Int(entry.size ?? tfhd.defaultSampleSize ?? 0)
                    ranges.append(offset..<(offset + size))
                    times.append(time)
                    offset += size
                    time += Int64(entry.duration ?? tfhd.defaultSampleDuration ?? 0)
                }
            }
            var chunk = ProtectedChunk(moof: moof, mdat: mdat, sampleRanges: ranges, decodeTimes: times, entries: [],
                                       saizSizes: [], trafChildTypes: traf.children.map(\.type))
            if let senc = traf.first(path: "senc") {
                let (_, flags, body) = try senc.fullBoxHeader()
                chunk.sencFlags = flags
                chunk.sencEntriesOffset = body.startIndex + 4 - moof.range.lowerBound
                var r = ByteReader(body)
                let count = Int(try r.readUInt32())
                for _ in 0..<count {
                    let iv = Array(try r.readBytes(ivSize))
                    var subsamples: [(Int, Int)] = []
                    if flags & 2 != 0 {
                        for _ in 0..<Int(try r.readUInt16()) { subsamples.append((Int(try r.readUInt16()), Int(try r.readUInt32()))) }
                    }
                    chunk.entries.append(SampleEncryptionEntry(iv: iv, subsamples: subsamples))
                }
                guard r.isAtEnd else { throw MediaError(description: "senc has \(r.remaining) bytes left over") }
            }
            if let saiz = traf.first(path: "saiz") {
                let (_, flags, body) = try saiz.fullBoxHeader()
                var r = ByteReader(body)
                if flags & 1 != 0 { try r.skip(8) }
                chunk.saizDefaultSize = try r.readUInt8()
                let count = Int(try r.readUInt32())
                chunk.saizSizes = chunk.saizDefaultSize == 0 ? Array(try r.readBytes(count)) : Array(repeating: chunk.saizDefaultSize!, count: count)
            }
            if let saio = traf.first(path: "saio") {
                let (_, flags, body) = try saio.fullBoxHeader()
                var r = ByteReader(body)
                if flags & 1 != 0 { try r.skip(8) }
                guard try r.readUInt32() == 1 else { throw MediaError(description: "saio with more than one entry") }
                chunk.saioOffset = try r.readUInt32()
            }
            chunks.append(chunk)
        }
        return chunks
    }
}

/// `#require` for helpers outside a test function.
func requireBox(_ box: Box?, _ what: String = "box") throws -> Box {
    guard let box else { throw MediaError(description: "missing \(what)") }
    return box
}
