import Foundation
import Live

extension MediaServices {
    /// The result of an operation the API answers as long-running: the resource (when it still exists),
    /// the operation record, and whether the resource was newly created.
    public struct OperationOutcome<Resource: Sendable>: Sendable {
        public var resource: Resource?
        public var operation: OperationRecord
        public var created: Bool
    }

    // MARK: - Reads

    public func liveEvents(account: ResourceID) -> [LiveEvent] {
        events.values.sorted { ($0.resource.properties?.created ?? .distantPast, $0.name) < ($1.resource.properties?.created ?? .distantPast, $1.name) }
            .map { render($0, account: account) }
    }

    public func liveEvent(_ name: String, account: ResourceID) throws(ARMError) -> LiveEvent {
        render(try eventEntry(name), account: account)
    }

    func eventEntry(_ name: String) throws(ARMError) -> EventEntry {
        guard let entry = events[Self.key(name)] else { throw .resourceNotFound(type: "live event", name: name) }
        return entry
    }

    /// The event as the API returns it: ids, and what this box fills in (ingest and preview URLs).
    func render(_ entry: EventEntry, account: ResourceID) -> LiveEvent {
        var event = entry.resource
        let id = account.appending(.liveEvent, entry.name)
        event.id = id.description
        event.name = entry.name
        event.type = id.armType
        var properties = event.properties ?? LiveEventProperties()
        properties.provisioningState = "Succeeded"
        properties.resourceState = entry.state
        let host = configuration.publicHost
        if var input = properties.input, let token = input.accessToken {
            switch input.streamingProtocol ?? .rtmp {
            case .rtmp:
                input.endpoints = [LiveEventEndpoint(protocol: "RTMP", url: "rtmp://\(host):\(configuration.rtmpPort)/live/\(token)")]
            case .fragmentedMP4:
                input.endpoints = [LiveEventEndpoint(protocol: "FragmentedMP4", url: "http://\(host):\(configuration.httpPort)/\(token)/ingest.isml")]
            }
            properties.input = input
        }
        if var preview = properties.preview, let locator = preview.previewLocator {
            preview.endpoints = [LiveEventEndpoint(protocol: "FragmentedMP4",
                                                   url: "http://\(host):\(configuration.httpPort)/\(locator)/preview.ism/manifest")]
            properties.preview = preview
        }
        event.properties = properties
        return event
    }

    // MARK: - Create, update, delete

    public func createLiveEvent(_ name: String, body: LiveEvent, autoStart: Bool, account: ResourceID) async throws(ARMError) -> OperationOutcome<LiveEvent> {
        try ResourceValidation.validateName(name, for: .liveEvent)
        try body.validateForCreate()
        let key = Self.key(name)
        if events[key] != nil {
            throw .conflict("A live event named '\(name)' already exists; delete it first or choose another name.")
        }
        var properties = body.properties ?? LiveEventProperties()
        var input = properties.input ?? LiveEventInput()
        if input.streamingProtocol == nil {
            throw .badRequest("'properties.input.streamingProtocol' is required (RTMP or FragmentedMP4).", target: "properties.input.streamingProtocol")
        }
        let token = input.accessToken?.replacingOccurrences(of: "-", with: "").lowercased() ?? Self.newToken()
        if eventsByToken[token] != nil {
            throw .badRequest("The access token '\(token)' is already used by another live event; omit it to get a new one.", target: "properties.input.accessToken")
        }
        input.accessToken = input.accessToken ?? token
        input.endpoints = nil
        try validateAccessControl(input.accessControl, field: "properties.input.accessControl")
        properties.input = input
        var preview = properties.preview ?? LiveEventPreview()
        let previewLocator = preview.previewLocator ?? Self.newUUID()
        if eventsByPreviewLocator[Self.key(previewLocator)] != nil || locatorsByID[Self.key(previewLocator)] != nil {
            throw .badRequest("The preview locator '\(previewLocator)' is already in use; omit it to get a new one.", target: "properties.preview.previewLocator")
        }
        preview.previewLocator = previewLocator
        preview.endpoints = nil
        try validateAccessControl(preview.accessControl, field: "properties.preview.accessControl")
        properties.preview = preview
        var encoding = properties.encoding ?? LiveEventEncoding()
        encoding.encodingType = encoding.encodingType ?? LiveEventEncodingType.none
        if encoding.encodingType == .standard { encoding.presetName = encoding.presetName ?? "Default720p" }
        if encoding.encodingType == .premium1080p { encoding.presetName = encoding.presetName ?? "Default1080p" }
        properties.encoding = encoding
        properties.streamOptions = properties.streamOptions ?? [.default]
        properties.useStaticHostname = properties.useStaticHostname ?? false
        properties.crossSiteAccessPolicies = properties.crossSiteAccessPolicies ?? CrossSiteAccessPolicies()
        let now = Date()
        properties.created = now
        properties.lastModified = now
        properties.resourceState = .stopped
        var event = LiveEvent(location: body.location, tags: body.tags ?? [:], systemData: systemData(created: now, modified: now),
                              properties: properties)
        event.name = name
        index(EventEntry(resource: event))
        if autoStart {
            startChannel(key)
            setEventState(key, .running)
        }
        let operation = finishedOperation(.liveEvent, resource: "liveEvents/\(name)")
        do {
            try await persist([.put(try eventRow(events[key]!)), .operation(operation)])
        } catch {
            stopChannelNow(key)
            unindex(key)
            throw error
        }
        logger.info("live event created", metadata: ["event": "\(name)", "autoStart": "\(autoStart)"])
        return OperationOutcome(resource: render(events[key]!, account: account), operation: operation, created: true)
    }

