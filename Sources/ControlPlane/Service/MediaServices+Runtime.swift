import Foundation
import HTTP
import Ingest
import Live
import Origin

// What ingest and the origin ask the account, synchronously on the event loop.
extension MediaServices: LocatorResolver, IngestResolver {
    // MARK: - Ingest admission

    public nonisolated func admitIngest(accessToken: String, remoteAddress: String) -> IngestAdmission {
        assumeIsolated { services in services.admit(accessToken: accessToken, remoteAddress: remoteAddress) }
    }

    func admit(accessToken: String, remoteAddress: String) -> IngestAdmission {
        guard let key = eventsByToken[Self.key(accessToken)], let entry = events[key] else {
            return .refuse(code: IngestRefusalCode.unknownAccessToken, reason: "no live event has the access token '\(accessToken)'")
        }
        guard entry.resource.properties?.input?.accessControl.allows(remoteAddress) ?? true else {
            let reason = "\(remoteAddress) is not in the input IP allow list of live event '\(entry.name)'"
            // The channel shares this executor: record the refusal in its stream events synchronously.
            entry.channel?.assumeIsolated { $0.recordInvalidConnection(code: IngestRefusalCode.connectionDenied, reason: reason,
                                                                        remoteAddress: remoteAddress) }
            return .refuse(code: IngestRefusalCode.connectionDenied, reason: reason)
        }
        guard entry.state == .running, let channel = entry.channel else {
            return .refuse(code: IngestRefusalCode.eventNotRunning,
                           reason: "live event '\(entry.name)' is \(entry.state.rawValue); start it to accept encoders")
        }
        return .accept(channel)
    }

    // MARK: - Origin look-ups

    public func resolve(locatorID: String, manifestName: String, request: HTTPRequest) async -> LocatorResolution {
        let locatorKey = Self.key(locatorID)
        // A live event's preview: served without a live output or a running streaming endpoint, guarded by its own IP list.
        if let eventKey = eventsByPreviewLocator[locatorKey], let entry = events[eventKey] {
            guard manifestName.lowercased() == "preview" else {
                return .refused(status: 404, message: "the preview of live event '\(entry.name)' is at '\(locatorID)/preview.ism', not '\(manifestName).ism'")
            }
            guard entry.resource.properties?.preview?.accessControl.allows(request.remoteAddress) ?? true else {
                return .refused(status: 403, message: "\(request.remoteAddress) is not in the preview IP allow list of live event '\(entry.name)'")
            }
            guard let channel = entry.channel else {
                return .refused(status: 404, message: "live event '\(entry.name)' is \(entry.state.rawValue); its preview exists only while it is Running")
            }
            // The preview has no locator of its own: `filter=` may name account filters.
            return .source(channel, filters: filterSet(assetName: "", locatorFilters: nil))
        }
        guard let name = locatorsByID[locatorKey], let locator = locators[name], let properties = locator.properties else {
            return .refused(status: 404, message: "no streaming locator has the id '\(locatorID)'")
        }
        guard isStreaming else {
            return .refused(status: 503, message: "the streaming endpoint is stopped; start it (edgelive endpoint start, or the API's streamingEndpoints/default/start) to serve streaming locators")
        }
        let now = Date()
        if let start = properties.startTime, now < start {
            return .refused(status: 404, message: "streaming locator '\(locator.name ?? locatorID)' is valid from \(ARMDateTime.format(start))")
        }
        if let end = properties.endTime, now >= end {
            return .refused(status: 404, message: "streaming locator '\(locator.name ?? locatorID)' expired at \(ARMDateTime.format(end))")
        }
        guard let assetName = properties.assetName, let asset = assets[Self.key(assetName)] else {
            return .refused(status: 404, message: "the asset of streaming locator '\(locator.name ?? locatorID)' no longer exists")
        }
        guard let manifest = asset.notes.manifestName else {
            return .refused(status: 404, message: "asset '\(asset.name)' has no content: no live output has recorded into it")
        }
        guard manifest.lowercased() == manifestName.lowercased() else {
            return .refused(status: 404, message: "asset '\(asset.name)' is published as '\(manifest).ism', not '\(manifestName).ism'")
        }
        guard let archive = await openArchive(Self.key(asset.name)) else {
            return .refused(status: 500, message: "the archive of asset '\(asset.name)' cannot be opened; see the daemon's log")
        }
        return .source(archive, fragmentsPerTSSegment: asset.notes.fragmentsPerTsSegment,
                       filters: filterSet(assetName: asset.name, locatorFilters: properties.filters))
    }

