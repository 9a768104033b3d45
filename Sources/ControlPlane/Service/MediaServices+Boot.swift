import AMSModels
import Foundation
import Live

/// The development default event from before the control plane existed (`default-event.json`); imported once
/// so its ingest and preview URLs keep working.
public struct LegacyDefaultEvent: Sendable {
    public var name: String
    public var accessToken: String
    public var previewLocator: String
    public init(name: String, accessToken: String, previewLocator: String) {
        self.name = name
        self.accessToken = accessToken
        self.previewLocator = previewLocator
    }
}

extension MediaServices {
    /// Loads every resource; on a box's first completed start makes the built-in `default` streaming endpoint and
    /// imports `legacy` (the default event) in one transaction with the mark that the box is provisioned, so a
    /// start that failed earlier leaves the next start a first start; then brings Running events back up with their
    /// live outputs recording again. Throws a ``StoreError`` for an unreadable database.
    public func open(importing legacy: LegacyDefaultEvent?) async throws {
        directory.setArchiveOpener(self)
        // Published once, below, when every resource is in (nothing reads the directory before `open` returns).
        directoryHeld = true
        for row in try await store.rows(.streamingEndpoint) {
            endpoints[Self.key(row.name)] = try decodeStored(StreamingEndpoint.self, row.body, what: "streaming endpoint '\(row.name)'")
        }
        for row in try await store.rows(.asset) {
            let asset = try decodeStored(Asset.self, row.body, what: "asset '\(row.name)'")
            let notes = try row.runtime.map { try decodeStored(AssetNotes.self, $0, what: "asset '\(row.name)' notes") }
                ?? AssetNotes(manifestName: nil, directory: "assets/\(asset.properties?.assetId ?? Self.newUUID())")
            assets[Self.key(row.name)] = AssetEntry(resource: asset, notes: notes)
        }
        for row in try await store.rows(.contentKeyPolicy) {
            contentKeyPolicies[Self.key(row.name)] = try decodeStored(ContentKeyPolicy.self, row.body, what: "content key policy '\(row.name)'")
        }
        for row in try await store.rows(.streamingLocator) {
            let locator = try decodeStored(StreamingLocator.self, row.body, what: "streaming locator '\(row.name)'")
            locators[Self.key(row.name)] = locator
            if let id = locator.properties?.streamingLocatorId { locatorsByID[Self.key(id)] = Self.key(row.name) }
        }
        for row in try await store.rows(.streamingPolicy) {
            customPolicies[Self.key(row.name)] = StoredPolicy(resource: try decodeStored(StreamingPolicy.self, row.body, what: "streaming policy '\(row.name)'"))
        }
        try await loadFilters()
        for row in try await store.rows(.liveEvent) {
            let event = try decodeStored(LiveEvent.self, row.body, what: "live event '\(row.name)'")
            index(EventEntry(resource: event))
        }
        for row in try await store.rows(.liveOutput) {
            let output = try decodeStored(LiveOutput.self, row.body, what: "live output '\(row.parent)/\(row.name)'")
            events[Self.key(row.parent)]?.outputs[Self.key(row.name)] = OutputEntry(resource: output)
        }

        var firstStart: [StoreChange] = []
        if endpoints.isEmpty { firstStart.append(try createDefaultEndpoint()) }
        if !(try await store.isProvisioned()) {
            if let legacy, events[Self.key(legacy.name)] == nil, eventsByToken[Self.key(legacy.accessToken)] == nil {
                firstStart.append(try importLegacy(legacy))
            }
            firstStart.append(.markProvisioned)
        }
        directoryHeld = false
        publishDirectory()
        try await persist(firstStart)

        // Bring back what was running before the restart (or the crash); an interrupted transition resumed as
        // Stopped (see LiveEventLifecycle.State(resuming:)).
        for key in events.keys.sorted() {
            guard let entry = events[key], entry.state == .running else { continue }
            startChannel(key)
            for outputKey in entry.outputs.keys.sorted() { await attachOutput(eventKey: key, outputKey: outputKey) }
            logger.info("live event running again after restart", metadata: ["event": "\(entry.name)", "outputs": "\(entry.outputs.count)"])
        }
        try? await store.pruneOperations(before: Date().addingTimeInterval(-86_400))
    }

