// sd_notify for a Type=notify service: READY, STATUS, WATCHDOG, STOPPING, EXTEND_TIMEOUT_USEC.
import CSystemd
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tells systemd the service state over `NOTIFY_SOCKET`; only exists when systemd asked for notifications.
public struct SystemdNotifier: Sendable {
    /// The datagram socket systemd listens on (`NOTIFY_SOCKET`), for messages.
    public let socketPath: String
    /// How often systemd expects `WATCHDOG=1` (`WatchdogSec=`), or nil when the watchdog is off.
    public let watchdogInterval: Duration?

    /// A notifier for the given socket; `fromEnvironment()` is the normal way to get one.
    public init(socketPath: String, watchdogInterval: Duration?) {
        self.socketPath = socketPath
        self.watchdogInterval = watchdogInterval
    }

    /// The notifier systemd configured for this process, or nil when `NOTIFY_SOCKET` is unset
    /// (a development run), so callers skip every notification with one `if let`.
    public static func fromEnvironment() -> SystemdNotifier? {
        guard let path = environmentValue("NOTIFY_SOCKET"), !path.isEmpty else { return nil }
        return SystemdNotifier(socketPath: path, watchdogInterval: configuredWatchdogInterval())
    }

    // MARK: - Watchdog configuration

    /// The interval from `sd_watchdog_enabled`: `WATCHDOG_USEC`, honoured only when `WATCHDOG_PID` is
    /// absent or names this process (a child must not ping for its parent).
    static func configuredWatchdogInterval() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0 else { return nil }
        return watchdogInterval(microseconds: String(microseconds), pid: nil, processID: getpid())
    }

    /// Parses `WATCHDOG_USEC`/`WATCHDOG_PID` the way systemd defines them; nil when the watchdog is off
    /// for `processID` or the values are malformed.
    public static func watchdogInterval(microseconds: String?, pid: String?, processID: Int32) -> Duration? {
        guard let microseconds, let value = UInt64(microseconds), value > 0, value < UInt64(Int64.max) else {
            return nil
        }
        if let pid {
            guard let owner = Int32(pid), owner > 0, owner == processID else { return nil }
        }
        return .microseconds(Int64(value))
    }

    // MARK: - Notifications

    /// `READY=1`: every listener is bound and state is loaded; optionally with a first `STATUS=`.
    @discardableResult
    public func ready(status: String? = nil) -> Bool {
        send(["READY=1"] + (status.map { ["STATUS=" + Self.oneLine($0)] } ?? []))
    }

    /// `STATUS=`: the one-line text `systemctl status` shows.
    @discardableResult
    public func status(_ text: String) -> Bool {
        send(["STATUS=" + Self.oneLine(text)])
    }

    /// `STOPPING=1`: graceful shutdown has begun.
    @discardableResult
    public func stopping(status: String? = nil) -> Bool {
        send(["STOPPING=1"] + (status.map { ["STATUS=" + Self.oneLine($0)] } ?? []))
    }

    /// `WATCHDOG=1`: the service is alive; send it from the thread whose liveness matters (the loop).
    @discardableResult
    public func watchdog() -> Bool {
        send(["WATCHDOG=1"])
    }

    /// `EXTEND_TIMEOUT_USEC=`: asks systemd for `seconds` more before a start or stop timeout fires.
    @discardableResult
    public func extendTimeout(seconds: Int) -> Bool {
        send(["EXTEND_TIMEOUT_USEC=\(max(0, seconds) * 1_000_000)"])
    }

    /// The STATUS text for the running appliance, e.g. "2 live events running, 15 viewers".
    public static func statusText(runningEvents: Int, viewers: Int) -> String {
        let events = runningEvents == 1 ? "1 live event running" : "\(runningEvents) live events running"
        let watching = viewers == 1 ? "1 viewer" : "\(viewers) viewers"
        return "\(events), \(watching)"
    }

    /// Sends the assignments as one datagram; true when systemd received it. A failure is not thrown:
    /// the service keeps running, and a missed WATCHDOG is exactly what systemd is there to notice.
    @discardableResult
    public func send(_ assignments: [String]) -> Bool {
        sd_notify(0, assignments.joined(separator: "\n")) > 0
    }

    /// Assignments are newline-separated, so a value must not contain one.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}

/// The value of an environment variable, or nil when unset.
func environmentValue(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}
