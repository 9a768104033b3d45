import AMSModels
import Foundation
import Live
import MediaDirectory
import Protection

// What the media path reads is the ChannelDirectory: MediaServices writes it and never answers ingest or the origin
// itself. Every resource map the directory is built from republishes it when it changes (their `didSet`), so each
// state the API goes through — transitional ones across a suspension point included — is what ingest and the origin
// see.
extension MediaServices: ArchiveOpener {
    // MARK: - The channel directory

    /// Rebuilds the directory's contents from the resources and their runtime state (channels, open archives).
    func publishDirectory() {
        guard !directoryHeld else { return }
        var channels: [DirectoryChannel] = []
        for entry in events.values {
            let properties = entry.resource.properties
            channels.append(DirectoryChannel(
                eventName: entry.name, accessToken: properties?.input?.accessToken, previewLocator: properties?.preview?.previewLocator,
                state: entry.state.rawValue, isRunning: entry.state == .running, channel: entry.channel,
                inputAllowList: Self.allowList(properties?.input?.accessControl),
                previewAllowList: Self.allowList(properties?.preview?.accessControl),
                // The preview has no locator of its own: `filter=` may name account filters.
                previewFilters: filterSet(assetName: "", locatorFilters: nil)))
        }
        var published: [String: DirectoryLocator] = [:]
        var grants: [UUID: KeyGrant] = [:]
        // Oldest first, so a key id two locators share (with the same value) is granted by the first one's policy.
        let ordered = locatorsByID.sorted { a, b in
            (locators[a.value]?.properties?.created ?? .distantPast, a.value) < (locators[b.value]?.properties?.created ?? .distantPast, b.value)
        }
        for (id, name) in ordered {
            guard let locator = locators[name], let properties = locator.properties else { continue }
            let protection: ProtectionPlan?
            switch protectionPlan(properties) {
            case .clear: protection = nil
            case .protected(let plan): protection = plan
            // Never serve in the clear what the policy says to encrypt: the locator answers 404 instead.
            case .broken: continue
            }
            if protection != nil { addGrants(properties, locatorName: locator.name ?? name, to: &grants) }
            let asset = properties.assetName.flatMap { assets[Self.key($0)] }
            published[id] = DirectoryLocator(
                name: locator.name, validFrom: properties.startTime.map { LocatorTime(date: $0, text: ARMDateTime.format($0)) },
                validUntil: properties.endTime.map { LocatorTime(date: $0, text: ARMDateTime.format($0)) },
                asset: asset.map { DirectoryAsset(name: $0.name, manifestName: $0.notes.manifestName,
                                                  fragmentsPerTSSegment: $0.notes.fragmentsPerTsSegment, archive: $0.archive) },
                filters: asset.map { filterSet(assetName: $0.name, locatorFilters: properties.filters) } ?? .none,
                protection: protection)
        }
        directory.publish(DirectoryContents(channels: channels, locators: published, isStreaming: isStreaming, keyGrants: grants))
    }

    /// The locator's protection plan from its streaming policy and stored keys.
    func protectionPlan(_ properties: StreamingLocatorProperties) -> ProtectionCompiler.Outcome {
        let name = properties.streamingPolicyName ?? ""
        guard let policy = StreamingPolicy.predefined(named: name)?.properties ?? customPolicies[Self.key(name)]?.resource.properties else {
            return .broken
        }
        return ProtectionCompiler.plan(policy: policy, keys: properties.contentKeys ?? [], alternativeMediaId: properties.alternativeMediaId)
    }

    /// A grant per key of the locator whose content key policy exists: the key with the policy's compiled options. A key
    /// without a policy gets none, so key delivery refuses it (a custom URL template sends players elsewhere).
    private func addGrants(_ properties: StreamingLocatorProperties, locatorName: String, to grants: inout [UUID: KeyGrant]) {
        for stored in properties.contentKeys ?? [] {
            guard let key = ProtectionCompiler.contentKey(stored), grants[key.id] == nil,
                  let policyName = stored.policyName, let policy = contentKeyPolicies[Self.key(policyName)] else { continue }
            grants[key.id] = KeyGrant(key: key, policyName: policy.name ?? policyName,
                                      options: ProtectionCompiler.options(policy.properties ?? ContentKeyPolicyProperties()),
                                      locatorName: locatorName)
        }
    }

    /// An `accessControl` as the directory asks it: no control or no `ip` → nil (everyone); an `ip` list → only the
    /// addresses it covers (empty list, or one that does not compile → no one).
    static func allowList(_ control: LiveEventAccessControl?) -> (any AddressAllowList)? {
        guard let ip = control?.ip else { return nil }
        return (try? IPAllowList(ip, field: "ip")) ?? IPAllowList(networks: [])
    }

    /// The origin asks for an asset whose archive nothing has opened yet.
    public func openArchive(assetName: String) async -> AssetArchive? {
        await openArchive(Self.key(assetName))
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