    /// PATCH: only the fields the service lets change, and only in Stopped or StandBy (description and tags
    /// also while Running).
    public func updateLiveEvent(_ name: String, patch: LiveEvent, account: ResourceID) async throws(ARMError) -> OperationOutcome<LiveEvent> {
        let key = Self.key(name)
        var entry = try eventEntry(name)
        try ensureIdle(entry)
        let (merged, changed) = try entry.resource.merged(with: patch)
        // The lifecycle decides which changed fields the current state allows (throws InvalidOperation otherwise).
        var lifecycle = LiveEventLifecycle(name: entry.name, state: LiveEventLifecycle.State(resuming: entry.state))
        if !changed.isEmpty { _ = try lifecycle.update(changing: changed) }
        try validateAccessControl(merged.properties?.input?.accessControl, field: "properties.input.accessControl")
        try validateAccessControl(merged.properties?.preview?.accessControl, field: "properties.preview.accessControl")
        entry.resource = merged
        entry.resource.properties?.lastModified = Date()
        entry.resource.systemData?.lastModifiedAt = entry.resource.properties?.lastModified
        events[key] = entry
        let operation = finishedOperation(.liveEvent, resource: "liveEvents/\(name)")
        try await persist([.put(try eventRow(entry)), .operation(operation)])
        return OperationOutcome(resource: render(entry, account: account), operation: operation, created: false)
    }

    /// DELETE: a running event is stopped first (its outputs deleted, their assets kept). Absent → nil (204).
    public func deleteLiveEvent(_ name: String) async throws(ARMError) -> OperationRecord? {
        let key = Self.key(name)
        guard let entry = events[key] else { return nil }
        try ensureIdle(entry)
        events[key]?.busyWith = "delete"
        defer { events[key]?.busyWith = nil }
        setEventState(key, .deleting)
        var changes = try await removeAllOutputs(key)
        await stopChannel(key, reason: "the live event was deleted")
        unindex(key)
        let operation = finishedOperation(.liveEvent, resource: "liveEvents/\(name)")
        changes += [.delete(.liveEvent, parent: "", name: entry.name), .operation(operation)]
        try await persist(changes)
        logger.info("live event deleted", metadata: ["event": "\(entry.name)"])
        return operation
    }

    // MARK: - Actions

    public enum EventAction: String, Sendable { case start, stop, allocate, reset }

