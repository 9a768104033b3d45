// Playback URLs built from a `listPaths` answer (ControlPlane.ListPathsResponse).
import AMSModels
import Foundation

/// `ListPathsResponse`: host-relative streaming and download paths of a locator.
public struct PlaybackURL: Sendable, Equatable {
    /// `HLS`, `HLS-CMAF`, `DASH`, `DASH-CMAF`, `SMOOTH`, `DOWNLOAD`.
    public var format: String
    /// The encryption scheme of the entry.
    public var encryption: String
    /// `http://<hostName><path>`, or the bare path when no host is known.
    public var url: String

    /// Creates a URL row.
    public init(format: String, encryption: String, url: String) {
        self.format = format
        self.encryption = encryption
        self.url = url
    }
}

extension ListPathsResponse {
    /// Full URLs on `hostName`; the service lists only the TS-HLS and CSF-DASH forms, so the CMAF forms
    /// (`m3u8-cmaf`, `mpd-time-cmaf`) that players use are added after them.
    public func playbackURLs(hostName: String?) -> [PlaybackURL] {
        let prefix = hostName.map { $0.hasPrefix("http://") || $0.hasPrefix("https://") ? $0 : "http://" + $0 } ?? ""
        var rows: [PlaybackURL] = []
        func add(_ format: String, _ encryption: String, _ path: String) {
            let url = prefix + path
            guard !rows.contains(where: { $0.url == url }) else { return }
            rows.append(PlaybackURL(format: format, encryption: encryption, url: url))
        }
        for entry in streamingPaths ?? [] {
            for path in entry.paths ?? [] {
                switch entry.streamingProtocol.rawValue.lowercased() {
                case "hls":
                    let isCMAF = path.contains("format=m3u8-cmaf")
                    add(isCMAF ? "HLS-CMAF" : "HLS", entry.encryptionScheme.rawValue, path)
                    if let cmaf = Self.replacing(path, format: "m3u8-aapl", with: "m3u8-cmaf") { add("HLS-CMAF", entry.encryptionScheme.rawValue, cmaf) }
                case "dash":
                    let isCMAF = path.contains("format=mpd-time-cmaf")
                    add(isCMAF ? "DASH-CMAF" : "DASH", entry.encryptionScheme.rawValue, path)
                    if let cmaf = Self.replacing(path, format: "mpd-time-csf", with: "mpd-time-cmaf") { add("DASH-CMAF", entry.encryptionScheme.rawValue, cmaf) }
                case "smoothstreaming":
                    add("SMOOTH", entry.encryptionScheme.rawValue, path)
                default:
                    add(entry.streamingProtocol.rawValue.uppercased(), entry.encryptionScheme.rawValue, path)
                }
            }
        }
        for path in downloadPaths ?? [] { add("DOWNLOAD", "NoEncryption", path) }
        return rows
    }

    /// `path` with `format=<old>` (any `m3u8-aapl*` variant for HLS) replaced, or nil when the format is not there.
    static func replacing(_ path: String, format old: String, with new: String) -> String? {
        guard let range = path.range(of: "format=\(old)") else { return nil }
        // Swallow a version suffix such as `-v3`/`-v4` so `m3u8-aapl-v4` also maps to plain `m3u8-cmaf`.
        var end = range.upperBound
        while end < path.endIndex, path[end] != ",", path[end] != ")" { end = path.index(after: end) }
        return path.replacingCharacters(in: range.lowerBound ..< end, with: "format=\(new)")
    }
}
