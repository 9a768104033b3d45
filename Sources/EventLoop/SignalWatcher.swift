// Unix signals delivered on the loop thread.
import CLibUV

/// Watches one Unix signal (SIGINT, SIGTERM, SIGHUP…) and calls back on the loop thread.
/// Loop-confined: create and close it on the loop thread.
public final class SignalWatcher: LoopHandle, @unchecked Sendable {
    private var handler: ((Int32) -> Void)?

    var signalHandle: UnsafeMutablePointer<uv_signal_t> { UnsafeMutablePointer<uv_signal_t>(OpaquePointer(raw)) }

    /// Starts watching `signal`; `handler` gets the signal number each time it arrives.
    public init(loop: EventLoop, signal: Int32, handler: @escaping (Int32) -> Void) throws(UVError) {
        super.init(loop: loop, type: UV_SIGNAL)
        try UVError.check(uv_signal_init(loop.uvLoop, signalHandle), "cannot create a signal watcher")
        adopt()
        self.handler = handler
        let result = uv_signal_start(signalHandle, { handle, number in
            guard let handle, let data = handle.pointee.data else { return }
            Unmanaged<SignalWatcher>.fromOpaque(data).takeUnretainedValue().handler?(number)
        }, signal)
        if result != 0 {
            close()
            throw UVError(code: result, context: "cannot watch signal \(signal)")
        }
    }

    /// One watcher per signal in `signals`, all calling `handler`.
    public static func watch(loop: EventLoop, signals: [Int32],
                             handler: @escaping (Int32) -> Void) throws(UVError) -> [SignalWatcher] {
        var watchers: [SignalWatcher] = []
        for signal in signals {
            do {
                watchers.append(try SignalWatcher(loop: loop, signal: signal, handler: handler))
            } catch {
                for watcher in watchers { watcher.close() }
                throw error
            }
        }
        return watchers
    }

    override func didClose() {
        handler = nil
        super.didClose()
    }
}
