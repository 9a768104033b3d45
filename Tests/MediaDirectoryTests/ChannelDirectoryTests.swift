// The channel directory on its own: ingest admission (each refusal, its code and message, the denied connection in the
// channel's stream events), preview and locator resolution (every refusal status and message, filters, the archive
// opened on first use), republishing, and ending encoder sessions through registered owners.
import EventLoop
import Foundation
import Live
import Logging
import Packaging
import TestSupport
import Testing
@testable import MediaDirectory

private let quietLogger = Logger(label: "directory-test") { _ in SwiftLogNoOpLogHandler() }

/// An allow list that lets in addresses starting with `prefix`.
private struct PrefixAllowList: AddressAllowList {
    let prefix: String
    func allows(_ address: String) -> Bool { address.hasPrefix(prefix) }
}

/// Counts open requests and answers with `archive` (nil: cannot be opened).
private final class FakeOpener: ArchiveOpener, @unchecked Sendable {
    let archive: AssetArchive?
    var asked: [String] = []
    init(archive: AssetArchive?) { self.archive = archive }
    func openArchive(assetName: String) async -> AssetArchive? {
        asked.append(assetName)
        return archive
    }
}

/// Records the sessions it was asked to end.
private actor FakeSessionOwner: EncoderSessionOwner {
    var ended: [String] = []
    func endSessions(accessToken: String, reason: String) async { ended.append(accessToken) }
}

private func refusal(_ admission: IngestAdmission) -> (code: String, reason: String)? {
    if case let .refuse(code, reason) = admission { return (code, reason) }
    return nil
}

private func refusal(_ resolution: LocatorResolution) -> (status: Int, message: String)? {
    if case let .refused(status, message) = resolution { return (status, message) }
    return nil
}

private func source(_ resolution: LocatorResolution) -> (source: any MediaSource, perTS: Int?, filters: FilterSet)? {
    if case let .source(source, perTS, filters, _) = resolution { return (source, perTS, filters) }
    return nil
}

private let now = Date(timeIntervalSince1970: 1_800_000_000)

@Suite(.serialized) struct ChannelDirectoryTests {
    func channelEntry(_ channel: LiveChannel?, state: String = "Running", inputAllow: String? = nil, previewAllow: String? = nil,
                      filters: FilterSet = .none) -> DirectoryChannel {
        DirectoryChannel(eventName: "news", accessToken: "Token1", previewLocator: "preview-1", state: state,
                         isRunning: state == "Running", channel: channel,
                         inputAllowList: inputAllow.map { PrefixAllowList(prefix: $0) },
                         previewAllowList: previewAllow.map { PrefixAllowList(prefix: $0) }, previewFilters: filters)
    }

    // MARK: - Ingest admission

    @Test func admitsARunningEventsTokenWithoutCase() async throws {
        try await withLoop { loop in
            let channel = LiveChannel(name: "news", executor: loop.unownedExecutor, logger: quietLogger)
            let directory = ChannelDirectory()
            directory.publish(DirectoryContents(channels: [channelEntry(channel)]))
            let admission = try await loop.submit { directory.admit(accessToken: "TOKEN1", remoteAddress: "10.0.0.1") }
            guard case .accept(let admitted) = admission else { Issue.record("refused: \(admission)"); return }
            #expect(admitted === channel)
        }
    }

    @Test func refusesAnUnknownToken() {
        let directory = ChannelDirectory()
        let refused = refusal(directory.admit(accessToken: "nope", remoteAddress: "10.0.0.1"))
        #expect(refused?.code == IngestRefusalCode.unknownAccessToken)
        #expect(refused?.reason == "no live event has the access token 'nope'")
    }

