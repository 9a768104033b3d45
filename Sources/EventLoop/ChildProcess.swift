// A supervised child process (uv_spawn) with optional pipes to its stdin, stdout and stderr.
import CLibUV
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A running child process started with `spawn`, and the loop-side ends of its piped stdio.
///
/// Loop-confined: spawn, kill and close on the loop thread only; `onExit` runs on the loop thread.
/// After `onExit` the process handle closes itself; the pipes stay open so output still buffered in
/// them can be read to end of file, and the owner closes them.
/// To stop a worker, `kill` it and wait for `onExit`. `close()` on a running child (also done by loop
/// shutdown) sends SIGKILL so no worker outlives the daemon, but a closed handle no longer reaps, so the
/// child stays a zombie until the daemon exits: do not use it as the normal way to stop a worker.
public final class ChildProcess: LoopHandle, @unchecked Sendable {
    /// The executable as given to `spawn`, for messages.
    public let executable: String
    /// The child's process id (0 if the spawn failed).
    public private(set) var pid: Int32 = 0
    /// Our end of the child's stdin (write to it, `shutdown` to send end of file), when requested.
    public let stdinPipe: PipeConnection?
    /// Our end of the child's stdout (read from it), when requested.
    public let stdoutPipe: PipeConnection?
    /// Our end of the child's stderr (read from it), when requested.
    public let stderrPipe: PipeConnection?
    /// True once the child exited (and `onExit` ran).
    public private(set) var hasExited = false
    private var onExit: ((Int64, Int32) -> Void)?

    var process: UnsafeMutablePointer<uv_process_t> { UnsafeMutablePointer<uv_process_t>(OpaquePointer(raw)) }

    private init(loop: EventLoop, executable: String, stdin: PipeConnection?, stdout: PipeConnection?,
                 stderr: PipeConnection?, onExit: @escaping (Int64, Int32) -> Void) {
        self.executable = executable
        stdinPipe = stdin
        stdoutPipe = stdout
        stderrPipe = stderr
        self.onExit = onExit
        super.init(loop: loop, type: UV_PROCESS)
    }

    // MARK: - Spawning

    /// Starts `executable` (a path, or a name looked up in PATH) with `arguments` (argv[1...]).
    ///
    /// `environment` nil inherits the daemon's environment; a given one replaces it entirely (include PATH
    /// when `executable` is a bare name). Each Bool asks for a pipe; an unpiped stdin
    /// reads /dev/null, unpiped stdout/stderr are inherited from the daemon (worker diagnostics reach its
    /// log). `onExit` gets the exit status and the terminating signal (0 if it exited normally).
    /// Throws a `UVError` naming the executable when it cannot be started (nothing stays open then).
    /// Ignores SIGPIPE process-wide, so writing to a dead child's stdin fails with EPIPE instead of
    /// killing the daemon.
    public static func spawn(loop: EventLoop, executable: String, arguments: [String],
                             environment: [String: String]? = nil, stdin: Bool, stdout: Bool, stderr: Bool,
                             onExit: @escaping (Int64, Int32) -> Void) throws(UVError) -> ChildProcess {
        loop.preconditionInLoopThread("ChildProcess.spawn")
        ignoreSIGPIPE()
        var pipes: [PipeConnection] = []
        func makePipe(_ wanted: Bool, _ name: String) throws(UVError) -> PipeConnection? {
            guard wanted else { return nil }
            let pipe = try PipeConnection(loop: loop, label: "\(name) of \(executable)")
            pipes.append(pipe)
            return pipe
        }
        let child: ChildProcess
        do {
            child = ChildProcess(loop: loop, executable: executable,
                                 stdin: try makePipe(stdin, "stdin"), stdout: try makePipe(stdout, "stdout"),
                                 stderr: try makePipe(stderr, "stderr"), onExit: onExit)
        } catch {
            for pipe in pipes { pipe.close() }
            throw error
        }
        let result = child.start(arguments: arguments, environment: environment)
        if result != 0 {
            // libuv initialised the process handle even though nothing runs: it must still be closed.
            child.close()
            for pipe in pipes { pipe.close() }
            throw UVError(code: result, context: "cannot start \(executable)")
        }
        return child
    }

