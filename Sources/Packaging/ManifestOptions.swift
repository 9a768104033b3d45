// The options a streaming URL carries inside `manifest(…)`, `Manifest(…)` and `Fragments(…)`.

/// Request options from the URL (`format=`, `filter=`, `audio-only=`, `type=keyframes`, `encryption=`).
public struct ManifestOptions: Sendable, Hashable {
    /// The output asked for; `.smooth` when the URL has no `format=`.
    public var format: OutputFormat
    /// Filter names from `filter=a;b;c`, in URL order (at most three).
    public var filters: [String]
    /// Whether the HLS multivariant playlist gets the audio-only variant (`audio-only=false` turns it off).
    public var audioOnly: Bool
    /// `type=keyframes`: an HLS I-frame playlist.
    public var keyframesOnly: Bool
    /// `encryption=` scheme, lower-cased (`cbc`, `cenc`, `cbcs-aapl`, `piff`), or nil for the locator's default.
    public var encryption: String?
    /// Canonical fragments per HLS MPEG-TS segment. Not a URL option: the live output's `hls.fragmentsPerTsSegment`,
    /// which the origin takes from what the locator publishes; 1 when unknown.
    public var fragmentsPerTSSegment: Int
    /// `part=<n>` on `Fragments(<track>=<t>,…)`: part (CMAF chunk) `n` of the segment at `t`, counting from 0
    /// (LL-HLS partial segments of low-latency events); nil for the whole segment.
    public var part: Int?
    /// The bitrate of the video variant the HLS multivariant playlist lists first (a filter's `firstQuality`; the
    /// nearest video bitrate when none matches). Not a URL option: the origin takes it from the filters it applies.
    public var firstQualityBitrate: Int? = nil
    /// How the tracks are protected, when the locator's policy encrypts this request. Not a URL option: the origin makes
    /// it from the locator's protection plan and the scheme `encryption=` selects.
    public var protection: ManifestProtection? = nil

    /// Schemes `encryption=` accepts (spec/ams-live.md §10.1, §11).
    public static let encryptionSchemes = ["cbc", "cenc", "cbcs-aapl", "piff"]
    /// How many filters one URL may combine.
    public static let maximumFilterCount = 3

    /// Options with the service defaults: Smooth, no filters, audio-only variant on.
    public init(format: OutputFormat = .smooth, filters: [String] = [], audioOnly: Bool = true,
                keyframesOnly: Bool = false, encryption: String? = nil, fragmentsPerTSSegment: Int = 1) {
        self.format = format
        self.filters = filters
        self.audioOnly = audioOnly
        self.keyframesOnly = keyframesOnly
        self.encryption = encryption
        self.fragmentsPerTSSegment = max(1, fragmentsPerTSSegment)
    }
}
