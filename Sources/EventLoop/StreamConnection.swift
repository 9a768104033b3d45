// A connected libuv stream (TCP socket or pipe): reading with backpressure into the loop's shared
// buffer, ordered writes without unbounded copies, and half-close. One implementation for both.
import CLibUV

/// A libuv stream handle; ``TCPConnection`` and ``PipeConnection`` add how they are created and named.
///
/// Loop-confined: every method must be called on the loop thread (from a libuv callback, an
/// `EventLoop.execute` closure, or an actor whose executor is the loop). Callbacks run on the loop thread.
public class StreamConnection: LoopHandle, @unchecked Sendable {
    private var onRead: ((UnsafeRawBufferPointer) -> Void)?
    private var onEnd: ((UVError?) -> Void)?
    private var readEnded = false
    /// True while the stream is being read (between `startReading`/`resumeReading` and `stopReading`).
    public private(set) var isReading = false

    var stream: UnsafeMutablePointer<uv_stream_t> { UnsafeMutablePointer<uv_stream_t>(OpaquePointer(raw)) }

    /// What the stream is connected to, for error messages ("127.0.0.1:4242", "stdout of /bin/cat").
    var endpointDescription: String { "stream" }

    // MARK: - Reading

    /// Starts reading: `onRead` gets each chunk (valid only during the call), `onEnd` runs once with
    /// nil at end of stream or the error that ended it.
    public func startReading(onRead: @escaping (UnsafeRawBufferPointer) -> Void,
                             onEnd: @escaping (UVError?) -> Void) {
        loop.preconditionInLoopThread("\(type(of: self)).startReading")
        self.onRead = onRead
        self.onEnd = onEnd
        resumeReading()
    }

    /// Resumes reading after `stopReading()`; no-op once ended or closed.
    public func resumeReading() {
        loop.preconditionInLoopThread("\(type(of: self)).resumeReading")
        guard !isClosed, !readEnded, !isReading, onRead != nil else { return }
        let result = uv_read_start(stream, { handle, _, buffer in
            guard let handle, let buffer, let data = handle.pointee.data else { return }
            let connection = Unmanaged<LoopHandle>.fromOpaque(data).takeUnretainedValue()
            buffer.pointee = uv_buf_init(connection.loop.readBuffer.assumingMemoryBound(to: CChar.self),
                                         UInt32(EventLoop.readBufferSize))
        }, { handle, nread, buffer in
            guard let handle, let data = handle.pointee.data else { return }
            let connection = Unmanaged<StreamConnection>.fromOpaque(data).takeUnretainedValue()
            connection.didRead(nread, buffer)
        })
        if result == 0 {
            isReading = true
        } else {
            finishReading(UVError(code: result, context: "cannot read from \(endpointDescription)"))
        }
    }

    /// Stops reading (backpressure) until `resumeReading()`; data stays in the kernel buffer.
    public func stopReading() {
        loop.preconditionInLoopThread("\(type(of: self)).stopReading")
        guard isReading else { return }
        isReading = false
        if !isClosed { uv_read_stop(stream) }
    }

    private func didRead(_ nread: Int, _ buffer: UnsafePointer<uv_buf_t>?) {
        if nread > 0, let base = buffer?.pointee.base {
            onRead?(UnsafeRawBufferPointer(start: base, count: nread))
        } else if nread < 0 {
            // nread == 0 is EAGAIN, not end of stream; only UV_EOF is.
            let error = Int32(truncatingIfNeeded: nread)
            finishReading(error == UV_EOF.rawValue ? nil : UVError(code: error, context: "reading from \(endpointDescription)"))
        }
    }

    private func finishReading(_ error: UVError?) {
        guard !readEnded else { return }
        readEnded = true
        if isReading {
            isReading = false
            if !isClosed { uv_read_stop(stream) }
        }
        let callback = onEnd
        onEnd = nil
        onRead = nil
        callback?(error)
    }

    // MARK: - Writing

    /// Bytes accepted by `write` but not yet handed to the kernel (slow-peer detection).
    public var writeQueueSize: Int {
        loop.preconditionInLoopThread("\(type(of: self)).writeQueueSize")
        return isClosed ? 0 : uv_stream_get_write_queue_size(stream)
    }

    /// Writes `bytes` in order after earlier writes; `completion` runs once they reached the kernel or
    /// failed, possibly before `write` returns when the kernel took them at once.
    public func write(_ bytes: [UInt8], completion: ((UVError?) -> Void)? = nil) {
        bytes.withUnsafeBytes { write(contentsOf: $0, completion: completion) }
    }

