// A libuv pipe (a child's stdio): StreamConnection named by what it carries.
import CLibUV

/// One end of a pipe, e.g. a child process's stdin, stdout or stderr (see `ChildProcess`). Reading,
/// writing and shutdown (the child sees end of file on stdin) come from ``StreamConnection``.
public final class PipeConnection: StreamConnection, @unchecked Sendable {
    /// What the pipe is, for error messages (e.g. "stdout of /usr/bin/worker").
    public let label: String

    var pipe: UnsafeMutablePointer<uv_pipe_t> { UnsafeMutablePointer<uv_pipe_t>(OpaquePointer(raw)) }

    init(loop: EventLoop, label: String) throws(UVError) {
        self.label = label
        super.init(loop: loop, type: UV_NAMED_PIPE)
        try UVError.check(uv_pipe_init(loop.uvLoop, pipe, 0), "cannot create a pipe for \(label)")
        adopt()
    }

    override var endpointDescription: String { label }
}
