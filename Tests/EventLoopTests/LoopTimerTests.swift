// Timers and signals.
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import EventLoop

@Suite struct LoopTimerTests {
    @Test func oneShotTimerFiresAfterItsDelay() async throws {
        try await withLoop { loop in
            let elapsed: UInt64 = try await withCheckedThrowingContinuation { continuation in
                loop.execute {
                    do {
                        let timer = try LoopTimer(loop: loop)
                        let start = loop.nowMilliseconds
                        timer.start(after: .milliseconds(30)) {
                            let now = loop.nowMilliseconds
                            timer.close()
                            continuation.resume(returning: now - start)
                        }
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
            #expect(elapsed >= 30)
            #expect(elapsed < 2000)
        }
    }

    @Test func repeatingTimerFiresUntilStopped() async throws {
        try await withLoop { loop in
            let fired: Int = try await withCheckedThrowingContinuation { continuation in
                loop.execute {
                    do {
                        let timer = try LoopTimer(loop: loop)
                        let count = LoopBox(0)
                        timer.start(after: .milliseconds(1), repeat: .milliseconds(2)) {
                            count.value += 1
                            if count.value == 5 {
                                timer.stop()
                                // A stopped timer must stay quiet.
                                let check = try? LoopTimer(loop: loop)
                                check?.start(after: .milliseconds(20)) {
                                    check?.close()
                                    timer.close()
                                    continuation.resume(returning: count.value)
                                }
                            }
                        }
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
            #expect(fired == 5)
        }
    }

    @Test func signalWatcherSeesSIGHUP() async throws {
        try await withLoop { loop in
            let received: Int32 = try await withCheckedThrowingContinuation { continuation in
                loop.execute {
                    do {
                        let watchers = try SignalWatcher.watch(loop: loop, signals: [SIGHUP]) { number in
                            continuation.resume(returning: number)
                        }
                        #expect(watchers.count == 1)
                        // Closed by loop shutdown: that path is part of the test.
                        kill(getpid(), SIGHUP)
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
            #expect(received == SIGHUP)
        }
    }
}
