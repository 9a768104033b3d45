// The CLI verbs: each builds its ARM requests, waits for long-running operations and renders the answer.
import AMSModels
import HTTP

/// What a verb prints: standard output (the result) and standard error (notes and warnings).
public struct CommandOutput: Sendable, Equatable {
    /// Text for standard output.
    public var standardOutput: String
    /// Text for standard error (empty when there is nothing to note).
    public var standardError: String

    /// Creates an output.
    public init(_ standardOutput: String = "", standardError: String = "") {
        self.standardOutput = standardOutput
        self.standardError = standardError
    }
}

/// The verbs of `edgelive event|output|asset|locator|endpoint`, one method each.
public struct EdgeLiveClient: Sendable {
    /// The request layer.
    public let arm: ARMClient
    /// `--json`: print the raw JSON the daemon returned instead of tables and blocks.
    public var json: Bool
    /// False with `--no-wait`: return as soon as a long-running operation is accepted.
    public var wait: Bool

    /// Creates the verbs over `arm`.
    public init(arm: ARMClient, json: Bool = false, wait: Bool = true) {
        self.arm = arm
        self.json = json
        self.wait = wait
    }

    // MARK: - Live events

    /// `event list`.
    public func listEvents() async throws(ClientError) -> CommandOutput {
        let subject = RequestSubject("the live events")
        let (list, response) = try await arm.get(ARMList<LiveEvent>.self, "/liveEvents", apiVersion: ClientAPIVersion.streaming, subject: subject)
        return json ? raw(response) : CommandOutput(ResourceText.liveEventTable(list.value))
    }

    /// `event show NAME`.
    public func showEvent(_ name: String) async throws(ClientError) -> CommandOutput {
        let (event, response) = try await arm.get(LiveEvent.self, Self.eventPath(name), apiVersion: ClientAPIVersion.streaming,
                                                  subject: Self.eventSubject(name))
        return json ? raw(response) : CommandOutput(ResourceText.liveEventDetails(event))
    }

    /// `event create NAME ...`: PUT `?autoStart=`, then the event as it ends up.
    public func createEvent(_ options: LiveEventCreateOptions) async throws(ClientError) -> CommandOutput {
        let body = try ARMClient.encode(try options.makeBody())
        let outcome = try await arm.runOperation("PUT", Self.eventPath(options.name), apiVersion: ClientAPIVersion.streaming,
                                                 query: [("autoStart", options.autoStart ? "true" : "false")], body: body,
                                                 subject: Self.eventSubject(options.name), finalGet: true, wait: wait)
        return try render(outcome, action: "creation of live event '\(options.name)'", follow: "edgelive event show \(options.name)",
                          LiveEvent.self, ResourceText.liveEventDetails)
    }

    /// `event start NAME`.
    public func startEvent(_ name: String) async throws(ClientError) -> CommandOutput {
        try await eventAction(name, "start", body: [])
    }

    /// `event start NAME --create`: creates the event from `defaults` when it does not exist (started), else
    /// starts it; then shows it, ingest URL included (what `edgelive-channel@NAME` logs for `systemctl status`).
    public func startOrCreateEvent(_ defaults: LiveEventCreateOptions) async throws(ClientError) -> CommandOutput {
        do {
            _ = try await arm.get(LiveEvent.self, Self.eventPath(defaults.name), apiVersion: ClientAPIVersion.streaming,
                                  subject: Self.eventSubject(defaults.name))
        } catch where error.exitCode == .notFound {
            var options = defaults
            options.autoStart = true
            return try await createEvent(options)
        }
        var output = try await startEvent(defaults.name)
        if !json, wait {
            let details = try await showEvent(defaults.name)
            output.standardOutput += details.standardOutput
        }
        return output
    }

    /// `event stop NAME [--remove-outputs]`: the body `removeOutputsOnStop` is required by the API.
    public func stopEvent(_ name: String, removeOutputs: Bool) async throws(ClientError) -> CommandOutput {
        try await eventAction(name, "stop", body: Array("{\"removeOutputsOnStop\":\(removeOutputs)}".utf8))
    }

