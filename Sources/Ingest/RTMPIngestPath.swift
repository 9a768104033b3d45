/// The ingest address an RTMP publisher used, in the service's grammar
/// `rtmp://HOST:1935/live/<accessToken>/<streamName>[?videodatarate=<kbps>&audiodatarate=<kbps>]`.
///
/// Encoders split that path differently: ffmpeg and OBS send app `live/<token>` and stream `<name>`;
/// some send app `live` and stream `<token>/<name>`. Both are accepted by joining app and stream name.
public struct RTMPIngestPath: Sendable, Hashable {
    public var accessToken: String
    public var streamName: String
    /// Query parameters from the app or the stream name (`videodatarate`, `audiodatarate`).
    public var parameters: [String: String]

    /// Why an ingest address is refused: the log line and the `onStatus` description say this.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
        /// The service's error code for this refusal (`MPE_BAD_URL_SYNTAX`, `MPE_RTMP_APPID_AUTH_FAILURE`).
        public let code: String
        init(_ code: String, _ description: String) { self.code = code; self.description = description }
    }

    /// Parses the app from `connect` alone: `live/<token>` (the stream name comes with `publish`).
    public static func parseApp(_ app: String) throws(Refusal) -> (token: String?, parameters: [String: String]) {
        let (path, parameters) = splitQuery(app)
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.first?.lowercased() == "live" else {
            throw Refusal("MPE_BAD_URL_SYNTAX", "RTMP application '\(path)' is not 'live/<accessToken>'; use rtmp://HOST:PORT/live/<accessToken>/<streamName>")
        }
        switch parts.count {
        case 1: return (nil, parameters)
        case 2:
            try validateToken(parts[1])
            return (parts[1], parameters)
        default:
            throw Refusal("MPE_BAD_URL_SYNTAX", "RTMP application '\(path)' has too many path elements; use rtmp://HOST:PORT/live/<accessToken>/<streamName>")
        }
    }

    /// Parses app and stream name together.
    public static func parse(app: String, streamName: String) throws(Refusal) -> RTMPIngestPath {
        var (token, parameters) = try parseApp(app)
        let (stream, streamParameters) = splitQuery(streamName)
        parameters.merge(streamParameters) { _, new in new }
        var name = stream
        if token == nil {
            let parts = stream.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else {
                throw Refusal("MPE_BAD_URL_SYNTAX", "stream '\(stream)' does not name an access token; use rtmp://HOST:PORT/live/<accessToken>/<streamName>")
            }
            try validateToken(parts[0])
            token = parts[0]
            name = parts[1]
        }
        guard let token else { throw Refusal("MPE_BAD_URL_SYNTAX", "no access token in the ingest URL") }
        guard !name.isEmpty, !name.contains("/"), name.utf8.count <= 256 else {
            throw Refusal("MPE_BAD_URL_SYNTAX", "stream name '\(name)' is empty, too long or contains '/'")
        }
        return RTMPIngestPath(accessToken: token, streamName: name, parameters: parameters)
    }

    /// Access tokens are GUIDs with or without hyphens; anything of letters, digits, `-` and `_` up to
    /// 128 characters is accepted so configured tokens can be readable.
    static func validateToken(_ token: String) throws(Refusal) {
        let ok = !token.isEmpty && token.utf8.count <= 128 && token.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95
        }
        guard ok else {
            throw Refusal("MPE_BAD_URL_SYNTAX", "access token '\(token.prefix(64))' is malformed (letters, digits, '-' and '_' only)")
        }
    }

    static func splitQuery(_ s: String) -> (String, [String: String]) {
        guard let q = s.firstIndex(of: "?") else { return (s, [:]) }
        var parameters: [String: String] = [:]
        for pair in s[s.index(after: q)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            parameters[kv[0].lowercased()] = kv.count > 1 ? kv[1] : ""
        }
        return (String(s[..<q]), parameters)
    }
}
