// Child processes and their stdio pipes over the loop.
import TestSupport
import Testing
import Foundation
import CLibUV
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import EventLoop

/// What a finished child produced.
struct ChildOutcome: Sendable {
    var stdout: [UInt8] = []
    var stdoutEnd: UVError?
    var status: Int64 = -1
    var signal: Int32 = -1
    /// How many times reading paused for backpressure.
    var pauses = 0
}

/// Spawns a child, lets `feed` use its stdin, collects stdout to EOF and waits for the exit.
func runChild(loop: EventLoop, executable: String, arguments: [String], stdin: Bool = false,
              environment: [String: String]? = nil, pauseEveryBytes: Int = 0,
              started: @escaping @Sendable (ChildProcess) -> Void = { _ in }) async throws -> ChildOutcome {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ChildOutcome, any Error>) in
        loop.execute {
            let outcome = LoopBox(ChildOutcome())
            var pending = 2
            func finishOne() {
                pending -= 1
                if pending == 0 { continuation.resume(returning: outcome.value) }
            }
            do {
                let child = try ChildProcess.spawn(loop: loop, executable: executable, arguments: arguments,
                                                   environment: environment, stdin: stdin, stdout: true,
                                                   stderr: false) { status, signal in
                    outcome.value.status = status
                    outcome.value.signal = signal
                    finishOne()
                }
                #expect(child.pid > 0)
                guard let stdout = child.stdoutPipe else {
                    Issue.record("no stdout pipe")
                    return
                }
                let sincePause = LoopBox(0)
                stdout.startReading(onRead: { bytes in
                    outcome.value.stdout.append(contentsOf: bytes)
                    sincePause.value += bytes.count
                    // A slow consumer: stop reading for a while; the child must block, not lose data.
                    if pauseEveryBytes > 0 && sincePause.value >= pauseEveryBytes {
                        sincePause.value = 0
                        outcome.value.pauses += 1
                        stdout.stopReading()
                        #expect(!stdout.isReading)
                        do {
                            let timer = try LoopTimer(loop: loop)
                            timer.start(after: .milliseconds(20)) {
                                timer.close()
                                stdout.resumeReading()
                            }
                        } catch {
                            Issue.record("timer failed: \(error)")
                        }
                    }
                }, onEnd: { error in
                    outcome.value.stdoutEnd = error
                    stdout.close()
                    finishOne()
                })
                started(child)
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}

/// Handles on the loop that are open and not closing, other than the executor's wake-up handle.
func liveHandleCount(loop: EventLoop) async throws -> Int {
    try await loop.submit {
        var count = 0
        withUnsafeMutablePointer(to: &count) { counter in
            uv_walk(loop.uvLoop, { handle, argument in
                guard let handle, let argument, uv_is_closing(handle) == 0 else { return }
                argument.assumingMemoryBound(to: Int.self).pointee += 1
            }, counter)
        }
        // The executor's async handle is always open while the loop runs.
        return count - 1
    }
}

@Suite struct ChildProcessTests {
    @Test func echoWritesHelloAndExitsZero() async throws {
        try await withLoop { loop in
            let outcome = try await runChild(loop: loop, executable: "/bin/echo", arguments: ["hello"])
            #expect(String(decoding: outcome.stdout, as: UTF8.self) == "hello\n")
            #expect(outcome.stdoutEnd == nil)
            #expect(outcome.status == 0)
            #expect(outcome.signal == 0)
        }
    }

    @Test func environmentIsPassedWhenGiven() async throws {
        try await withLoop { loop in
            let outcome = try await runChild(loop: loop, executable: "/bin/sh", arguments: ["-c", "echo $EDGELIVE_X"],
                                             environment: ["EDGELIVE_X": "worker-7"])
            #expect(String(decoding: outcome.stdout, as: UTF8.self) == "worker-7\n")
            #expect(outcome.status == 0)
        }
    }

    @Test func nonZeroExitStatusIsReported() async throws {
        try await withLoop { loop in
            let outcome = try await runChild(loop: loop, executable: "/bin/sh", arguments: ["-c", "exit 3"])
            #expect(outcome.status == 3)
            #expect(outcome.signal == 0)
        }
    }

    @Test func catEchoesFourMebibytesWithBackpressure() async throws {
        try await withLoop { loop in
            let payload = patternBytes(count: 4 * 1024 * 1024)
            let maxQueued = LoopBox(0)
            let outcome = try await runChild(loop: loop, executable: "/bin/cat", arguments: [], stdin: true,
                                             pauseEveryBytes: 1024 * 1024) { child in
                guard let stdin = child.stdinPipe else {
                    Issue.record("no stdin pipe")
                    return
                }
                // Feed 64 KiB at a time, only while the pipe keeps up, so memory stays bounded.
                let offset = LoopBox(0)
                let ending = LoopBox(false)
                func pump() {
                    while offset.value < payload.count && stdin.writeQueueSize < 256 * 1024 {
                        let end = min(offset.value + 64 * 1024, payload.count)
                        let chunk = payload[offset.value..<end]
                        offset.value = end
                        stdin.write(chunk) { error in
                            if let error { Issue.record("write failed: \(error)") }
                            pump()
                        }
                        maxQueued.value = max(maxQueued.value, stdin.writeQueueSize)
                    }
                    if offset.value == payload.count && stdin.writeQueueSize == 0 && !ending.value {
                        ending.value = true
                        stdin.shutdown { _ in stdin.close() }
                    }
                }
                pump()
            }
            #expect(outcome.stdout.count == payload.count)
            #expect(outcome.stdout == payload)
            #expect(outcome.pauses >= 3)
            #expect(outcome.status == 0)
            #expect(outcome.signal == 0)
            // The bound held: the queue never grew far past the threshold.
            #expect(maxQueued.value <= 256 * 1024 + 64 * 1024)
        }
    }

    @Test func sigkillIsReportedAsTheTerminatingSignal() async throws {
        try await withLoop { loop in
            let outcome = try await runChild(loop: loop, executable: "/bin/sleep", arguments: ["30"]) { child in
                do {
                    try child.kill(signal: SIGKILL)
                } catch {
                    Issue.record("kill failed: \(error)")
                }
            }
            #expect(outcome.signal == 9)
            #expect(outcome.stdout.isEmpty)
        }
    }

    @Test func missingExecutableThrowsAndLeaksNoHandle() async throws {
        try await withLoop { loop in
            let before = try await liveHandleCount(loop: loop)
            let error: UVError? = try await loop.submit { () -> UVError? in
                do throws(UVError) {
                    _ = try ChildProcess.spawn(loop: loop, executable: "/nonexistent/edgelive-worker", arguments: [],
                                               stdin: true, stdout: true, stderr: true) { _, _ in
                        Issue.record("onExit must not run for a failed spawn")
                    }
                    return nil
                } catch {
                    return error
                }
            }
            let thrown = try #require(error)
            #expect(thrown.code == UV_ENOENT.rawValue)
            #expect(thrown.description.contains("/nonexistent/edgelive-worker"))
            #expect(thrown.description.contains("no such file or directory"))
            #expect(try await liveHandleCount(loop: loop) == before)
        }
    }

    @Test func stderrCanBePipedSeparately() async throws {
        try await withLoop { loop in
            let result: (err: [UInt8], status: Int64) = try await withCheckedThrowingContinuation { continuation in
                loop.execute {
                    let collected = LoopBox<[UInt8]>([])
                    let status = LoopBox<Int64?>(nil)
                    let ended = LoopBox(false)
                    func finishIfDone() {
                        if ended.value, let code = status.value { continuation.resume(returning: (collected.value, code)) }
                    }
                    do {
                        let child = try ChildProcess.spawn(loop: loop, executable: "/bin/sh",
                                                           arguments: ["-c", "echo oops >&2; exit 2"],
                                                           stdin: false, stdout: false, stderr: true) { code, _ in
                            status.value = code
                            finishIfDone()
                        }
                        #expect(child.stdinPipe == nil)
                        #expect(child.stdoutPipe == nil)
                        let stderr = try #require(child.stderrPipe)
                        stderr.startReading(onRead: { collected.value.append(contentsOf: $0) }, onEnd: { _ in
                            stderr.close()
                            ended.value = true
                            finishIfDone()
                        })
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
            #expect(String(decoding: result.err, as: UTF8.self) == "oops\n")
            #expect(result.status == 2)
        }
    }

    #if os(Linux)
    @Test func closingARunningChildKillsIt() async throws {
        try await withLoop { loop in
            let pid: Int32 = try await loop.submit {
                let child = try ChildProcess.spawn(loop: loop, executable: "/bin/sleep", arguments: ["30"],
                                                   stdin: false, stdout: false, stderr: false) { _, _ in
                    Issue.record("onExit must not run after close")
                }
                child.close()
                return child.pid
            }
            #expect(pid > 0)
            // The closed handle no longer reaps, so the killed child shows as a zombie ("Z"), not running.
            var state = ""
            for _ in 0..<200 {
                let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
                state = stat.split(separator: ")").last.map { String($0.dropFirst().prefix(1)) } ?? ""
                if state == "Z" || stat.isEmpty { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(state == "Z" || state == "")
        }
    }
    #endif

    @Test func writingToAnExitedChildFailsWithEPIPEInsteadOfKillingUs() async throws {
        try await withLoop { loop in
            let error: UVError? = try await withCheckedThrowingContinuation { continuation in
                loop.execute {
                    do {
                        let holder = LoopBox<PipeConnection?>(nil)
                        let child = try ChildProcess.spawn(loop: loop, executable: "/bin/true", arguments: [],
                                                           stdin: true, stdout: false, stderr: false) { _, _ in
                            guard let stdin = holder.value else { return }
                            stdin.write(patternBytes(count: 1024 * 1024)) { error in
                                stdin.close()
                                continuation.resume(returning: error)
                            }
                        }
                        holder.value = child.stdinPipe
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
            let failure = try #require(error)
            #expect(failure.code == UV_EPIPE.rawValue)
            #expect(failure.description.contains("stdin of /bin/true"))
        }
    }

    @Test func killAfterExitThrows() async throws {
        try await withLoop { loop in
            let holder = LoopBox<ChildProcess?>(nil)
            _ = try await runChild(loop: loop, executable: "/bin/echo", arguments: ["x"]) { child in
                holder.value = child
            }
            let error: UVError? = try await loop.submit { () -> UVError? in
                do throws(UVError) {
                    try holder.value?.kill(signal: SIGTERM)
                    return nil
                } catch {
                    return error
                }
            }
            #expect(error?.code == UV_ESRCH.rawValue)
        }
    }
}
