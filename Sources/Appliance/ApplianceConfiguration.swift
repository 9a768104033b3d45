import Foundation
import Live
import Media

/// Everything `edgelive serve` can be told. Every key has a development default.
public struct ApplianceConfiguration: Sendable {
    /// Where state and assets live. Default `./data` (installed: `/var/lib/edgelive`).
    public var dataDirectory: String = "./data"
    /// Address the HTTP origin and RTMP ingest listen on. Default all IPv4 interfaces.
    public var listenHost: String = "0.0.0.0"
    /// Origin (streaming and preview) port. Default 8080.
    public var httpPort: Int = 8080
    /// RTMP ingest port. Default 1935.
    public var rtmpPort: Int = 1935
    /// RTMPS ingest port (the service's 2935). Default 2935; RTMPS listens only when `tlsCertificate` and `tlsKey`
    /// are both set.
    public var rtmpsPort: Int = 2935
    /// RTMPS certificate: a PEM file, the server certificate first, then any intermediates. Default: none (no RTMPS).
    /// Read again on SIGHUP, with `tlsKey`.
    public var tlsCertificate: String?
    /// RTMPS private key: an unencrypted PEM file matching `tlsCertificate`. Default: none (no RTMPS).
    public var tlsKey: String?
    /// Host name or address written into printed and published URLs. Default: the first non-loopback
    /// IPv4 address of this machine, else 127.0.0.1.
    public var publicHost: String?
    /// In-memory live window per channel, seconds. Default 300.
    public var windowSeconds: Int = 300
    /// The longest live window accepted (one week): far beyond what memory holds, and its media time (seconds ×
    /// 10 000 000 ticks) cannot overflow.
    public static let maximumWindowSeconds = 7 * 86_400
    /// Control API (AMS-compatible REST) port. Default 8090.
    public var apiPort: Int = 8090
    /// Control API bearer token; default: generated on first start into `<data-dir>/api-token` (mode 0600).
    public var apiToken: String?
    /// `hostName` the streaming endpoints report (where viewers reach the origin). Default `<public host>:<http port>`.
    public var streamingHost: String?
    /// Hardware profiles (VAAPI families, software presets). Default `/usr/share/edgelive/hwprofiles` when it
    /// exists (the package), else the `hwprofiles/` of the checkout the executable is in, wherever it is started from.
    public var hardwareProfilesDirectory: String?
    /// Whether live encoding may fall back to libx264 when no GPU passes its profile's probe. Default `auto`.
    public var encodePolicy: EncodePolicy = .auto
    /// Custom ladders (`NAME.yaml` each), offered beside the built-in presets. Default: none.
    public var presetsDirectory: String?

    public init() {}

    public var channelConfiguration: ChannelConfiguration {
        ChannelConfiguration(windowDuration: Int64(windowSeconds) * MediaTime.ticksPerSecond)
    }
}

/// `auto`: VAAPI when the chosen hardware profile's probe passes, else libx264, said in status, logs and the
/// metric line. `never`: encoding events are refused without a usable GPU.
public enum EncodePolicy: String, Sendable, CaseIterable {
    case auto, never
}

/// A start-up problem the operator can fix; printed as one line and exit status 1.
public struct ApplianceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
