// The live encoder's supervision of its worker process, with real child processes that misbehave:
// one that never sends a heartbeat (a hung encoder) and one that exits at once (a crash at start-up).
import Testing
import Foundation
import EncodeModel
import EventLoop
import Media
@testable import Live

private let job = EncodeJob(eventName: "news", preset: LadderPreset(name: "Test", rungs: [LadderRung(width: 640, height: 360, bitrate: 800_000)]),
                            backend: .software(preset: "ultrafast", threads: 1))

private func supervise(executable: String, arguments: [String], for duration: Duration, job: EncodeJob = job,
                       softwareFallback: SoftwareFallback? = nil) async throws -> (status: LiveEncoderStatus?, seconds: Double) {
    let loop = try EventLoop(name: "encoder-supervision-test")
    let channel = LiveChannel(name: "news", executor: loop.unownedExecutor, logger: quietLogger)
    let launcher = EncodeWorkerLauncher(executable: executable, arguments: arguments, heartbeatTimeout: .milliseconds(300),
                                        initialBackoff: .milliseconds(50), maximumBackoff: .milliseconds(200))
    await channel.startEncoding(loop: loop, job: job, launcher: launcher, backendReason: "test", isFallback: false,
                                softwareFallback: softwareFallback)
    let start = ContinuousClock.now
    try await Task.sleep(for: duration)
    let status = await channel.encoderStatus
    let took = ContinuousClock.now - start
    await channel.stopEncoding()
    // Throws unless every handle (timers, pipes, the killed child) closed: a stopped encoder leaves nothing behind.
    try await loop.shutdownGracefully()
    return (status, Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
}

@Test func aWorkerThatNeverSendsAHeartbeatIsKilledAndReplaced() async throws {
    let status = try #require(try await supervise(executable: "/bin/sleep", arguments: ["30"], for: .milliseconds(2500)).status)
    #expect(status.restarts >= 2, "restarts: \(status.restarts)")
    #expect(status.lastFailure?.contains("no heartbeat") == true, "\(status.lastFailure ?? "nil")")
    #expect(status.lastFailure?.contains("signal 9") == true, "\(status.lastFailure ?? "nil")")
}

@Test func aWorkerThatExitsIsRestartedWithBackoff() async throws {
    let loop = try EventLoop(name: "encoder-backoff-test")
    let channel = LiveChannel(name: "news", executor: loop.unownedExecutor, logger: quietLogger)
    let launcher = EncodeWorkerLauncher(executable: "/bin/false", arguments: [], heartbeatTimeout: .milliseconds(300),
                                        initialBackoff: .milliseconds(50), maximumBackoff: .milliseconds(200))
    let start = ContinuousClock.now
    await channel.startEncoding(loop: loop, job: job, launcher: launcher, backendReason: "test", isFallback: false)
    // Until at least four restarts and 1.2 s, however long a loaded machine takes to spawn and reap /bin/false.
    var status = await channel.encoderStatus
    while (status?.restarts ?? 0) < 4 || ContinuousClock.now - start < .milliseconds(1200) {
        guard ContinuousClock.now - start < .seconds(30) else { break }
        try await Task.sleep(for: .milliseconds(100))
        status = await channel.encoderStatus
    }
    let took = ContinuousClock.now - start
    let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
    await channel.stopEncoding()
    try await loop.shutdownGracefully()
    let final = try #require(status)
    // 50, 100, 200, 200, … ms apart: restarts keep coming, but never as a busy loop (the bound follows the time that
    // really passed).
    #expect(final.restarts >= 4 && Double(final.restarts) <= 5 + seconds / 0.2, "restarts: \(final.restarts) in \(seconds) s")
    #expect(final.lastFailure?.contains("exited with status 1") == true, "\(final.lastFailure ?? "nil")")
    #expect(final.state == .restarting)
}

@Test func aMissingWorkerBinaryIsReportedAndRetried() async throws {
    let status = try #require(try await supervise(executable: "/nonexistent/edgelive", arguments: [], for: .milliseconds(400)).status)
    #expect(status.restarts >= 1)
    #expect(status.lastFailure?.contains("/nonexistent/edgelive") == true, "\(status.lastFailure ?? "nil")")
}

@Test func aGPUEncodeThatKeepsFailingFallsBackToSoftwareLoudly() async throws {
    var gpuJob = job
    gpuJob.backend = .vaapi(device: "/dev/dri/renderD128", codec: "h264", lowPower: true)
    let fallback = SoftwareFallback(backend: .software(preset: "superfast", threads: 0), options: ["x264-params": "scenecut=0"],
                                    summary: "libx264 superfast")
    let status = try #require(try await supervise(executable: "/bin/false", arguments: [], for: .milliseconds(1500),
                                                  job: gpuJob, softwareFallback: fallback).status)
    #expect(status.isFallback)
    #expect(status.backend.hasPrefix("libx264 superfast"), "\(status.backend)")
    #expect(status.backendReason.contains("failed 3 times"), "\(status.backendReason)")
    // Without a fallback (policy never, or already software) it only restarts.
    let plain = try #require(try await supervise(executable: "/bin/false", arguments: [], for: .milliseconds(600), job: gpuJob).status)
    #expect(!plain.isFallback && plain.backend.hasPrefix("h264_vaapi"))
}

