import AMSModels
import Foundation
import Testing
@testable import ControlPlane

@Suite struct ResourceValidationTests {
    static func rtmpEvent(_ configure: (inout LiveEventProperties) -> Void = { _ in }) -> LiveEvent {
        var properties = LiveEventProperties(input: LiveEventInput(streamingProtocol: .rtmp))
        configure(&properties)
        return LiveEvent(location: "West US", properties: properties)
    }

    static func expectBadRequest(_ body: () throws(ARMError) -> Void, mentioning fragments: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected a BadRequest", sourceLocation: sourceLocation)
        } catch {
            #expect(error.status == 400, sourceLocation: sourceLocation)
            for fragment in fragments {
                #expect(error.message.contains(fragment), "'\(error.message)' lacks '\(fragment)'", sourceLocation: sourceLocation)
            }
        }
    }

    // MARK: - Names

    @Test(arguments: ["a", "myLiveEvent1", "my-event", "a--b", "A1-b2-C3", String(repeating: "x", count: 32)])
    func acceptsValidLiveEventNames(name: String) throws {
        try ResourceValidation.validateName(name, for: .liveEvent)
    }

    @Test(arguments: ["", "-a", "a-", "my_event", "my event", "événement", "a.b", String(repeating: "x", count: 33)])
    func rejectsInvalidLiveEventNames(name: String) {
        do {
            try ResourceValidation.validateName(name, for: .liveEvent)
            Issue.record("'\(name)' was accepted")
        } catch {
            #expect(error.code == "InvalidResourceName")
            #expect(error.status == 400)
            #expect(error.message.contains("live event name '\(name)'"))
            #expect(error.message.contains("1 to 32"))
        }
    }

    @Test func nameLengthLimitsFollowTheKind() throws {
        try ResourceValidation.validateName(String(repeating: "o", count: 256), for: .liveOutput)
        #expect(throws: ARMError.self) { try ResourceValidation.validateName(String(repeating: "o", count: 257), for: .liveOutput) }
        try ResourceValidation.validateName(String(repeating: "s", count: 24), for: .streamingEndpoint)
        #expect(throws: ARMError.self) { try ResourceValidation.validateName(String(repeating: "s", count: 25), for: .streamingEndpoint) }
    }

    @Test func metadataNamesAllowMoreButNotReservedCharacters() throws {
        try ResourceValidation.validateName("archive_2024 (main)", for: .asset)
        try ResourceValidation.validateName("6f3264f5-a189-48b4-a29a-a40f22575212", for: .streamingLocator)
        for bad in ["a/b", "a.b", "a?b", "a%b", "a'b", "a\u{7}b", ""] {
            do {
                try ResourceValidation.validateName(bad, for: .asset)
                Issue.record("'\(bad)' was accepted")
            } catch {
                #expect(error.code == "InvalidResourceName")
            }
        }
        #expect(throws: ARMError.self) { try ResourceValidation.validateName(String(repeating: "a", count: 261), for: .asset) }
    }

    // MARK: - Live event

    @Test func minimalLiveEventIsValid() throws {
        try Self.rtmpEvent().validateForCreate()
        try Self.rtmpEvent {
            $0.input?.keyFrameIntervalDuration = "PT0.5S"
            $0.input?.accessToken = "0123456789abcdef0123456789ABCDEF"
            $0.input?.accessControl = LiveEventAccessControl(ip: IPAccessControl(allow: [IPRange(name: "v6", address: "2001:db8::", subnetPrefixLength: 32)]))
            $0.preview = LiveEventPreview(previewLocator: "c91726b4-880c-4090-94aa-e6ddb1384b37")
            $0.encoding = LiveEventEncoding(encodingType: .passthroughBasic)
        }.validateForCreate()
        try Self.rtmpEvent {
            $0.encoding = LiveEventEncoding(encodingType: .standard, presetName: "Default720p", stretchMode: .autoSize, keyFrameInterval: "PT20S")
            $0.streamOptions = [.lowLatencyV2]
        }.validateForCreate()
    }

    @Test func liveEventRequiredFields() {
        Self.expectBadRequest({ () throws(ARMError) in try LiveEvent(properties: LiveEventProperties()).validateForCreate() }, mentioning: "'location'")
        Self.expectBadRequest({ () throws(ARMError) in try LiveEvent(location: "x").validateForCreate() }, mentioning: "'properties'")
        Self.expectBadRequest({ () throws(ARMError) in try LiveEvent(location: "x", properties: LiveEventProperties()).validateForCreate() }, mentioning: "'properties.input'")
        Self.expectBadRequest({ () throws(ARMError) in
            try LiveEvent(location: "x", properties: LiveEventProperties(input: LiveEventInput())).validateForCreate()
        }, mentioning: "'properties.input.streamingProtocol'", "missing")
    }

    @Test func keyFrameIntervalRangeAndPassThroughOnly() {
        Self.expectBadRequest({ () throws(ARMError) in try Self.rtmpEvent { $0.input?.keyFrameIntervalDuration = "PT21S" }.validateForCreate() },
                              mentioning: "between 0.5 and 20 seconds", "PT21S")
        Self.expectBadRequest({ () throws(ARMError) in try Self.rtmpEvent { $0.input?.keyFrameIntervalDuration = "PT0.4S" }.validateForCreate() },
                              mentioning: "between 0.5 and 20 seconds")
        Self.expectBadRequest({ () throws(ARMError) in try Self.rtmpEvent { $0.input?.keyFrameIntervalDuration = "two seconds" }.validateForCreate() },
                              mentioning: "keyFrameIntervalDuration", "ISO 8601")
        Self.expectBadRequest({ () throws(ARMError) in
            try Self.rtmpEvent {
                $0.input?.keyFrameIntervalDuration = "PT2S"
                $0.encoding = LiveEventEncoding(encodingType: .premium1080p)
            }.validateForCreate()
        }, mentioning: "pass-through", "keyFrameInterval")
        Self.expectBadRequest({ () throws(ARMError) in
            try Self.rtmpEvent { $0.encoding = LiveEventEncoding(encodingType: .passthroughStandard, keyFrameInterval: "PT2S") }.validateForCreate()
        }, mentioning: "cannot be set for pass-through")
        Self.expectBadRequest({ () throws(ARMError) in
            try Self.rtmpEvent { $0.encoding = LiveEventEncoding(encodingType: .standard, keyFrameInterval: "PT30S") }.validateForCreate()
        }, mentioning: "properties.encoding.keyFrameInterval", "between 0.5 and 20")
    }

    @Test func encodingOnlySettingsAndOptions() {
        Self.expectBadRequest({ () throws(ARMError) in
            try Self.rtmpEvent { $0.encoding = LiveEventEncoding(encodingType: .none, presetName: "Default720p") }.validateForCreate()
        }, mentioning: "presetName")
        Self.expectBadRequest({ () throws(ARMError) in try Self.rtmpEvent { $0.streamOptions = [.lowLatencyV2] }.validateForCreate() },
                              mentioning: "LowLatencyV2")
        Self.expectBadRequest({ () throws(ARMError) in try Self.rtmpEvent { $0.input?.accessToken = "not-a-guid" }.validateForCreate() },
                              mentioning: "accessToken")
        Self.expectBadRequest({ () throws(ARMError) in
            try Self.rtmpEvent {
                $0.input?.accessControl = LiveEventAccessControl(ip: IPAccessControl(allow: [IPRange(name: "x", address: "10.0.0.1", subnetPrefixLength: 33)]))
            }.validateForCreate()
        }, mentioning: "subnetPrefixLength", "between 0 and 32")
        Self.expectBadRequest({ () throws(ARMError) in
            try Self.rtmpEvent {
                $0.preview = LiveEventPreview(accessControl: LiveEventAccessControl(ip: IPAccessControl(allow: [IPRange(address: "300.1.1.1")])))
            }.validateForCreate()
        }, mentioning: "properties.preview.accessControl.ip.allow[0].address")
    }

    // MARK: - Live output

    static func output(archive: String? = "PT1H", rewind: String? = nil, asset: String? = "asset1") -> LiveOutput {
        LiveOutput(properties: LiveOutputProperties(assetName: asset, archiveWindowLength: archive, rewindWindowLength: rewind))
    }

    @Test func liveOutputWindows() throws {
        try Self.output(archive: "PT1M").validateForCreate()
        try Self.output(archive: "PT25H", rewind: "PT25H").validateForCreate()
        try Self.output(archive: "PT5M", rewind: "PT4M").validateForCreate()
        Self.expectBadRequest({ () throws(ARMError) in try Self.output(archive: "PT59S").validateForCreate() }, mentioning: "archiveWindowLength", "PT1M", "PT25H")
        Self.expectBadRequest({ () throws(ARMError) in try Self.output(archive: "PT25H1S").validateForCreate() }, mentioning: "archiveWindowLength")
        Self.expectBadRequest({ () throws(ARMError) in try Self.output(archive: "PT1H", rewind: "PT2H").validateForCreate() },
                              mentioning: "rewindWindowLength", "archive window")
        Self.expectBadRequest({ () throws(ARMError) in try Self.output(archive: "PT1H", rewind: "PT30S").validateForCreate() }, mentioning: "rewindWindowLength")
        Self.expectBadRequest({ () throws(ARMError) in
            try Self.output(archive: "PT9H").validateForCreate(encodingType: .passthroughBasic)
        }, mentioning: "PT8H")
        Self.expectBadRequest({ () throws(ARMError) in
            try Self.output(archive: "PT7H").validateForCreate(encodingType: .standard, streamOptions: [.lowLatencyV2])
        }, mentioning: "PT6H")
    }

    @Test func liveOutputRequiredFields() {
        Self.expectBadRequest({ () throws(ARMError) in try Self.output(asset: nil).validateForCreate() }, mentioning: "'properties.assetName'", "missing")
        Self.expectBadRequest({ () throws(ARMError) in try Self.output(archive: nil).validateForCreate() }, mentioning: "'properties.archiveWindowLength'", "missing")
        Self.expectBadRequest({ () throws(ARMError) in try LiveOutput().validateForCreate() }, mentioning: "'properties'")
        Self.expectBadRequest({ () throws(ARMError) in try Self.output(asset: "a/b").validateForCreate() }, mentioning: "assetName")
        Self.expectBadRequest({ () throws(ARMError) in
            try LiveOutput(properties: LiveOutputProperties(assetName: "a", archiveWindowLength: "PT1H", hls: Hls(fragmentsPerTsSegment: 0))).validateForCreate()
        }, mentioning: "fragmentsPerTsSegment")
    }

    // MARK: - Locator and endpoint

    @Test func streamingLocatorRules() throws {
        try StreamingLocator(properties: StreamingLocatorProperties(assetName: "a", streamingPolicyName: "Predefined_ClearStreamingOnly")).validateForCreate()
        Self.expectBadRequest({ () throws(ARMError) in
            try StreamingLocator(properties: StreamingLocatorProperties(streamingPolicyName: "p")).validateForCreate()
        }, mentioning: "'properties.assetName'")
        Self.expectBadRequest({ () throws(ARMError) in
            try StreamingLocator(properties: StreamingLocatorProperties(assetName: "a")).validateForCreate()
        }, mentioning: "'properties.streamingPolicyName'")
        Self.expectBadRequest({ () throws(ARMError) in
            try StreamingLocator(properties: StreamingLocatorProperties(assetName: "a", streamingLocatorId: "123", streamingPolicyName: "p")).validateForCreate()
        }, mentioning: "streamingLocatorId")
        let start = Date(timeIntervalSince1970: 1000)
        Self.expectBadRequest({ () throws(ARMError) in
            try StreamingLocator(properties: StreamingLocatorProperties(assetName: "a", startTime: start, endTime: start, streamingPolicyName: "p")).validateForCreate()
        }, mentioning: "endTime")
    }

    @Test func streamingEndpointRules() throws {
        try StreamingEndpoint(location: "x", properties: StreamingEndpointProperties(scaleUnits: 0)).validateForCreate()
        Self.expectBadRequest({ () throws(ARMError) in
            try StreamingEndpoint(location: "x", properties: StreamingEndpointProperties()).validateForCreate()
        }, mentioning: "'properties.scaleUnits'")
        Self.expectBadRequest({ () throws(ARMError) in
            try StreamingEndpoint(location: "x", properties: StreamingEndpointProperties(scaleUnits: -1)).validateForCreate()
        }, mentioning: "scaleUnits")
    }
}
