// The streaming endpoint state machine (spec §9): Stopped ⇄ Running through Starting/Stopping, Running → Scaling → Running.
// Same shape as LiveEventLifecycle: requests throw or return work, `finish(succeeded:)` ends the operation holding the slot.
import AMSModels

/// What the caller must do after a streaming endpoint operation was accepted.
public enum StreamingEndpointWork: Sendable, Hashable {
    /// Nothing: already in the requested state; answer success at once.
    case none
    /// Start serving.
    case start
    /// Stop serving.
    case stop
    /// Record the new scale unit count (edgelive has no capacity to add; the value is reported back).
    case scale(to: Int32)
    /// Remove the endpoint; stop serving first when `stopFirst`.
    case delete(stopFirst: Bool)
    /// Apply changed fields; `applyToRunning` when the running origin must pick them up (ACLs, cache age, host names, policies).
    case update(fields: Set<StreamingEndpointField>, applyToRunning: Bool)
}

/// Streaming endpoint fields a PATCH may change.
public enum StreamingEndpointField: String, Sendable, Hashable, CaseIterable, Comparable {
    case description, tags, accessControl, maxCacheAge, customHostNames, cdnEnabled, cdnProvider, cdnProfile, crossSiteAccessPolicies
    /// A PATCH changing `scaleUnits` is accepted and treated as a scale (scripts set it and call update).
    case scaleUnits

    /// The JSON path named in messages.
    public var jsonPath: String { self == .tags ? "tags" : "properties.\(rawValue)" }

    public static func < (a: StreamingEndpointField, b: StreamingEndpointField) -> Bool { a.rawValue < b.rawValue }
}

/// The streaming endpoint lifecycle.
public struct StreamingEndpointLifecycle: Sendable, Hashable {
    /// An operation holding the endpoint's single operation slot.
    public enum Operation: String, Sendable, Hashable {
        case create, start, stop, scale, delete, update
    }

    /// The endpoint's resource state.
    public enum State: Sendable, Hashable {
        case stopped, starting, running, stopping, scaling, deleting
        /// Deleted: the caller removes the record.
        case deleted

        /// The wire value (`deleted` reports as `Deleting`).
        public var resourceState: StreamingEndpointResourceState {
            switch self {
            case .stopped: .stopped
            case .starting: .starting
            case .running: .running
            case .stopping: .stopping
            case .scaling: .scaling
            case .deleting, .deleted: .deleting
            }
        }

        /// True while moving between stable states.
        public var isTransitional: Bool { [.starting, .stopping, .scaling, .deleting].contains(self) }

        /// The state a stored `resourceState` resumes as after a restart: Running stays, Scaling resumes Running, others Stopped.
        public init(resuming stored: StreamingEndpointResourceState?) {
            switch stored {
            case .running, .scaling: self = .running
            default: self = .stopped
            }
        }
    }

    /// The endpoint name, for messages.
    public let name: String
    /// The current state.
    public private(set) var state: State
    /// The operation holding the slot, if any.
    public private(set) var operation: Operation?
    private var stateBefore: State

    /// A lifecycle for an existing endpoint in `state` with no operation running.
    public init(name: String, state: State) {
        self.name = name
        self.state = state
        self.stateBefore = state
    }

    /// A newly created endpoint: Stopped, or Starting (work `.start`) when `autoStart`.
    public static func create(name: String, autoStart: Bool) -> (StreamingEndpointLifecycle, StreamingEndpointWork) {
        var lifecycle = StreamingEndpointLifecycle(name: name, state: .stopped)
        guard autoStart else { return (lifecycle, .none) }
        lifecycle.operation = .create
        lifecycle.state = .starting
        return (lifecycle, .start)
    }

    /// True while an operation holds the slot.
    public var isBusy: Bool { operation != nil || state.isTransitional }

    // MARK: - Requests

    /// `POST start`: Stopped → Starting → Running; Running is already done.
    public mutating func start() throws(ARMError) -> StreamingEndpointWork {
        try requireIdle("start")
        if state == .running { return .none }
        return begin(.start, .starting, .start)
    }

    /// `POST stop`: Running → Stopping → Stopped; Stopped is already done.
    public mutating func stop() throws(ARMError) -> StreamingEndpointWork {
        try requireIdle("stop")
        if state == .stopped { return .none }
        return begin(.stop, .stopping, .stop)
    }

    /// `POST scale` (or a PATCH of `scaleUnits`): 0…`maximum` units; Running passes through Scaling, Stopped just records it.
    public mutating func scale(from current: Int32, to units: Int32, maximum: Int32 = 10) throws(ARMError) -> StreamingEndpointWork {
        guard (0 ... maximum).contains(units) else {
            throw ARMError.badRequest("The scale unit count \(units) for the streaming endpoint '\(name)' is out of range; use 0 (Standard) to \(maximum) (Premium).",
                                      target: "scaleUnit")
        }
        try requireIdle("scale")
        if units == current { return .none }
        return begin(.scale, state == .running ? .scaling : state, .scale(to: units))
    }

    /// `DELETE`: from Stopped or Running (a running endpoint is stopped first).
    public mutating func delete() throws(ARMError) -> StreamingEndpointWork {
        try requireIdle("delete")
        return begin(.delete, .deleting, .delete(stopFirst: state == .running))
    }

    /// `PATCH` with `fields` changed: allowed when Stopped or Running, except `cdnEnabled`, which needs Stopped (spec §9.2).
    /// A `scaleUnits` change should go through `scale(from:to:)`; pass the remaining fields here.
    public mutating func update(changing fields: Set<StreamingEndpointField>) throws(ARMError) -> StreamingEndpointWork {
        try requireIdle("update")
        if fields.isEmpty { return .none }
        if fields.contains(.cdnEnabled), state != .stopped {
            throw ARMError.invalidOperation("'properties.cdnEnabled' of the streaming endpoint '\(name)' can only be changed while it is Stopped; it is \(state.resourceState.rawValue). Stop it first.")
        }
        return begin(.update, state, .update(fields: fields, applyToRunning: state == .running))
    }

    /// Ends the running operation: success reaches its target state; failure returns to the previous one (a failed create ends Stopped).
    public mutating func finish(succeeded: Bool) {
        guard let operation else { preconditionFailure("finish(succeeded:) called on streaming endpoint '\(name)' with no operation running") }
        self.operation = nil
        guard succeeded else {
            state = operation == .create ? .stopped : stateBefore
            stateBefore = state
            return
        }
        switch operation {
        case .create, .start: state = .running
        case .stop: state = .stopped
        case .scale: state = stateBefore
        case .delete: state = .deleted
        case .update: break
        }
        stateBefore = state
    }

    // MARK: - Helpers

    private mutating func begin(_ operation: Operation, _ transitional: State, _ work: StreamingEndpointWork) -> StreamingEndpointWork {
        stateBefore = state
        self.operation = operation
        state = transitional
        return work
    }

    private func requireIdle(_ verb: String) throws(ARMError) {
        guard isBusy else { return }
        let running = operation.map { " (\($0.rawValue) in progress)" } ?? ""
        throw ARMError.conflict(
            "Cannot \(verb) the streaming endpoint '\(name)' because another operation is in progress on it\(running); its state is \(state.resourceState.rawValue). Retry once that operation completes.")
    }
}
