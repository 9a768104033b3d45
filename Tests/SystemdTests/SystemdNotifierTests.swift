// SystemdNotifier against a real AF_UNIX datagram socket passed as NOTIFY_SOCKET.
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Systemd

extension SystemdEnvironmentTests {
    @Suite struct SystemdNotifierTests {
        @Test func noNotifierWithoutNotifySocket() async throws {
            try await withEnvironment(["NOTIFY_SOCKET": nil]) {
                #expect(SystemdNotifier.fromEnvironment() == nil)
            }
        }

        @Test func notificationsArriveAsDatagrams() async throws {
            let socket = try NotifySocket()
            try await withEnvironment(["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
                let notifier = try #require(SystemdNotifier.fromEnvironment())
                #expect(notifier.socketPath == socket.path)
                #expect(notifier.watchdogInterval == nil)

                #expect(notifier.ready(status: "state loaded"))
                #expect(socket.receive(timeout: .seconds(2)) == "READY=1\nSTATUS=state loaded")

                let text = SystemdNotifier.statusText(runningEvents: 2, viewers: 15)
                #expect(notifier.status(text))
                #expect(socket.receive(timeout: .seconds(2)) == "STATUS=2 live events running, 15 viewers")

                // A newline would start a new assignment; it must not reach systemd.
                #expect(notifier.status("line one\nREADY=1"))
                #expect(socket.receive(timeout: .seconds(2)) == "STATUS=line one READY=1")

                #expect(notifier.watchdog())
                #expect(socket.receive(timeout: .seconds(2)) == "WATCHDOG=1")

                #expect(notifier.extendTimeout(seconds: 30))
                #expect(socket.receive(timeout: .seconds(2)) == "EXTEND_TIMEOUT_USEC=30000000")

                #expect(notifier.stopping())
                #expect(socket.receive(timeout: .seconds(2)) == "STOPPING=1")
                #expect(socket.receive(timeout: .milliseconds(50)) == nil)
            }
        }

        @Test func sendReportsFailureWhenNobodyListens() async throws {
            try await withEnvironment(["NOTIFY_SOCKET": "/tmp/edgelive-no-such-dir/notify.sock"]) {
                let notifier = try #require(SystemdNotifier.fromEnvironment())
                #expect(!notifier.watchdog())
            }
        }

        @Test func watchdogIntervalFromEnvironment() async throws {
            let socket = try NotifySocket()
            let me = String(getpid())
            try await withEnvironment(["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": me]) {
                let notifier = try #require(SystemdNotifier.fromEnvironment())
                #expect(notifier.watchdogInterval == .seconds(3))
            }
            try await withEnvironment(["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "500000", "WATCHDOG_PID": nil]) {
                let notifier = try #require(SystemdNotifier.fromEnvironment())
                #expect(notifier.watchdogInterval == .milliseconds(500))
            }
            // The watchdog belongs to another process (we are its child): not ours to ping.
            try await withEnvironment(["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "1"]) {
                let notifier = try #require(SystemdNotifier.fromEnvironment())
                #expect(notifier.watchdogInterval == nil)
            }
        }
    }
}

@Test func watchdogIntervalParsing() {
    #expect(SystemdNotifier.watchdogInterval(microseconds: "20000000", pid: nil, processID: 42) == .seconds(20))
    #expect(SystemdNotifier.watchdogInterval(microseconds: "1500", pid: "42", processID: 42) == .microseconds(1500))
    #expect(SystemdNotifier.watchdogInterval(microseconds: "1500", pid: "43", processID: 42) == nil)
    #expect(SystemdNotifier.watchdogInterval(microseconds: "1500", pid: "x", processID: 42) == nil)
    #expect(SystemdNotifier.watchdogInterval(microseconds: "0", pid: nil, processID: 42) == nil)
    #expect(SystemdNotifier.watchdogInterval(microseconds: "-5", pid: nil, processID: 42) == nil)
    #expect(SystemdNotifier.watchdogInterval(microseconds: "20s", pid: nil, processID: 42) == nil)
    #expect(SystemdNotifier.watchdogInterval(microseconds: nil, pid: "42", processID: 42) == nil)
}

@Test func statusTextCountsEventsAndViewers() {
    #expect(SystemdNotifier.statusText(runningEvents: 1, viewers: 1) == "1 live event running, 1 viewer")
    #expect(SystemdNotifier.statusText(runningEvents: 0, viewers: 0) == "0 live events running, 0 viewers")
}
