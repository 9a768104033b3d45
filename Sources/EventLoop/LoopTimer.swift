// One-shot and repeating timers.
import CLibUV

/// A libuv timer. Loop-confined: create and use it on the loop thread; the callback runs there.
public final class LoopTimer: LoopHandle, @unchecked Sendable {
    private var callback: (() -> Void)?

    var timer: UnsafeMutablePointer<uv_timer_t> { UnsafeMutablePointer<uv_timer_t>(OpaquePointer(raw)) }

    /// Creates a stopped timer.
    public init(loop: EventLoop) throws(UVError) {
        super.init(loop: loop, type: UV_TIMER)
        try UVError.check(uv_timer_init(loop.uvLoop, timer), "cannot create a timer")
        adopt()
    }

    /// (Re)starts the timer: first fire after `delay`, then every `interval` if given.
    public func start(after delay: Duration, repeat interval: Duration? = nil, _ callback: @escaping () -> Void) {
        loop.preconditionInLoopThread("LoopTimer.start")
        guard !isClosed else { return }
        self.callback = callback
        let repeatMilliseconds = interval.map { max(1, $0.uvMilliseconds) } ?? 0
        // libuv counts from the time cached at the start of this loop iteration; after a long iteration (a busy
        // machine) that is stale and the timer would fire early. Count from now.
        uv_update_time(loop.uvLoop)
        uv_timer_start(timer, { timer in
            guard let timer, let data = timer.pointee.data else { return }
            Unmanaged<LoopTimer>.fromOpaque(data).takeUnretainedValue().fire()
        }, delay.uvMilliseconds, repeatMilliseconds)
    }

    private func fire() {
        // Keep the callback alive while it runs even if it restarts or closes the timer.
        let current = callback
        if uv_timer_get_repeat(timer) == 0 && uv_is_active(handle) == 0 { callback = nil }
        current?()
    }

    /// Stops the timer; it can be started again.
    public func stop() {
        loop.preconditionInLoopThread("LoopTimer.stop")
        guard !isClosed else { return }
        uv_timer_stop(timer)
        callback = nil
    }

    override func didClose() {
        callback = nil
        super.didClose()
    }
}
