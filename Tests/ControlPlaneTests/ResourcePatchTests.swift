// PATCH merges: updatable fields apply and are reported, read-only ones are ignored, create-only ones must stay equal.
import AMSModels
import Foundation
import Testing
@testable import ControlPlane

@Suite struct ResourcePatchTests {
    static let stored = LiveEvent(
        id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Media/mediaservices/a/liveevents/le", name: "le", location: "West US", tags: ["a": "1"],
        properties: LiveEventProperties(
            description: "old",
            input: LiveEventInput(streamingProtocol: .rtmp, accessControl: LiveEventAccessControl(ip: IPAccessControl(allow: [IPRange(address: "0.0.0.0", subnetPrefixLength: 0)])),
                                  keyFrameIntervalDuration: "PT2S", accessToken: "0123456789abcdef0123456789abcdef"),
            preview: LiveEventPreview(previewLocator: "8d4c9b1e-6f0a-4f7e-9a59-0c2f6e1d3b7a"),
            encoding: LiveEventEncoding(encodingType: LiveEventEncodingType.none), provisioningState: "Succeeded", resourceState: .stopped,
            useStaticHostname: false, streamOptions: [.default]))

    static func expect400(_ body: () throws(ARMError) -> Void, naming field: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected 400 naming \(field)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.status == 400, sourceLocation: sourceLocation)
            #expect(error.message.contains("'\(field)'"), "\(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test func patchingBackTheWholeResourceChangesNothing() throws {
        var echoed = Self.stored
        echoed.location = "westus"
        echoed.properties?.resourceState = .running
        echoed.properties?.input?.accessToken = "01234567-89AB-CDEF-0123-456789ABCDEF"
        echoed.properties?.input?.keyFrameIntervalDuration = "PT2.0S"
        echoed.properties?.streamOptions = []
        echoed.properties?.input?.endpoints = [LiveEventEndpoint(protocol: "RTMP", url: "rtmp://x")]
        let (merged, changed) = try Self.stored.merged(with: echoed)
        #expect(changed.isEmpty)
        #expect(merged == Self.stored)
    }

    @Test func updatableFieldsApplyAndAreReported() throws {
        let acl = LiveEventAccessControl(ip: IPAccessControl(allow: [IPRange(name: "lan", address: "10.0.0.0/8")]))
        let patch = LiveEvent(tags: ["b": "2"], properties: LiveEventProperties(
            description: "new", input: LiveEventInput(accessControl: acl), preview: LiveEventPreview(accessControl: acl),
            transcriptions: [LiveEventTranscription(language: "en-US")], crossSiteAccessPolicies: CrossSiteAccessPolicies(clientAccessPolicy: "<x/>"),
            useStaticHostname: true, hostnamePrefix: "cam1"))
        let (merged, changed) = try Self.stored.merged(with: patch)
        #expect(changed == Set(LiveEventField.allCases))
        #expect(merged.tags == ["b": "2"])
        #expect(merged.properties?.description == "new")
        #expect(merged.properties?.input?.accessControl == acl)
        #expect(merged.properties?.input?.streamingProtocol == .rtmp)
        #expect(merged.properties?.preview?.accessControl == acl)
        #expect(merged.properties?.preview?.previewLocator == Self.stored.properties?.preview?.previewLocator)
        #expect(merged.properties?.transcriptions?.first?.language == "en-US")
        #expect(merged.properties?.hostnamePrefix == "cam1")
        #expect(merged.properties?.useStaticHostname == true)
        #expect(merged.location == "West US")
    }

    @Test func readOnlyFieldsAreIgnored() throws {
        let patch = LiveEvent(id: "other", name: "other", type: "x", properties: LiveEventProperties(
            provisioningState: "Failed", resourceState: .running, created: Date(timeIntervalSince1970: 0)))
        let (merged, changed) = try Self.stored.merged(with: patch)
        #expect(changed.isEmpty)
        #expect(merged == Self.stored)
    }

    @Test func createOnlyFieldsThatDifferAreRefused() {
        func patch(_ configure: (inout LiveEvent) -> Void) -> LiveEvent {
            var event = LiveEvent(properties: LiveEventProperties())
            configure(&event)
            return event
        }
        let cases: [(String, LiveEvent)] = [
            ("location", patch { $0.location = "East US" }),
            ("properties.input.streamingProtocol", patch { $0.properties?.input = LiveEventInput(streamingProtocol: .fragmentedMP4) }),
            ("properties.input.accessToken", patch { $0.properties?.input = LiveEventInput(accessToken: "ffffffffffffffffffffffffffffffff") }),
            ("properties.input.keyFrameIntervalDuration", patch { $0.properties?.input = LiveEventInput(keyFrameIntervalDuration: "PT4S") }),
            ("properties.encoding.encodingType", patch { $0.properties?.encoding = LiveEventEncoding(encodingType: .standard) }),
            ("properties.encoding.presetName", patch { $0.properties?.encoding = LiveEventEncoding(presetName: "Default720p") }),
            ("properties.preview.previewLocator", patch { $0.properties?.preview = LiveEventPreview(previewLocator: "00000000-0000-0000-0000-000000000000") }),
            ("properties.preview.streamingPolicyName", patch { $0.properties?.preview = LiveEventPreview(streamingPolicyName: "Predefined_ClearKey") }),
            ("properties.streamOptions", patch { $0.properties?.streamOptions = [.lowLatency] }),
        ]
        for (field, body) in cases {
            Self.expect400({ () throws(ARMError) in _ = try Self.stored.merged(with: body) }, naming: field)
        }
    }

    @Test func invalidPatchedValuesAreRefused() {
        let badACL = LiveEvent(properties: LiveEventProperties(input: LiveEventInput(accessControl: LiveEventAccessControl(ip: IPAccessControl(allow: [IPRange(address: "10.0.0.0/40")])))))
        Self.expect400({ () throws(ARMError) in _ = try Self.stored.merged(with: badACL) }, naming: "properties.input.accessControl.ip.allow[0].subnetPrefixLength")
        let badPrefix = LiveEvent(properties: LiveEventProperties(hostnamePrefix: "-bad-"))
        Self.expect400({ () throws(ARMError) in _ = try Self.stored.merged(with: badPrefix) }, naming: "properties.hostnamePrefix")
    }

    // MARK: - Streaming endpoint

    static let endpoint = StreamingEndpoint(location: "West US", tags: nil, sku: StreamingEndpointSku(name: "Standard", capacity: 600),
                                            properties: StreamingEndpointProperties(description: "d", scaleUnits: 0, maxCacheAge: 60, hostName: "default-a.streaming.example",
                                                                                    cdnEnabled: false, resourceState: .running))

    @Test func streamingEndpointMerge() throws {
        let patch = StreamingEndpoint(location: "westus", sku: StreamingEndpointSku(name: "Premium", capacity: 1), properties: StreamingEndpointProperties(
            description: "new", scaleUnits: 2, accessControl: StreamingEndpointAccessControl(ip: IPAccessControl(allow: [])), maxCacheAge: 60,
            customHostNames: ["cdn.example"], hostName: "ignored", cdnEnabled: true, resourceState: .stopped))
        let expected: Set<StreamingEndpointField> = [.description, .scaleUnits, .accessControl, .customHostNames, .cdnEnabled]
        let (merged, changed) = try Self.endpoint.merged(with: patch)
        #expect(changed == expected)
        #expect(merged.properties?.scaleUnits == 2)
        #expect(merged.properties?.hostName == "default-a.streaming.example")
        #expect(merged.properties?.resourceState == .running)
        #expect(merged.sku == Self.endpoint.sku)
        #expect(try Self.endpoint.merged(with: Self.endpoint).changed.isEmpty)
        Self.expect400({ () throws(ARMError) in _ = try Self.endpoint.merged(with: StreamingEndpoint(location: "North Europe")) }, naming: "location")
        Self.expect400({ () throws(ARMError) in
            _ = try Self.endpoint.merged(with: StreamingEndpoint(properties: StreamingEndpointProperties(maxCacheAge: -1)))
        }, naming: "properties.maxCacheAge")
        Self.expect400({ () throws(ARMError) in
            _ = try Self.endpoint.merged(with: StreamingEndpoint(properties: StreamingEndpointProperties(scaleUnits: -2)))
        }, naming: "properties.scaleUnits")
    }

    // MARK: - Asset

    @Test func assetMerge() throws {
        let asset = Asset(name: "a", properties: AssetProperties(assetId: "id", alternateId: "x", description: "d", container: "asset-id", storageAccountName: "Store"))
        let (merged, changed) = try asset.merged(with: Asset(properties: AssetProperties(assetId: "other", alternateId: "y", description: "e", container: "asset-id", storageAccountName: "store")))
        #expect(changed)
        #expect(merged.properties?.alternateId == "y" && merged.properties?.description == "e" && merged.properties?.assetId == "id")
        #expect(try asset.merged(with: asset).changed == false)
        Self.expect400({ () throws(ARMError) in _ = try asset.merged(with: Asset(properties: AssetProperties(container: "elsewhere"))) }, naming: "properties.container")
        Self.expect400({ () throws(ARMError) in _ = try asset.merged(with: Asset(properties: AssetProperties(encryptionScope: "scope"))) }, naming: "properties.encryptionScope")
    }
}