    public func performLiveEventAction(_ name: String, _ action: EventAction, removeOutputsOnStop: Bool = false) async throws(ARMError) -> OperationRecord {
        let key = Self.key(name)
        let entry = try eventEntry(name)
        try ensureIdle(entry)
        let state = entry.state
        var changes: [StoreChange] = []
        switch action {
        case .start:
            switch state {
            case .running: break  // already there: the service answers success
            case .stopped, .standBy:
                events[key]?.busyWith = "start"
                setEventState(key, .starting)
                startChannel(key)
                setEventState(key, .running)
                for outputKey in entry.outputs.keys.sorted() { await attachOutput(eventKey: key, outputKey: outputKey) }
            default: throw transitionalState(entry, action: "start")
            }
        case .allocate:
            switch state {
            case .stopped:
                setEventState(key, .allocating)
                setEventState(key, .standBy)
            case .standBy: break
            default:
                throw .invalidOperation("The live event '\(entry.name)' is \(state.rawValue); it can be allocated only when Stopped.")
            }
        case .stop:
            switch state {
            case .stopped: break
            case .running, .standBy:
                if !entry.outputs.isEmpty && !removeOutputsOnStop {
                    let names = entry.outputs.values.map(\.name).sorted().joined(separator: ", ")
                    throw .invalidOperation("The live event '\(entry.name)' has live outputs (\(names)); delete them first or stop with removeOutputsOnStop=true (their assets are kept).")
                }
                events[key]?.busyWith = "stop"
                setEventState(key, .stopping)
                changes += try await removeAllOutputs(key)
                await stopChannel(key, reason: "the live event was stopped")
                setEventState(key, .stopped)
            default: throw transitionalState(entry, action: "stop")
            }
        case .reset:
            guard state == .running else {
                throw .invalidOperation("The live event '\(entry.name)' is \(state.rawValue); only a Running live event can be reset.")
            }
            events[key]?.busyWith = "reset"
            changes += try await removeAllOutputs(key)
            await stopChannel(key, reason: "the live event was reset")
            setEventState(key, .starting)
            startChannel(key)
            setEventState(key, .running)
        }
        events[key]?.busyWith = nil
        let operation = finishedOperation(.liveEvent, resource: "liveEvents/\(entry.name)")
        if let updated = events[key] { changes.append(.put(try eventRow(updated))) }
        changes.append(.operation(operation))
        try await persist(changes)
        logger.info("live event \(action.rawValue)", metadata: ["event": "\(entry.name)", "state": "\(events[key]?.state.rawValue ?? "?")"])
        return operation
    }

    private func transitionalState(_ entry: EventEntry, action: String) -> ARMError {
        .invalidOperation("The live event '\(entry.name)' is \(entry.state.rawValue); \(action) is not allowed until that finishes.")
    }

    /// One operation at a time per event, including its outputs (as the service).
    func ensureIdle(_ entry: EventEntry) throws(ARMError) {
        if let busy = entry.busyWith {
            throw .conflict("The live event '\(entry.name)' is busy with another operation (\(busy)); retry when it has finished.")
        }
    }

    // MARK: - Runtime effects

    /// Deletes every live output of an event (stop with removeOutputsOnStop, reset, delete): recording stops and
    /// their assets become on-demand. Returns the store changes to commit with the operation.
    func removeAllOutputs(_ key: String) async throws(ARMError) -> [StoreChange] {
        guard let entry = events[key] else { return [] }
        var changes: [StoreChange] = [.deleteChildren(.liveOutput, parent: entry.name)]
        for (outputKey, output) in entry.outputs {
            await detachOutput(eventKey: key, outputKey: outputKey)
            if let assetName = output.resource.properties?.assetName, let asset = assets[Self.key(assetName)] {
                changes.append(.put(try assetRow(asset)))
            }
        }
        events[key]?.outputs = [:]
        return changes
    }

    func setEventState(_ key: String, _ state: LiveEventResourceState) {
        events[key]?.resource.properties?.resourceState = state
    }

    /// Creates the live pipeline so ingest is accepted on the event's token.
    func startChannel(_ key: String) {
        guard let entry = events[key], entry.channel == nil else { return }
        events[key]?.channel = LiveChannel(name: entry.name, executor: loop.unownedExecutor,
                                           configuration: configuration.channelConfiguration, logger: logger)
    }

    /// Ends the pipeline: connected encoders are disconnected, the in-memory window is dropped.
    func stopChannel(_ key: String, reason: String) async {
        guard let entry = events[key], entry.channel != nil else { return }
        events[key]?.channel = nil
        if let token = entry.resource.properties?.input?.accessToken {
            await ingest?.disconnect(accessToken: token, reason: reason)
        }
    }

    /// Drops the channel without telling ingest (roll-back of a create that could not be saved).
    func stopChannelNow(_ key: String) { events[key]?.channel = nil }

    func validateAccessControl(_ control: LiveEventAccessControl?, field: String) throws(ARMError) {
        for (index, range) in (control?.ip?.allow ?? []).enumerated() {
            _ = try IPNetwork(range, field: "\(field).ip.allow[\(index)]")
        }
    }
}