    private func createDefaultEndpoint() throws(ARMError) -> StoreChange {
        let now = Date()
        // The box exists to stream: unlike the cloud service's stopped default endpoint, this one starts Running.
        let endpoint = StreamingEndpoint(
            location: configuration.location, tags: [:], systemData: systemData(created: now, modified: now),
            sku: StreamingEndpointSku(name: "Standard", capacity: 600),
            properties: StreamingEndpointProperties(
                description: "The origin of this edgelive box", scaleUnits: 0, maxCacheAge: nil, customHostNames: [],
                cdnEnabled: false, provisioningState: "Succeeded", resourceState: .running,
                created: now, lastModified: now))
        endpoints["default"] = endpoint
        return .put(try endpointRow("default", endpoint))
    }

    private func importLegacy(_ legacy: LegacyDefaultEvent) throws(ARMError) -> StoreChange {
        let now = Date()
        let allowAll = LiveEventAccessControl(ip: IPAccessControl(allow: [IPRange(name: "AllowAll", address: "0.0.0.0", subnetPrefixLength: 0)]))
        let event = LiveEvent(
            location: configuration.location, tags: [:], systemData: systemData(created: now, modified: now),
            properties: LiveEventProperties(
                description: "Default pass-through live event", 
                input: LiveEventInput(streamingProtocol: .rtmp, accessControl: allowAll, accessToken: legacy.accessToken),
                preview: LiveEventPreview(accessControl: allowAll, previewLocator: legacy.previewLocator),
                encoding: LiveEventEncoding(encodingType: LiveEventEncodingType.none),
                resourceState: .running, useStaticHostname: true, streamOptions: [.default],
                created: now, lastModified: now))
        var stored = event
        stored.name = legacy.name
        let entry = EventEntry(resource: stored, lifecycle: LiveEventLifecycle(name: legacy.name, state: .running))
        index(entry)
        logger.info("made the default live event", metadata: ["event": "\(legacy.name)"])
        return .put(try eventRow(entry))
    }

    /// Adds an event to the maps and its token/preview indexes.
    func index(_ entry: EventEntry) {
        let key = Self.key(entry.name)
        events[key] = entry
        if let token = entry.resource.properties?.input?.accessToken { eventsByToken[Self.key(token)] = key }
        if let preview = entry.resource.properties?.preview?.previewLocator { eventsByPreviewLocator[Self.key(preview)] = key }
    }

    func unindex(_ key: String) {
        guard let entry = events.removeValue(forKey: key) else { return }
        if let token = entry.resource.properties?.input?.accessToken { eventsByToken[Self.key(token)] = nil }
        if let preview = entry.resource.properties?.preview?.previewLocator { eventsByPreviewLocator[Self.key(preview)] = nil }
    }

    // MARK: - Rows

    func eventRow(_ entry: EventEntry) throws(ARMError) -> StoredRow {
        var stored = entry.resource
        stored.properties?.resourceState = entry.state
        // What every read recomputes is not stored.
        stored.properties?.input?.endpoints = nil
        stored.properties?.preview?.endpoints = nil
        stored.properties?.provisioningState = nil
        stored.id = nil
        stored.type = nil
        return StoredRow(kind: .liveEvent, name: entry.name, body: try encode(stored),
                         created: entry.resource.properties?.created ?? Date())
    }

    func outputRow(eventName: String, _ output: LiveOutput) throws(ARMError) -> StoredRow {
        var stored = output
        stored.id = nil
        stored.type = nil
        stored.properties?.provisioningState = nil
        stored.properties?.resourceState = nil
        return StoredRow(kind: .liveOutput, parent: eventName, name: output.name ?? "", body: try encode(stored),
                         created: output.properties?.created ?? Date())
    }

    func assetRow(_ entry: AssetEntry) throws(ARMError) -> StoredRow {
        var stored = entry.resource
        stored.id = nil
        stored.type = nil
        return StoredRow(kind: .asset, name: entry.name, body: try encode(stored), runtime: try encode(entry.notes),
                         created: entry.resource.properties?.created ?? Date())
    }

    func locatorRow(_ locator: StreamingLocator) throws(ARMError) -> StoredRow {
        var stored = locator
        stored.id = nil
        stored.type = nil
        return StoredRow(kind: .streamingLocator, name: locator.name ?? "", body: try encode(stored),
                         created: locator.properties?.created ?? Date())
    }

    func endpointRow(_ name: String, _ endpoint: StreamingEndpoint) throws(ARMError) -> StoredRow {
        var stored = endpoint
        stored.id = nil
        stored.type = nil
        stored.name = name
        stored.properties?.hostName = nil
        return StoredRow(kind: .streamingEndpoint, name: name, body: try encode(stored),
                         created: endpoint.properties?.created ?? Date())
    }
}