@Test func anEventStoppedAndReleasedWhileItsWorkerRunsLeavesNothingOpen() async throws {
    let loop = try EventLoop(name: "encoder-release-test")
    let before = try await loop.submit { loop.handleCount }
    var channel: LiveChannel? = LiveChannel(name: "news", executor: loop.unownedExecutor, logger: quietLogger)
    let launcher = EncodeWorkerLauncher(executable: "/bin/sleep", arguments: ["30"])
    await channel?.startEncoding(loop: loop, job: job, launcher: launcher, backendReason: "test", isFallback: false)
    try await Task.sleep(for: .milliseconds(200))
    await channel?.stopEncoding()
    channel = nil   // as MediaServices does when the event stops: the worker's exit arrives after this
    // The killed worker's process handle, its two pipes and both timers are gone without anyone left to close them.
    var after = -1
    for _ in 0..<50 where after != before {
        try await Task.sleep(for: .milliseconds(20))
        after = try await loop.submit { loop.handleCount }
    }
    #expect(after == before, "handles before: \(before), after: \(after)")
    try await loop.shutdownGracefully()
}

@Test func aReplacementWorkerGetsTheLadderTheFirstOnePinned() async throws {
    // A worker that records the job it is given, announces a ladder (as a real one does at its first plan), then
    // crashes: every replacement must be started with that ladder pinned, so track N stays the same rung.
    let directory = NSTemporaryDirectory() + "edgelive-pin-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let jobs = directory + "/jobs", script = directory + "/worker.py"
    try """
    import json, struct, sys, time
    size = struct.unpack(">I", sys.stdin.buffer.read(4))[0]
    body = sys.stdin.buffer.read(size)
    with open(sys.argv[1], "ab") as out:
        out.write(body[1:] + b"\\n")
    ladder = json.dumps([{"width": 960, "height": 540, "bitrate": 1000000}, {"width": 640, "height": 360, "bitrate": 400000}]).encode()
    sys.stdout.buffer.write(struct.pack(">IB", len(ladder) + 1, 16) + ladder)
    sys.stdout.buffer.flush()
    time.sleep(0.1)
    sys.exit(3)
    """.write(toFile: script, atomically: true, encoding: .utf8)
    let status = try #require(try await supervise(executable: "/usr/bin/python3", arguments: [script, jobs], for: .milliseconds(1500)).status)
    #expect(status.restarts >= 2)
    let started = try String(contentsOfFile: jobs, encoding: .utf8).split(separator: "\n").map {
        try JSONDecoder().decode(EncodeJob.self, from: Data($0.utf8))
    }
    #expect(started.count >= 3)
    #expect(started.first?.pinnedRungs == nil)
    let pinned = [LadderRung(width: 960, height: 540, bitrate: 1_000_000), LadderRung(width: 640, height: 360, bitrate: 400_000)]
    #expect(started.dropFirst().allSatisfy { $0.pinnedRungs == pinned }, "\(started.map(\.pinnedRungs))")
}
