import EventLoop
import Foundation
import Live
import Packaging
import Protection

/// The media path's lookup table between the API and the media: access tokens → live channels (ingest admission),
/// preview and streaming locators → media sources with their filters (the origin), and the encoder sessions to end
/// when a live event stops.
///
/// The control plane is its only writer: it replaces the ``DirectoryContents`` whenever a resource or runtime state
/// that they describe changes. Ingest and the origin only read it, synchronously and without suspending (admission
/// runs inside libuv callbacks). The contents sit behind a lock, so a read from any thread sees one whole version;
/// refusing a disallowed encoder records it in the channel's telemetry, which needs the event loop's thread (where
/// ingest admits).
public final class ChannelDirectory: @unchecked Sendable {
    private struct State {
        var contents = DirectoryContents.empty
        /// Lower-cased access token → index in `contents.channels`.
        var byToken: [String: Int] = [:]
        /// Lower-cased preview locator → index in `contents.channels`.
        var byPreview: [String: Int] = [:]
        var sessionOwners: [WeakSessionOwner] = []
        weak var archiveOpener: (any ArchiveOpener)?
    }

    private struct WeakSessionOwner {
        weak var owner: (any EncoderSessionOwner)?
    }

    private let lock = Lock()
    private var state = State()

    public init() {}

    // MARK: - Writing (the control plane)

    /// Replaces what the directory answers from.
    public func publish(_ contents: DirectoryContents) {
        var byToken: [String: Int] = [:], byPreview: [String: Int] = [:]
        for (index, entry) in contents.channels.enumerated() {
            if let token = entry.accessToken { byToken[token.lowercased()] = index }
            if let preview = entry.previewLocator { byPreview[preview.lowercased()] = index }
        }
        var locators: [String: DirectoryLocator] = [:]
        for (id, entry) in contents.locators { locators[id.lowercased()] = entry }
        var normalised = contents
        normalised.locators = locators
        lock.withLock {
            state.contents = normalised
            state.byToken = byToken
            state.byPreview = byPreview
        }
    }

    /// What the directory answers from now.
    public var contents: DirectoryContents { lock.withLock { state.contents } }

    /// Who opens archives the origin asks for before anything recorded into them opened them (held weakly).
    public func setArchiveOpener(_ opener: any ArchiveOpener) {
        lock.withLock { state.archiveOpener = opener }
    }

    /// Ends the encoder sessions publishing with `accessToken` at every registered session owner.
    public func endSessions(accessToken: String, reason: String) async {
        let owners = lock.withLock { state.sessionOwners.compactMap(\.owner) }
        for owner in owners { await owner.endSessions(accessToken: accessToken, reason: reason) }
    }

    // MARK: - Registering (ingest)

    /// Lets the directory end `owner`'s sessions when their live event stops (held weakly).
    public func addSessionOwner(_ owner: any EncoderSessionOwner) {
        lock.withLock {
            state.sessionOwners.removeAll { $0.owner == nil }
            state.sessionOwners.append(WeakSessionOwner(owner: owner))
        }
    }

    // MARK: - Ingest admission

    /// Whether an encoder pushing `accessToken` from `remoteAddress` is admitted, and to which channel. Call on the event
    /// loop's thread (a refusal by the allow list is recorded in the channel's stream events synchronously).
    public func admit(accessToken: String, remoteAddress: String) -> IngestAdmission {
        let found: DirectoryChannel? = lock.withLock {
            state.byToken[accessToken.lowercased()].map { state.contents.channels[$0] }
        }
        guard let entry = found else {
            return .refuse(code: IngestRefusalCode.unknownAccessToken, reason: "no live event has the access token '\(accessToken)'")
        }
        guard entry.inputAllowList?.allows(remoteAddress) ?? true else {
            let reason = "\(remoteAddress) is not in the input IP allow list of live event '\(entry.eventName)'"
            // The channel runs on the loop's executor, like the ingest servers that call this.
            entry.channel?.assumeIsolated { $0.recordInvalidConnection(code: IngestRefusalCode.connectionDenied, reason: reason,
                                                                        remoteAddress: remoteAddress) }
            return .refuse(code: IngestRefusalCode.connectionDenied, reason: reason)
        }
        guard entry.isRunning, let channel = entry.channel else {
            return .refuse(code: IngestRefusalCode.eventNotRunning,
                           reason: "live event '\(entry.eventName)' is \(entry.state); start it to accept encoders")
        }
        return .accept(channel)
    }

