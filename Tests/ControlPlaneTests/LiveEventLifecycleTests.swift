// The live event, live output and streaming endpoint state machines, driven with no I/O.
import AMSModels
import Testing
@testable import ControlPlane

@Suite struct LiveEventLifecycleTests {
    static func expectError(_ status: Int, _ code: String, mentioning fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: () throws(ARMError) -> Void) {
        do {
            try body()
            Issue.record("expected \(status) \(code)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.status == status, "\(error)", sourceLocation: sourceLocation)
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment), "'\(error.message)' lacks '\(fragment)'", sourceLocation: sourceLocation)
        }
    }

    @Test func createWithAndWithoutAutoStart() {
        let (idle, none) = LiveEventLifecycle.create(name: "le", autoStart: false)
        #expect(idle.state == .stopped && none == .none && !idle.isBusy)
        var (starting, work) = LiveEventLifecycle.create(name: "le", autoStart: true)
        #expect(starting.state == .starting && work == .start && starting.operation == .create)
        starting.finish(succeeded: true)
        #expect(starting.state == .running && !starting.isBusy)
        var (failing, _) = LiveEventLifecycle.create(name: "le", autoStart: true)
        failing.finish(succeeded: false)
        #expect(failing.state == .stopped)
    }

    @Test func allocateThenStartThenStop() throws {
        var event = LiveEventLifecycle(name: "le", state: .stopped)
        #expect(try event.allocate() == .allocate)
        #expect(event.state == .allocating && event.state.resourceState == .allocating)
        event.finish(succeeded: true)
        #expect(event.state == .standBy)
        #expect(try event.allocate() == .none)
        #expect(try event.start() == .start)
        #expect(event.state == .starting)
        event.finish(succeeded: true)
        #expect(event.state == .running)
        #expect(try event.start() == .none)
        #expect(try event.stop(removeOutputsOnStop: false, liveOutputCount: 0) == .stop(deleteOutputs: false))
        #expect(event.state == .stopping)
        event.finish(succeeded: true)
        #expect(event.state == .stopped)
        #expect(try event.stop(removeOutputsOnStop: false, liveOutputCount: 0) == .none)
    }

    @Test func failedOperationsReturnToThePreviousState() throws {
        var event = LiveEventLifecycle(name: "le", state: .standBy)
        _ = try event.start()
        event.finish(succeeded: false)
        #expect(event.state == .standBy)
        var running = LiveEventLifecycle(name: "le", state: .running)
        _ = try running.stop(removeOutputsOnStop: false, liveOutputCount: 0)
        running.finish(succeeded: false)
        #expect(running.state == .running && !running.isBusy)
    }

    @Test func allocateRefusedWhileRunning() {
        var event = LiveEventLifecycle(name: "le", state: .running)
        Self.expectError(400, "InvalidOperation", mentioning: "while it is Running") { () throws(ARMError) in _ = try event.allocate() }
    }

    @Test func oneOperationAtATimeIncludingOutputs() throws {
        var event = LiveEventLifecycle(name: "le1", state: .running)
        #expect(try event.createOutput(existingOutputs: 0, limit: 3) == .createOutput)
        #expect(event.state == .running && event.isBusy)
        Self.expectError(409, "Conflict", mentioning: "'le1'") { () throws(ARMError) in _ = try event.stop(removeOutputsOnStop: true, liveOutputCount: 1) }
        Self.expectError(409, "Conflict", mentioning: "live outputs") { () throws(ARMError) in _ = try event.createOutput(existingOutputs: 1, limit: 3) }
        Self.expectError(409, "Conflict", mentioning: "createOutput in progress") { () throws(ARMError) in _ = try event.deleteOutput() }
        Self.expectError(409, "Conflict", mentioning: "Retry") { () throws(ARMError) in _ = try event.update(changing: [.description]) }
        Self.expectError(409, "Conflict", mentioning: "delete") { () throws(ARMError) in _ = try event.delete(liveOutputCount: 1) }
        event.finish(succeeded: true)
        #expect(!event.isBusy && event.state == .running)
        #expect(try event.deleteOutput() == .deleteOutput)
        event.finish(succeeded: true)
        // A transitional state loaded without an operation (e.g. an odd store) still counts as busy.
        let starting = LiveEventLifecycle(name: "x", state: .starting)
        #expect(starting.isBusy)
    }

    @Test func outputLimit() throws {
        var event = LiveEventLifecycle(name: "le", state: .stopped)
        Self.expectError(400, "BadRequest", mentioning: "most it allows (1)") { () throws(ARMError) in _ = try event.createOutput(existingOutputs: 1, limit: 1) }
        #expect(try event.createOutput(existingOutputs: 2, limit: 3) == .createOutput)
    }

    @Test func stopWithOutputsNeedsRemoveOutputsOnStop() throws {
        var event = LiveEventLifecycle(name: "le", state: .running)
        Self.expectError(400, "InvalidOperation", mentioning: "removeOutputsOnStop") { () throws(ARMError) in
            _ = try event.stop(removeOutputsOnStop: false, liveOutputCount: 2)
        }
        #expect(event.state == .running && !event.isBusy)
        #expect(try event.stop(removeOutputsOnStop: true, liveOutputCount: 2) == .stop(deleteOutputs: true))
        event.finish(succeeded: true)
        var standBy = LiveEventLifecycle(name: "le", state: .standBy)
        #expect(try standBy.stop(removeOutputsOnStop: true, liveOutputCount: 0) == .stop(deleteOutputs: false))
    }

    @Test func resetOnlyWhenRunning() throws {
        for state in [LiveEventLifecycle.State.stopped, .standBy] {
            var event = LiveEventLifecycle(name: "le", state: state)
            Self.expectError(400, "InvalidOperation", mentioning: "must be Running") { () throws(ARMError) in _ = try event.reset() }
        }
        var event = LiveEventLifecycle(name: "le", state: .running)
        #expect(try event.reset() == .reset)
        #expect(event.operation == .reset)
        event.finish(succeeded: true)
        #expect(event.state == .running)
    }

    @Test func deleteFromEveryStableState() throws {
        var stopped = LiveEventLifecycle(name: "le", state: .stopped)
        #expect(try stopped.delete(liveOutputCount: 0) == .delete(stopFirst: false, deleteOutputs: false))
        #expect(stopped.state == .deleting && stopped.state.resourceState == .deleting)
        stopped.finish(succeeded: true)
        #expect(stopped.state == .deleted)
        var running = LiveEventLifecycle(name: "le", state: .running)
        #expect(try running.delete(liveOutputCount: 1) == .delete(stopFirst: true, deleteOutputs: true))
        var standBy = LiveEventLifecycle(name: "le", state: .standBy)
        #expect(try standBy.delete(liveOutputCount: 0) == .delete(stopFirst: true, deleteOutputs: false))
        standBy.finish(succeeded: false)
        #expect(standBy.state == .standBy)
    }

    @Test func updatesByState() throws {
        var stopped = LiveEventLifecycle(name: "le", state: .stopped)
        #expect(try stopped.update(changing: []) == .none)
        #expect(try stopped.update(changing: [.hostnamePrefix, .inputAccessControl]) == .update(fields: [.hostnamePrefix, .inputAccessControl], applyToIngest: false))
        stopped.finish(succeeded: true)
        var standBy = LiveEventLifecycle(name: "le", state: .standBy)
        #expect(try standBy.update(changing: [.useStaticHostname]) == .update(fields: [.useStaticHostname], applyToIngest: false))
        standBy.finish(succeeded: true)
        #expect(standBy.state == .standBy)
        var running = LiveEventLifecycle(name: "le", state: .running)
        #expect(try running.update(changing: [.description, .tags, .inputAccessControl, .transcriptions])
                == .update(fields: [.description, .tags, .inputAccessControl, .transcriptions], applyToIngest: true))
        running.finish(succeeded: true)
        Self.expectError(400, "InvalidOperation", mentioning: "'properties.hostnamePrefix'") { () throws(ARMError) in
            _ = try running.update(changing: [.description, .hostnamePrefix])
        }
        #expect(!running.isBusy)
    }

    @Test func resumingStoredStates() {
        #expect(LiveEventLifecycle.State(resuming: .running) == .running)
        #expect(LiveEventLifecycle.State(resuming: .standBy) == .standBy)
        #expect(LiveEventLifecycle.State(resuming: .starting) == .stopped)
        #expect(LiveEventLifecycle.State(resuming: nil) == .stopped)
    }

    // MARK: - Streaming endpoint

    @Test func streamingEndpointStartStop() throws {
        var (endpoint, work) = StreamingEndpointLifecycle.create(name: "default", autoStart: false)
        #expect(work == .none && endpoint.state == .stopped)
        #expect(try endpoint.stop() == .none)
        #expect(try endpoint.start() == .start)
        #expect(endpoint.state == .starting && endpoint.state.resourceState == .starting)
        StreamingEndpointLifecycleChecks.expectConflict(&endpoint)
        endpoint.finish(succeeded: true)
        #expect(endpoint.state == .running)
        #expect(try endpoint.start() == .none)
        #expect(try endpoint.stop() == .stop)
        endpoint.finish(succeeded: true)
        #expect(endpoint.state == .stopped)
        var (auto, autoWork) = StreamingEndpointLifecycle.create(name: "se", autoStart: true)
        #expect(autoWork == .start && auto.operation == .create)
        auto.finish(succeeded: false)
        #expect(auto.state == .stopped)
    }

    @Test func streamingEndpointScale() throws {
        var running = StreamingEndpointLifecycle(name: "se", state: .running)
        #expect(try running.scale(from: 0, to: 0) == .none)
        #expect(try running.scale(from: 0, to: 2) == .scale(to: 2))
        #expect(running.state == .scaling)
        running.finish(succeeded: true)
        #expect(running.state == .running)
        var stopped = StreamingEndpointLifecycle(name: "se", state: .stopped)
        #expect(try stopped.scale(from: 1, to: 3) == .scale(to: 3))
        #expect(stopped.state == .stopped && stopped.isBusy)
        stopped.finish(succeeded: true)
        #expect(stopped.state == .stopped && !stopped.isBusy)
        Self.expectError(400, "BadRequest", mentioning: "out of range") { () throws(ARMError) in _ = try stopped.scale(from: 0, to: -1) }
        Self.expectError(400, "BadRequest", mentioning: "0 (Standard) to 10") { () throws(ARMError) in _ = try stopped.scale(from: 0, to: 11) }
    }

    @Test func streamingEndpointDeleteAndUpdate() throws {
        var running = StreamingEndpointLifecycle(name: "se", state: .running)
        Self.expectError(400, "InvalidOperation", mentioning: "only be changed while it is Stopped") { () throws(ARMError) in
            _ = try running.update(changing: [.cdnEnabled])
        }
        #expect(try running.update(changing: [.maxCacheAge]) == .update(fields: [.maxCacheAge], applyToRunning: true))
        running.finish(succeeded: true)
        #expect(try running.delete() == .delete(stopFirst: true))
        running.finish(succeeded: true)
        #expect(running.state == .deleted)
        var stopped = StreamingEndpointLifecycle(name: "se", state: .stopped)
        #expect(try stopped.update(changing: [.cdnEnabled]) == .update(fields: [.cdnEnabled], applyToRunning: false))
        stopped.finish(succeeded: true)
        #expect(try stopped.delete() == .delete(stopFirst: false))
        #expect(StreamingEndpointLifecycle.State(resuming: .scaling) == .running)
        #expect(StreamingEndpointLifecycle.State(resuming: .stopping) == .stopped)
    }
}

