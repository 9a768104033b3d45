// The memory and lifetime rules every libuv handle wrapper shares.
import CLibUV

/// Base of the handle wrappers: owns the handle's heap memory and keeps itself alive until libuv's
/// close callback, so callbacks always find a live object.
///
/// Loop-confined: create, use and close it on the loop thread only.
public class LoopHandle: @unchecked Sendable {
    /// The loop the handle belongs to.
    public let loop: EventLoop
    /// The handle memory; never moves, freed only after the close callback (in deinit).
    let raw: UnsafeMutableRawPointer
    private var adopted = false
    /// True once `close()` was called.
    public private(set) var isClosed = false
    private var closeHandlers: [() -> Void] = []
    private var closeFinished = false

    init(loop: EventLoop, type: uv_handle_type) {
        loop.preconditionInLoopThread("creating a libuv handle")
        self.loop = loop
        let size = uv_handle_size(type)
        raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    }

    deinit {
        raw.deallocate()
    }

    var handle: UnsafeMutablePointer<uv_handle_t> {
        UnsafeMutablePointer<uv_handle_t>(OpaquePointer(raw))
    }

    /// Call right after a successful `uv_*_init`: from now on libuv holds a +1 on the wrapper.
    func adopt() {
        precondition(!adopted, "handle adopted twice")
        adopted = true
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Registers `callback` to run once the handle is fully closed (also when the loop shuts down).
    public func whenClosed(_ callback: @escaping () -> Void) {
        loop.preconditionInLoopThread()
        if closeFinished || (isClosed && !adopted) { callback(); return }
        closeHandlers.append(callback)
    }

    /// Closes the handle; idempotent. Pending requests complete with `UVError.cancelled`.
    public func close() {
        loop.preconditionInLoopThread("LoopHandle.close")
        guard !isClosed else { return }
        isClosed = true
        willClose()
        guard adopted else { return }
        uv_close(handle) { handle in
            guard let handle, let data = handle.pointee.data else { return }
            handle.pointee.data = nil
            let wrapper = Unmanaged<LoopHandle>.fromOpaque(data).takeRetainedValue()
            wrapper.didClose()
        }
    }

    /// Subclass hook: called when `close()` starts.
    func willClose() {}

    /// Subclass hook: libuv has finished with the handle. Overrides must call super.
    func didClose() {
        closeFinished = true
        let handlers = closeHandlers
        closeHandlers = []
        for handler in handlers { handler() }
    }
}

// MARK: - Duration helpers

extension Duration {
    /// Whole milliseconds, rounded up so a short non-zero delay never becomes 0 (libuv's "now").
    var uvMilliseconds: UInt64 {
        let parts = components
        if parts.seconds < 0 { return 0 }
        let fromAtto = (parts.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return UInt64(parts.seconds) * 1000 + UInt64(max(0, fromAtto))
    }
}

// MARK: - C strings

extension String {
    /// Decodes a NUL-terminated C string held in a Swift array.
    init(decodingCString buffer: [CChar]) {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
