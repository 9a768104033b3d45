import Foundation

/// `/etc/edgelive/edgelive.conf`: an INI file whose keys are the `edgelive serve` flag names.
///
/// ```
/// [server]
/// data-dir = /var/lib/edgelive     # --data-dir
/// listen = 0.0.0.0                  # --listen
/// http-port = 8080                  # --http-port (origin)
/// rtmp-port = 1935                  # --rtmp-port
/// rtmps-port = 2935                 # --rtmps-port (RTMPS: listens when tls-certificate and tls-key are set)
/// tls-certificate =                 # --tls-certificate: PEM certificate chain for RTMPS; re-read on SIGHUP
/// tls-key =                         # --tls-key: its unencrypted PEM private key; re-read on SIGHUP
/// api-port = 8090                   # --api-port (control API)
/// api-token =                       # --api-token; empty: <data-dir>/api-token, generated on first start
/// public-host =                     # --public-host; empty: the first non-loopback IPv4 address
/// streaming-host =                  # --streaming-host; empty: <public-host>:<http-port>
/// window = 300                      # --window (live window in memory, seconds)
///
/// [channel]                         # defaults for events `edgelive event start NAME --create` makes
/// encoding = PassthroughStandard    #   (what edgelive-channel@NAME.service runs)
/// allow = 0.0.0.0/0                 # ingest IP allow list, comma separated
/// preview-allow = 0.0.0.0/0         # preview IP allow list, comma separated
///
/// [encoding]                        # live encoding (Standard / Premium1080p events)
/// hwprofiles =                      # --hwprofiles; empty: /usr/share/edgelive/hwprofiles, else ./hwprofiles
/// encode-policy = auto              # --encode-policy: auto (GPU when its profile's probe passes, else
///                                   #   libx264, said loudly) or never (no GPU: encoding events refused)
/// presets =                         # --presets: a directory of custom ladders (NAME.yaml), beside the built-ins
/// ```
///
/// `#` and `;` start comments; values may be quoted. Flags given on the command line win over the file.
/// Unknown sections or keys are errors (a typo must not silently fall back to a default).
public struct ConfigurationFile: Sendable, Equatable {
    /// Where the installed package keeps it.
    public static let defaultPath = "/etc/edgelive/edgelive.conf"
    public static let knownKeys: [String: Set<String>] = [
        "server": ["data-dir", "listen", "http-port", "rtmp-port", "rtmps-port", "tls-certificate", "tls-key", "api-port", "api-token", "public-host", "streaming-host", "window"],
        "channel": ["encoding", "allow", "preview-allow"],
        "encoding": ["hwprofiles", "encode-policy", "presets"],
    ]

    /// Section → key → value (empty values are absent).
    public private(set) var sections: [String: [String: String]] = [:]
    public let path: String

    /// Reads and parses `path`.
    public static func load(path: String) throws(ConfigurationError) -> ConfigurationFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read the configuration file \(path); check that it exists and is readable")
        }
        return try ConfigurationFile(text: String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses INI text; errors name the file, the line and what is wrong.
    public init(text: String, path: String = "edgelive.conf") throws(ConfigurationError) {
        self.path = path
        var section: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = Self.stripComment(String(rawLine)).trimmingCharacters(in: .whitespaces)
            let place = "\(path):\(index + 1)"
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw ConfigurationError("\(place): a section header must look like [server]") }
                let name = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces).lowercased()
                guard Self.knownKeys[name] != nil else {
                    throw ConfigurationError("\(place): unknown section [\(name)]; known: \(Self.knownKeys.keys.sorted().map { "[\($0)]" }.joined(separator: ", "))")
                }
                section = name
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigurationError("\(place): expected 'key = value', got '\(line)'")
            }
            guard let current = section else {
                throw ConfigurationError("\(place): '\(line)' is outside a section; put it under [server] or [channel]")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            guard Self.knownKeys[current]?.contains(key) == true else {
                throw ConfigurationError("\(place): unknown key '\(key)' in [\(current)]; known: \((Self.knownKeys[current] ?? []).sorted().joined(separator: ", "))")
            }
            if !value.isEmpty { sections[current, default: [:]][key] = value }
        }
    }

    /// A value, or nil when absent or empty.
    public func value(_ section: String, _ key: String) -> String? { sections[section]?[key] }

    /// An integer value; errors name the key.
    public func integer(_ section: String, _ key: String) throws(ConfigurationError) -> Int? {
        guard let text = value(section, key) else { return nil }
        guard let number = Int(text) else { throw ConfigurationError("\(path): [\(section)] \(key) must be a whole number; got '\(text)'") }
        return number
    }

    /// A comma-separated list.
    public func list(_ section: String, _ key: String) -> [String]? {
        value(section, key).map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    private static func stripComment(_ line: String) -> String {
        // A comment starts at # or ; outside quotes.
        var quote: Character?
        for (offset, character) in line.enumerated() {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#" || character == ";" {
                return String(line.prefix(offset))
            }
        }
        return line
    }
}

/// A configuration problem: the file, the line or key, and what to change.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension ApplianceConfiguration {
    /// Takes every `[server]` value the file sets; flags applied afterwards override them.
    public mutating func apply(_ file: ConfigurationFile) throws(ConfigurationError) {
        if let value = file.value("server", "data-dir") { dataDirectory = value }
        if let value = file.value("server", "listen") { listenHost = value }
        if let value = try file.integer("server", "http-port") { httpPort = value }
        if let value = try file.integer("server", "rtmp-port") { rtmpPort = value }
        if let value = try file.integer("server", "rtmps-port") { rtmpsPort = value }
        if let value = file.value("server", "tls-certificate") { tlsCertificate = value }
        if let value = file.value("server", "tls-key") { tlsKey = value }
        if let value = try file.integer("server", "api-port") { apiPort = value }
        if let value = file.value("server", "api-token") { apiToken = value }
        if let value = file.value("server", "public-host") { publicHost = value }
        if let value = file.value("server", "streaming-host") { streamingHost = value }
        if let value = try file.integer("server", "window") { windowSeconds = value }
        if let value = file.value("encoding", "hwprofiles") { hardwareProfilesDirectory = value }
        if let value = file.value("encoding", "presets") { presetsDirectory = value }
        if let value = file.value("encoding", "encode-policy") {
            guard let policy = EncodePolicy(rawValue: value.lowercased()) else {
                throw ConfigurationError("\(file.path): [encoding] encode-policy must be 'auto' or 'never'; got '\(value)'")
            }
            encodePolicy = policy
        }
        for (name, port) in [("http-port", httpPort), ("rtmp-port", rtmpPort), ("rtmps-port", rtmpsPort), ("api-port", apiPort)] where !(0 ... 65535).contains(port) {
            throw ConfigurationError("\(file.path): [server] \(name) \(port) is not a TCP port (0-65535)")
        }
        guard windowSeconds >= 10 else { throw ConfigurationError("\(file.path): [server] window must be at least 10 seconds") }
        guard windowSeconds <= Self.maximumWindowSeconds else {
            throw ConfigurationError("\(file.path): [server] window \(windowSeconds) is over the \(Self.maximumWindowSeconds)-second "
                + "(one week) maximum; set the live window in seconds, e.g. window = 300")
        }
    }
}