    /// `event reset NAME`.
    public func resetEvent(_ name: String) async throws(ClientError) -> CommandOutput {
        try await eventAction(name, "reset", body: [])
    }

    /// `event delete NAME`.
    public func deleteEvent(_ name: String) async throws(ClientError) -> CommandOutput {
        let outcome = try await arm.runOperation("DELETE", Self.eventPath(name), apiVersion: ClientAPIVersion.streaming,
                                                 subject: Self.eventSubject(name), finalGet: false, wait: wait)
        return deleted(outcome, "live event '\(name)'")
    }

    private func eventAction(_ name: String, _ action: String, body: [UInt8]) async throws(ClientError) -> CommandOutput {
        let outcome = try await arm.runOperation("POST", Self.eventPath(name) + "/" + action, apiVersion: ClientAPIVersion.streaming, body: body,
                                                 subject: Self.eventSubject(name), finalGet: false, wait: wait)
        if case .accepted = outcome {
            return try render(outcome, action: "\(action) of live event '\(name)'", follow: "edgelive event show \(name)",
                              LiveEvent.self, ResourceText.liveEventDetails)
        }
        return try await showEvent(name)
    }

    // MARK: - Live outputs

    /// `output create EVENT NAME --asset ASSET ...`: creates the asset when missing, then the output.
    public func createOutput(_ options: LiveOutputCreateOptions) async throws(ClientError) -> CommandOutput {
        let body = try ARMClient.encode(try options.makeBody())
        var notes = ""
        let assetSubject = Self.assetSubject(options.asset)
        do {
            _ = try await arm.send("GET", Self.assetPath(options.asset), apiVersion: ClientAPIVersion.metadata, subject: assetSubject)
        } catch where error.exitCode == .notFound {
            _ = try await arm.send("PUT", Self.assetPath(options.asset), apiVersion: ClientAPIVersion.metadata,
                                   body: try ARMClient.encode(Asset(properties: AssetProperties())), subject: assetSubject)
            notes += "created asset '\(options.asset)'\n"
        }
        let path = Self.outputPath(options.event, options.name)
        let outcome = try await arm.runOperation("PUT", path, apiVersion: ClientAPIVersion.streaming, body: body,
                                                 subject: Self.outputSubject(options.event, options.name), finalGet: true, wait: wait)
        var output = try render(outcome, action: "creation of live output '\(options.name)'", follow: "edgelive output list \(options.event)",
                                LiveOutput.self, ResourceText.liveOutputDetails)
        output.standardError = notes + output.standardError
        return output
    }

    /// `output list EVENT`.
    public func listOutputs(event: String) async throws(ClientError) -> CommandOutput {
        let (list, response) = try await arm.get(ARMList<LiveOutput>.self, Self.eventPath(event) + "/liveOutputs",
                                                 apiVersion: ClientAPIVersion.streaming, subject: Self.eventSubject(event))
        return json ? raw(response) : CommandOutput(ResourceText.liveOutputTable(list.value, event: event))
    }

    /// `output delete EVENT NAME`: the asset stays (it becomes on-demand content).
    public func deleteOutput(event: String, name: String) async throws(ClientError) -> CommandOutput {
        let outcome = try await arm.runOperation("DELETE", Self.outputPath(event, name), apiVersion: ClientAPIVersion.streaming,
                                                 subject: Self.outputSubject(event, name), finalGet: false, wait: wait)
        return deleted(outcome, "live output '\(name)' of live event '\(event)'")
    }

    // MARK: - Assets

    /// `asset list`.
    public func listAssets() async throws(ClientError) -> CommandOutput {
        let (list, response) = try await arm.get(ARMList<Asset>.self, "/assets", apiVersion: ClientAPIVersion.metadata,
                                                 subject: RequestSubject("the assets"))
        return json ? raw(response) : CommandOutput(ResourceText.assetTable(list.value))
    }

    /// `asset show NAME`.
    public func showAsset(_ name: String) async throws(ClientError) -> CommandOutput {
        let (asset, response) = try await arm.get(Asset.self, Self.assetPath(name), apiVersion: ClientAPIVersion.metadata,
                                                  subject: Self.assetSubject(name))
        return json ? raw(response) : CommandOutput(ResourceText.assetDetails(asset))
    }

