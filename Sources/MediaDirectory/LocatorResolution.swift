import Live
import Packaging
import Protection

/// What a locator and manifest name resolve to: a source to package, or a refusal with its HTTP status.
public enum LocatorResolution: Sendable {
    /// A live event's window, a running live output's archive, or an on-demand asset. `fragmentsPerTSSegment` is
    /// the live output's `hls.fragmentsPerTsSegment` when the resolver knows it (nil: one fragment per TS segment).
    /// `filters`: the locator's filters and those `filter=` may name (asset filters over account filters).
    /// `protection`: the locator's schemes and keys (nil: clear; previews are always clear).
    case source(any MediaSource, fragmentsPerTSSegment: Int? = nil, filters: FilterSet = .none, protection: ProtectionPlan? = nil)
    /// Answered with `status` and `message` as the body: 404 unknown or expired locator, 503 streaming
    /// endpoint stopped, 403 preview not allowed from this address.
    case refused(status: Int, message: String)
}