    /// Fills the uv_spawn options (C strings live until uv_spawn returns) and spawns.
    private func start(arguments: [String], environment: [String: String]?) -> Int32 {
        var cArguments: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) }
        cArguments.append(nil)
        let cEnvironment: [UnsafeMutablePointer<CChar>?]? = environment.map { variables in
            variables.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        let cFile = strdup(executable)
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment ?? [] { free(pointer) }
            free(cFile)
        }

        var stdio = [uv_stdio_container_t](repeating: uv_stdio_container_t(), count: 3)
        // Directions are the child's: it reads stdin and writes stdout/stderr.
        if let stdinPipe {
            stdio[0].flags = uv_stdio_flags(rawValue: UV_CREATE_PIPE.rawValue | UV_READABLE_PIPE.rawValue)
            stdio[0].data.stream = stdinPipe.stream
        } else {
            stdio[0].flags = UV_IGNORE
        }
        for (index, pipe) in [(1, stdoutPipe), (2, stderrPipe)] {
            if let pipe {
                stdio[index].flags = uv_stdio_flags(rawValue: UV_CREATE_PIPE.rawValue | UV_WRITABLE_PIPE.rawValue)
                stdio[index].data.stream = pipe.stream
            } else {
                stdio[index].flags = UV_INHERIT_FD
                stdio[index].data.fd = Int32(index)
            }
        }

        return cArguments.withUnsafeMutableBufferPointer { argv in
            stdio.withUnsafeMutableBufferPointer { stdioBuffer in
                var options = uv_process_options_t()
                options.exit_cb = { process, status, signal in
                    guard let process, let data = process.pointee.data else { return }
                    Unmanaged<ChildProcess>.fromOpaque(data).takeUnretainedValue().didExit(status, signal)
                }
                options.file = UnsafePointer(cFile)
                options.args = argv.baseAddress
                options.stdio_count = 3
                options.stdio = stdioBuffer.baseAddress
                func spawn(_ options: inout uv_process_options_t) -> Int32 {
                    let result = uv_spawn(loop.uvLoop, process, &options)
                    // Success or not, the handle is initialised now and must go through uv_close.
                    adopt()
                    if result == 0 { pid = uv_process_get_pid(process) }
                    return result
                }
                if var variables = cEnvironment {
                    return variables.withUnsafeMutableBufferPointer { env in
                        options.env = env.baseAddress
                        return spawn(&options)
                    }
                }
                return spawn(&options)
            }
        }
    }

    private static let ignoreSIGPIPEOnce: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    private static func ignoreSIGPIPE() { _ = ignoreSIGPIPEOnce }

    // MARK: - Signals and exit

    /// Sends `signal` (e.g. SIGTERM, SIGKILL) to the child; throws if it already exited.
    public func kill(signal: Int32) throws(UVError) {
        loop.preconditionInLoopThread("ChildProcess.kill")
        guard !isClosed, !hasExited else {
            throw UVError(UV_ESRCH, context: "cannot signal \(executable) (pid \(pid)): it already exited")
        }
        try UVError.check(uv_process_kill(process, signal), "cannot signal \(executable) (pid \(pid))")
    }

    private func didExit(_ status: Int64, _ signal: Int32) {
        hasExited = true
        let callback = onExit
        onExit = nil
        callback?(status, signal)
        close()
    }

    override func willClose() {
        // Closing a running child (e.g. loop shutdown) must not leave an orphaned worker behind.
        if !hasExited && pid > 0 {
            uv_process_kill(process, SIGKILL)
        }
    }

    override func didClose() {
        onExit = nil
        super.didClose()
    }
}
