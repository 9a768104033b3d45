// LoopWatchdog: pings come from the loop thread, so a blocked loop stops them.
import EventLoop
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Systemd

extension SystemdEnvironmentTests {
    @Suite struct LoopWatchdogTests {
        @Test func pingsArriveWhileTheLoopRuns() async throws {
            let socket = try NotifySocket()
            try await withEnvironment(["NOTIFY_SOCKET": socket.path]) {
                let notifier = SystemdNotifier(socketPath: socket.path, watchdogInterval: .milliseconds(200))
                try await withLoop { loop in
                    let watchdog = try #require(try await LoopWatchdog.start(on: loop, notifier: notifier))
                    #expect(watchdog.pingInterval == .milliseconds(100))
                    for _ in 0..<4 {
                        #expect(socket.receive(timeout: .seconds(2)) == "WATCHDOG=1")
                    }
                    let sent = try await loop.submit { watchdog.pingCount }
                    #expect(sent >= 4)
                    try await loop.submit { watchdog.stop() }
                    socket.drain()
                    #expect(socket.receive(timeout: .milliseconds(400)) == nil)
                }
            }
        }

        @Test func noWatchdogWhenSystemdDidNotAskForOne() async throws {
            let notifier = SystemdNotifier(socketPath: "/unused", watchdogInterval: nil)
            try await withLoop { loop in
                let watchdog = try await LoopWatchdog.start(on: loop, notifier: notifier)
                #expect(watchdog == nil)
            }
        }

        /// The SIGUSR2 test hook stalls the loop thread; pings must stop for the stall and then resume.
        @Test func pingsStopWhileTheLoopThreadIsBlocked() async throws {
            let socket = try NotifySocket()
            try await withEnvironment(["NOTIFY_SOCKET": socket.path]) {
                let notifier = SystemdNotifier(socketPath: socket.path, watchdogInterval: .milliseconds(100))
                try await withLoop { loop in
                    let watchdog = try await loop.submit {
                        try LoopWatchdog(loop: loop, notifier: notifier, watchdogInterval: .milliseconds(100),
                                         stallOnSIGUSR2: .milliseconds(900))
                    }
                    #expect(socket.receive(timeout: .seconds(2)) == "WATCHDOG=1")
                    let clock = ContinuousClock()
                    kill(getpid(), SIGUSR2)
                    var arrivals: [ContinuousClock.Instant] = [clock.now]
                    let end = clock.now + .milliseconds(2500)
                    while clock.now < end {
                        if socket.receive(timeout: .milliseconds(50)) != nil { arrivals.append(clock.now) }
                    }
                    let gaps = zip(arrivals.dropFirst(), arrivals).map { $0 - $1 }
                    let longest = try #require(gaps.max())
                    // Pings every 50 ms normally; the 900 ms stall must show as one long silence…
                    #expect(longest >= .milliseconds(600))
                    // …after which the loop pings again.
                    let lastGapIndex = try #require(gaps.firstIndex(of: longest))
                    #expect(arrivals.count > lastGapIndex + 2)
                    try await loop.submit { watchdog.stop() }
                }
            }
        }
    }
}
