import AMSModels
import Foundation
import Live
import Media

extension MediaServices {
    /// Live outputs per event: the service's quota (PassthroughBasic: 1).
    static func maximumOutputs(_ event: LiveEvent) -> Int {
        event.properties?.encoding?.encodingType == .passthroughBasic ? 1 : 3
    }

    public func liveOutputs(event eventName: String, account: ResourceID) throws(ARMError) -> [LiveOutput] {
        let entry = try eventEntry(eventName)
        return entry.outputs.values
            .sorted { ($0.resource.properties?.created ?? .distantPast, $0.name) < ($1.resource.properties?.created ?? .distantPast, $1.name) }
            .map { render($0, event: entry, account: account) }
    }

    public func liveOutput(event eventName: String, _ name: String, account: ResourceID) throws(ARMError) -> LiveOutput {
        let entry = try eventEntry(eventName)
        guard let output = entry.outputs[Self.key(name)] else { throw .resourceNotFound(type: "live output", name: "\(entry.name)/\(name)") }
        return render(output, event: entry, account: account)
    }

    func render(_ output: OutputEntry, event: EventEntry, account: ResourceID) -> LiveOutput {
        var resource = output.resource
        let id = account.appending(.liveEvent, event.name).appending(.liveOutput, output.name)
        resource.id = id.description
        resource.type = id.armType
        resource.properties?.provisioningState = "Succeeded"
        // Running = archiving into its asset (the event's pipeline exists); Creating = waiting for the event.
        resource.properties?.resourceState = event.channel != nil ? .running : .creating
        return resource
    }

    public func createLiveOutput(event eventName: String, _ name: String, body: LiveOutput, account: ResourceID) async throws(ARMError) -> OperationOutcome<LiveOutput> {
        try ResourceValidation.validateName(name, for: .liveOutput)
        let eventKey = Self.key(eventName)
        var event = try eventEntry(eventName)
        if event.outputs[Self.key(name)] != nil {
            throw .conflict("The live output '\(name)' already exists on live event '\(event.name)'; live outputs cannot be changed, delete it and create it again.")
        }
        try body.validateForCreate(encodingType: event.resource.properties?.encoding?.encodingType,
                                   streamOptions: event.resource.properties?.streamOptions)
        _ = try event.lifecycle.createOutput(existingOutputs: event.outputs.count, limit: Self.maximumOutputs(event.resource))
        var properties = body.properties ?? LiveOutputProperties()
        guard let assetName = properties.assetName, let asset = assets[Self.key(assetName)] else {
            throw .badRequest("The asset '\(body.properties?.assetName ?? "")' does not exist; create it before the live output.", target: "properties.assetName")
        }
        if let recording = asset.notes.recordingOutput {
            throw .conflict("The asset '\(asset.name)' is already recording live output '\(recording)'; use a new asset for each live output.")
        }
        let manifestName = properties.manifestName ?? "output-\(Self.newUUID().prefix(8))"
        // The event's operation slot is held from here until this request ends.
        events[eventKey]?.lifecycle = event.lifecycle
        defer { events[eventKey]?.lifecycle.finish(succeeded: true) }
        // An asset holds one recording: appending a second program would mix two timelines under one manifest.
        if try await assetHasContent(Self.key(asset.name)) {
            throw .badRequest("The asset '\(asset.name)' already holds a recording; use a new, empty asset for each live output.", target: "properties.assetName")
        }
        let now = Date()
        properties.manifestName = manifestName
        properties.created = now
        properties.lastModified = now
        properties.hls = properties.hls ?? Hls(fragmentsPerTsSegment: nil)
        var output = LiveOutput(systemData: systemData(created: now, modified: now), properties: properties)
        output.name = name
        // Re-checked after the await above: another request may have claimed the asset meanwhile.
        if let recording = assets[Self.key(asset.name)]?.notes.recordingOutput {
            throw .conflict("The asset '\(asset.name)' is already recording live output '\(recording)'; use a new asset for each live output.")
        }
        assets[Self.key(asset.name)]?.notes.manifestName = manifestName
        assets[Self.key(asset.name)]?.notes.fragmentsPerTsSegment = properties.hls?.fragmentsPerTsSegment.map(Int.init)
        assets[Self.key(asset.name)]?.notes.recordingOutput = "\(event.name)/\(name)"
        events[eventKey]?.outputs[Self.key(name)] = OutputEntry(resource: output)
        await attachOutput(eventKey: eventKey, outputKey: Self.key(name))
        let operation = finishedOperation(.liveOutput, resource: "liveEvents/\(event.name)/liveOutputs/\(name)")
        do {
            try await persist([.put(try outputRow(eventName: event.name, output)), .put(try assetRow(assets[Self.key(asset.name)]!)),
                               .operation(operation)])
        } catch {
            await detachOutput(eventKey: eventKey, outputKey: Self.key(name))
            events[eventKey]?.outputs[Self.key(name)] = nil
            throw error
        }
        logger.info("live output created", metadata: ["event": "\(event.name)", "output": "\(name)", "asset": "\(asset.name)",
                                                      "manifest": "\(manifestName)"])
        guard let current = events[eventKey], let created = current.outputs[Self.key(name)] else {
            return OperationOutcome(resource: nil, operation: operation, created: true)
        }
        return OperationOutcome(resource: render(created, event: current, account: account), operation: operation, created: true)
    }

