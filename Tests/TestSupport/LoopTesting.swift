// A loop per test that must close cleanly, shared by the EventLoop and Systemd tests.
import EventLoop

/// Runs `body` with a fresh loop and proves afterwards that it closed with `uv_loop_close == 0`
/// (`shutdown()` throws otherwise).
public func withLoop<T>(name: String = "test-loop", _ body: (EventLoop) async throws -> T) async throws -> T {
    let loop = try EventLoop(name: name)
    let result: T
    do {
        result = try await body(loop)
    } catch {
        try? loop.shutdown()
        throw error
    }
    try loop.shutdown()
    return result
}

/// A mutable box for state confined to the loop thread in test closures.
public final class LoopBox<Value>: @unchecked Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }
}
