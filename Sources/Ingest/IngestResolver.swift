import MediaDirectory

/// What ingest needs from its neighbours: the admission decision for an access token and encoder address
/// (the appliance passes the ``ChannelDirectory``; tests pass fakes).
public protocol IngestResolver: Sendable {
    /// Called on the event loop thread; must not suspend.
    /// - Parameters:
    ///   - accessToken: the token from the ingest URL, as the encoder sent it.
    ///   - remoteAddress: the encoder's IP address, IPv4 or IPv6 text, no port (empty when unknown).
    func admitIngest(accessToken: String, remoteAddress: String) -> IngestAdmission
}

extension ChannelDirectory: IngestResolver {
    public func admitIngest(accessToken: String, remoteAddress: String) -> IngestAdmission {
        admit(accessToken: accessToken, remoteAddress: remoteAddress)
    }
}