    /// DELETE: recording stops and the asset becomes on-demand content at the same URLs. Absent → nil (204).
    public func deleteLiveOutput(event eventName: String, _ name: String) async throws(ARMError) -> OperationRecord? {
        let eventKey = Self.key(eventName)
        let event = try eventEntry(eventName)
        guard let output = event.outputs[Self.key(name)] else { return nil }
        var lifecycle = event.lifecycle
        _ = try lifecycle.deleteOutput()
        events[eventKey]?.lifecycle = lifecycle
        defer { events[eventKey]?.lifecycle.finish(succeeded: true) }
        await detachOutput(eventKey: eventKey, outputKey: Self.key(name))
        events[eventKey]?.outputs[Self.key(name)] = nil
        var changes: [StoreChange] = [.delete(.liveOutput, parent: event.name, name: output.name)]
        if let assetName = output.resource.properties?.assetName, let asset = assets[Self.key(assetName)] {
            changes.append(.put(try assetRow(asset)))
        }
        let operation = finishedOperation(.liveOutput, resource: "liveEvents/\(event.name)/liveOutputs/\(output.name)")
        changes.append(.operation(operation))
        try await persist(changes)
        logger.info("live output deleted; its asset is now on demand", metadata: ["event": "\(event.name)", "output": "\(output.name)"])
        return operation
    }

    // MARK: - Archive wiring

    /// Starts (or resumes after a restart) recording an output's fragments into its asset, when the event runs.
    func attachOutput(eventKey: String, outputKey: String) async {
        guard let event = events[eventKey], let output = event.outputs[outputKey],
              let assetName = output.resource.properties?.assetName else { return }
        let assetKey = Self.key(assetName)
        guard assets[assetKey] != nil else {
            logger.error("live output's asset is missing; nothing is archived", metadata: ["output": "\(output.name)", "asset": "\(assetName)"])
            return
        }
        assets[assetKey]?.notes.recordingOutput = "\(event.name)/\(output.name)"
        guard let channel = event.channel else { return }
        guard let archive = await openArchive(assetKey) else { return }
        let properties = output.resource.properties
        let archiveWindow = properties?.archiveWindow.map { Int64($0.seconds * Double(MediaTime.ticksPerSecond)) } ?? 3600 * MediaTime.ticksPerSecond
        let rewind = properties?.rewindWindow.map { Int64($0.seconds * Double(MediaTime.ticksPerSecond)) }
        await archive.startRecording(from: channel, configuration: ArchiveConfiguration(
            archiveWindow: archiveWindow, rewindWindow: rewind, snapTime: properties?.outputSnapTime))
    }

    /// Stops recording; the archive stays on disk as on-demand content.
    func detachOutput(eventKey: String, outputKey: String) async {
        guard let output = events[eventKey]?.outputs[outputKey], let assetName = output.resource.properties?.assetName else { return }
        let assetKey = Self.key(assetName)
        assets[assetKey]?.notes.recordingOutput = nil
        if let archive = assets[assetKey]?.archive {
            await archive.stopRecording()
        }
    }

    /// The asset's archive, opened (and recovered after a crash) on first use.
    func openArchive(_ assetKey: String) async -> AssetArchive? {
        guard let entry = assets[assetKey] else { return nil }
        if let archive = entry.archive { return archive }
        let directory = (configuration.dataDirectory as NSString).appendingPathComponent(entry.notes.directory)
        do {
            let archive = try await AssetArchive.open(directory: directory, loop: loop, logger: logger, sourceDescription: "asset '\(entry.name)'")
            // Another request may have opened it while this one waited.
            if let raced = assets[assetKey]?.archive { return raced }
            assets[assetKey]?.archive = archive
            return archive
        } catch {
            logger.error("cannot open the asset's archive", metadata: ["asset": "\(entry.name)", "directory": "\(directory)", "error": "\(error)"])
            return nil
        }
    }

    func assetHasContent(_ assetKey: String) async throws(ARMError) -> Bool {
        guard let archive = await openArchive(assetKey) else { return false }
        return !(await archive.presentation().tracks.isEmpty)
    }
}
