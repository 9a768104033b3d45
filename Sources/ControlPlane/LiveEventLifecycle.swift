// The live event state machine (spec §2.6, §3.3): which operation may start in which state, and what the caller must then do.
//
// Each request is a `mutating func` that either throws the ARMError to answer with, or moves the event into its transitional
// state and returns the work for the caller. When the work is done the caller reports it with `finish(succeeded:)`.
// One operation at a time per event *including its live outputs*: live output create/delete take the same slot.
import AMSModels

/// What the caller must do after a live event operation was accepted.
public enum LiveEventWork: Sendable, Hashable {
    /// Nothing: the event already is where the request wants it; answer success at once.
    case none
    /// Reserve the ingest endpoints without accepting media (Stopped → StandBy).
    case allocate
    /// Open ingest (Stopped/StandBy → Running).
    case start
    /// Close ingest; when `deleteOutputs`, delete every live output first (their assets stay).
    case stop(deleteOutputs: Bool)
    /// Delete every live output, then close and reopen ingest (Running → Running).
    case reset
    /// Remove the event; when `stopFirst`, stop ingest (and delete outputs) first.
    case delete(stopFirst: Bool, deleteOutputs: Bool)
    /// Apply the changed fields; `applyToIngest` when a live ingest (StandBy/Running) must pick them up, e.g. a new IP allow list.
    case update(fields: Set<LiveEventField>, applyToIngest: Bool)
    /// Create one live output.
    case createOutput
    /// Delete one live output.
    case deleteOutput
}

/// Live event fields a PATCH may change.
public enum LiveEventField: String, Sendable, Hashable, CaseIterable, Comparable {
    case description, tags, inputAccessControl, previewAccessControl, transcriptions, crossSiteAccessPolicies
    case hostnamePrefix, useStaticHostname

    /// The JSON path named in messages.
    public var jsonPath: String {
        switch self {
        case .description: "properties.description"
        case .tags: "tags"
        case .inputAccessControl: "properties.input.accessControl"
        case .previewAccessControl: "properties.preview.accessControl"
        case .transcriptions: "properties.transcriptions"
        case .crossSiteAccessPolicies: "properties.crossSiteAccessPolicies"
        case .hostnamePrefix: "properties.hostnamePrefix"
        case .useStaticHostname: "properties.useStaticHostname"
        }
    }

    /// True when the field may change while the event is Running (spec §2.6 and §12: description, tags, ACLs, transcriptions);
    /// host name settings change the ingest URLs, so they wait for Stopped or StandBy.
    public var updatableWhileRunning: Bool {
        switch self {
        case .hostnamePrefix, .useStaticHostname: false
        default: true
        }
    }

    public static func < (a: LiveEventField, b: LiveEventField) -> Bool { a.rawValue < b.rawValue }
}

/// The live event lifecycle: resource state plus the one operation in progress.
public struct LiveEventLifecycle: Sendable, Hashable {
    /// An operation that holds the event's single operation slot.
    public enum Operation: String, Sendable, Hashable {
        case create, allocate, start, stop, reset, delete, update, createOutput, deleteOutput
    }

    /// The event's resource state, as `properties.resourceState` reports it.
    public enum State: Sendable, Hashable {
        case stopped, allocating, standBy, starting, running, stopping, deleting
        /// Deleted: the caller removes the record.
        case deleted

        /// The wire value (`deleted` reports as `Deleting`, its last visible state).
        public var resourceState: LiveEventResourceState {
            switch self {
            case .stopped: .stopped
            case .allocating: .allocating
            case .standBy: .standBy
            case .starting: .starting
            case .running: .running
            case .stopping: .stopping
            case .deleting, .deleted: .deleting
            }
        }

        /// True while an operation is moving the event between stable states.
        public var isTransitional: Bool { [.allocating, .starting, .stopping, .deleting].contains(self) }

        /// The state a stored `resourceState` resumes as; transitional states (an operation cut short by a restart) resume as Stopped.
        public init(resuming stored: LiveEventResourceState?) {
            switch stored {
            case .standBy: self = .standBy
            case .running: self = .running
            default: self = .stopped
            }
        }
    }

    /// The event name, for messages.
    public let name: String
    /// The current state.
    public private(set) var state: State
    /// The operation holding the slot, if any.
    public private(set) var operation: Operation?
    /// The state to return to if the operation fails.
    private var stateBefore: State

    /// A lifecycle for an existing event in `state` with no operation running.
    public init(name: String, state: State) {
        self.name = name
        self.state = state
        self.stateBefore = state
        self.operation = nil
    }

    /// A newly created event: Stopped, or Starting with the create holding the slot when `autoStart` (then the work is `.start`).
    public static func create(name: String, autoStart: Bool) -> (LiveEventLifecycle, LiveEventWork) {
        var lifecycle = LiveEventLifecycle(name: name, state: .stopped)
        guard autoStart else { return (lifecycle, .none) }
        lifecycle.operation = .create
        lifecycle.state = .starting
        return (lifecycle, .start)
    }

    /// True while an operation holds the slot (or the state is transitional).
    public var isBusy: Bool { operation != nil || state.isTransitional }

    // MARK: - Requests

    /// `POST allocate`: Stopped → Allocating → StandBy; StandBy is already done; Running refuses.
    public mutating func allocate() throws(ARMError) -> LiveEventWork {
        try requireIdle("allocate")
        switch state {
        case .standBy: return .none
        case .stopped: return begin(.allocate, .allocating, .allocate)
        default: throw refusal("allocate", allowed: "Stopped")
        }
    }

