#if canImport(Glibc)
import Glibc
#endif
import EncodeModel
import Foundation
import Media

/// `edgelive worker encode`: the process the daemon spawns per live-encoding event.
///
/// stdin carries ``WorkerMessage``s from the daemon (the job, then contribution configurations and samples),
/// stdout carries the ladder back (track announcements, samples, heartbeats, log lines). stderr is the
/// daemon's own (the journal). A reader thread only parses stdin into a bounded queue; the encode loop on
/// the calling thread does the codec work and is also the only writer of heartbeats, so a hung encoder
/// (a GPU that stops answering) stops the heartbeats and the daemon's supervisor replaces this process.
public enum EncodeWorker {
    /// Runs until stdin ends (exit 0), the daemon goes away (exit 0), or the job cannot run (exit 2, after a
    /// ``WorkerMessage/fatal(_:)`` saying why).
    public static func run(input: Int32 = 0, output: Int32 = 1, heartbeatInterval: Double = 1) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        let queue = MessageQueue(capacity: 256)
        let writer = FrameWriter(fd: output)
        let reader = Thread {
            var decoder = WorkerFrameDecoder()
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { queue.close(error: n < 0 ? "reading stdin: \(String(cString: strerror(errno)))" : nil); return }
                do {
                    for message in try decoder.feed(buffer[0..<n]) { queue.push(message) }
                } catch {
                    queue.close(error: "\(error)")
                    return
                }
            }
        }
        reader.start()

        var transcoder: LadderTranscoder?
        var lastBeat = monotonicSeconds()
        var framesInAtLastBeat = 0
        func send(_ message: WorkerMessage) -> Bool { writer.write(WorkerProtocol.encode(message)) }
        func send(_ outputs: [TranscoderOutput]) -> Bool {
            for output in outputs {
                let message: WorkerMessage
                switch output {
                case .track(let t): message = .outputTrack(t)
                case .sample(let s): message = .outputSample(s)
                case let .log(level, text): message = .log(level: level, message: text)
                case .ladder(let rungs): message = .ladder(rungs)
                }
                guard send(message) else { return false }
            }
            return true
        }
        func fail(_ reason: String) -> Int32 {
            _ = send(.fatal(reason))
            FileHandle.standardError.write(Data("edgelive worker: \(reason)\n".utf8))
            return 2
        }

        while true {
            let next = queue.pop(timeout: min(heartbeatInterval / 2, 0.25))
            let now = monotonicSeconds()
            if now - lastBeat >= heartbeatInterval {
                let stats = transcoder?.statistics
                let framesIn = stats?.framesIn ?? 0
                let beat = WorkerHeartbeat(framesIn: framesIn, framesOut: stats?.framesOut ?? 0,
                                           framesDropped: stats?.framesDropped ?? 0,
                                           backend: stats?.backendDescription ?? "not started",
                                           framesPerSecond: Double(framesIn - framesInAtLastBeat) / (now - lastBeat))
                guard send(.heartbeat(beat)) else { return 0 }
                lastBeat = now
                framesInAtLastBeat = framesIn
            }
            switch next {
            case .timedOut:
                continue
            case .closed(let error):
                // stdin ended: the daemon stopped the event (or died). Finish what is buffered, then leave.
                if let t = transcoder, let outputs = try? t.flush() { _ = send(outputs) }
                if let error { return fail(error) }
                return 0
            case .message(let message):
                do {
                    switch message {
                    case .start(let job):
                        guard transcoder == nil else { return fail("a second job arrived; one worker runs one live event") }
                        transcoder = try LadderTranscoder(job: job)
                        _ = send(.log(level: "info", message: "encoding with \(transcoder?.statistics.backendDescription ?? "?")"))
                    case let .inputConfiguration(kind, record):
                        guard let t = transcoder else { return fail("input before the job") }
                        guard send(try t.configure(kind: kind, record: record)) else { return 0 }
                    case .inputSample(let sample):
                        guard let t = transcoder else { return fail("input before the job") }
                        guard send(try t.push(sample)) else { return 0 }
                    case .endOfInput:
                        if let t = transcoder { guard send(try t.flush()) else { return 0 } }
                        guard send(.flushed) else { return 0 }
                    case .outputTrack, .outputSample, .heartbeat, .log, .flushed, .fatal, .ladder:
                        return fail("the daemon sent a worker-to-daemon message (\(message)); the binaries differ in version?")
                    }
                } catch {
                    return fail("\(error)")
                }
            }
        }
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// The reader thread's hand-off to the encode loop: bounded, so a slow encoder pushes back on the pipe
/// (and the daemon, seeing its write queue grow, drops input until the next keyframe).
private final class MessageQueue: @unchecked Sendable {
    enum Next { case message(WorkerMessage), timedOut, closed(String?) }
    private let condition = NSCondition()
    private var items: [WorkerMessage] = []
    private var head = 0
    private var closed = false
    private var closeError: String?
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func push(_ message: WorkerMessage) {
        condition.lock()
        while items.count - head >= capacity && !closed { condition.wait() }
        items.append(message)
        condition.broadcast()
        condition.unlock()
    }

    func close(error: String?) {
        condition.lock()
        closed = true
        closeError = error
        condition.broadcast()
        condition.unlock()
    }

    func pop(timeout: Double) -> Next {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while head == items.count {
            if closed { return .closed(closeError) }
            if !condition.wait(until: deadline) { return head == items.count ? .timedOut : take() }
        }
        return take()
    }

    /// Called with the lock held and an item present.
    private func take() -> Next {
        let message = items[head]
        head += 1
        if head > 64 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return .message(message)
    }
}

/// Blocking writes of whole frames to stdout; false once the daemon has gone (EPIPE).
private struct FrameWriter {
    let fd: Int32

    func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }
}
