// The control API's streaming endpoint family: endpoints, their actions, SKUs and operations.
import AMSModels
import Foundation
import HTTP

extension ControlAPI {
    /// Streaming endpoints, their actions, SKUs and operations.
    func streamingEndpoints(_ c: Context) async throws(ARMError) -> HTTPResponse {
        let s = services
        switch (c.route.target, c.route.method) {
        case (.streamingEndpoints, .get):
            return try list(c, await s.endpointList(account: c.account), count: true)
        case (.streamingEndpoint(let name), .get):
            return try Self.json(await s.endpoint(name, account: c.account))
        case (.streamingEndpoint(let name), .put):
            let body = try c.decode(StreamingEndpoint.self)
            let outcome = try await s.createEndpoint(name, body: body, autoStart: c.queryFlag("autoStart"), account: c.account)
            return try lro(c, outcome.operation, status: 201, body: outcome.resource,
                           operations: "streamingEndpointOperations", location: "streamingEndpoints/\(name)/operationLocations")
        case (.streamingEndpoint(let name), .patch):
            let patch = try c.decode(StreamingEndpoint.self)
            let outcome = try await s.updateEndpoint(name, patch: patch, account: c.account)
            return try lro(c, outcome.operation, status: 202, body: outcome.resource,
                           operations: "streamingEndpointOperations", location: "streamingEndpoints/\(name)/operationLocations")
        case (.streamingEndpoint(let name), .delete):
            guard let operation = try await s.deleteEndpoint(name) else { return Self.noContent }
            return try lro(c, operation, status: 202, body: Optional<StreamingEndpoint>.none,
                           operations: "streamingEndpointOperations", location: "streamingEndpoints/\(name)/operationLocations")
        case (.streamingEndpointAction(let name, let action), .post):
            var units: Int32?
            if action == .scale {
                units = try c.decode(StreamingEntityScaleUnit.self).scaleUnit
            }
            let mapped: MediaServices.EndpointAction = switch action {
            case .start: .start
            case .stop: .stop
            case .scale: .scale
            }
            let operation = try await s.performEndpointAction(name, mapped, scaleUnits: units)
            return try lro(c, operation, status: 202, body: Optional<StreamingEndpoint>.none,
                           operations: "streamingEndpointOperations", location: "streamingEndpoints/\(name)/operationLocations")
        case (.streamingEndpointSkus(let name), .get):
            _ = try await s.endpoint(name, account: c.account)
            return try Self.json(StreamingEndpointSkuInfoListResult.standardAndPremium())
        case (.streamingEndpointOperation(let id), .get):
            return try await operationStatus(id, family: .streamingEndpoint)
        case (.streamingEndpointOperationLocation(let name, let id), .get):
            let operation = try await s.operation(id: id, family: .streamingEndpoint)
            if operation.status == .inProgress { return Self.accepted(retry: true) }
            guard let endpoint = try? await s.endpoint(name, account: c.account) else { return Self.noContent }
            return try Self.json(endpoint)
        default:
            throw methodNotAllowed(c)
        }
    }
}
