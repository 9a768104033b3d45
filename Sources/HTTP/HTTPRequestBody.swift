// The request body as an async sequence of chunks, with bounded buffering.
import EventLoop

/// Why a request body ended early.
public struct HTTPBodyError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
    /// The client disconnected or sent a malformed body before the end of the message.
    public static let connectionLost = HTTPBodyError("the client connection ended before the request body was complete")
    /// `collect(upTo:)` saw more bytes than allowed.
    public static func tooLarge(_ limit: Int) -> HTTPBodyError {
        HTTPBodyError("the request body is larger than \(limit) bytes")
    }
}

/// A request body delivered as it arrives (chunked bodies already de-chunked).
///
/// One consumer at a time. The server stops reading the socket while more than `highWater` bytes
/// wait here and resumes once the consumer has drained them below `lowWater`.
public final class HTTPRequestBody: AsyncSequence, @unchecked Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = any Error

    /// Buffered bytes above which the server pauses reading the socket.
    public static let highWater = 1 << 20
    /// Buffered bytes below which a paused socket is resumed.
    public static let lowWater = 256 << 10

    private let lock = Lock()
    // MARK: Guarded by `lock`
    private var chunks: [[UInt8]] = []
    private var head = 0
    private var buffered = 0
    private var finished = false
    private var failure: HTTPBodyError?
    private var discarding = false
    private var producerPaused = false
    private var waiter: CheckedContinuation<[UInt8]?, any Error>?
    private var received = 0
    /// Runs (on the consumer's thread) when a paused producer may resume.
    private let onDrained: @Sendable () -> Void

    init(onDrained: @escaping @Sendable () -> Void = {}) {
        self.onDrained = onDrained
    }

    /// A body that is already complete, for tests and in-process callers.
    public convenience init(bytes: [UInt8]) {
        self.init()
        if !bytes.isEmpty { _ = append(bytes) }
        finish()
    }

    // MARK: - Producer (loop thread)

    /// Adds a chunk; returns false when the producer should pause reading.
    func append(_ chunk: [UInt8]) -> Bool {
        let waiting: CheckedContinuation<[UInt8]?, any Error>?
        let keepReading: Bool
        (waiting, keepReading) = lock.withLock {
            received += chunk.count
            if discarding || finished { return (nil, true) }
            if let waiter {
                self.waiter = nil
                return (waiter, true)
            }
            chunks.append(chunk)
            buffered += chunk.count
            if buffered > Self.highWater {
                producerPaused = true
                return (nil, false)
            }
            return (nil, true)
        }
        waiting?.resume(returning: chunk)
        return keepReading
    }

    /// Ends the body, normally or with `error`.
    func finish(error: HTTPBodyError? = nil) {
        let waiting: CheckedContinuation<[UInt8]?, any Error>? = lock.withLock {
            guard !finished else { return nil }
            finished = true
            failure = error
            let waiting = waiter
            waiter = nil
            return waiting
        }
        if let error { waiting?.resume(throwing: error) } else { waiting?.resume(returning: nil) }
    }

    /// Drops buffered and future chunks (the response was sent without reading them); returns true
    /// when the producer was paused and should resume.
    func discardRemaining() -> Bool {
        lock.withLock {
            discarding = true
            chunks.removeAll()
            head = 0
            buffered = 0
            let wasPaused = producerPaused
            producerPaused = false
            return wasPaused
        }
    }

    /// True once the whole body arrived (or failed).
    var isFinished: Bool { lock.withLock { finished } }

    /// Bytes received from the network so far.
    public var receivedByteCount: Int { lock.withLock { received } }

    // MARK: - Consumer

    /// Iterates the chunks; throws `HTTPBodyError` if the connection dies mid-body.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: HTTPRequestBody
        public mutating func next() async throws -> [UInt8]? { try await body.nextChunk() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }

    /// Reads the whole body; throws `HTTPBodyError.tooLarge` past `maxBytes`.
    public func collect(upTo maxBytes: Int) async throws -> [UInt8] {
        var all: [UInt8] = []
        for try await chunk in self {
            if all.count + chunk.count > maxBytes { throw HTTPBodyError.tooLarge(maxBytes) }
            all.append(contentsOf: chunk)
        }
        return all
    }

    private enum Step {
        case chunk([UInt8], resumeProducer: Bool)
        case end
        case failed(HTTPBodyError)
        case wait
    }

    private func takeNext() -> Step {
        if head < chunks.count {
            let chunk = chunks[head]
            head += 1
            buffered -= chunk.count
            if head == chunks.count {
                chunks.removeAll(keepingCapacity: true)
                head = 0
            }
            var resume = false
            if producerPaused && buffered < Self.lowWater {
                producerPaused = false
                resume = true
            }
            return .chunk(chunk, resumeProducer: resume)
        }
        if finished { return failure.map { .failed($0) } ?? .end }
        return .wait
    }

    func nextChunk() async throws -> [UInt8]? {
        let step = lock.withLock { takeNext() }
        switch step {
        case .chunk(let chunk, let resume):
            if resume { onDrained() }
            return chunk
        case .end: return nil
        case .failed(let error): throw error
        case .wait: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: Step = lock.withLock {
                    let step = takeNext()
                    if case .wait = step {
                        precondition(waiter == nil, "HTTPRequestBody supports one consumer at a time")
                        if Task.isCancelled { return .failed(HTTPBodyError("reading the request body was cancelled")) }
                        waiter = continuation
                    }
                    return step
                }
                switch immediate {
                case .chunk(let chunk, let resume):
                    if resume { onDrained() }
                    continuation.resume(returning: chunk)
                case .end: continuation.resume(returning: nil)
                case .failed(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            let waiting = lock.withLock { () -> CheckedContinuation<[UInt8]?, any Error>? in
                let waiting = waiter
                waiter = nil
                return waiting
            }
            waiting?.resume(throwing: CancellationError())
        }
    }
}