    /// `asset delete NAME` (synchronous: 200, or 204 when it did not exist).
    public func deleteAsset(_ name: String) async throws(ClientError) -> CommandOutput {
        let response = try await arm.send("DELETE", Self.assetPath(name), apiVersion: ClientAPIVersion.metadata, subject: Self.assetSubject(name))
        return deleted(response.status == 204 ? .nothingToDo : .completed(resource: nil), "asset '\(name)'")
    }

    // MARK: - Streaming locators

    /// `locator create NAME --asset ASSET ...` (synchronous, 201).
    public func createLocator(_ options: LocatorCreateOptions) async throws(ClientError) -> CommandOutput {
        let subject = Self.locatorSubject(options.name)
        let response = try await arm.send("PUT", Self.locatorPath(options.name), apiVersion: ClientAPIVersion.metadata,
                                          body: try ARMClient.encode(try options.makeBody()), subject: subject)
        if json { return raw(response) }
        let locator = try ARMClient.decode(StreamingLocator.self, from: response, subject: subject)
        return CommandOutput(ResourceText.locatorDetails(locator),
                             standardError: "playback URLs: `edgelive locator paths \(options.name)`\n")
    }

    /// `locator paths NAME`: POST listPaths, then full URLs on the `default` streaming endpoint's host name.
    public func locatorPaths(_ name: String) async throws(ClientError) -> CommandOutput {
        let subject = Self.locatorSubject(name)
        let response = try await arm.send("POST", Self.locatorPath(name) + "/listPaths", apiVersion: ClientAPIVersion.metadata,
                                          body: [], subject: subject)
        if json { return raw(response) }
        let paths = try ARMClient.decode(ListPathsResponse.self, from: response, subject: subject)
        var notes = ""
        var hostName: String?
        do {
            let (endpoint, _) = try await arm.get(StreamingEndpoint.self, Self.endpointPath("default"), apiVersion: ClientAPIVersion.streaming,
                                                  subject: Self.endpointSubject("default"))
            hostName = endpoint.properties?.hostName
            if let state = endpoint.properties?.resourceState, state != .running {
                notes += "note: streaming endpoint 'default' is \(state.rawValue); nothing plays until `edgelive endpoint start`\n"
            }
        } catch where error.exitCode == .notFound {
            notes += "note: there is no streaming endpoint 'default', so the paths are printed without a host\n"
        }
        if hostName == nil, notes.isEmpty { notes += "note: streaming endpoint 'default' has no host name; paths are printed without one\n" }
        let rows = paths.playbackURLs(hostName: hostName)
        guard !rows.isEmpty else {
            return CommandOutput("No streaming paths yet for locator '\(name)'.\n",
                                 standardError: notes + "paths appear once the asset has content (a running live output writing to it)\n")
        }
        let table = TextTable(columns: ["FORMAT", "ENCRYPTION", "URL"], rows: rows.map { [$0.format, $0.encryption, $0.url] })
        return CommandOutput(table.render(), standardError: notes)
    }

    /// `locator delete NAME` (synchronous).
    public func deleteLocator(_ name: String) async throws(ClientError) -> CommandOutput {
        let response = try await arm.send("DELETE", Self.locatorPath(name), apiVersion: ClientAPIVersion.metadata, subject: Self.locatorSubject(name))
        return deleted(response.status == 204 ? .nothingToDo : .completed(resource: nil), "streaming locator '\(name)'")
    }

    // MARK: - Streaming endpoints

    /// `endpoint show [NAME]`.
    public func showEndpoint(_ name: String = "default") async throws(ClientError) -> CommandOutput {
        let (endpoint, response) = try await arm.get(StreamingEndpoint.self, Self.endpointPath(name), apiVersion: ClientAPIVersion.streaming,
                                                     subject: Self.endpointSubject(name))
        return json ? raw(response) : CommandOutput(ResourceText.endpointDetails(endpoint))
    }

    /// `endpoint start [NAME]`.
    public func startEndpoint(_ name: String = "default") async throws(ClientError) -> CommandOutput {
        try await endpointAction(name, "start")
    }

