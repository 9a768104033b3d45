// File system calls for archive writes: libuv runs them on its threadpool so the loop never blocks on disk.
import CLibUV
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Asynchronous file operations on libuv's threadpool, completed on the loop thread.
///
/// Callable from any thread or actor: each call hops to the loop with `execute`, starts a uv_fs request
/// there, and resumes the caller from the request's completion callback. The loop must be running
/// (not shut down) for the call to complete. Errors name the path (or descriptor) and libuv's reason.
/// For crash-safe files: write to a temporary name, `fsync`, `close`, then `rename` over the final name.
public enum FileIO {
    // MARK: - Opening and closing

    /// Opens `path` with `open(2)` flags (e.g. `O_WRONLY | O_CREAT | O_TRUNC`) and returns the descriptor.
    public static func open(loop: EventLoop, path: String, flags: Int32, mode: Int32 = 0o644) async throws(UVError) -> Int32 {
        let result = await perform(loop: loop) { uvLoop, request, done in
            uv_fs_open(uvLoop, request, path, flags, mode, done)
        }
        return Int32(try check(result, "cannot open \(path)"))
    }

    /// Closes a descriptor; `path` (optional) only names it in errors.
    public static func close(loop: EventLoop, fd: Int32, path: String? = nil) async throws(UVError) {
        let result = await perform(loop: loop) { uvLoop, request, done in
            uv_fs_close(uvLoop, request, uv_file(fd), done)
        }
        try check(result, "cannot close \(describe(fd: fd, path: path))")
    }

    // MARK: - Writing

    /// Writes all of `bytes` at `offset` (-1: at the current position), continuing after partial writes.
    public static func write(loop: EventLoop, fd: Int32, bytes: [UInt8], offset: Int64,
                             path: String? = nil) async throws(UVError) {
        try await write(loop: loop, fd: fd, bytes: bytes[...], offset: offset, path: path)
    }

    /// Writes all of a slice at `offset`; see `write(loop:fd:bytes:offset:path:)`.
    public static func write(loop: EventLoop, fd: Int32, bytes: ArraySlice<UInt8>, offset: Int64,
                             path: String? = nil) async throws(UVError) {
        guard !bytes.isEmpty else { return }
        // One stable copy for the threadpool: an array's storage may only be borrowed inside a closure,
        // and the request outlives any such closure.
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { storage.deallocate() }
        bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
        let buffer = SendableBuffer(pointer: storage)
        var written = 0
        while written < storage.count {
            let start = written
            let position = offset < 0 ? -1 : offset + Int64(written)
            let result = await perform(loop: loop) { uvLoop, request, done in
                let base = buffer.pointer.baseAddress.map { $0 + start }
                var chunk = uv_buf_init(base?.assumingMemoryBound(to: CChar.self),
                                        UInt32(clamping: buffer.pointer.count - start))
                return uv_fs_write(uvLoop, request, uv_file(fd), &chunk, 1, position, done)
            }
            let count = try check(result, "cannot write \(describe(fd: fd, path: path))")
            if count == 0 {
                // A regular file never takes zero bytes of a non-empty write; stop instead of spinning.
                throw UVError(UV_EIO, context: "cannot write \(describe(fd: fd, path: path)): no progress")
            }
            written += count
        }
    }

    /// Flushes the file's data and metadata to stable storage.
    public static func fsync(loop: EventLoop, fd: Int32, path: String? = nil) async throws(UVError) {
        let result = await perform(loop: loop) { uvLoop, request, done in
            uv_fs_fsync(uvLoop, request, uv_file(fd), done)
        }
        try check(result, "cannot sync \(describe(fd: fd, path: path)) to disk")
    }

    // MARK: - Reading

    /// Reads up to `count` bytes at `offset` (-1: at the current position); fewer at end of file.
    public static func read(loop: EventLoop, fd: Int32, count: Int, offset: Int64,
                            path: String? = nil) async throws(UVError) -> [UInt8] {
        guard count > 0 else { return [] }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        defer { storage.deallocate() }
        let buffer = SendableBuffer(pointer: storage)
        let result = await perform(loop: loop) { uvLoop, request, done in
            var chunk = uv_buf_init(buffer.pointer.baseAddress?.assumingMemoryBound(to: CChar.self),
                                    UInt32(clamping: buffer.pointer.count))
            return uv_fs_read(uvLoop, request, uv_file(fd), &chunk, 1, offset, done)
        }
        let got = try check(result, "cannot read \(describe(fd: fd, path: path))")
        return Array(UnsafeRawBufferPointer(rebasing: storage[0..<got]))
    }

