// One libuv loop on one dedicated thread; see ARCHITECTURE.md "Concurrency".
import CLibUV
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libuv loop running on its own thread, with a serial executor that actors can adopt.
///
/// Create it from any thread, use its handles only on the loop thread, and end it with `shutdown()`
/// from another thread: the loop thread keeps the object alive until then.
public final class EventLoop: @unchecked Sendable {
    /// The thread name (shown by `top -H`, gdb).
    public let name: String
    /// The executor that runs jobs on the loop thread.
    public let executor: LoopExecutor
    let uvLoop: UnsafeMutablePointer<uv_loop_t>
    /// One read buffer shared by every stream on this loop: read callbacks consume it synchronously.
    let readBuffer: UnsafeMutableRawPointer
    static let readBufferSize = 64 * 1024

    private var thread = pthread_t()
    private let shutdownLock = Lock()
    private var shutdownResult: Int32?
    // Written by the loop thread before it exits; read after pthread_join.
    private var closeResult: Int32 = 0
    private var leakedHandles: [String] = []

    /// Creates the loop and starts its thread.
    public init(name: String = "edgelive-loop") throws {
        self.name = name
        let loop = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
        loop.initialize(to: uv_loop_t())
        let initResult = uv_loop_init(loop)
        if initResult != 0 {
            loop.deallocate()
            throw UVError(code: initResult, context: "cannot create event loop \(name)")
        }
        do {
            executor = try LoopExecutor(loop: loop)
        } catch {
            uv_loop_close(loop)
            loop.deallocate()
            throw error
        }
        uvLoop = loop
        readBuffer = UnsafeMutableRawPointer.allocate(byteCount: Self.readBufferSize, alignment: 16)
        executor.onShutdownRequested = { [unowned self] in self.closeAllHandles() }

        // The thread owns a +1 on self until it exits, so the loop cannot vanish under uv_run.
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let loop = Unmanaged<EventLoop>.fromOpaque(argument).takeRetainedValue()
            loop.threadMain()
            return nil
        }, context)
        if created != 0 {
            Unmanaged<EventLoop>.fromOpaque(context).release()
            executor.closeAsyncHandle()
            uv_run(loop, UV_RUN_NOWAIT)
            closeResult = uv_loop_close(loop)
            shutdownResult = closeResult
            throw UVError(code: -created, context: "cannot start the thread of event loop \(name)")
        }
    }

    deinit {
        // Only reached after the loop thread exited. A loop that failed to close keeps its memory:
        // libuv may still reference it.
        if shutdownResult == 0 || (shutdownResult == nil && closeResult == 0) {
            uvLoop.deallocate()
        }
        readBuffer.deallocate()
    }

    // MARK: - Executor access

    /// The executor actors return from `unownedExecutor` to run on this loop.
    public var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// True when called on this loop's thread.
    public var isInLoopThread: Bool { executor.isInLoopThread }

    /// Stops the process when called off the loop thread: handles are loop-confined.
    func preconditionInLoopThread(_ what: @autoclosure () -> String = "libuv handle",
                                  file: StaticString = #fileID, line: UInt = #line) {
        precondition(executor.isInLoopThread, "\(what()) used off the loop thread of \(name)", file: file, line: line)
    }

    /// Runs `work` on the loop thread soon (never synchronously); safe from any thread.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        executor.execute(work)
    }

    /// Runs `body` on the loop thread and returns its result to the caller.
    public func submit<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            execute { continuation.resume(with: Result { try body() }) }
        }
    }

    /// The loop's cached clock in milliseconds (loop thread only).
    public var nowMilliseconds: UInt64 {
        preconditionInLoopThread("EventLoop.nowMilliseconds")
        return uv_now(uvLoop)
    }

    // MARK: - Shutdown

    /// Closes every handle, stops the thread and closes the loop; throws if libuv reports leftovers.
    ///
    /// Blocks until the loop thread has exited, so it must not be called on the loop thread.
    /// Calling it again returns the first outcome.
    public func shutdown() throws {
        precondition(!isInLoopThread, "EventLoop.shutdown() must not be called on its own loop thread")
        let result: Int32 = shutdownLock.withLock {
            if let done = shutdownResult { return done }
            executor.requestShutdown()
            pthread_join(thread, nil)
            shutdownResult = closeResult
            return closeResult
        }
        if result != 0 {
            let detail = leakedHandles.isEmpty ? "" : " (still open: \(leakedHandles.joined(separator: ", ")))"
            throw UVError(code: result, context: "event loop \(name) did not close cleanly\(detail)")
        }
    }

    /// `shutdown()` without blocking a cooperative thread; call it from outside the loop.
    public func shutdownGracefully() async throws {
        let outcome: Result<Void, any Error> = await withCheckedContinuation { continuation in
            var helper = pthread_t()
            let box = Unmanaged.passRetained(ShutdownBox(loop: self, continuation: continuation)).toOpaque()
            let created = pthread_create(&helper, nil, { argument in
                guard let argument else { return nil }
                let box = Unmanaged<ShutdownBox>.fromOpaque(argument).takeRetainedValue()
                box.continuation.resume(returning: Result { try box.loop.shutdown() })
                return nil
            }, box)
            if created == 0 {
                pthread_detach(helper)
            } else {
                let box = Unmanaged<ShutdownBox>.fromOpaque(box).takeRetainedValue()
                box.continuation.resume(returning: Result { try box.loop.shutdown() })
            }
        }
        try outcome.get()
    }

    private final class ShutdownBox {
        let loop: EventLoop
        let continuation: CheckedContinuation<Result<Void, any Error>, Never>
        init(loop: EventLoop, continuation: CheckedContinuation<Result<Void, any Error>, Never>) {
            self.loop = loop
            self.continuation = continuation
        }
    }

    // MARK: - Loop thread

    private func threadMain() {
        executor.adoptCurrentThread()
        edgelive_set_thread_name(String(decoding: name.utf8.prefix(15), as: UTF8.self))
        uv_run(uvLoop, UV_RUN_DEFAULT)
        // uv_run returns once the shutdown request closed every handle. Jobs queued meanwhile
        // (continuations resumed by close callbacks) still run, and whatever they open is closed.
        var rounds = 0
        while rounds < 100 {
            rounds += 1
            executor.runAllPending()
            if openHandles().isEmpty && uv_loop_alive(uvLoop) == 0 { break }
            closeAllHandles()
            uv_run(uvLoop, UV_RUN_DEFAULT)
        }
        closeResult = uv_loop_close(uvLoop)
        if closeResult != 0 {
            leakedHandles = openHandles().map { handle in
                String(cString: uv_handle_type_name(uv_handle_get_type(handle)))
            }
        }
        executor.releaseCurrentThread()
    }

    /// How many handles the loop knows now, closing or not, the loop's own wake-up handle included (loop thread
    /// only): a component that stopped must bring this back to where it was.
    public var handleCount: Int {
        preconditionInLoopThread("EventLoop.handleCount")
        return openHandles().count
    }

    /// Every handle the loop still knows, closing or not.
    private func openHandles() -> [UnsafeMutablePointer<uv_handle_t>] {
        var handles: [UnsafeMutablePointer<uv_handle_t>] = []
        withUnsafeMutablePointer(to: &handles) { list in
            uv_walk(uvLoop, { handle, argument in
                guard let handle, let argument else { return }
                argument.assumingMemoryBound(to: [UnsafeMutablePointer<uv_handle_t>].self).pointee.append(handle)
            }, list)
        }
        return handles
    }

    /// Closes every handle that is not already closing; runs on the loop thread.
    func closeAllHandles() {
        let asyncHandle = UnsafeMutableRawPointer(executor.asyncHandle)
        for handle in openHandles() where uv_is_closing(handle) == 0 {
            if UnsafeMutableRawPointer(handle) == asyncHandle {
                executor.closeAsyncHandle()
            } else if let data = handle.pointee.data {
                Unmanaged<LoopHandle>.fromOpaque(data).takeUnretainedValue().close()
            } else {
                uv_close(handle, nil)
            }
        }
    }
}