    // MARK: - Origin look-ups

    /// What `locatorID` publishes under `manifestName` for a viewer at `remoteAddress`: a live event's preview, or a
    /// streaming locator's asset (its archive opened on first use); otherwise the refusal with its HTTP status.
    public func resolve(locatorID: String, manifestName: String, remoteAddress: String, now: Date = Date()) async -> LocatorResolution {
        let asset: DirectoryAsset, locator: DirectoryLocator
        switch lookUp(locatorID: locatorID, manifestName: manifestName, remoteAddress: remoteAddress, now: now) {
        case .resolved(let resolution): return resolution
        case let .openArchive(unopened, found): (asset, locator) = (unopened, found)
        }
        let opener = lock.withLock { state.archiveOpener }
        guard let archive = await opener?.openArchive(assetName: asset.name) else {
            return .refused(status: 500, message: "the archive of asset '\(asset.name)' cannot be opened; see the daemon's log")
        }
        return .source(archive, fragmentsPerTSSegment: asset.fragmentsPerTSSegment, filters: locator.filters, protection: locator.protection)
    }

    /// The key with id `keyID` and the policy guarding it, while some locator uses it.
    public func keyGrant(_ keyID: UUID) -> KeyGrant? {
        lock.withLock { state.contents.keyGrants[keyID] }
    }

    /// The synchronous part of ``resolve(locatorID:manifestName:remoteAddress:now:)``.
    enum LookUp {
        case resolved(LocatorResolution)
        /// The asset's archive is not open yet.
        case openArchive(DirectoryAsset, DirectoryLocator)
    }

    func lookUp(locatorID: String, manifestName: String, remoteAddress: String, now: Date) -> LookUp {
        let key = locatorID.lowercased()
        let (preview, locator, isStreaming): (DirectoryChannel?, DirectoryLocator?, Bool) = lock.withLock {
            (state.byPreview[key].map { state.contents.channels[$0] }, state.contents.locators[key], state.contents.isStreaming)
        }
        // A live event's preview: served without a live output or a running streaming endpoint, guarded by its own IP list.
        if let entry = preview {
            guard manifestName.lowercased() == "preview" else {
                return .resolved(.refused(status: 404, message: "the preview of live event '\(entry.eventName)' is at '\(locatorID)/preview.ism', not '\(manifestName).ism'"))
            }
            guard entry.previewAllowList?.allows(remoteAddress) ?? true else {
                return .resolved(.refused(status: 403, message: "\(remoteAddress) is not in the preview IP allow list of live event '\(entry.eventName)'"))
            }
            guard let channel = entry.channel else {
                return .resolved(.refused(status: 404, message: "live event '\(entry.eventName)' is \(entry.state); its preview exists only while it is Running"))
            }
            return .resolved(.source(channel, filters: entry.previewFilters))
        }
        guard let locator else {
            return .resolved(.refused(status: 404, message: "no streaming locator has the id '\(locatorID)'"))
        }
        guard isStreaming else {
            return .resolved(.refused(status: 503, message: "the streaming endpoint is stopped; start it (edgelive endpoint start, or the API's streamingEndpoints/default/start) to serve streaming locators"))
        }
        let name = locator.name ?? locatorID
        if let start = locator.validFrom, now < start.date {
            return .resolved(.refused(status: 404, message: "streaming locator '\(name)' is valid from \(start.text)"))
        }
        if let end = locator.validUntil, now >= end.date {
            return .resolved(.refused(status: 404, message: "streaming locator '\(name)' expired at \(end.text)"))
        }
        guard let asset = locator.asset else {
            return .resolved(.refused(status: 404, message: "the asset of streaming locator '\(name)' no longer exists"))
        }
        guard let manifest = asset.manifestName else {
            return .resolved(.refused(status: 404, message: "asset '\(asset.name)' has no content: no live output has recorded into it"))
        }
        guard manifest.lowercased() == manifestName.lowercased() else {
            return .resolved(.refused(status: 404, message: "asset '\(asset.name)' is published as '\(manifest).ism', not '\(manifestName).ism'"))
        }
        guard let archive = asset.archive else { return .openArchive(asset, locator) }
        return .resolved(.source(archive, fragmentsPerTSSegment: asset.fragmentsPerTSSegment, filters: locator.filters,
                                 protection: locator.protection))
    }
}
