import AMSModels
import Foundation

extension MediaServices {
    /// Streaming endpoints per account (the service's default quota).
    static let maximumEndpoints = 2

    public func endpointList(account: ResourceID) -> [StreamingEndpoint] {
        endpoints.keys.sorted().compactMap { key in endpoints[key].map { render($0, name: $0.name ?? key, account: account) } }
    }

    public func endpoint(_ name: String, account: ResourceID) throws(ARMError) -> StreamingEndpoint {
        guard let endpoint = endpoints[Self.key(name)] else { throw .resourceNotFound(type: "streaming endpoint", name: name) }
        return render(endpoint, name: endpoint.name ?? name, account: account)
    }

    func render(_ endpoint: StreamingEndpoint, name: String, account: ResourceID) -> StreamingEndpoint {
        var resource = endpoint
        let id = account.appending(.streamingEndpoint, name)
        resource.id = id.description
        resource.name = name
        resource.type = id.armType
        // Every endpoint is this box's origin: the host:port where it answers.
        resource.properties?.hostName = configuration.originHost
        resource.properties?.provisioningState = "Succeeded"
        return resource
    }

    /// True when some streaming endpoint is Running: the origin serves locators only then.
    var isStreaming: Bool { endpoints.values.contains { $0.properties?.resourceState == .running } }

    public func createEndpoint(_ name: String, body: StreamingEndpoint, autoStart: Bool, account: ResourceID) async throws(ARMError) -> OperationOutcome<StreamingEndpoint> {
        try ResourceValidation.validateName(name, for: .streamingEndpoint)
        let key = Self.key(name)
        guard endpoints[key] == nil else {
            throw .conflict("A streaming endpoint named '\(name)' already exists; update it with PATCH or delete it first.")
        }
        try body.validateForCreate()
        guard endpoints.count < Self.maximumEndpoints else {
            throw .badRequest("This account already has \(endpoints.count) streaming endpoints, the most it can have (\(Self.maximumEndpoints)).")
        }
        let now = Date()
        var properties = body.properties ?? StreamingEndpointProperties()
        properties.scaleUnits = properties.scaleUnits ?? 0
        properties.resourceState = autoStart ? .running : .stopped
        properties.created = now
        properties.lastModified = now
        properties.customHostNames = properties.customHostNames ?? []
        properties.cdnEnabled = properties.cdnEnabled ?? false
        var endpoint = StreamingEndpoint(location: body.location ?? configuration.location, tags: body.tags ?? [:],
                                         systemData: systemData(created: now, modified: now),
                                         sku: Self.sku(scaleUnits: properties.scaleUnits ?? 0), properties: properties)
        endpoint.name = name
        endpoints[key] = endpoint
        let operation = finishedOperation(.streamingEndpoint, resource: "streamingEndpoints/\(name)")
        do {
            try await persist([.put(try endpointRow(name, endpoint)), .operation(operation)])
        } catch {
            endpoints[key] = nil
            throw error
        }
        return OperationOutcome(resource: render(endpoint, name: name, account: account), operation: operation, created: true)
    }

    static func sku(scaleUnits: Int32) -> StreamingEndpointSku {
        scaleUnits == 0 ? StreamingEndpointSku(name: "Standard", capacity: 600) : StreamingEndpointSku(name: "Premium", capacity: scaleUnits * 200)
    }

    /// The endpoint's lifecycle from its stored state (endpoint operations finish within the request, so no
    /// operation is ever left running between requests).
    private func lifecycle(_ name: String, _ endpoint: StreamingEndpoint) -> StreamingEndpointLifecycle {
        StreamingEndpointLifecycle(name: name, state: .init(resuming: endpoint.properties?.resourceState))
    }

    /// PATCH: what `StreamingEndpoint.merged(with:)` lets change, in the states the lifecycle allows; a new
    /// `scaleUnits` is applied as a scale.
    public func updateEndpoint(_ name: String, patch: StreamingEndpoint, account: ResourceID) async throws(ARMError) -> OperationOutcome<StreamingEndpoint> {
        let key = Self.key(name)
        guard let current = endpoints[key] else { throw .resourceNotFound(type: "streaming endpoint", name: name) }
        var (endpoint, changed) = try current.merged(with: patch)
        if endpoint.properties?.cdnEnabled == true {
            throw .badRequest("This box has no CDN; 'properties.cdnEnabled' must stay false.", target: "properties.cdnEnabled")
        }
        var states = lifecycle(name, current)
        if changed.remove(.scaleUnits) != nil {
            _ = try states.scale(from: current.properties?.scaleUnits ?? 0, to: endpoint.properties?.scaleUnits ?? 0)
            endpoint.sku = Self.sku(scaleUnits: endpoint.properties?.scaleUnits ?? 0)
        } else {
            _ = try states.update(changing: changed)
        }
        endpoint.properties?.lastModified = Date()
        endpoint.systemData?.lastModifiedAt = endpoint.properties?.lastModified
        endpoints[key] = endpoint
        let operation = finishedOperation(.streamingEndpoint, resource: "streamingEndpoints/\(name)")
        try await persist([.put(try endpointRow(endpoint.name ?? name, endpoint)), .operation(operation)])
        return OperationOutcome(resource: render(endpoint, name: endpoint.name ?? name, account: account), operation: operation, created: false)
    }

    /// DELETE: a Running endpoint is stopped first (the origin then refuses locators unless another one runs).
    public func deleteEndpoint(_ name: String) async throws(ARMError) -> OperationRecord? {
        let key = Self.key(name)
        guard let endpoint = endpoints[key] else { return nil }
        var states = lifecycle(name, endpoint)
        _ = try states.delete()
        endpoints[key] = nil
        let operation = finishedOperation(.streamingEndpoint, resource: "streamingEndpoints/\(name)")
        try await persist([.delete(.streamingEndpoint, parent: "", name: endpoint.name ?? name), .operation(operation)])
        return operation
    }

    public enum EndpointAction: String, Sendable { case start, stop, scale }

    public func performEndpointAction(_ name: String, _ action: EndpointAction, scaleUnits: Int32? = nil) async throws(ARMError) -> OperationRecord {
        let key = Self.key(name)
        guard var endpoint = endpoints[key] else { throw .resourceNotFound(type: "streaming endpoint", name: name) }
        var states = lifecycle(name, endpoint)
        let work: StreamingEndpointWork
        switch action {
        case .start: work = try states.start()
        case .stop: work = try states.stop()
        case .scale:
            guard let units = scaleUnits else {
                throw .badRequest("The body must give 'scaleUnit': 0 (Standard) or more (Premium).", target: "scaleUnit")
            }
            work = try states.scale(from: endpoint.properties?.scaleUnits ?? 0, to: units)
        }
        if case .scale(let units) = work {
            endpoint.properties?.scaleUnits = units
            endpoint.sku = Self.sku(scaleUnits: units)
        }
        // Serving starts or stops with the state: the origin reads it on every locator request.
        if work != .none { states.finish(succeeded: true) }
        endpoint.properties?.resourceState = states.state.resourceState
        endpoint.properties?.lastModified = Date()
        endpoints[key] = endpoint
        let operation = finishedOperation(.streamingEndpoint, resource: "streamingEndpoints/\(endpoint.name ?? name)")
        try await persist([.put(try endpointRow(endpoint.name ?? name, endpoint)), .operation(operation)])
        logger.info("streaming endpoint \(action.rawValue)", metadata: ["endpoint": "\(endpoint.name ?? name)"])
        return operation
    }
}