    /// Writes a slice without copying it first; see `write(_:completion:)`.
    public func write(_ bytes: ArraySlice<UInt8>, completion: ((UVError?) -> Void)? = nil) {
        bytes.withUnsafeBytes { write(contentsOf: $0, completion: completion) }
    }

    /// Writes the bytes of `buffer` (copied only as far as the kernel does not take them at once).
    public func write(contentsOf buffer: UnsafeRawBufferPointer, completion: ((UVError?) -> Void)? = nil) {
        loop.preconditionInLoopThread("\(type(of: self)).write")
        guard !isClosed else { completion?(.cancelled); return }
        guard let base = buffer.baseAddress, buffer.count > 0 else { completion?(nil); return }
        var written = 0
        // Try the syscall first: the common case needs no copy and no request. libuv answers EAGAIN
        // while earlier writes are queued, so ordering is kept.
        var direct = uv_buf_init(UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: CChar.self)),
                                 UInt32(clamping: buffer.count))
        let tried = uv_try_write(stream, &direct, 1)
        if tried >= 0 {
            written = Int(tried)
        } else if tried != UV_EAGAIN.rawValue && tried != UV_ENOSYS.rawValue {
            completion?(UVError(code: tried, context: "writing to \(endpointDescription)"))
            return
        }
        if written == buffer.count { completion?(nil); return }

        // The rest must outlive this call: copy it into memory the write callback frees.
        let remaining = buffer.count - written
        let storage = UnsafeMutableRawPointer.allocate(byteCount: remaining, alignment: 1)
        storage.copyMemory(from: base + written, byteCount: remaining)
        let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
        request.initialize(to: uv_write_t())
        let context = RequestContext(storage: storage, endpoint: endpointDescription, completion: completion)
        let retained = Unmanaged.passRetained(context)
        request.pointee.data = retained.toOpaque()
        var queued = uv_buf_init(storage.assumingMemoryBound(to: CChar.self), UInt32(clamping: remaining))
        let result = uv_write(request, stream, &queued, 1) { request, status in
            guard let request else { return }
            if let data = request.pointee.data {
                Unmanaged<RequestContext>.fromOpaque(data).takeRetainedValue().finish(status, "writing to")
            }
            request.deallocate()
        }
        if result != 0 {
            // The callback will never run: undo the retain and free everything here.
            retained.release()
            storage.deallocate()
            request.deallocate()
            completion?(UVError(code: result, context: "writing to \(endpointDescription)"))
        }
    }

    /// Closes the writing direction after queued writes (TCP FIN; a child sees end of file on stdin);
    /// `completion` runs when done or failed.
    public func shutdown(completion: ((UVError?) -> Void)? = nil) {
        loop.preconditionInLoopThread("\(type(of: self)).shutdown")
        guard !isClosed else { completion?(.cancelled); return }
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        request.initialize(to: uv_shutdown_t())
        let context = RequestContext(storage: nil, endpoint: endpointDescription, completion: completion)
        let retained = Unmanaged.passRetained(context)
        request.pointee.data = retained.toOpaque()
        let result = uv_shutdown(request, stream) { request, status in
            guard let request else { return }
            if let data = request.pointee.data {
                Unmanaged<RequestContext>.fromOpaque(data).takeRetainedValue().finish(status, "shutting down")
            }
            request.deallocate()
        }
        if result != 0 {
            retained.release()
            request.deallocate()
            completion?(UVError(code: result, context: "shutting down \(endpointDescription)"))
        }
    }

    override func didClose() {
        // Reading ends with the handle; the owner learns it through whenClosed, not onEnd.
        onRead = nil
        onEnd = nil
        isReading = false
        super.didClose()
    }
}

/// What a pending write or shutdown request needs in its callback.
private final class RequestContext {
    let storage: UnsafeMutableRawPointer?
    let endpoint: String
    let completion: ((UVError?) -> Void)?

    init(storage: UnsafeMutableRawPointer?, endpoint: String, completion: ((UVError?) -> Void)?) {
        self.storage = storage
        self.endpoint = endpoint
        self.completion = completion
    }

    func finish(_ status: Int32, _ action: String) {
        storage?.deallocate()
        completion?(status == 0 ? nil : UVError(code: status, context: "\(action) \(endpoint)"))
    }
}