enum StreamingEndpointLifecycleChecks {
    static func expectConflict(_ endpoint: inout StreamingEndpointLifecycle, sourceLocation: SourceLocation = #_sourceLocation) {
        let attempts: [(String, (inout StreamingEndpointLifecycle) throws(ARMError) -> StreamingEndpointWork)] = [
            ("start", { (e: inout StreamingEndpointLifecycle) throws(ARMError) in try e.start() }),
            ("stop", { (e: inout StreamingEndpointLifecycle) throws(ARMError) in try e.stop() }),
            ("scale", { (e: inout StreamingEndpointLifecycle) throws(ARMError) in try e.scale(from: 0, to: 1) }),
            ("delete", { (e: inout StreamingEndpointLifecycle) throws(ARMError) in try e.delete() }),
            ("update", { (e: inout StreamingEndpointLifecycle) throws(ARMError) in try e.update(changing: [.description]) }),
        ]
        for (verb, attempt) in attempts {
            do {
                _ = try attempt(&endpoint)
                Issue.record("\(verb) should conflict", sourceLocation: sourceLocation)
            } catch {
                #expect(error.status == 409 && error.message.contains("Cannot \(verb) the streaming endpoint"), "\(error)", sourceLocation: sourceLocation)
            }
        }
    }
}
