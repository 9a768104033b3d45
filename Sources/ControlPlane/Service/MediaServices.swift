import AMSModels
import EventLoop
import Foundation
import Live
import Logging
import Media
import MediaDirectory
import Packaging

/// Settings the control plane needs from the appliance's configuration.
public struct ControlPlaneConfiguration: Sendable {
    /// Data directory: `edgelive.sqlite` and `assets/` live here.
    public var dataDirectory: String
    /// Host (name or address) written into ingest and preview URLs.
    public var publicHost: String
    /// Port the RTMP ingest listens on (written into ingest URLs).
    public var rtmpPort: Int
    /// Port RTMPS ingest listens on, listed as a second `rtmps://` ingest URL of RTMP events; nil while RTMPS is off.
    public var rtmpsPort: Int?
    /// Port the origin answers on (preview URLs, the default streaming endpoint's host name).
    public var httpPort: Int
    /// `hostName` of streaming endpoints; default `publicHost:httpPort`.
    public var streamingHostName: String?
    /// The live window each channel keeps in memory.
    public var channelConfiguration: ChannelConfiguration
    /// Region reported for tracked resources created without one.
    public var location: String
    /// How encoding live events (Standard, Premium1080p) run here; nil refuses them with NotSupported.
    public var liveEncoding: LiveEncodingEnvironment?

    public init(dataDirectory: String, publicHost: String, rtmpPort: Int, httpPort: Int, streamingHostName: String? = nil,
                channelConfiguration: ChannelConfiguration = .init(), location: String = "local") {
        self.dataDirectory = dataDirectory
        self.publicHost = publicHost
        self.rtmpPort = rtmpPort
        self.httpPort = httpPort
        self.streamingHostName = streamingHostName
        self.channelConfiguration = channelConfiguration
        self.location = location
    }

    /// The host:port viewers use for the origin.
    public var originHost: String { streamingHostName ?? "\(publicHost):\(httpPort)" }
}