    @Test func refusesAnAddressOutsideTheInputAllowListAndRecordsIt() async throws {
        try await withLoop { loop in
            let channel = LiveChannel(name: "news", executor: loop.unownedExecutor, logger: quietLogger)
            let directory = ChannelDirectory()
            directory.publish(DirectoryContents(channels: [channelEntry(channel, inputAllow: "10.")]))
            let admission = try await loop.submit { directory.admit(accessToken: "token1", remoteAddress: "192.168.1.9") }
            let refused = refusal(admission)
            #expect(refused?.code == IngestRefusalCode.connectionDenied)
            #expect(refused?.reason == "192.168.1.9 is not in the input IP allow list of live event 'news'")
            let events = await channel.telemetry().events
            #expect(events.contains { $0.kind == .invalidConnection }, "\(events)")
        }
    }

    @Test func refusesAnEventThatIsNotRunning() {
        let directory = ChannelDirectory()
        directory.publish(DirectoryContents(channels: [channelEntry(nil, state: "Stopped")]))
        let refused = refusal(directory.admit(accessToken: "token1", remoteAddress: "10.0.0.1"))
        #expect(refused?.code == IngestRefusalCode.eventNotRunning)
        #expect(refused?.reason == "live event 'news' is Stopped; start it to accept encoders")
    }

    @Test func republishingReplacesEveryEntry() {
        let directory = ChannelDirectory()
        directory.publish(DirectoryContents(channels: [channelEntry(nil, state: "Stopped")]))
        directory.publish(DirectoryContents(channels: []))
        #expect(refusal(directory.admit(accessToken: "token1", remoteAddress: "10.0.0.1"))?.code == IngestRefusalCode.unknownAccessToken)
        #expect(directory.contents.channels.isEmpty)
    }

    // MARK: - Previews

    @Test func servesThePreviewWithItsFilters() async throws {
        try await withLoop { loop in
            let channel = LiveChannel(name: "news", executor: loop.unownedExecutor, logger: quietLogger)
            let filters = FilterSet(named: ["audio": PresentationFilter(name: "audio")])
            let directory = ChannelDirectory()
            directory.publish(DirectoryContents(channels: [channelEntry(channel, previewAllow: "10.", filters: filters)]))
            let resolved = try #require(source(await directory.resolve(locatorID: "PREVIEW-1", manifestName: "Preview", remoteAddress: "10.1.1.1")))
            #expect(resolved.source as? LiveChannel === channel)
            #expect(resolved.filters == filters && resolved.perTS == nil)
        }
    }

    @Test func previewRefusals() async {
        let directory = ChannelDirectory()
        directory.publish(DirectoryContents(channels: [channelEntry(nil, state: "Stopped", previewAllow: "10.")]))
        let wrongName = refusal(await directory.resolve(locatorID: "preview-1", manifestName: "other", remoteAddress: "10.1.1.1"))
        #expect(wrongName?.status == 404)
        #expect(wrongName?.message == "the preview of live event 'news' is at 'preview-1/preview.ism', not 'other.ism'")
        let outside = refusal(await directory.resolve(locatorID: "preview-1", manifestName: "preview", remoteAddress: "192.168.1.9"))
        #expect(outside?.status == 403)
        #expect(outside?.message == "192.168.1.9 is not in the preview IP allow list of live event 'news'")
        let stopped = refusal(await directory.resolve(locatorID: "preview-1", manifestName: "preview", remoteAddress: "10.1.1.1"))
        #expect(stopped?.status == 404)
        #expect(stopped?.message == "live event 'news' is Stopped; its preview exists only while it is Running")
    }

    // MARK: - Streaming locators

    func locator(asset: DirectoryAsset?, from: Date? = nil, until: Date? = nil, filters: FilterSet = .none) -> DirectoryLocator {
        DirectoryLocator(name: "loc", validFrom: from.map { LocatorTime(date: $0, text: "FROM") },
                         validUntil: until.map { LocatorTime(date: $0, text: "UNTIL") }, asset: asset, filters: filters)
    }

    fileprivate func resolveLocator(_ entry: DirectoryLocator, isStreaming: Bool = true, manifest: String = "show",
                                    opener: FakeOpener? = nil) async -> LocatorResolution {
        let directory = ChannelDirectory()
        if let opener { directory.setArchiveOpener(opener) }
        directory.publish(DirectoryContents(locators: ["ABC": entry], isStreaming: isStreaming))
        // The directory holds its opener weakly: keep it alive past the look-up.
        let resolution = await directory.resolve(locatorID: "abc", manifestName: manifest, remoteAddress: "10.0.0.1", now: now)
        withExtendedLifetime(opener) {}
        return resolution
    }

