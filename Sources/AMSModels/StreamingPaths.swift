// The streaming locator `listPaths` result: host-relative manifest URLs per protocol and encryption scheme (spec §5.3, §11.1).
import Foundation

/// `StreamingPolicyStreamingProtocol`.
public enum StreamingPolicyStreamingProtocol: String, ARMEnum {
    case hls = "Hls", dash = "Dash", smoothStreaming = "SmoothStreaming", download = "Download"
}

/// `EncryptionScheme` of a streaming path.
public enum StreamingEncryptionScheme: String, ARMEnum {
    case noEncryption = "NoEncryption", envelopeEncryption = "EnvelopeEncryption"
    case commonEncryptionCenc = "CommonEncryptionCenc", commonEncryptionCbcs = "CommonEncryptionCbcs"

    /// The `StreamingPolicyProperties` key configuring this scheme, for messages.
    public var propertyName: String {
        switch self {
        case .noEncryption: "noEncryption"
        case .envelopeEncryption: "envelopeEncryption"
        case .commonEncryptionCenc: "commonEncryptionCenc"
        case .commonEncryptionCbcs: "commonEncryptionCbcs"
        }
    }

    /// The `encryption=` URL option for `protocol` (nil in the clear).
    func urlOption(for streamingProtocol: StreamingPolicyStreamingProtocol) -> String? {
        switch self {
        case .noEncryption: nil
        case .envelopeEncryption: "cbc"
        case .commonEncryptionCenc: "cenc"
        case .commonEncryptionCbcs: "cbcs-aapl"
        }
    }
}

/// `StreamingPath`: the URLs of one protocol under one encryption scheme.
public struct StreamingPath: Codable, Sendable, Equatable {
    /// The protocol; required.
    public var streamingProtocol: StreamingPolicyStreamingProtocol
    /// The encryption scheme; required.
    public var encryptionScheme: StreamingEncryptionScheme
    /// Host-relative paths, one per manifest.
    public var paths: [String]?

    /// Creates a path entry.
    public init(streamingProtocol: StreamingPolicyStreamingProtocol, encryptionScheme: StreamingEncryptionScheme, paths: [String]? = nil) {
        self.streamingProtocol = streamingProtocol
        self.encryptionScheme = encryptionScheme
        self.paths = paths
    }
}

/// `ListPathsResponse`.
public struct ListPathsResponse: Codable, Sendable, Equatable {
    /// Streaming URLs.
    public var streamingPaths: [StreamingPath]?
    /// Progressive download URLs.
    public var downloadPaths: [String]?

    /// Creates a response.
    public init(streamingPaths: [StreamingPath]? = nil, downloadPaths: [String]? = nil) {
        self.streamingPaths = streamingPaths
        self.downloadPaths = downloadPaths
    }

    /// Builds the listPaths answer for a locator: for each scheme of `policy` and each enabled protocol (Hls, Dash, SmoothStreaming)
    /// one entry whose paths are `/{locatorId}/{manifest}.ism/manifest(format=…)` per manifest name; disabled protocols get no entry.
    /// `downloadFiles` (asset file names) are listed only when a scheme enables download; live archives have none.
    public static func build(locatorId: String, manifestNames: [String], policy: StreamingPolicyProperties, downloadFiles: [String] = []) -> ListPathsResponse {
        var streamingPaths: [StreamingPath] = []
        var downloadPaths: [String] = []
        for (scheme, protocols) in policy.schemes {
            guard let protocols else { continue }
            for proto in protocols.streamingProtocols {
                let paths = manifestNames.map { manifestPath(locatorId: locatorId, manifestName: $0, protocol: proto, scheme: scheme) }
                streamingPaths.append(StreamingPath(streamingProtocol: proto, encryptionScheme: scheme, paths: paths))
            }
            if protocols.download, scheme == .noEncryption {
                downloadPaths += downloadFiles.map { "/\(locatorId)/\(percentEncodedPathComponent($0))" }
            }
        }
        return ListPathsResponse(streamingPaths: streamingPaths, downloadPaths: downloadPaths)
    }

    /// The host-relative manifest path; only the base formats (m3u8-aapl, mpd-time-csf, Smooth) are listed, as the service does.
    public static func manifestPath(locatorId: String, manifestName: String, protocol proto: StreamingPolicyStreamingProtocol,
                                    scheme: StreamingEncryptionScheme = .noEncryption) -> String {
        var options: [String] = []
        switch proto {
        case .hls: options.append("format=m3u8-aapl")
        case .dash: options.append("format=mpd-time-csf")
        case .smoothStreaming, .download: break
        }
        if let encryption = scheme.urlOption(for: proto) { options.append("encryption=\(encryption)") }
        let suffix = options.isEmpty ? "" : "(\(options.joined(separator: ",")))"
        return "/\(locatorId)/\(percentEncodedPathComponent(manifestName)).ism/manifest\(suffix)"
    }

    static func percentEncodedPathComponent(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// `ListContentKeysResponse`.
public struct ListContentKeysResponse: Codable, Sendable, Equatable {
    /// The locator's content keys.
    public var contentKeys: [StreamingLocatorContentKey]?
    /// Creates a response.
    public init(contentKeys: [StreamingLocatorContentKey]? = nil) { self.contentKeys = contentKeys }
}