    // MARK: - Names

    /// Atomically replaces `to` with `from` (same file system).
    public static func rename(loop: EventLoop, from: String, to: String) async throws(UVError) {
        let result = await perform(loop: loop) { uvLoop, request, done in
            uv_fs_rename(uvLoop, request, from, to, done)
        }
        try check(result, "cannot rename \(from) to \(to)")
    }

    /// Makes renames and creations inside directory `path` durable (fsync of the directory itself);
    /// call after `rename` so a crash cannot bring back the old name.
    public static func syncDirectory(loop: EventLoop, path: String) async throws(UVError) {
        let fd = try await open(loop: loop, path: path, flags: O_RDONLY | O_DIRECTORY)
        let synced: UVError?
        do throws(UVError) {
            try await fsync(loop: loop, fd: fd, path: path)
            synced = nil
        } catch {
            synced = error
        }
        try await close(loop: loop, fd: fd, path: path)
        if let synced { throw synced }
    }

    /// Removes the file at `path`.
    public static func unlink(loop: EventLoop, path: String) async throws(UVError) {
        let result = await perform(loop: loop) { uvLoop, request, done in
            uv_fs_unlink(uvLoop, request, path, done)
        }
        try check(result, "cannot remove \(path)")
    }

    /// Creates the directory `path`; an existing one throws EEXIST (see `UVError.code`).
    public static func mkdir(loop: EventLoop, path: String, mode: Int32 = 0o755) async throws(UVError) {
        let result = await perform(loop: loop) { uvLoop, request, done in
            uv_fs_mkdir(uvLoop, request, path, mode, done)
        }
        try check(result, "cannot create directory \(path)")
    }

    // MARK: - Requests

    /// Memory handed to the threadpool; the awaiting caller keeps it alive until the request completes.
    private struct SendableBuffer: @unchecked Sendable {
        let pointer: UnsafeMutableRawBufferPointer
    }

    /// Carries the caller's continuation through uv_fs_t.data.
    private final class RequestBox {
        let continuation: CheckedContinuation<Int, Never>
        init(continuation: CheckedContinuation<Int, Never>) { self.continuation = continuation }
    }

    /// Starts one request on the loop thread and returns its result (negative: a libuv error code).
    private static func perform(
        loop: EventLoop,
        _ start: @escaping @Sendable (UnsafeMutablePointer<uv_loop_t>, UnsafeMutablePointer<uv_fs_t>, uv_fs_cb) -> Int32
    ) async -> Int {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            loop.execute {
                let request = UnsafeMutablePointer<uv_fs_t>.allocate(capacity: 1)
                request.initialize(to: uv_fs_t())
                let retained = Unmanaged.passRetained(RequestBox(continuation: continuation))
                request.pointee.data = retained.toOpaque()
                let started = start(loop.uvLoop, request) { request in
                    guard let request else { return }
                    let result = request.pointee.result
                    let data = request.pointee.data
                    uv_fs_req_cleanup(request)
                    request.deallocate()
                    guard let data else { return }
                    Unmanaged<RequestBox>.fromOpaque(data).takeRetainedValue().continuation.resume(returning: result)
                }
                if started < 0 {
                    // The callback will never run: undo everything here.
                    retained.release()
                    uv_fs_req_cleanup(request)
                    request.deallocate()
                    continuation.resume(returning: Int(started))
                }
            }
        }
    }

    @discardableResult
    private static func check(_ result: Int, _ context: @autoclosure () -> String) throws(UVError) -> Int {
        if result < 0 { throw UVError(code: Int32(truncatingIfNeeded: result), context: context()) }
        return result
    }

    private static func describe(fd: Int32, path: String?) -> String {
        path ?? "file descriptor \(fd)"
    }
}
