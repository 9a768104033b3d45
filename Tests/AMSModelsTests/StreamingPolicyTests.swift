// Streaming policies: swagger keys, the Predefined_* built-ins and the listPaths result (create validation: ControlPlaneTests).
import Foundation
import Testing
import TestSupport
@testable import AMSModels

@Suite struct StreamingPolicyTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static let all = EnabledProtocols(download: true, dash: true, hls: true, smoothStreaming: true)
    static let keys = StreamingPolicyContentKeys(
        defaultKey: DefaultKey(label: "l", policyName: "p"),
        keyToTrackMappings: [StreamingPolicyContentKey(label: "l", policyName: "p",
                                                       tracks: [TrackSelection(trackSelections: [TrackPropertyCondition(property: "FourCC", operation: "Equal", value: "hev1")])])])
    static let playReady = StreamingPolicyPlayReadyConfiguration(customLicenseAcquisitionUrlTemplate: "u", playReadyCustomAttributes: "a")
    static let widevine = StreamingPolicyWidevineConfiguration(customLicenseAcquisitionUrlTemplate: "u")
    static let clearKey = ClearKeyEncryptionConfiguration(customKeysAcquisitionUrlTemplate: "u")

    /// A policy with every field set so every swagger key appears in its JSON.
    static let full = StreamingPolicy(id: "i", name: "n", type: "t", systemData: SystemData(createdAt: now), properties: StreamingPolicyProperties(
        created: now, defaultContentKeyPolicyName: "k",
        envelopeEncryption: EnvelopeEncryption(enabledProtocols: all, clearTracks: [TrackSelection(trackSelections: [])], contentKeys: keys,
                                               customKeyAcquisitionUrlTemplate: "u"),
        commonEncryptionCenc: CommonEncryptionCenc(enabledProtocols: all, clearTracks: [], contentKeys: keys,
                                                   drm: CencDrmConfiguration(playReady: playReady, widevine: widevine), clearKeyEncryptionConfiguration: clearKey),
        commonEncryptionCbcs: CommonEncryptionCbcs(enabledProtocols: all, clearTracks: [], contentKeys: keys,
                                                   drm: CbcsDrmConfiguration(fairPlay: StreamingPolicyFairPlayConfiguration(customLicenseAcquisitionUrlTemplate: "u", allowPersistentLicense: true),
                                                                             playReady: playReady, widevine: widevine),
                                                   clearKeyEncryptionConfiguration: clearKey),
        noEncryption: NoEncryption(enabledProtocols: all)))

    static func expectKeys(_ definition: String, _ value: Any?, file: String = SwaggerFixtures.locatorsSwagger,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        let object = try #require(value as? [String: Any], "\(definition) not encoded", sourceLocation: sourceLocation)
        let expected = try SwaggerFixtures.swaggerProperties(file, definition)
        #expect(expected == Set(object.keys), "\(definition) difference: \(expected.symmetricDifference(object.keys).sorted())", sourceLocation: sourceLocation)
    }

    @Test func policyKeysMatchSwagger() throws {
        let encoded = try SwaggerDriftTests.encodedObject(Self.full)
        try Self.expectKeys("StreamingPolicy", encoded.filter { !["id", "name", "type"].contains($0.key) })
        let properties = SwaggerFixtures.dig(encoded, "properties")
        try Self.expectKeys("StreamingPolicyProperties", properties)
        try Self.expectKeys("NoEncryption", SwaggerFixtures.dig(properties, "noEncryption"))
        try Self.expectKeys("EnabledProtocols", SwaggerFixtures.dig(properties, "noEncryption", "enabledProtocols"))
        try Self.expectKeys("EnvelopeEncryption", SwaggerFixtures.dig(properties, "envelopeEncryption"))
        try Self.expectKeys("CommonEncryptionCenc", SwaggerFixtures.dig(properties, "commonEncryptionCenc"))
        try Self.expectKeys("CommonEncryptionCbcs", SwaggerFixtures.dig(properties, "commonEncryptionCbcs"))
        try Self.expectKeys("StreamingPolicyContentKeys", SwaggerFixtures.dig(properties, "envelopeEncryption", "contentKeys"))
        try Self.expectKeys("DefaultKey", SwaggerFixtures.dig(properties, "envelopeEncryption", "contentKeys", "defaultKey"))
        try Self.expectKeys("StreamingPolicyContentKey", (SwaggerFixtures.dig(properties, "envelopeEncryption", "contentKeys", "keyToTrackMappings") as? [Any])?.first)
        try Self.expectKeys("CencDrmConfiguration", SwaggerFixtures.dig(properties, "commonEncryptionCenc", "drm"))
        try Self.expectKeys("CbcsDrmConfiguration", SwaggerFixtures.dig(properties, "commonEncryptionCbcs", "drm"))
        try Self.expectKeys("StreamingPolicyPlayReadyConfiguration", SwaggerFixtures.dig(properties, "commonEncryptionCbcs", "drm", "playReady"))
        try Self.expectKeys("StreamingPolicyWidevineConfiguration", SwaggerFixtures.dig(properties, "commonEncryptionCbcs", "drm", "widevine"))
        try Self.expectKeys("StreamingPolicyFairPlayConfiguration", SwaggerFixtures.dig(properties, "commonEncryptionCbcs", "drm", "fairPlay"))
        try Self.expectKeys("ClearKeyEncryptionConfiguration", SwaggerFixtures.dig(properties, "commonEncryptionCenc", "clearKeyEncryptionConfiguration"))
        // Round trip.
        #expect(try ARMJSON.decode(StreamingPolicy.self, from: ARMJSON.encode(Self.full)) == Self.full)
    }

    @Test func pathEnumsMatchSwagger() throws {
        let swagger = try SwaggerFixtures.json(SwaggerFixtures.locatorsSwagger)
        let protocols = try #require(SwaggerFixtures.dig(swagger, "definitions", "StreamingPath", "properties", "streamingProtocol", "enum") as? [String])
        #expect(Set(protocols) == Set(StreamingPolicyStreamingProtocol.allCases.map(\.rawValue)))
        let schemes = try #require(SwaggerFixtures.dig(swagger, "definitions", "StreamingPath", "properties", "encryptionScheme", "enum") as? [String])
        #expect(Set(schemes) == Set(StreamingEncryptionScheme.allCases.map(\.rawValue)))
    }

    @Test func sixPredefinedPolicies() throws {
        #expect(StreamingPolicy.predefined.count == 6)
        let clear = try #require(StreamingPolicy.predefined(named: "predefined_clearstreamingonly"))
        #expect(clear.name == "Predefined_ClearStreamingOnly")
        #expect(clear.properties?.noEncryption?.enabledProtocols == EnabledProtocols(download: false, dash: true, hls: true, smoothStreaming: true))
        #expect(clear.properties?.isServable == true)
        #expect(StreamingPolicy.predefined(named: "Predefined_DownloadOnly")?.properties?.noEncryption?.enabledProtocols
                == EnabledProtocols(download: true, dash: false, hls: false, smoothStreaming: false))
        #expect(StreamingPolicy.predefined(named: "Predefined_DownloadAndClearStreaming")?.properties?.noEncryption?.enabledProtocols == Self.all)
        #expect(StreamingPolicy.predefined(named: "Predefined_ClearKey")?.properties?.envelopeEncryption != nil)
        let multi = try #require(StreamingPolicy.predefined(named: "Predefined_MultiDrmStreaming")?.properties)
        #expect(multi.commonEncryptionCbcs?.enabledProtocols?.hls == true)
        #expect(multi.commonEncryptionCenc?.enabledProtocols?.hls == false)
        #expect(multi.isServable == false)
        #expect(StreamingPolicy.predefined(named: "Predefined_MultiDrmCencStreaming")?.properties?.schemes.map(\.scheme) == [.commonEncryptionCenc])
        #expect(StreamingPolicy.predefined(named: "Predefined_Nope") == nil)
        let account = ResourceID(subscriptionId: "s", resourceGroup: "rg", accountName: "a")
        #expect(StreamingPolicy.predefined(named: "predefined_clearkey", account: account)?.id
                == "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Media/mediaservices/a/streamingPolicies/Predefined_ClearKey")
    }

    // MARK: - listPaths

    @Test func clearListPathsMatchesTheSwaggerExample() throws {
        let example = try SwaggerFixtures.json("Metadata/stable/2023-01-01/examples/streaming-locators-list-paths-streaming-and-download.json")
        let body = try #require(SwaggerFixtures.dig(example, "responses", "200", "body"))
        let expected = try ARMJSON.decode(ListPathsResponse.self, from: SwaggerFixtures.fragmentData(body))
        let policy = try #require(StreamingPolicy.predefined(named: "Predefined_DownloadAndClearStreaming")?.properties)
        let built = ListPathsResponse.build(locatorId: "262a87b6-b538-4657-bac1-b6897924471d",
                                           manifestNames: ["videoManifest1", "videoManifest2", "videoManifest3"], policy: policy,
                                           downloadFiles: ["textTrack.vtt", "video1.mp4", "video2.mp4", "video3.mp4"])
        #expect(built == expected)
        let encoded = try SwaggerDriftTests.encodedObject(built)
        try StreamingPolicyTests.expectKeys("ListPathsResponse", encoded)
        try StreamingPolicyTests.expectKeys("StreamingPath", (encoded["streamingPaths"] as? [Any])?.first)
    }

    @Test func liveClearStreamingHasNoDownloadsAndSkipsDisabledProtocols() throws {
        let clear = try #require(StreamingPolicy.predefined(named: "Predefined_ClearStreamingOnly")?.properties)
        let paths = ListPathsResponse.build(locatorId: "L", manifestNames: ["output-1"], policy: clear, downloadFiles: ["x.mp4"])
        #expect(paths.streamingPaths?.map(\.streamingProtocol) == [.hls, .dash, .smoothStreaming])
        #expect(paths.streamingPaths?.first?.paths == ["/L/output-1.ism/manifest(format=m3u8-aapl)"])
        #expect(paths.streamingPaths?.last?.paths == ["/L/output-1.ism/manifest"])
        #expect(paths.downloadPaths == [])
        let hlsOnly = StreamingPolicyProperties(noEncryption: NoEncryption(enabledProtocols: EnabledProtocols(download: false, dash: false, hls: true, smoothStreaming: false)))
        let single = ListPathsResponse.build(locatorId: "L", manifestNames: [], policy: hlsOnly)
        #expect(single.streamingPaths == [StreamingPath(streamingProtocol: .hls, encryptionScheme: .noEncryption, paths: [])])
    }

    @Test func encryptedPathsCarryTheSchemeHint() throws {
        let multi = try #require(StreamingPolicy.predefined(named: "Predefined_MultiDrmStreaming")?.properties)
        let paths = ListPathsResponse.build(locatorId: "L", manifestNames: ["m"], policy: multi)
        let pairs = paths.streamingPaths?.map { "\($0.streamingProtocol.rawValue)+\($0.encryptionScheme.rawValue)=\($0.paths?.first ?? "")" }
        #expect(pairs == [
            "Dash+CommonEncryptionCenc=/L/m.ism/manifest(format=mpd-time-csf,encryption=cenc)",
            "SmoothStreaming+CommonEncryptionCenc=/L/m.ism/manifest(encryption=cenc)",
            "Hls+CommonEncryptionCbcs=/L/m.ism/manifest(format=m3u8-aapl,encryption=cbcs-aapl)",
        ])
        #expect(ListPathsResponse.manifestPath(locatorId: "L", manifestName: "a b", protocol: .hls, scheme: .envelopeEncryption)
                == "/L/a%20b.ism/manifest(format=m3u8-aapl,encryption=cbc)")
    }
}
