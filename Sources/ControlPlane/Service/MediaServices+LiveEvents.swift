import AMSModels
import EncodeModel
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
                // The service listed its rtmps URLs under protocol "RTMP" too, after the rtmp ones.
                if let rtmpsPort = configuration.rtmpsPort {
                    input.endpoints?.append(LiveEventEndpoint(protocol: "RTMP", url: "rtmps://\(host):\(rtmpsPort)/live/\(token)"))
                }
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
        let policy = try LiveEncodingEnvironment.policy(tags: body.tags)
        if let type = encoding.encodingType, !type.isPassthrough {
            encoding.presetName = try checkEncodingPreset(encoding.presetName, type: type, policy: policy).name
        }
        properties.encoding = encoding
        properties.streamOptions = properties.streamOptions ?? [.default]
        properties.useStaticHostname = properties.useStaticHostname ?? false
        properties.crossSiteAccessPolicies = properties.crossSiteAccessPolicies ?? CrossSiteAccessPolicies()
        let now = Date()
        properties.created = now
        properties.lastModified = now
        var event = LiveEvent(location: body.location, tags: body.tags ?? [:], systemData: systemData(created: now, modified: now),
                              properties: properties)
        event.name = name
        let (lifecycle, work) = LiveEventLifecycle.create(name: name, autoStart: autoStart)
        index(EventEntry(resource: event, lifecycle: lifecycle))
        if work == .start {
            startChannel(key)
            events[key]?.lifecycle.finish(succeeded: true)
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

    /// PATCH: the fields the service lets change (`LiveEvent.merged(with:)`), in the states `LiveEventLifecycle`
    /// allows; new IP allow lists apply from the next encoder connection or preview request.
    public func updateLiveEvent(_ name: String, patch: LiveEvent, account: ResourceID) async throws(ARMError) -> OperationOutcome<LiveEvent> {
        let key = Self.key(name)
        var entry = try eventEntry(name)
        let (merged, changed) = try entry.resource.merged(with: patch)
        // The lifecycle decides which changed fields the current state allows (InvalidOperation otherwise).
        if try entry.lifecycle.update(changing: changed) != .none { entry.lifecycle.finish(succeeded: true) }
        try validateAccessControl(merged.properties?.input?.accessControl, field: "properties.input.accessControl")
        try validateAccessControl(merged.properties?.preview?.accessControl, field: "properties.preview.accessControl")
        // A new fallback policy applies from the next start; one this box cannot honour is refused now.
        let policy = try LiveEncodingEnvironment.policy(tags: merged.tags)
        if policy != (try? LiveEncodingEnvironment.policy(tags: entry.resource.tags)),
           let encoding = merged.properties?.encoding, let type = encoding.encodingType, !type.isPassthrough {
            _ = try checkEncodingPreset(encoding.presetName, type: type, policy: policy)
        }
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
        guard var entry = events[key] else { return nil }
        _ = try entry.lifecycle.delete(liveOutputCount: entry.outputs.count)
        events[key]?.lifecycle = entry.lifecycle  // Deleting: holds the slot while outputs and ingest close
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
        var entry = try eventEntry(name)
        let work: LiveEventWork = switch action {
        case .start: try entry.lifecycle.start()
        case .allocate: try entry.lifecycle.allocate()
        case .stop: try entry.lifecycle.stop(removeOutputsOnStop: removeOutputsOnStop, liveOutputCount: entry.outputs.count)
        case .reset: try entry.lifecycle.reset()
        }
        // The transitional state and the operation slot are visible to every request from here on.
        events[key]?.lifecycle = entry.lifecycle
        var changes: [StoreChange] = []
        switch work {
        case .start:
            startChannel(key)
            for outputKey in entry.outputs.keys.sorted() { await attachOutput(eventKey: key, outputKey: outputKey) }
        case .stop:
            changes += try await removeAllOutputs(key)
            await stopChannel(key, reason: "the live event was stopped")
        case .reset:
            changes += try await removeAllOutputs(key)
            await stopChannel(key, reason: "the live event was reset")
            startChannel(key)
        default:
            break  // allocate reserves nothing more here: the ingest URL is fixed; .none: already there
        }
        if work != .none { events[key]?.lifecycle.finish(succeeded: true) }
        let operation = finishedOperation(.liveEvent, resource: "liveEvents/\(entry.name)")
        if let updated = events[key] { changes.append(.put(try eventRow(updated))) }
        changes.append(.operation(operation))
        try await persist(changes)
        logger.info("live event \(action.rawValue)", metadata: ["event": "\(entry.name)", "state": "\(events[key]?.state.rawValue ?? "?")"])
        return operation
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


    /// Creates the live pipeline so ingest is accepted on the event's token; an encoding event also gets its
    /// encode worker.
    func startChannel(_ key: String) {
        guard let entry = events[key], entry.channel == nil else { return }
        var channelConfiguration = configuration.channelConfiguration
        // LowLatency (pass-through or encoding) and LowLatencyV2 (encoding only; the API refuses it for pass-through)
        // publish CMAF chunks: LL-HLS parts and LL-DASH chunked transfer.
        if let options = entry.resource.properties?.streamOptions, options.contains(.lowLatency) || options.contains(.lowLatencyV2) {
            channelConfiguration.partDuration = channelConfiguration.partDuration ?? ChannelConfiguration.lowLatencyPartDuration
        }
        let channel = LiveChannel(name: entry.name, executor: loop.unownedExecutor,
                                  configuration: channelConfiguration, logger: logger)
        events[key]?.channel = channel
        guard let encoding = entry.resource.properties?.encoding, let type = encoding.encodingType, !type.isPassthrough else { return }
        do {
            let policy = try LiveEncodingEnvironment.policy(tags: entry.resource.tags)
            let preset = try checkEncodingPreset(encoding.presetName, type: type, policy: policy)
            guard let environment = configuration.liveEncoding else { return }
            let choice = try environment.chooseEncoder(preset, runningEncodingEvents(preset: preset, except: key), policy).get()
            let interval = encoding.keyFrameInterval.flatMap { try? ISO8601Duration(parsing: $0) }?.seconds ?? 2
            let job = EncodeJob(eventName: entry.name, preset: preset,
                                stretchMode: EncodeModel.StretchMode(rawValue: (encoding.stretchMode ?? .none).rawValue) ?? .none,
                                keyFrameInterval: interval, backend: choice.backend, encoderOptions: choice.options)
            channel.assumeIsolated {
                $0.startEncoding(loop: loop, job: job, launcher: environment.launcher, backendReason: choice.reason,
                                 isFallback: choice.isFallback, softwareFallback: choice.softwareFallback)
            }
        } catch let error as EncoderUnavailable {
            logger.error("live encoding cannot start; the event takes no input", metadata: ["event": "\(entry.name)", "reason": "\(error.message)"])
        } catch {
            logger.error("live encoding cannot start; the event takes no input", metadata: ["event": "\(entry.name)", "reason": "\(error)"])
        }
    }

    /// Encoding events of `preset` whose pipeline runs now, other than `key`'s (for the profile's capacity).
    func runningEncodingEvents(preset: LadderPreset, except key: String?) -> Int {
        events.filter { eventKey, entry in
            eventKey != key && entry.channel != nil && entry.resource.properties?.encoding?.encodingType?.isPassthrough == false
                && entry.resource.properties?.encoding?.presetName?.lowercased() == preset.name.lowercased()
        }.count
    }

    /// The ladder an encoding event runs: its preset, checked against the encoding type and this box (under the
    /// event's fallback policy, nil for the box's).
    func checkEncodingPreset(_ name: String?, type: LiveEventEncodingType, policy: FallbackPolicy?) throws(ARMError) -> LadderPreset {
        let field = "properties.encoding.presetName"
        guard let environment = configuration.liveEncoding else {
            throw ARMError(status: 400, code: "NotSupported", message: "Live encoding ('\(type.rawValue)') is not enabled on this box; create a pass-through event (encodingType PassthroughStandard or PassthroughBasic) or start the daemon with live encoding.", target: "properties.encoding.encodingType")
        }
        let requested = name.flatMap { $0.isEmpty ? nil : $0 } ?? (type == .premium1080p ? "Default1080p" : "Default720p")
        guard let preset = environment.preset(named: requested) else {
            let known = environment.presets.filter { LiveEncodingEnvironment.encodingType(of: $0) == type }.map(\.name)
            throw .badRequest("Unknown preset '\(requested)' for encodingType '\(type.rawValue)'; use one of: \(known.joined(separator: ", ")).", target: field)
        }
        let presetType = LiveEncodingEnvironment.encodingType(of: preset)
        guard presetType == type else {
            throw .badRequest("The preset '\(preset.name)' belongs to encodingType '\(presetType.rawValue)', not '\(type.rawValue)'.", target: field)
        }
        if case .failure(let unavailable) = environment.chooseEncoder(preset, runningEncodingEvents(preset: preset, except: nil), policy) {
            let origin = policy.map { " (the event's tag \(LiveEncodingEnvironment.policyTag) is '\($0.rawValue)')" } ?? ""
            throw ARMError(status: 400, code: "NotSupported", message: "This box cannot encode '\(preset.name)': \(unavailable.message)\(origin)", target: field)
        }
        return preset
    }

    /// Ends the pipeline: connected encoders are disconnected, the in-memory window is dropped.
    func stopChannel(_ key: String, reason: String) async {
        guard let entry = events[key], let channel = entry.channel else { return }
        await channel.stopEncoding()
        events[key]?.channel = nil
        if let token = entry.resource.properties?.input?.accessToken {
            await directory.endSessions(accessToken: token, reason: reason)
        }
    }

    /// Drops the channel without telling ingest (roll-back of a create that could not be saved).
    func stopChannelNow(_ key: String) {
        events[key]?.channel?.assumeIsolated { $0.stopEncoding() }
        events[key]?.channel = nil
    }

    func validateAccessControl(_ control: LiveEventAccessControl?, field: String) throws(ARMError) {
        for (index, range) in (control?.ip?.allow ?? []).enumerated() {
            _ = try IPNetwork(range, field: "\(field).ip.allow[\(index)]")
        }
    }
}
