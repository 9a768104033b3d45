// Helpers shared by the EventLoop tests.
import Testing
@testable import EventLoop

/// Runs `body` with a fresh loop and proves at the end that shutdown closed it cleanly.
func withLoop<T>(_ body: (EventLoop) async throws -> T) async throws -> T {
    let loop = try EventLoop(name: "test-loop")
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
final class LoopBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// Deterministic pseudo-random bytes (xorshift), so payload corruption is visible.
func patternBytes(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    var bytes = [UInt8](repeating: 0, count: count)
    for index in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[index] = UInt8(truncatingIfNeeded: state)
    }
    return bytes
}