    /// `POST start`: Stopped/StandBy → Starting → Running; Running is already done.
    public mutating func start() throws(ARMError) -> LiveEventWork {
        try requireIdle("start")
        switch state {
        case .running: return .none
        case .stopped, .standBy: return begin(.start, .starting, .start)
        default: throw refusal("start", allowed: "Stopped or StandBy")
        }
    }

    /// `POST stop`: Running/StandBy → Stopping → Stopped; refused while live outputs exist unless `removeOutputsOnStop`.
    public mutating func stop(removeOutputsOnStop: Bool, liveOutputCount: Int) throws(ARMError) -> LiveEventWork {
        try requireIdle("stop")
        switch state {
        case .stopped: return .none
        case .running, .standBy:
            guard liveOutputCount == 0 || removeOutputsOnStop else {
                throw ARMError.invalidOperation(
                    "The live event '\(name)' has \(liveOutputCount) live output(s) and cannot be stopped. Delete the live outputs first, or stop with {\"removeOutputsOnStop\": true} to delete them (their assets are kept).")
            }
            return begin(.stop, .stopping, .stop(deleteOutputs: liveOutputCount > 0))
        default: throw refusal("stop", allowed: "Running or StandBy")
        }
    }

    /// `POST reset`: only while Running; deletes every live output and restarts ingest, ending Running.
    public mutating func reset() throws(ARMError) -> LiveEventWork {
        try requireIdle("reset")
        guard state == .running else { throw refusal("reset", allowed: "Running") }
        return begin(.reset, .starting, .reset)
    }

    /// `DELETE`: allowed in Stopped, StandBy and Running; from StandBy or Running it implies a stop that also removes the
    /// outputs (the service deletes a running event rather than refusing; SDK samples stop first anyway).
    public mutating func delete(liveOutputCount: Int) throws(ARMError) -> LiveEventWork {
        try requireIdle("delete")
        let mustStop = state == .running || state == .standBy
        return begin(.delete, .deleting, .delete(stopFirst: mustStop, deleteOutputs: liveOutputCount > 0))
    }

    /// `PATCH` with `fields` changed (from `LiveEvent.merged(with:)`): any field in Stopped/StandBy; in Running only the fields
    /// whose `updatableWhileRunning` is true. An empty change succeeds at once.
    public mutating func update(changing fields: Set<LiveEventField>) throws(ARMError) -> LiveEventWork {
        try requireIdle("update")
        if fields.isEmpty { return .none }
        switch state {
        case .stopped, .standBy:
            break
        case .running:
            if let field = fields.sorted().first(where: { !$0.updatableWhileRunning }) {
                throw ARMError.invalidOperation(
                    "'\(field.jsonPath)' of the live event '\(name)' can only be changed while it is Stopped or StandBy; it is Running. Stop the live event first.")
            }
        default:
            throw refusal("update", allowed: "Stopped, StandBy or Running")
        }
        let ingestFields: Set<LiveEventField> = [.inputAccessControl, .previewAccessControl, .transcriptions]
        let applyToIngest = state != .stopped && !fields.isDisjoint(with: ingestFields)
        return begin(.update, state, .update(fields: fields, applyToIngest: applyToIngest))
    }

    /// Creating a live output: needs the slot and an event that is not being deleted; at most `limit` outputs (3, PassthroughBasic 1).
    public mutating func createOutput(existingOutputs: Int, limit: Int) throws(ARMError) -> LiveEventWork {
        try requireIdle("create a live output on")
        guard existingOutputs < limit else {
            throw ARMError.badRequest("The live event '\(name)' already has \(existingOutputs) live output(s), the most it allows (\(limit)). Delete a live output before creating another.")
        }
        return begin(.createOutput, state, .createOutput)
    }

    /// Deleting a live output: needs the slot.
    public mutating func deleteOutput() throws(ARMError) -> LiveEventWork {
        try requireIdle("delete a live output of")
        return begin(.deleteOutput, state, .deleteOutput)
    }

    /// Reports the end of the running operation: on success the event reaches the operation's target state, on failure it
    /// returns to where it was (a failed start or create ends Stopped, as the service does). Calling it with no operation is a bug.
    public mutating func finish(succeeded: Bool) {
        guard let operation else { preconditionFailure("finish(succeeded:) called on live event '\(name)' with no operation running") }
        self.operation = nil
        guard succeeded else {
            state = operation == .create ? .stopped : stateBefore
            stateBefore = state
            return
        }
        switch operation {
        case .create, .start, .reset: state = .running
        case .allocate: state = .standBy
        case .stop: state = .stopped
        case .delete: state = .deleted
        case .update, .createOutput, .deleteOutput: break
        }
        stateBefore = state
    }

    // MARK: - Helpers

    private mutating func begin(_ operation: Operation, _ transitional: State, _ work: LiveEventWork) -> LiveEventWork {
        stateBefore = state
        self.operation = operation
        state = transitional
        return work
    }

    private func requireIdle(_ verb: String) throws(ARMError) {
        guard isBusy else { return }
        let running = operation.map { " (\($0.rawValue) in progress)" } ?? ""
        throw ARMError.conflict(
            "Cannot \(verb) the live event '\(name)' because another operation is in progress on it or one of its live outputs\(running); its state is \(state.resourceState.rawValue). Retry once that operation completes.")
    }

    private func refusal(_ verb: String, allowed: String) -> ARMError {
        .invalidOperation("The live event '\(name)' cannot \(verb) while it is \(state.resourceState.rawValue); it must be \(allowed).")
    }
}