    @Test func locatorRefusals() async {
        let asset = DirectoryAsset(name: "a1", manifestName: "show")
        let unknown = refusal(await ChannelDirectory().resolve(locatorID: "zzz", manifestName: "show", remoteAddress: "10.0.0.1"))
        #expect(unknown?.status == 404 && unknown?.message == "no streaming locator has the id 'zzz'")
        let stopped = refusal(await resolveLocator(locator(asset: asset), isStreaming: false))
        #expect(stopped?.status == 503)
        #expect(stopped?.message == "the streaming endpoint is stopped; start it (edgelive endpoint start, or the API's streamingEndpoints/default/start) to serve streaming locators")
        let early = refusal(await resolveLocator(locator(asset: asset, from: now.addingTimeInterval(1))))
        #expect(early?.status == 404 && early?.message == "streaming locator 'loc' is valid from FROM")
        let expired = refusal(await resolveLocator(locator(asset: asset, until: now)))
        #expect(expired?.status == 404 && expired?.message == "streaming locator 'loc' expired at UNTIL")
        let gone = refusal(await resolveLocator(locator(asset: nil)))
        #expect(gone?.status == 404 && gone?.message == "the asset of streaming locator 'loc' no longer exists")
        let empty = refusal(await resolveLocator(locator(asset: DirectoryAsset(name: "a1", manifestName: nil))))
        #expect(empty?.status == 404 && empty?.message == "asset 'a1' has no content: no live output has recorded into it")
        let otherName = refusal(await resolveLocator(locator(asset: asset), manifest: "other"))
        #expect(otherName?.status == 404 && otherName?.message == "asset 'a1' is published as 'show.ism', not 'other.ism'")
        let unopenable = refusal(await resolveLocator(locator(asset: asset), opener: FakeOpener(archive: nil)))
        #expect(unopenable?.status == 500 && unopenable?.message == "the archive of asset 'a1' cannot be opened; see the daemon's log")
        // No opener at all (nothing wired): the same 500.
        #expect(refusal(await resolveLocator(locator(asset: asset)))?.status == 500)
    }

    @Test func servesAnAssetsArchiveOpenedOnFirstUse() async throws {
        let path = NSTemporaryDirectory() + "directory-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withLoop { loop in
            let archive = try await AssetArchive.open(directory: path, loop: loop, logger: quietLogger)
            let filters = FilterSet(always: [PresentationFilter(name: "f")], named: ["f": PresentationFilter(name: "f")])
            let opener = FakeOpener(archive: archive)
            // Not open yet: the opener is asked, by asset name.
            let unopened = DirectoryAsset(name: "a1", manifestName: "Show", fragmentsPerTSSegment: 3)
            let first = try #require(source(await resolveLocator(locator(asset: unopened, filters: filters), manifest: "show", opener: opener)))
            #expect(first.source as? AssetArchive === archive && first.perTS == 3 && first.filters == filters)
            #expect(opener.asked == ["a1"])
            // Open: served as it is, no opener asked.
            var opened = unopened
            opened.archive = archive
            let second = try #require(source(await resolveLocator(locator(asset: opened, filters: filters), opener: opener)))
            #expect(second.source as? AssetArchive === archive && second.perTS == 3)
            #expect(opener.asked == ["a1"])
        }
    }

    // MARK: - Encoder sessions

    @Test func endsSessionsAtEveryRegisteredOwner() async {
        let directory = ChannelDirectory()
        let rtmp = FakeSessionOwner(), fmp4 = FakeSessionOwner()
        directory.addSessionOwner(rtmp)
        directory.addSessionOwner(fmp4)
        await directory.endSessions(accessToken: "token1", reason: "the live event was stopped")
        #expect(await rtmp.ended == ["token1"])
        #expect(await fmp4.ended == ["token1"])
    }
}
