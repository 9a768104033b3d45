import Live

/// What ingest needs from its neighbours: the channel an access token feeds.
public protocol IngestResolver: Sendable {
    /// Called on the event loop thread; must not suspend.
    func ingestChannel(accessToken: String) -> LiveChannel?
}
