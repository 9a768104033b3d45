// Reading a pipe to its end on a thread that may block, immune to EINTR.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Blocking reads for helper threads (a child's output pipe), never for the loop thread.
///
/// Foundation's `FileHandle.readDataToEndOfFile()` on Linux traps (`try!`) when `read(2)` is interrupted by a signal,
/// and this process takes signals (SIGCHLD for worker processes, SIGHUP to reload, SIGTERM): this retries instead.
public enum BlockingRead {
    /// Everything `fileDescriptor` yields until end of file (or a read error other than EINTR, which ends it).
    public static func toEnd(fileDescriptor: Int32) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                result += buffer[0..<count]
            } else if count == 0 || errno != EINTR {
                return result
            }
        }
    }
}