    /// `endpoint stop [NAME]`.
    public func stopEndpoint(_ name: String = "default") async throws(ClientError) -> CommandOutput {
        try await endpointAction(name, "stop")
    }

    private func endpointAction(_ name: String, _ action: String) async throws(ClientError) -> CommandOutput {
        let outcome = try await arm.runOperation("POST", Self.endpointPath(name) + "/" + action, apiVersion: ClientAPIVersion.streaming, body: [],
                                                 subject: Self.endpointSubject(name), finalGet: false, wait: wait)
        if case .accepted = outcome {
            return try render(outcome, action: "\(action) of streaming endpoint '\(name)'", follow: "edgelive endpoint show \(name)",
                              StreamingEndpoint.self, ResourceText.endpointDetails)
        }
        return try await showEndpoint(name)
    }

    // MARK: - Paths and subjects

    static func eventPath(_ name: String) -> String { "/liveEvents/\(ARMClient.escape(name))" }
    static func outputPath(_ event: String, _ name: String) -> String { eventPath(event) + "/liveOutputs/\(ARMClient.escape(name))" }
    static func assetPath(_ name: String) -> String { "/assets/\(ARMClient.escape(name))" }
    static func locatorPath(_ name: String) -> String { "/streamingLocators/\(ARMClient.escape(name))" }
    static func endpointPath(_ name: String) -> String { "/streamingEndpoints/\(ARMClient.escape(name))" }

    static func eventSubject(_ name: String) -> RequestSubject {
        RequestSubject("live event '\(name)'", showCommand: "edgelive event show \(name)", listCommand: "edgelive event list")
    }
    static func outputSubject(_ event: String, _ name: String) -> RequestSubject {
        RequestSubject("live output '\(name)' of live event '\(event)'", showCommand: "edgelive output list \(event)",
                       listCommand: "edgelive output list \(event)")
    }
    static func assetSubject(_ name: String) -> RequestSubject {
        RequestSubject("asset '\(name)'", showCommand: "edgelive asset show \(name)", listCommand: "edgelive asset list")
    }
    static func locatorSubject(_ name: String) -> RequestSubject {
        RequestSubject("streaming locator '\(name)'", showCommand: "edgelive locator paths \(name)")
    }
    static func endpointSubject(_ name: String) -> RequestSubject {
        RequestSubject("streaming endpoint '\(name)'", showCommand: "edgelive endpoint show \(name)")
    }

    // MARK: - Rendering outcomes

    /// The body as received, with a final newline, for `--json`.
    private func raw(_ response: HTTPClientResponse) -> CommandOutput {
        let text = response.text
        return CommandOutput(text.isEmpty || text.hasSuffix("\n") ? text : text + "\n")
    }

    private func render<T: Decodable>(_ outcome: OperationOutcome, action: String, follow: String, _ type: T.Type,
                                      _ details: (T) -> String) throws(ClientError) -> CommandOutput {
        switch outcome {
        case .accepted(let operationURL, let initial):
            let note = "accepted: the \(action) is in progress; follow it with `\(follow)`"
                + (operationURL.map { "\noperation: \($0)" } ?? "") + "\n"
            return json ? CommandOutput(initial.text.isEmpty ? "" : initial.text + "\n", standardError: note) : CommandOutput(note)
        case .completed(let resource?):
            if json { return raw(resource) }
            return CommandOutput(details(try ARMClient.decode(type, from: resource, subject: RequestSubject(action))))
        case .completed(nil), .nothingToDo:
            return CommandOutput()
        }
    }

    private func deleted(_ outcome: OperationOutcome, _ what: String) -> CommandOutput {
        let text: String
        switch outcome {
        case .accepted(let operationURL, _):
            text = "accepted: deletion of \(what) is in progress" + (operationURL.map { "\noperation: \($0)" } ?? "")
        case .nothingToDo:
            text = "\(what) did not exist; nothing to delete"
        case .completed:
            text = "deleted \(what)"
        }
        return json ? CommandOutput(standardError: text + "\n") : CommandOutput(text + "\n")
    }
}
