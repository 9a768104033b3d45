import EventLoop
import Ingest
import Live
import Origin

/// Which channel an ingest access token feeds and which channel a locator publishes. Lives on the
/// event loop so ingest and origin look-ups never hop threads.
actor ChannelRegistry: LocatorResolver, IngestResolver {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.unownedExecutor }

    private var byToken: [String: LiveChannel] = [:]
    /// Locator id (lower-cased) → manifest name (lower-cased) → channel.
    private var byLocator: [String: [String: LiveChannel]] = [:]

    init(loop: EventLoop) { self.loop = loop }

    func register(channel: LiveChannel, accessToken: String, previewLocator: String) {
        byToken[accessToken.lowercased()] = channel
        byLocator[previewLocator.lowercased(), default: [:]]["preview"] = channel
    }

    func channel(locatorID: String, manifestName: String) -> LiveChannel? {
        byLocator[locatorID.lowercased()]?[manifestName.lowercased()]
    }

    func channel(accessToken: String) -> LiveChannel? {
        byToken[accessToken.lowercased()]
    }

    /// The default event admits every address; per-event allow lists and states come with the control plane.
    nonisolated func admitIngest(accessToken: String, remoteAddress: String) -> IngestAdmission {
        guard let channel = assumeIsolated({ $0.channel(accessToken: accessToken) }) else {
            return .refuse(code: IngestRefusalCode.unknownAccessToken, reason: "no live event has access token '\(accessToken)'")
        }
        return .accept(channel)
    }
}
