import AMSModels
import EncodeModel
import Live

/// What the appliance tells the control plane about live encoding on this box.
public struct LiveEncodingEnvironment: Sendable {
    /// How workers are started and watched.
    public var launcher: EncodeWorkerLauncher
    /// Ladders by name: the built-in presets and any the box adds.
    public var presets: [LadderPreset]
    /// The encoder this box uses for `preset` with that many other events of it already encoding (the hardware
    /// profile's choice) under the event's fallback policy (nil: the box's), or why it cannot encode it.
    public var chooseEncoder: @Sendable (_ preset: LadderPreset, _ runningEvents: Int, _ policy: FallbackPolicy?) -> Result<EncoderChoice, EncoderUnavailable>

    public init(launcher: EncodeWorkerLauncher, presets: [LadderPreset],
                chooseEncoder: @escaping @Sendable (LadderPreset, Int, FallbackPolicy?) -> Result<EncoderChoice, EncoderUnavailable>) {
        self.launcher = launcher
        self.presets = presets
        self.chooseEncoder = chooseEncoder
    }

    public func preset(named name: String) -> LadderPreset? {
        presets.first { $0.name.lowercased() == name.lowercased() }
    }

    /// The live event tag that sets one event's fallback policy (`LiveEvent.encodePolicyTag`); read when the event starts.
    public static let policyTag = LiveEvent.encodePolicyTag

    /// The fallback policy `tags` ask for: nil without the tag; a 400 naming the tag for a value that is neither.
    public static func policy(tags: [String: String]?) throws(ARMError) -> FallbackPolicy? {
        guard let value = tags?[policyTag] else { return nil }
        guard let policy = FallbackPolicy(rawValue: value.lowercased()) else {
            throw .badRequest("The tag '\(policyTag)' is '\(value)'; use 'auto' (the GPU when usable, else libx264, said loudly) or 'never' (the GPU or nothing).", target: "tags.\(policyTag)")
        }
        return policy
    }

    /// The encoding type a preset belongs to: Standard encodes up to 720p, Premium1080p up to 1080p.
    public static func encodingType(of preset: LadderPreset) -> LiveEventEncodingType {
        (preset.rungs.map(\.height).max() ?? 0) <= 720 ? .standard : .premium1080p
    }
}

/// The hardware profile's decision for one preset.
public struct EncoderChoice: Sendable, Hashable {
    public var backend: EncoderBackend
    public var options: [String: String]
    /// Why: the profile and what the probe found, e.g. "no DRM render node: software x86-64, libx264 superfast for 2 cores".
    public var reason: String
    /// Software although the GPU path was wanted (the `auto` policy fell back): status and logs say so loudly.
    public var isFallback: Bool
    /// With a GPU backend under policy `auto`: the libx264 backend and options to switch to if the GPU encoder keeps
    /// failing at run time.
    public var softwareFallback: SoftwareFallback?

    public init(backend: EncoderBackend, options: [String: String], reason: String, isFallback: Bool,
                softwareFallback: SoftwareFallback? = nil) {
        self.backend = backend
        self.options = options
        self.reason = reason
        self.isFallback = isFallback
        self.softwareFallback = softwareFallback
    }
}

/// Why this box cannot encode a preset (policy `never` without a usable GPU, a ladder beyond the hardware).
public struct EncoderUnavailable: Error, Sendable, Hashable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
