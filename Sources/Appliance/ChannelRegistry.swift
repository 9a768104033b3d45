import EventLoop
import HTTP
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

    func resolve(locatorID: String, manifestName: String, request: HTTPRequest) -> LocatorResolution {
        guard let channel = byLocator[locatorID.lowercased()]?[manifestName.lowercased()] else {
            return .refused(status: 404, message: "no streaming locator '\(locatorID)' publishes '\(manifestName).ism'")
        }
        return .source(channel)
    }

    func channel(accessToken: String) -> LiveChannel? {
        byToken[accessToken.lowercased()]
    }

    nonisolated func ingestChannel(accessToken: String) -> LiveChannel? {
        assumeIsolated { $0.channel(accessToken: accessToken) }
    }
}
