import Foundation
import Media

/// One message on the pipes between the daemon and an encode worker.
///
/// Frame: a 4-byte big-endian length (of what follows), a 1-byte type, the payload. Samples have a
/// fixed binary header so the hot path never touches JSON; the rare control messages are JSON.
public enum WorkerMessage: Sendable, Hashable {
    // MARK: daemon → worker
    /// The job; always the first message.
    case start(EncodeJob)
    /// The contribution's decoder configuration (`avcC` or AudioSpecificConfig), before its samples and
    /// again whenever it changes.
    case inputConfiguration(kind: MediaKind, record: [UInt8])
    case inputSample(WorkerSample)
    /// The encoder's session ended: encode what is buffered, send it, answer ``flushed``.
    case endOfInput

    // MARK: worker → daemon
    case outputTrack(OutputTrackDescription)
    case outputSample(WorkerSample)
    /// The ladder was planned: the rungs it encodes (each the preset's box and bitrate), highest first. The daemon
    /// pins them for the event (``EncodeJob/pinnedRungs``), so a replacement worker plans the same tracks.
    case ladder([LadderRung])
    case heartbeat(WorkerHeartbeat)
    /// A line for the daemon's log, attributed to the event (`level`: `info`, `notice`, `warning`, `error`).
    case log(level: String, message: String)
    /// Everything before ``endOfInput`` has been sent.
    case flushed
    /// The worker cannot go on (and exits): what happened and what to do.
    case fatal(String)

    fileprivate var type: UInt8 {
        switch self {
        case .start: return 1
        case .inputConfiguration: return 2
        case .inputSample: return 3
        case .endOfInput: return 4
        case .outputTrack: return 10
        case .outputSample: return 11
        case .heartbeat: return 12
        case .log: return 13
        case .flushed: return 14
        case .fatal: return 15
        case .ladder: return 16
        }
    }
}

public enum WorkerProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    case frameTooLarge(Int)
    case unknownType(UInt8)
    case malformed(type: UInt8, reason: String)

    public var description: String {
        switch self {
        case .frameTooLarge(let n): return "worker protocol: a frame of \(n) bytes is over the \(WorkerProtocol.maximumFrameLength)-byte limit"
        case .unknownType(let t): return "worker protocol: unknown message type \(t)"
        case let .malformed(t, reason): return "worker protocol: malformed message of type \(t): \(reason)"
        }
    }
}

public enum WorkerProtocol {
    /// A frame larger than this is a broken peer, not a big sample.
    public static let maximumFrameLength = 64 << 20

    /// The bytes of one framed message.
    public static func encode(_ message: WorkerMessage) -> [UInt8] {
        var payload = ByteWriter(capacity: 64)
        switch message {
        case .start(let job): payload.write(contentsOf: json(job))
        case let .inputConfiguration(kind, record):
            payload.write(kindCode(kind))
            payload.write(contentsOf: record)
        case .inputSample(let s), .outputSample(let s): return encodeSample(s, type: message.type)
        case .endOfInput, .flushed: break
        case .outputTrack(let t): payload.write(contentsOf: json(t))
        case .heartbeat(let h): payload.write(contentsOf: json(h))
        case let .log(level, text): payload.write(contentsOf: json(["level": level, "message": text]))
        case .fatal(let text): payload.writeASCII(text)
        case .ladder(let rungs): payload.write(contentsOf: json(rungs))
        }
        var frame = ByteWriter(capacity: payload.count + 5)
        frame.write(UInt32(payload.count + 1))
        frame.write(message.type)
        frame.write(contentsOf: payload.bytes)
        return frame.bytes
    }

    /// Sample frames: track u16, flags u8 (bit 0 keyframe), timescale u32, decode time i64, composition
    /// offset i32, then the data.
    private static func encodeSample(_ s: WorkerSample, type: UInt8) -> [UInt8] {
        var w = ByteWriter(capacity: s.data.count + 24)
        w.write(UInt32(1 + sampleHeaderLength + s.data.count))
        w.write(type)
        w.write(UInt16(truncatingIfNeeded: s.track))
        w.write(UInt8(s.isKeyframe ? 1 : 0))
        w.write(s.timescale)
        w.write(s.decodeTime)
        w.write(s.compositionOffset)
        w.write(contentsOf: s.data)
        return w.bytes
    }