/// The media services account this box is: every live event, output, asset, locator, policy and streaming
/// endpoint, their state machines, and their effect on the live pipelines.
///
/// The in-memory maps are authoritative while the daemon runs; every change is written through to the
/// ``ControlStore`` before the API answers, so a restart (or a kill -9) comes back to the same resources and
/// states. Runs on the event loop's executor, like the channels and the ingest server. Ingest and the origin never
/// ask it: they read the ``ChannelDirectory`` it writes (`directory`), republished whenever a map it is built from
/// changes (see MediaServices+Runtime.swift).
public actor MediaServices {
    nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.unownedExecutor }

    let store: ControlStore
    var configuration: ControlPlaneConfiguration
    var logger: Logger
    /// What ingest and the origin read: tokens → channels, locators → sources. Written only here.
    public nonisolated let directory = ChannelDirectory()
    /// True while `open` loads the resources: the directory is published once they are all in.
    var directoryHeld = false

    // MARK: State (keys are lower-cased names: ARM names compare without case)

    var events: [String: EventEntry] = [:] {
        didSet { publishDirectory() }
    }
    /// Lower-cased access token → event key.
    var eventsByToken: [String: String] = [:]
    /// Lower-cased preview locator → event key.
    var eventsByPreviewLocator: [String: String] = [:]
    var assets: [String: AssetEntry] = [:] {
        didSet { publishDirectory() }
    }
    var locators: [String: StreamingLocator] = [:] {
        didSet { publishDirectory() }
    }
    /// Lower-cased locator id (uuid) → locator key.
    var locatorsByID: [String: String] = [:] {
        didSet { publishDirectory() }
    }
    var customPolicies: [String: StoredPolicy] = [:]
    /// Content key policies by lower-cased name, secrets included (masked only when rendered); their options are
    /// compiled into the directory's key grants.
    var contentKeyPolicies: [String: ContentKeyPolicy] = [:] {
        didSet { publishDirectory() }
    }
    var endpoints: [String: StreamingEndpoint] = [:] {
        didSet { publishDirectory() }
    }
    /// Account filters by lower-cased name.
    var accountFilters: [String: MediaFilter] = [:] {
        didSet {
            compiledAccountFilters = Self.compile(accountFilters)
            publishDirectory()
        }
    }
    /// Asset filters: lower-cased asset name → lower-cased filter name → filter.
    var assetFilters: [String: [String: MediaFilter]] = [:] {
        didSet {
            compiledAssetFilters = assetFilters.mapValues(Self.compile)
            publishDirectory()
        }
    }
    /// The filters in the packager's terms, kept beside the resources so the origin's per-request look-up converts
    /// nothing (filters change only through the API).
    var compiledAccountFilters: [String: PresentationFilter] = [:]
    var compiledAssetFilters: [String: [String: PresentationFilter]] = [:]

    struct EventEntry {
        var resource: LiveEvent
        var channel: LiveChannel?
        /// Outputs by lower-cased name.
        var outputs: [String: OutputEntry] = [:]
        /// State and the one operation at a time (the event's or one of its outputs'), as the service.
        var lifecycle: LiveEventLifecycle
        var name: String { resource.name ?? "" }
        var state: LiveEventResourceState { lifecycle.state.resourceState }

        init(resource: LiveEvent, lifecycle: LiveEventLifecycle? = nil) {
            self.resource = resource
            self.lifecycle = lifecycle ?? LiveEventLifecycle(
                name: resource.name ?? "", state: LiveEventLifecycle.State(resuming: resource.properties?.resourceState))
        }
    }

    struct OutputEntry {
        var resource: LiveOutput
        var name: String { resource.name ?? "" }
    }

    struct AssetEntry {
        var resource: Asset
        var notes: AssetNotes
        var archive: AssetArchive?
        var name: String { resource.name ?? "" }
    }

    /// What the runtime keeps about an asset beside its API document.
    struct AssetNotes: Codable, Equatable {
        /// Manifest name of the live output that recorded it (`<manifestName>.ism` in streaming URLs).
        var manifestName: String?
        /// Directory of the archive, relative to the data directory.
        var directory: String
        /// The live output recording into it now ("event/output"), if any.
        var recordingOutput: String?
        /// The recording output's `hls.fragmentsPerTsSegment`: CMAF fragments per HLS MPEG-TS segment (nil: 1).
        var fragmentsPerTsSegment: Int?
    }

    struct StoredPolicy: Codable {
        var resource: StreamingPolicy
    }

    /// Opens the account: loads every resource from the store, imports the development default event
    /// on first start, re-starts what was Running and re-attaches live outputs to their archives.
    public init(loop: EventLoop, store: ControlStore, configuration: ControlPlaneConfiguration, logger: Logger) {
        self.loop = loop
        self.store = store
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "component"] = "control"
        self.logger = logger
    }

    /// The ports actually bound (a configured 0 means "any free port"), for the URLs resources report.
    public func setListeningPorts(http: Int, rtmp: Int) {
        configuration.httpPort = http
        configuration.rtmpPort = rtmp
    }

    /// The RTMPS port actually bound, or nil when RTMPS does not listen (no certificate configured).
    public func setRTMPSPort(_ port: Int?) {
        configuration.rtmpsPort = port
    }

    /// Whether the box serves: the state is loaded and every listener is bound (set by the appliance once they are;
    /// cleared when it begins to shut down). `GET /readyz` answers from it.
    public private(set) var isReady = false

    public func setReady(_ ready: Bool) { isReady = ready }

    // MARK: - Helpers shared by the resource files

    static func key(_ name: String) -> String { name.lowercased() }

    static func newUUID() -> String { UUID().uuidString.lowercased() }

    static func newToken() -> String { UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }

    func encode<T: Encodable>(_ value: T) throws(ARMError) -> String {
        do {
            return String(decoding: try ARMJSON.encode(value), as: UTF8.self)
        } catch {
            throw ARMError(status: 500, code: "InternalServerError", message: "cannot encode \(T.self): \(error)")
        }
    }

    func decodeStored<T: Decodable>(_ type: T.Type, _ text: String, what: String) throws -> T {
        do {
            return try ARMJSON.decoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StoreError("stored \(what) cannot be read (\(error)); the database was changed by something other than edgelive")
        }
    }

    /// Writes changes through to disk; a failing disk becomes a 500 the client sees (never a silent loss).
    func persist(_ changes: [StoreChange]) async throws(ARMError) {
        do {
            try await store.apply(changes)
        } catch {
            logger.error("state not saved", metadata: ["error": "\(error)"])
            throw ARMError(status: 500, code: "InternalServerError", message: "the change could not be saved: \(error)")
        }
    }

    func systemData(created: Date, modified: Date) -> SystemData {
        SystemData(createdBy: "api-token", createdByType: .key, createdAt: created,
                   lastModifiedBy: "api-token", lastModifiedByType: .key, lastModifiedAt: modified)
    }

    /// Records an operation that the handler has already carried out (our state changes complete within the
    /// request), so pollers find it terminal on the first poll.
    func finishedOperation(_ family: OperationRecord.Family, resource: String, error: ARMError? = nil) -> OperationRecord {
        var errorJSON: String?
        if let error { errorJSON = try? encode(error.error) }
        return OperationRecord(id: Self.newUUID(), family: family, resource: resource,
                               status: error == nil ? .succeeded : .failed, errorJSON: errorJSON, created: Date())
    }

    /// An operation result for `…Operations/{id}`.
    public func operation(id: String, family: OperationRecord.Family) async throws(ARMError) -> OperationRecord {
        let record: OperationRecord?
        do { record = try await store.operation(id: id) } catch {
            throw ARMError(status: 500, code: "InternalServerError", message: "\(error)")
        }
        guard let record, record.family == family else {
            throw ARMError(status: 404, code: "NotFound", message: "operation '\(id)' is not known (operations are kept for a day)")
        }
        return record
    }
}
