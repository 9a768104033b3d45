// The SerialExecutor that runs actor jobs on the loop thread.
import CLibUV
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Marks which LoopExecutor (if any) owns the current thread; set once by each loop thread.
let loopThreadKey: pthread_key_t = {
    var key = pthread_key_t()
    let result = pthread_key_create(&key, nil)
    precondition(result == 0, "pthread_key_create failed: \(result)")
    return key
}()

/// Runs actor jobs and submitted closures on its loop thread, woken by one coalesced `uv_async_t`.
public final class LoopExecutor: SerialExecutor, @unchecked Sendable {
    /// Work waiting for the loop thread.
    enum Item {
        case job(UnownedJob)
        case work(@Sendable () -> Void)
    }

    /// Jobs run per async callback before the loop gets to poll sockets again.
    static let batchSize = 64

    private let lock = Lock()
    // MARK: Guarded by `lock`
    private var pending: [Item] = []
    private var wakePending = false
    private var asyncClosed = false
    private var shutdownRequested = false
    private var wakeUps = 0
    // MARK: Loop thread only
    private var ready: [Item] = []
    private var readyIndex = 0
    private var callbacks = 0
    let asyncHandle: UnsafeMutablePointer<uv_async_t>
    /// Called on the loop thread once `requestShutdown()` has been seen.
    var onShutdownRequested: (() -> Void)?

    init(loop: UnsafeMutablePointer<uv_loop_t>) throws(UVError) {
        asyncHandle = UnsafeMutablePointer<uv_async_t>.allocate(capacity: 1)
        asyncHandle.initialize(to: uv_async_t())
        let result = uv_async_init(loop, asyncHandle) { handle in
            guard let handle, let data = handle.pointee.data else { return }
            Unmanaged<LoopExecutor>.fromOpaque(data).takeUnretainedValue().drain()
        }
        if result != 0 {
            asyncHandle.deallocate()
            throw UVError(code: result, context: "cannot create the event loop wake-up handle")
        }
        // Unretained: the EventLoop owns the executor and outlives the handle.
        asyncHandle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    // MARK: - SerialExecutor

    public func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Lets `assumeIsolated` succeed from libuv callbacks, which run on the loop thread outside any job.
    public func checkIsolated() {
        precondition(isInLoopThread, "expected to run on the edgelive loop thread")
    }

    /// True on the loop thread, so `assumeIsolated` from libuv callbacks is allowed.
    public func isIsolatingCurrentContext() -> Bool? {
        isInLoopThread
    }

    /// True when the calling thread is this executor's loop thread.
    public var isInLoopThread: Bool {
        pthread_getspecific(loopThreadKey) == Unmanaged.passUnretained(self).toOpaque()
    }

    // MARK: - Queue

    /// Runs `work` on the loop thread soon.
    func execute(_ work: @escaping @Sendable () -> Void) {
        submit(.work(work))
    }

    private func submit(_ item: Item) {
        lock.withLock {
            pending.append(item)
            // Coalesce: one uv_async_send per drain; sending under the lock keeps it from racing the close.
            if !wakePending && !asyncClosed {
                wakePending = true
                wakeUps += 1
                uv_async_send(asyncHandle)
            }
        }
    }

    /// Asks the loop thread to wind down; safe from any thread.
    func requestShutdown() {
        lock.withLock {
            shutdownRequested = true
            if !asyncClosed {
                wakePending = true
                uv_async_send(asyncHandle)
            }
        }
    }

    /// How many times other threads woke the loop (coalescing makes this far smaller than the job count).
    var wakeUpCount: Int { lock.withLock { wakeUps } }
    /// How many async callbacks ran (loop thread only).
    var drainCount: Int { callbacks }

    /// The async callback: runs one bounded batch, then re-arms if more is waiting.
    private func drain() {
        callbacks += 1
        let shuttingDown = lock.withLock { shutdownRequested }
        runBatch(limit: Self.batchSize)
        lock.withLock {
            let more = readyIndex < ready.count || !pending.isEmpty
            if more && !asyncClosed {
                // Leave the remainder for the next iteration so sockets are polled in between.
                uv_async_send(asyncHandle)
            } else {
                wakePending = false
            }
        }
        if shuttingDown, let hook = onShutdownRequested {
            onShutdownRequested = nil
            hook()
        }
    }

    /// Runs up to `limit` items; returns how many ran.
    @discardableResult
    func runBatch(limit: Int) -> Int {
        if readyIndex >= ready.count {
            ready.removeAll(keepingCapacity: true)
            readyIndex = 0
            lock.withLock { swap(&ready, &pending) }
        }
        var ran = 0
        while ran < limit && readyIndex < ready.count {
            let item = ready[readyIndex]
            readyIndex += 1
            ran += 1
            switch item {
            case .job(let job): job.runSynchronously(on: asUnownedSerialExecutor())
            case .work(let work): work()
            }
        }
        return ran
    }

    /// Runs everything queued, including what those jobs enqueue, up to `maxRounds` batches.
    func runAllPending(maxRounds: Int = 10_000) {
        var rounds = 0
        while rounds < maxRounds && runBatch(limit: Self.batchSize) > 0 { rounds += 1 }
    }

    /// Closes the wake-up handle; later submissions wait in the queue for the final drain.
    func closeAsyncHandle() {
        let handle: UnsafeMutablePointer<uv_async_t>? = lock.withLock {
            if asyncClosed { return nil }
            asyncClosed = true
            return asyncHandle
        }
        guard let handle else { return }
        handle.withMemoryRebound(to: uv_handle_t.self, capacity: 1) { raw in
            uv_close(raw) { closed in
                closed?.withMemoryRebound(to: uv_async_t.self, capacity: 1) { $0.deallocate() }
            }
        }
    }

    /// Marks the calling thread as this executor's loop thread.
    func adoptCurrentThread() {
        pthread_setspecific(loopThreadKey, Unmanaged.passUnretained(self).toOpaque())
    }

    func releaseCurrentThread() {
        pthread_setspecific(loopThreadKey, nil)
    }
}