    // MARK: - Telemetry

    /// The channel's telemetry while the event runs (nil otherwise).
    private func telemetry(_ name: String) async throws(ARMError) -> ChannelTelemetrySnapshot? {
        let entry = try eventEntry(name)
        guard let channel = entry.channel else { return nil }
        return await channel.telemetry()
    }

    public func liveEventStatus(_ name: String) async throws(ARMError) -> LiveEventGetStatusResult {
        guard let snapshot = try await telemetry(name) else {
            let stopped = events[Self.key(name)]?.resource.properties?.lastModified ?? Date()
            return LiveEventGetStatusResult(value: [LiveEventStatus.stopped(at: stopped)])
        }
        var status = LiveEventStatus(snapshot: snapshot)
        // Archive trouble (a full or failing disk, a writer that cannot keep up) is the operator's to see here too.
        for output in (events[Self.key(name)]?.outputs.values.map { $0 } ?? []).sorted(by: { $0.name < $1.name }) {
            guard let assetName = output.resource.properties?.assetName,
                  let archive = assets[Self.key(assetName)]?.archive else { continue }
            let stats = await archive.stats
            guard stats.writeErrors > 0 || stats.dropped > 0 else { continue }
            var text = "live output '\(output.name)' could not archive \(stats.writeErrors + stats.dropped) fragment(s) into asset '\(assetName)'"
            if let error = stats.lastError { text += ": \(error)" }
            status.healthDescriptions = (status.healthDescriptions ?? []) + [text]
            status.healthStatus = .poor
        }
        return LiveEventGetStatusResult(value: [status])
    }

    public func liveEventStreamEvents(_ name: String) async throws(ARMError) -> LiveEventGetStreamEventsResult {
        guard let snapshot = try await telemetry(name) else { return LiveEventGetStreamEventsResult(value: []) }
        return LiveEventGetStreamEventsResult(snapshot: snapshot)
    }

    public func liveEventTrackHeartbeats(_ name: String) async throws(ARMError) -> LiveEventGetTrackIngestHeartbeatsResult {
        guard let snapshot = try await telemetry(name) else { return LiveEventGetTrackIngestHeartbeatsResult(value: []) }
        // `transcriptions` is stored but nothing transcribes yet: heartbeats say so (no `On`) until a recogniser runs.
        return LiveEventGetTrackIngestHeartbeatsResult(snapshot: snapshot, transcriptionLanguage: nil)
    }

    // MARK: - For the appliance

    /// Ingest and preview URLs of a live event (the appliance prints the default event's on start).
    public func urls(ofEvent name: String) -> (ingest: String, preview: String)? {
        guard let entry = events[Self.key(name)] else { return nil }
        let event = render(entry, account: ResourceID(subscriptionId: "-", resourceGroup: "-", accountName: "-"))
        guard let ingest = event.properties?.input?.endpoints?.first?.url,
              let preview = event.properties?.preview?.endpoints?.first?.url else { return nil }
        return (ingest, preview)
    }

    /// Live events and connected streams, for status lines.
    public func summary() -> (running: Int, total: Int) {
        (events.values.filter { $0.state == .running }.count, events.count)
    }

    /// Stops recording everywhere (daemon shutdown): pending fragment writes are flushed; outputs stay, so a
    /// restart resumes them.
    public func shutdown() async {
        for entry in assets.values {
            if let archive = entry.archive { await archive.flush() }
        }
    }
}

extension Optional where Wrapped == LiveEventAccessControl {
    /// The service's rule: no access control → everyone; an `ip.allow` list → only the addresses it covers
    /// (empty list → no one).
    func allows(_ address: String) -> Bool {
        guard let control = self, let ip = control.ip else { return true }
        return ip.allows(address)
    }
}
