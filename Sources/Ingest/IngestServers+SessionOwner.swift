import MediaDirectory

// Both ingest servers register with the ChannelDirectory (the appliance does it), so the control plane ends a stopped
// or deleted live event's encoder sessions through the directory without knowing ingest. Sessions end as at an event
// stop (`.eventStopped`): the code and message encoders see are the same whatever the API's reason.

extension RTMPIngestServer: EncoderSessionOwner {
    public func endSessions(accessToken: String, reason: String) async {
        disconnect(accessToken: accessToken, reason: .eventStopped)
    }
}

extension FragmentedMP4IngestServer: EncoderSessionOwner {
    public func endSessions(accessToken: String, reason: String) async {
        _ = disconnect(accessToken: accessToken, reason: .eventStopped)
    }
}
