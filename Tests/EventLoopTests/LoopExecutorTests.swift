// The loop's SerialExecutor: isolation, ordering, coalescing, and entry from libuv callbacks.
import TestSupport
import Testing
@testable import EventLoop

/// An actor that lives on the loop.
actor LoopCounter {
    let loop: EventLoop
    private(set) var count = 0
    private(set) var offLoopRuns = 0

    init(loop: EventLoop) { self.loop = loop }

    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.unownedExecutor }

    func increment() {
        if !loop.isInLoopThread { offLoopRuns += 1 }
        count += 1
    }

    func isOnLoopThread() -> Bool { loop.isInLoopThread }
}

@Suite struct LoopExecutorTests {
    @Test func actorJobsRunOnTheLoopThread() async throws {
        try await withLoop { loop in
            let counter = LoopCounter(loop: loop)
            #expect(await counter.isOnLoopThread())
            #expect(!loop.isInLoopThread)
            await counter.increment()
            #expect(await counter.count == 1)
        }
    }

    @Test func manyConcurrentTasksAreSerialised() async throws {
        try await withLoop { loop in
            let counter = LoopCounter(loop: loop)
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<2000 {
                    group.addTask { await counter.increment() }
                }
            }
            #expect(await counter.count == 2000)
            #expect(await counter.offLoopRuns == 0)
        }
    }

    @Test func assumeIsolatedWorksFromATimerCallback() async throws {
        try await withLoop { loop in
            let counter = LoopCounter(loop: loop)
            let onLoop: Bool = try await withCheckedThrowingContinuation { continuation in
                loop.execute {
                    do {
                        let timer = try LoopTimer(loop: loop)
                        timer.start(after: .milliseconds(5)) {
                            // A libuv callback, not a job: only isIsolatingCurrentContext makes this legal.
                            let inside = counter.assumeIsolated { counter -> Bool in
                                counter.increment()
                                return counter.loop.isInLoopThread
                            }
                            timer.close()
                            continuation.resume(returning: inside)
                        }
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
            #expect(onLoop)
            #expect(await counter.count == 1)
        }
    }

    @Test func executeRunsClosuresInOrderOnTheLoop() async throws {
        try await withLoop { loop in
            let seen = Locked<[Int]>([])
            let total = 500
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                for index in 0..<total {
                    loop.execute {
                        precondition(loop.isInLoopThread)
                        let count = seen.withLock { $0.append(index); return $0.count }
                        if count == total { continuation.resume() }
                    }
                }
            }
            #expect(seen.withLock { $0 } == Array(0..<total))
        }
    }

    @Test func wakeUpsAreCoalesced() async throws {
        try await withLoop { loop in
            let total = 20_000
            let done = Locked(0)
            let before = loop.executor.wakeUpCount
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                for _ in 0..<total {
                    loop.execute {
                        if done.withLock({ $0 += 1; return $0 }) == total { continuation.resume() }
                    }
                }
            }
            let wakeUps = loop.executor.wakeUpCount - before
            #expect(wakeUps >= 1)
            #expect(wakeUps < total / 10, "\(wakeUps) wake-ups for \(total) submissions")
            // Batches are bounded: the loop needed several callbacks to drain the backlog.
            let drains = try await loop.submit { loop.executor.drainCount }
            #expect(drains >= total / LoopExecutor.batchSize)
        }
    }

    @Test func submitReturnsValuesAndErrors() async throws {
        try await withLoop { loop in
            let value = try await loop.submit { loop.isInLoopThread ? 42 : 0 }
            #expect(value == 42)
            await #expect(throws: UVError.self) {
                try await loop.submit { () throws -> Int in throw UVError.timedOut }
            }
        }
    }

    @Test func shutdownClosesHandlesLeftOpen() async throws {
        let loop = try EventLoop()
        let closed = Locked(0)
        try await loop.submit {
            let timer = try LoopTimer(loop: loop)
            timer.start(after: .seconds(3600)) {}
            timer.whenClosed { closed.withLock { $0 += 1 } }
            let idle = try LoopTimer(loop: loop)
            idle.whenClosed { closed.withLock { $0 += 1 } }
            let server = try TCPServer.listen(loop: loop, host: "127.0.0.1", port: 0) { _ in }
            server.whenClosed { closed.withLock { $0 += 1 } }
        }
        try loop.shutdown()
        #expect(closed.withLock { $0 } == 3)
        // A second call reports the same clean outcome.
        try loop.shutdown()
    }

    @Test func gracefulShutdownFromAsyncContext() async throws {
        let loop = try EventLoop()
        let counter = LoopCounter(loop: loop)
        await counter.increment()
        try await loop.shutdownGracefully()
    }
}