    static let sampleHeaderLength = 2 + 1 + 4 + 8 + 4

    /// Decodes one message from a frame's type and payload.
    public static func decode(type: UInt8, payload: ArraySlice<UInt8>) throws(WorkerProtocolError) -> WorkerMessage {
        do {
            switch type {
            case 1: return .start(try unjson(EncodeJob.self, payload, type))
            case 2:
                guard let first = payload.first, let kind = kind(code: first) else {
                    throw WorkerProtocolError.malformed(type: type, reason: "no media kind")
                }
                return .inputConfiguration(kind: kind, record: Array(payload.dropFirst()))
            case 3, 11:
                var r = ByteReader(payload)
                let track = Int(try r.readUInt16())
                let flags = try r.readUInt8()
                let timescale = try r.readUInt32()
                let dts = Int64(bitPattern: try r.readUInt64())
                let cto = Int32(bitPattern: try r.readUInt32())
                guard timescale > 0 else { throw WorkerProtocolError.malformed(type: type, reason: "timescale 0") }
                let sample = WorkerSample(track: track, isKeyframe: flags & 1 != 0, timescale: timescale, decodeTime: dts,
                                          compositionOffset: cto, data: Array(r.readRemaining()))
                return type == 3 ? .inputSample(sample) : .outputSample(sample)
            case 4: return .endOfInput
            case 10: return .outputTrack(try unjson(OutputTrackDescription.self, payload, type))
            case 12: return .heartbeat(try unjson(WorkerHeartbeat.self, payload, type))
            case 13:
                let fields = try unjson([String: String].self, payload, type)
                return .log(level: fields["level"] ?? "info", message: fields["message"] ?? "")
            case 14: return .flushed
            case 15: return .fatal(String(decoding: payload, as: UTF8.self))
            case 16: return .ladder(try unjson([LadderRung].self, payload, type))
            default: throw WorkerProtocolError.unknownType(type)
            }
        } catch let error as WorkerProtocolError {
            throw error
        } catch {
            throw WorkerProtocolError.malformed(type: type, reason: "\(error)")
        }
    }

    private static func kindCode(_ kind: MediaKind) -> UInt8 {
        switch kind {
        case .video: return 0
        case .audio: return 1
        case .text: return 2
        }
    }

    private static func kind(code: UInt8) -> MediaKind? {
        switch code {
        case 0: return .video
        case 1: return .audio
        case 2: return .text
        default: return nil
        }
    }

    private static func json<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Encoding these plain value types cannot fail.
        return (try? Array(encoder.encode(value))) ?? []
    }

    private static func unjson<T: Decodable>(_ type: T.Type, _ payload: ArraySlice<UInt8>, _ code: UInt8) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(payload))
        } catch {
            throw WorkerProtocolError.malformed(type: code, reason: "bad JSON: \(error)")
        }
    }
}

/// Splits a byte stream into messages; bytes may arrive in any chunking.
public struct WorkerFrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    /// Bytes waiting for the rest of their frame.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Appends `bytes` and returns every message now complete, in order.
    public mutating func feed<C: Collection>(_ bytes: C) throws(WorkerProtocolError) -> [WorkerMessage] where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        var messages: [WorkerMessage] = []
        while buffer.count - start >= 5 {
            let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
            guard length >= 1, length <= WorkerProtocol.maximumFrameLength else { throw .frameTooLarge(length) }
            guard buffer.count - start >= 4 + length else { break }
            let type = buffer[start + 4]
            let payload = buffer[(start + 5)..<(start + 4 + length)]
            messages.append(try WorkerProtocol.decode(type: type, payload: payload))
            start += 4 + length
        }
        // Compact once the consumed prefix dominates, so the buffer stays bounded without a copy per frame.
        if start > 0, start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        return messages
    }
}
