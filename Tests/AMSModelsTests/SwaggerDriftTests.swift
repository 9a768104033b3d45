// Walks the swagger definitions and proves every property they declare is a key the models encode.
import Foundation
import Testing
import TestSupport
@testable import AMSModels

@Suite struct SwaggerDriftTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    /// A live event with every field set, so every key appears in its JSON.
    static let fullLiveEvent = LiveEvent(
        id: "id", name: "n", type: "t", location: "West US", tags: ["a": "b"],
        systemData: SystemData(createdBy: "u", createdByType: .user, createdAt: now, lastModifiedBy: "u", lastModifiedByType: .key, lastModifiedAt: now),
        properties: LiveEventProperties(
            description: "d",
            input: LiveEventInput(streamingProtocol: .rtmp, accessControl: LiveEventAccessControl(ip: IPAccessControl(allow: [IPRange(name: "all", address: "0.0.0.0", subnetPrefixLength: 0)])),
                                  keyFrameIntervalDuration: "PT2S", accessToken: "tok", endpoints: [LiveEventEndpoint(protocol: "RTMP", url: "rtmp://x")],
                                  timedMetadataEndpoints: [LiveEventTimedMetadataEndpoint(url: "https://x")]),
            preview: LiveEventPreview(endpoints: [LiveEventEndpoint(protocol: "FragmentedMP4", url: "https://p")], accessControl: LiveEventAccessControl(ip: IPAccessControl(allow: [])),
                                      previewLocator: "p", streamingPolicyName: "s", alternativeMediaId: "m"),
            encoding: LiveEventEncoding(encodingType: .standard, presetName: "Default720p", stretchMode: .autoFit, keyFrameInterval: "PT2S"),
            transcriptions: [LiveEventTranscription(language: "en-US", inputTrackSelection: [LiveEventInputTrackSelection(property: "p", operation: "o", value: "v")],
                                                    outputTranscriptionTrack: LiveEventOutputTranscriptionTrack(trackName: "t"))],
            provisioningState: "Succeeded", resourceState: .running,
            crossSiteAccessPolicies: CrossSiteAccessPolicies(clientAccessPolicy: "c", crossDomainPolicy: "x"),
            useStaticHostname: true, hostnamePrefix: "h", streamOptions: [.lowLatency], created: now, lastModified: now))

    static let fullLiveOutput = LiveOutput(
        id: "id", name: "n", type: "t", systemData: SystemData(createdAt: now),
        properties: LiveOutputProperties(description: "d", assetName: "a", archiveWindowLength: "PT1H", rewindWindowLength: "PT30M", manifestName: "m",
                                         hls: Hls(fragmentsPerTsSegment: 1), outputSnapTime: 0, created: now, lastModified: now,
                                         provisioningState: "Succeeded", resourceState: .running))

    static let fullStreamingEndpoint = StreamingEndpoint(
        id: "id", name: "n", type: "t", location: "l", tags: [:], systemData: SystemData(), sku: StreamingEndpointSku(name: "Standard", capacity: 600),
        properties: StreamingEndpointProperties(
            description: "d", scaleUnits: 0, availabilitySetName: "a",
            accessControl: StreamingEndpointAccessControl(
                akamai: AkamaiAccessControl(akamaiSignatureHeaderAuthenticationKeyList: [AkamaiSignatureHeaderAuthenticationKey(identifier: "i", base64Key: "k", expiration: now)]),
                ip: IPAccessControl(allow: [])),
            maxCacheAge: 60, customHostNames: ["c"], hostName: "h", cdnEnabled: false, cdnProvider: "StandardVerizon", cdnProfile: "p",
            provisioningState: "Succeeded", resourceState: .stopped, crossSiteAccessPolicies: CrossSiteAccessPolicies(), freeTrialEndTime: now, created: now, lastModified: now))

    static let fullLocator = StreamingLocator(
        properties: StreamingLocatorProperties(
            assetName: "a", created: now, startTime: now, endTime: now, streamingLocatorId: "i", streamingPolicyName: "p", defaultContentKeyPolicyName: "k",
            contentKeys: [StreamingLocatorContentKey(id: "i", type: .commonEncryptionCenc, labelReferenceInStreamingPolicy: "l", value: "v", policyName: "p",
                                                     tracks: [TrackSelection(trackSelections: [TrackPropertyCondition(property: "FourCC", operation: "Equal", value: "avc1")])])],
            alternativeMediaId: "m", filters: ["f"]))

    static let fullAsset = Asset(
        properties: AssetProperties(assetId: "i", created: now, lastModified: now, alternateId: "a", description: "d", container: "c",
                                    storageAccountName: "s", storageEncryptionFormat: AssetStorageEncryptionFormat.none, encryptionScope: "e"))

    static func encodedObject(_ value: some Encodable) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: ARMJSON.encode(value)) as? [String: Any])
    }

    @Test(arguments: [
        ("LiveEventProperties", ["properties"]),
        ("LiveEventInput", ["properties", "input"]),
        ("LiveEventPreview", ["properties", "preview"]),
        ("LiveEventEncoding", ["properties", "encoding"]),
        ("CrossSiteAccessPolicies", ["properties", "crossSiteAccessPolicies"]),
    ])
    func liveEventKeysMatchSwagger(definition: String, path: [String]) throws {
        let expected = try SwaggerFixtures.swaggerProperties(SwaggerFixtures.streamingSwagger, definition)
        let encoded = try Self.encodedObject(Self.fullLiveEvent)
        let object = try #require(path.reduce(encoded as Any?) { ($0 as? [String: Any])?[$1] } as? [String: Any])
        #expect(expected.subtracting(object.keys).isEmpty, "\(definition) keys missing from the model: \(expected.subtracting(object.keys).sorted())")
        #expect(Set(object.keys).subtracting(expected).isEmpty, "model keys not in \(definition): \(Set(object.keys).subtracting(expected).sorted())")
    }

    @Test func nestedLiveEventDefinitionsMatchSwagger() throws {
        let encoded = try Self.encodedObject(Self.fullLiveEvent)
        let checks: [(String, Any?)] = [
            ("IPRange", SwaggerFixtures.dig(encoded, "properties", "input", "accessControl", "ip").flatMap { ($0 as? [String: Any])?["allow"] as? [Any] }?.first),
            ("LiveEventEndpoint", (SwaggerFixtures.dig(encoded, "properties", "input", "endpoints") as? [Any])?.first),
            ("LiveEventTranscription", (SwaggerFixtures.dig(encoded, "properties", "transcriptions") as? [Any])?.first),
        ]
        for (definition, value) in checks {
            let object = try #require(value as? [String: Any], "\(definition) not encoded")
            #expect(try SwaggerFixtures.swaggerProperties(SwaggerFixtures.streamingSwagger, definition) == Set(object.keys), "\(definition)")
        }
    }

    @Test func liveOutputKeysMatchSwagger() throws {
        let expected = try SwaggerFixtures.swaggerProperties(SwaggerFixtures.streamingSwagger, "LiveOutputProperties")
        let object = try #require(try Self.encodedObject(Self.fullLiveOutput)["properties"] as? [String: Any])
        #expect(expected == Set(object.keys), "difference: \(expected.symmetricDifference(object.keys).sorted())")
    }

    @Test func streamingEndpointKeysMatchSwagger() throws {
        let encoded = try Self.encodedObject(Self.fullStreamingEndpoint)
        let object = try #require(encoded["properties"] as? [String: Any])
        let expected = try SwaggerFixtures.swaggerProperties(SwaggerFixtures.streamingSwagger, "StreamingEndpointProperties")
        #expect(expected == Set(object.keys), "difference: \(expected.symmetricDifference(object.keys).sorted())")
        let sku = try #require(encoded["sku"] as? [String: Any])
        #expect(try SwaggerFixtures.swaggerProperties(SwaggerFixtures.streamingSwagger, "ArmStreamingEndpointCurrentSku") == Set(sku.keys))
    }

    @Test func metadataKeysMatchSwagger() throws {
        let locator = try #require(try Self.encodedObject(Self.fullLocator)["properties"] as? [String: Any])
        let expectedLocator = try SwaggerFixtures.swaggerProperties(SwaggerFixtures.locatorsSwagger, "StreamingLocatorProperties")
        #expect(expectedLocator == Set(locator.keys), "difference: \(expectedLocator.symmetricDifference(locator.keys).sorted())")
        let key = try #require((locator["contentKeys"] as? [Any])?.first as? [String: Any])
        #expect(try SwaggerFixtures.swaggerProperties(SwaggerFixtures.locatorsSwagger, "StreamingLocatorContentKey") == Set(key.keys))

        let asset = try #require(try Self.encodedObject(Self.fullAsset)["properties"] as? [String: Any])
        let expectedAsset = try SwaggerFixtures.swaggerProperties(SwaggerFixtures.assetsSwagger, "AssetProperties")
        #expect(expectedAsset == Set(asset.keys), "difference: \(expectedAsset.symmetricDifference(asset.keys).sorted())")
    }

    @Test func enumsMatchSwagger() throws {
        let swagger = try SwaggerFixtures.json(SwaggerFixtures.streamingSwagger)
        func values(_ keys: String...) throws -> Set<String> {
            var current: Any? = swagger
            for key in keys { current = (current as? [String: Any])?[key] }
            return Set(try #require(current as? [String], "\(keys)"))
        }
        #expect(try values("definitions", "LiveEventEncoding", "properties", "encodingType", "enum") == Set(LiveEventEncodingType.allCases.map(\.rawValue)))
        #expect(try values("definitions", "LiveEventEncoding", "properties", "stretchMode", "enum") == Set(StretchMode.allCases.map(\.rawValue)))
        #expect(try values("definitions", "LiveEventInput", "properties", "streamingProtocol", "enum") == Set(LiveEventInputProtocol.allCases.map(\.rawValue)))
        #expect(try values("definitions", "LiveEventProperties", "properties", "streamOptions", "items", "enum") == Set(StreamOptionsFlag.allCases.map(\.rawValue)))
        // Resource-state enums carry one extra value the service is seen returning; everything in the swagger must be there.
        let eventStates = try values("definitions", "LiveEventProperties", "properties", "resourceState", "enum")
        #expect(eventStates.subtracting(LiveEventResourceState.allCases.map(\.rawValue)).isEmpty)
        let outputStates = try values("definitions", "LiveOutputProperties", "properties", "resourceState", "enum")
        #expect(outputStates.subtracting(LiveOutputResourceState.allCases.map(\.rawValue)).isEmpty)
        let endpointStates = try values("definitions", "StreamingEndpointProperties", "properties", "resourceState", "enum")
        #expect(endpointStates.subtracting(StreamingEndpointResourceState.allCases.map(\.rawValue)).isEmpty)
    }

    @Test func nameRulesMatchSwaggerParameters() throws {
        let swagger = try SwaggerFixtures.json(SwaggerFixtures.streamingSwagger)
        for (parameter, kind) in [("LiveEventName", ResourceKind.liveEvent), ("LiveOutputName", .liveOutput), ("StreamingEndpointName", .streamingEndpoint)] {
            let definition = try #require(SwaggerFixtures.dig(swagger, "parameters", parameter) as? [String: Any])
            #expect(definition["maxLength"] as? Int == kind.maxNameLength, "\(parameter)")
            #expect(definition["minLength"] as? Int == 1, "\(parameter)")
            #expect(kind.usesAlphanumericHyphenNames)
        }
    }
}
