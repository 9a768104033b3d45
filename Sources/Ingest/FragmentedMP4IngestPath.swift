import HTTP

/// Where a fragmented MP4 ingest request goes: the URL family `/<accessToken>/ingest.isml[/…]` that the API hands
/// out for FragmentedMP4 live events, shared by Smooth Streaming ingest and DASH-IF CMAF ingest (Interface 1).
///
/// - `/<token>/ingest.isml` and `/<token>/ingest.isml/Streams(<name>)`: a long-running POST of a whole fMP4
///   stream (Smooth), or one CMAF track (its header, then segments, in one or several POSTs).
/// - `…/[Switching(<id>)/][Streams(<name>)/][<dir>/…]<file>.<ext>`: one object of a pushed presentation, e.g.
///   ffmpeg's `dash` muxer: `init-stream0.m4s`, `chunk-stream0-00001.m4s`, `manifest.mpd`. The objects of one
///   track share a name once their segment numbers and generic words (`init`, `chunk`, …) are taken out of
///   the file name, so `init-stream0.m4s` and `chunk-stream0-00042.m4s` are both track `stream0`.
///
/// Each track is one stream of the live channel (its name, the channel's `stream`), carrying one track per kind.
public struct FragmentedMP4IngestPath: Sendable, Hashable, CustomStringConvertible {
    /// What the last path component names.
    public enum Object: Sendable, Hashable {
        /// No file: a stream POST to the publishing point or `Streams(<name>)`.
        case none
        /// A CMAF header or segment (`.m4s`, `.mp4`, `.cmfv`, `.cmfa`, `.init`, …).
        case media(file: String)
        /// A DASH manifest (`.mpd`): read for bandwidths and the end of the presentation.
        case manifest(file: String)
        /// An HLS playlist (`.m3u8`) an Interface-2 sender may add: accepted and ignored.
        case playlist(file: String)
    }

    /// The access token, percent-decoded, as sent.
    public var token: String
    /// The channel stream the track feeds: the `Streams(<name>)` name, directories and the file name's track part
    /// joined by `/`; `default` when none of them names it.
    public var stream: String
    public var object: Object

    public init(token: String, stream: String, object: Object = .none) {
        self.token = token
        self.stream = stream
        self.object = object
    }

    public var description: String {
        switch object {
        case .none: "/\(token)/ingest.isml/Streams(\(stream))"
        case .media(let file), .manifest(let file), .playlist(let file): "/\(token)/ingest.isml/…/\(file) (stream \(stream))"
        }
    }

    /// Words that name what an object is rather than which track it belongs to.
    static let genericWords: Set<String> = ["init", "initialization", "header", "chunk", "chunks", "segment", "seg",
                                            "media", "fragment", "frag", "part", "cmaf"]

    /// The ingest path `path` names, or nil when it is not one (the origin answers it instead).
    public static func parse(_ path: String) -> FragmentedMP4IngestPath? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[1].lowercased() == "ingest.isml" else { return nil }
        let token = HTTPRequest.percentDecode(parts[0])
        guard !token.isEmpty else { return nil }
        let rest = parts.dropFirst(2).map { HTTPRequest.percentDecode($0) }
        var names: [String] = []
        var object = Object.none
        for (index, component) in rest.enumerated() {
            let lower = component.lowercased()
            guard component != "..", component != "." else { return nil }
            if lower.hasPrefix("streams("), lower.hasSuffix(")") {
                let name = String(component.dropFirst("streams(".count).dropLast())
                guard !name.isEmpty else { return nil }
                names.append(name)
            } else if lower.hasPrefix("switching("), lower.hasSuffix(")") {
                continue  // a switching set id: tracks are grouped by kind and bitrate anyway
            } else if component.contains("(") {
                return nil  // another keyword (a Smooth playback path, say): not ingest
            } else if index == rest.count - 1, let dot = component.lastIndex(of: "."), dot != component.startIndex {
                let ext = component[component.index(after: dot)...].lowercased()
                switch ext {
                case "mpd": object = .manifest(file: component)
                case "m3u8": object = .playlist(file: component)
                default:
                    object = .media(file: component)
                    let track = trackName(ofFile: component)
                    if !track.isEmpty { names.append(track) }
                }
            } else {
                names.append(component)
            }
        }
        return FragmentedMP4IngestPath(token: token, stream: names.isEmpty ? "default" : names.joined(separator: "/"),
                                       object: object)
    }

    /// The track part of an object's file name: without the extension, numbers (segment number or time) and
    /// generic words; empty when nothing is left (`init.mp4`, `1.m4s`).
    static func trackName(ofFile file: String) -> String {
        let stem = file.lastIndex(of: ".").map { file[..<$0] } ?? Substring(file)
        let words = stem.split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == "." })
        return words.filter { word in
            !word.allSatisfy(\.isNumber) && !genericWords.contains(word.lowercased())
        }.joined(separator: "-")
    }
}
