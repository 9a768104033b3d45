// WATCHDOG=1 sent from the event loop itself, so a wedged loop stops the pings and systemd restarts us.
import EventLoop
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pings systemd's watchdog from a timer on the loop thread every half interval.
///
/// The ping is deliberately not sent from a helper thread: only a loop that still runs its timers
/// proves the service works. Loop-confined: create and stop it on the loop thread (or use `start`).
public final class LoopWatchdog: @unchecked Sendable {
    /// The loop whose liveness the pings prove.
    public let loop: EventLoop
    /// Where the pings go.
    public let notifier: SystemdNotifier
    /// Time between pings: half of systemd's `WatchdogSec=`, so one late ping is not yet fatal.
    public let pingInterval: Duration
    /// Pings sent so far (loop thread only).
    public private(set) var pingCount = 0
    private var timer: LoopTimer?
    private var stallHook: SignalWatcher?

    /// How long the debug hook blocks the loop thread: far beyond any sane `WatchdogSec=`.
    static let debugStallDuration = Duration.seconds(600)

    /// Starts pinging every `watchdogInterval / 2`, the first ping at once (loop thread only).
    ///
    /// With `debugHooks` (default: `EDGELIVE_DEBUG_HOOKS=1` in the environment) it also installs a
    /// test hook: SIGUSR2 blocks the loop thread for ten minutes, so an install test can prove that
    /// systemd kills and restarts a wedged service. Never enable it in production.
    public convenience init(loop: EventLoop, notifier: SystemdNotifier, watchdogInterval: Duration,
                            debugHooks: Bool = LoopWatchdog.debugHooksEnabled) throws(UVError) {
        try self.init(loop: loop, notifier: notifier, watchdogInterval: watchdogInterval,
                      stallOnSIGUSR2: debugHooks ? Self.debugStallDuration : nil)
    }

    /// The designated initializer; tests use a short stall.
    init(loop: EventLoop, notifier: SystemdNotifier, watchdogInterval: Duration,
         stallOnSIGUSR2 stall: Duration?) throws(UVError) {
        precondition(loop.isInLoopThread, "LoopWatchdog must be created on the loop thread of \(loop.name)")
        precondition(watchdogInterval > .zero, "LoopWatchdog needs a positive watchdog interval")
        self.loop = loop
        self.notifier = notifier
        pingInterval = watchdogInterval / 2
        let timer = try LoopTimer(loop: loop)
        if let stall {
            do {
                stallHook = try SignalWatcher(loop: loop, signal: SIGUSR2) { _ in
                    Self.blockCurrentThread(for: stall)
                }
            } catch {
                timer.close()
                throw error
            }
        }
        self.timer = timer
        // The timer holds the watchdog until stop() or loop shutdown closes it: pinging is its purpose.
        timer.start(after: .zero, repeat: pingInterval) { self.ping() }
    }

    /// Starts a watchdog on `loop` when systemd enabled one (`WatchdogSec=`); nil otherwise. Any thread.
    public static func start(on loop: EventLoop, notifier: SystemdNotifier) async throws -> LoopWatchdog? {
        guard let interval = notifier.watchdogInterval else { return nil }
        return try await loop.submit { try LoopWatchdog(loop: loop, notifier: notifier, watchdogInterval: interval) }
    }

    /// True when the environment enables the debug hooks (`EDGELIVE_DEBUG_HOOKS=1`).
    public static var debugHooksEnabled: Bool { environmentValue("EDGELIVE_DEBUG_HOOKS") == "1" }

    /// Stops pinging and removes the debug hook; idempotent (loop thread only). Stop only when the
    /// service is exiting: systemd treats missing pings as a hang.
    public func stop() {
        precondition(loop.isInLoopThread, "LoopWatchdog.stop must run on the loop thread of \(loop.name)")
        timer?.close()
        timer = nil
        stallHook?.close()
        stallHook = nil
    }

    private func ping() {
        pingCount += 1
        notifier.watchdog()
    }

    /// Sleeps the calling thread for `duration`, resuming after signals interrupt the sleep.
    private static func blockCurrentThread(for duration: Duration) {
        let parts = duration.components
        var remaining = timespec(tv_sec: Int(parts.seconds), tv_nsec: Int(parts.attoseconds / 1_000_000_000))
        var left = timespec()
        while nanosleep(&remaining, &left) != 0 && errno == EINTR {
            remaining = left
        }
    }
}
