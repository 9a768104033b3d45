// Every failure the CLI reports: the ARM code and message, a hint, and the exit code scripts rely on.

/// The process exit codes of the client verbs; documented in `edgelive --help`.
public enum ClientExitCode: Int32, Sendable, CaseIterable {
    /// The verb did what was asked.
    case success = 0
    /// Anything else: a server error, a failed long-running operation, an unreadable response.
    case failure = 1
    /// The resource does not exist (HTTP 404).
    case notFound = 2
    /// Conflict or wrong state (409, or 400 with code `InvalidOperation`/`Conflict`).
    case conflict = 3
    /// The token is missing or was refused (401/403).
    case authentication = 4
    /// The API cannot be reached (connection refused, no route, timeout).
    case unreachable = 5
    /// The request was refused as invalid (400 validation).
    case badRequest = 6
    /// The command line is wrong (same code as ArgumentParser's usage errors).
    case usage = 64

    /// The exit code for an HTTP error status and its ARM error code.
    public static func forResponse(status: Int, code: String?) -> ClientExitCode {
        switch status {
        case 404: return .notFound
        case 409: return .conflict
        case 401, 403: return .authentication
        case 400:
            let lowered = code?.lowercased()
            return lowered == "invalidoperation" || lowered == "conflict" ? .conflict : .badRequest
        default: return .failure
        }
    }

    /// The exit code for the ARM error code of a failed long-running operation (no HTTP status there).
    public static func forOperationError(code: String?) -> ClientExitCode {
        switch code?.lowercased() {
        case "resourcenotfound", "notfound": return .notFound
        case "conflict", "invalidoperation": return .conflict
        case "badrequest", "invalidresourcename": return .badRequest
        case "authenticationfailed", "authorizationfailed": return .authentication
        default: return .failure
        }
    }
}

/// A failed verb: what went wrong (ARM code + message), what to do about it, and the exit code.
public struct ClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The exit code the process ends with.
    public var exitCode: ClientExitCode
    /// The ARM error code (`ResourceNotFound`, `Conflict`, ...), nil for local failures.
    public var code: String?
    /// The message from the server or the client.
    public var message: String
    /// What the user can do next, if there is something useful to say.
    public var hint: String?
    /// The HTTP status that carried the error, if any.
    public var status: Int?

    /// Creates an error.
    public init(_ exitCode: ClientExitCode, code: String? = nil, message: String, hint: String? = nil, status: Int? = nil) {
        self.exitCode = exitCode
        self.code = code
        self.message = message
        self.hint = hint
        self.status = status
    }

    /// `Code: message (HTTP n)`, as printed after `edgelive: error:`.
    public var description: String {
        var text = code.map { "\($0): \(message)" } ?? message
        if let status { text += " (HTTP \(status))" }
        return text
    }

    /// The lines printed on standard error: the error, then the hint.
    public var report: String {
        var text = "edgelive: error: \(description)\n"
        if let hint { text += "hint: \(hint)\n" }
        return text
    }

    /// A command-line mistake found after parsing (an enum value, a CIDR, a date).
    public static func usage(_ message: String, hint: String? = nil) -> ClientError {
        ClientError(.usage, message: message, hint: hint)
    }
}

/// What a request was about, so errors can name it and suggest the right follow-up command.
public struct RequestSubject: Sendable, Equatable, CustomStringConvertible {
    /// The resource as users say it, e.g. `live event 'news'`.
    public var description: String
    /// The command that shows this resource, e.g. `edgelive event show news`.
    public var showCommand: String?
    /// The command that lists resources of this kind.
    public var listCommand: String?

    /// Creates a subject.
    public init(_ description: String, showCommand: String? = nil, listCommand: String? = nil) {
        self.description = description
        self.showCommand = showCommand
        self.listCommand = listCommand
    }

    /// The hint printed with an error of `exitCode` about this subject.
    func hint(for exitCode: ClientExitCode) -> String? {
        switch exitCode {
        case .notFound:
            return listCommand.map { "\(description) does not exist; see `\($0)`" } ?? "\(description) does not exist"
        case .conflict:
            let check = showCommand.map { "; check its state with `\($0)`" } ?? ""
            return "\(description) already exists, is busy with another operation, or is in the wrong state for this\(check), then retry"
        case .authentication:
            return ClientError.tokenHint
        case .badRequest:
            return "the daemon refused the request as invalid: fix the option named in the message and retry"
        case .unreachable:
            return ClientError.unreachableHint
        case .success, .failure, .usage:
            return nil
        }
    }
}

extension ClientError {
    /// What to do when the token is missing or refused.
    static let tokenHint = "pass --token, set EDGELIVE_TOKEN, or point --data-dir at the daemon's data directory (its api-token file, mode 0600, readable by the daemon's user)"
    /// What to do when the daemon cannot be reached.
    static let unreachableHint = "is the daemon running? start it with `edgelive serve`, or pass --api URL (or set EDGELIVE_API) to reach it elsewhere"
}
