// The one error type for everything libuv reports.
import CLibUV

/// A libuv error code with its message, and optionally what edgelive was doing when it happened.
public struct UVError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The negative libuv error code (`UV_E…`).
    public let code: Int32
    /// What was being attempted, e.g. "cannot listen on 0.0.0.0:80".
    public let context: String?

    /// Wraps a libuv return code, optionally naming the operation that failed.
    public init(code: Int32, context: String? = nil) {
        self.code = code
        self.context = context
    }

    init(_ errno: uv_errno_t, context: String? = nil) {
        self.init(code: errno.rawValue, context: context)
    }

    /// libuv's text for the code, e.g. "address already in use".
    public var message: String { String(cString: uv_strerror(code)) }

    /// libuv's symbolic name for the code, e.g. "EADDRINUSE".
    public var name: String {
        // uv_err_name allocates for unknown codes; uv_strerror does not, so only known names are asked for.
        code < 0 && code > -5000 ? String(cString: uv_err_name(code)) : "E\(code)"
    }

    /// The same error with `context` describing the operation.
    public func with(context: String) -> UVError { UVError(code: code, context: context) }

    /// True when a port is already taken by another socket.
    public var isAddressInUse: Bool { code == UV_EADDRINUSE.rawValue }
    /// True when the peer ended the stream.
    public var isEndOfFile: Bool { code == UV_EOF.rawValue }
    /// True when the operation was cancelled because its handle closed.
    public var isCancelled: Bool { code == UV_ECANCELED.rawValue }

    public var description: String {
        var text = context.map { "\($0): \(message)" } ?? message
        text += " (\(name))"
        if isAddressInUse {
            text += "; another process already listens on this port: stop it or choose another port"
        }
        return text
    }

    /// The operation was cancelled (handle closed).
    public static let cancelled = UVError(UV_ECANCELED)
    /// The handle is closed or not connected.
    public static let notConnected = UVError(UV_ENOTCONN)
    /// The operation did not finish in time.
    public static let timedOut = UVError(UV_ETIMEDOUT)

    /// Turns a libuv return value into a thrown error when it is negative.
    @discardableResult
    static func check(_ result: Int32, _ context: @autoclosure () -> String) throws(UVError) -> Int32 {
        if result < 0 { throw UVError(code: result, context: context()) }
        return result
    }
}
