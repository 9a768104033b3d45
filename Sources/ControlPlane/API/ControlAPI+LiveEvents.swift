// The control API's live event family: live events, their actions and operations, and their live outputs.
import AMSModels
import Foundation
import HTTP

extension ControlAPI {
    /// Live events, their actions and operations, their live outputs.
    func liveEvents(_ c: Context) async throws(ARMError) -> HTTPResponse {
        let s = services
        switch (c.route.target, c.route.method) {
        case (.liveEvents, .get):
            return try list(c, await s.liveEvents(account: c.account), count: true)
        case (.liveEvent(let name), .get):
            return try Self.json(await s.liveEvent(name, account: c.account))
        case (.liveEvent(let name), .put):
            let body = try c.decode(LiveEvent.self)
            let outcome = try await s.createLiveEvent(name, body: body, autoStart: c.queryFlag("autoStart"), account: c.account)
            return try lro(c, outcome.operation, status: 201, body: outcome.resource,
                           operations: "liveEventOperations", location: "liveEvents/\(name)/operationLocations")
        case (.liveEvent(let name), .patch):
            let patch = try c.decode(LiveEvent.self)
            let outcome = try await s.updateLiveEvent(name, patch: patch, account: c.account)
            return try lro(c, outcome.operation, status: 202, body: outcome.resource,
                           operations: "liveEventOperations", location: "liveEvents/\(name)/operationLocations")
        case (.liveEvent(let name), .delete):
            guard let operation = try await s.deleteLiveEvent(name) else { return Self.noContent }
            return try lro(c, operation, status: 202, body: Optional<LiveEvent>.none,
                           operations: "liveEventOperations", location: "liveEvents/\(name)/operationLocations")
        case (.liveEventAction(let name, let action), .post):
            return try await liveEventAction(c, name, action)
        case (.liveEventOperation(let id), .get):
            return try await operationStatus(id, family: .liveEvent)
        case (.liveEventOperationLocation(let name, let id), .get):
            let operation = try await s.operation(id: id, family: .liveEvent)
            if operation.status == .inProgress { return Self.accepted(retry: true) }
            guard let event = try? await s.liveEvent(name, account: c.account) else { return Self.noContent }
            return try Self.json(event)

        // Live outputs
        case (.liveOutputs(let event), .get):
            return try list(c, await s.liveOutputs(event: event, account: c.account), count: true)
        case (.liveOutput(let event, let name), .get):
            return try Self.json(await s.liveOutput(event: event, name, account: c.account))
        case (.liveOutput(let event, let name), .put):
            let body = try c.decode(LiveOutput.self)
            let outcome = try await s.createLiveOutput(event: event, name, body: body, account: c.account)
            return try lro(c, outcome.operation, status: 201, body: outcome.resource,
                           operations: "liveOutputOperations", location: "liveEvents/\(event)/liveOutputs/\(name)/operationLocations")
        case (.liveOutput(let event, let name), .delete):
            guard let operation = try await s.deleteLiveOutput(event: event, name) else { return Self.noContent }
            return try lro(c, operation, status: 202, body: Optional<LiveOutput>.none,
                           operations: "liveOutputOperations", location: "liveEvents/\(event)/liveOutputs/\(name)/operationLocations")
        case (.liveOutputOperation(let id), .get):
            return try await operationStatus(id, family: .liveOutput)
        case (.liveOutputOperationLocation(let event, let name, let id), .get):
            let operation = try await s.operation(id: id, family: .liveOutput)
            if operation.status == .inProgress { return Self.accepted(retry: true) }
            guard let output = try? await s.liveOutput(event: event, name, account: c.account) else { return Self.noContent }
            return try Self.json(output)
        default:
            throw methodNotAllowed(c)
        }
    }

    private func liveEventAction(_ c: Context, _ name: String, _ action: LiveEventAction) async throws(ARMError) -> HTTPResponse {
        let s = services
        let mapped: MediaServices.EventAction
        switch action {
        case .getStatus: return try Self.json(await s.liveEventStatus(name))
        case .getStreamEvents: return try Self.json(await s.liveEventStreamEvents(name))
        case .getTrackIngestHeartbeats: return try Self.json(await s.liveEventTrackHeartbeats(name))
        case .start: mapped = .start
        case .allocate: mapped = .allocate
        case .reset: mapped = .reset
        case .stop: mapped = .stop
        }
        var removeOutputs = false
        if action == .stop {
            // The swagger makes the body required; an empty body is read as removeOutputsOnStop=false.
            removeOutputs = try c.decodeIfPresent(LiveEventActionInput.self)?.removeOutputsOnStop ?? false
        }
        let operation = try await s.performLiveEventAction(name, mapped, removeOutputsOnStop: removeOutputs)
        return try lro(c, operation, status: 202, body: Optional<LiveEvent>.none,
                       operations: "liveEventOperations", location: "liveEvents/\(name)/operationLocations")
    }
}
