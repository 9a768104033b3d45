// Decodes the official swagger examples with the models and proves every field survives re-encoding.
import Foundation
import Testing
import TestSupport
@testable import AMSModels

@Suite struct SwaggerExampleTests {
    @Test func liveEventCreateRequestAndResponses() throws {
        let example = try SwaggerFixtures.json(SwaggerFixtures.streamingExamples + "liveevent-create.json")
        let request = try #require(SwaggerFixtures.dig(example, "parameters", "parameters"))
        let (event, reencoded) = try roundTrip(LiveEvent.self, request)
        expectFieldsSurvive(request, reencoded)
        #expect(event.location == "West US")
        #expect(event.properties?.input?.streamingProtocol == .rtmp)
        #expect(event.properties?.input?.keyFrameIntervalDuration == "PT6S")
        #expect(event.properties?.input?.accessControl?.ip?.allow?.first == IPRange(name: "AllowAll", address: "0.0.0.0", subnetPrefixLength: 0))

        for status in ["201", "200"] {
            let body = try #require(SwaggerFixtures.dig(example, "responses", status, "body"))
            let (response, reencodedResponse) = try roundTrip(LiveEvent.self, body)
            expectFieldsSurvive(body, reencodedResponse)
            #expect(response.properties?.encoding?.encodingType == LiveEventEncodingType.none)
            #expect(response.properties?.created == ARMDateTime.parse("2018-03-03T02:25:06.0982751Z"))
        }
    }

    @Test func liveEventGetResponse() throws {
        let example = try SwaggerFixtures.json(SwaggerFixtures.streamingExamples + "liveevent-list-by-name.json")
        let body = try #require(SwaggerFixtures.dig(example, "responses", "200", "body"))
        let (event, reencoded) = try roundTrip(LiveEvent.self, body)
        expectFieldsSurvive(body, reencoded)
        #expect(event.properties?.resourceState == .stopped)
        #expect(event.properties?.streamOptions == [.default])
        #expect(event.properties?.preview?.endpoints?.first?.protocol == "FragmentedMP4")
        #expect(event.properties?.crossSiteAccessPolicies?.crossDomainPolicy?.hasPrefix("<cross-domain-policy>") == true)
    }

    @Test func liveOutputCreateRequestAndResponse() throws {
        let example = try SwaggerFixtures.json(SwaggerFixtures.streamingExamples + "liveoutput-create.json")
        let request = try #require(SwaggerFixtures.dig(example, "parameters", "parameters"))
        let (output, reencoded) = try roundTrip(LiveOutput.self, request)
        expectFieldsSurvive(request, reencoded)
        #expect(output.properties?.archiveWindowLength == "PT5M")
        #expect(output.properties?.hls?.fragmentsPerTsSegment == 5)

        let responses = try #require(SwaggerFixtures.dig(example, "responses") as? [String: Any])
        #expect(!responses.isEmpty)
        for (status, response) in responses {
            guard let body = SwaggerFixtures.dig(response, "body") else { continue }
            let (decoded, reencodedBody) = try roundTrip(LiveOutput.self, body)
            expectFieldsSurvive(body, reencodedBody)
            #expect(decoded.properties?.assetName == "6f3264f5-a189-48b4-a29a-a40f22575212", "status \(status)")
            #expect(decoded.systemData?.createdByType == .user || decoded.systemData == nil)
        }
    }

    /// Every example response body whose `type` names a resource we model decodes and re-encodes losslessly.
    @Test func everyStreamingExampleBodyRoundTrips() throws {
        let folder = SwaggerFixtures.mediaFolder.appendingPathComponent(SwaggerFixtures.streamingExamples)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 3)
        var checked = 0
        for file in files {
            let example = try SwaggerFixtures.json(SwaggerFixtures.streamingExamples + file)
            let responses = (example["responses"] as? [String: Any]) ?? [:]
            for response in responses.values {
                guard let body = SwaggerFixtures.dig(response, "body") as? [String: Any], let type = body["type"] as? String else { continue }
                switch type.lowercased() {
                case "microsoft.media/mediaservices/liveevents":
                    expectFieldsSurvive(body, try roundTrip(LiveEvent.self, body).1)
                case "microsoft.media/mediaservices/liveevents/liveoutputs":
                    expectFieldsSurvive(body, try roundTrip(LiveOutput.self, body).1)
                case "microsoft.media/mediaservices/streamingendpoints":
                    expectFieldsSurvive(body, try roundTrip(StreamingEndpoint.self, body).1)
                default:
                    continue
                }
                checked += 1
            }
        }
        #expect(checked >= 4)
    }

    @Test func datesEncodeAsUTCWithFractionAndZ() throws {
        let date = try #require(ARMDateTime.parse("2018-03-03T02:25:06.0982751Z"))
        #expect(ARMDateTime.format(date) == "2018-03-03T02:25:06.0982751Z")
        #expect(ARMDateTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.0000000Z")
        #expect(ARMDateTime.parse("2024-02-29T23:59:59+01:00") == ARMDateTime.parse("2024-02-29T22:59:59Z"))
        #expect(ARMDateTime.parse("2023-02-29T00:00:00Z") == nil)
        #expect(ARMDateTime.parse("2023-01-01T00:00:00") == nil)
        #expect(ARMDateTime.parse("yesterday") == nil)
        let text = String(decoding: try ARMJSON.encode(SystemData(createdAt: date)), as: UTF8.self)
        #expect(text == #"{"createdAt":"2018-03-03T02:25:06.0982751Z"}"#)
    }

    @Test func nilFieldsAreOmitted() throws {
        let output = LiveOutput(properties: LiveOutputProperties(assetName: "a1", archiveWindowLength: "PT1H"))
        let text = String(decoding: try ARMJSON.encode(output), as: UTF8.self)
        #expect(text == #"{"properties":{"archiveWindowLength":"PT1H","assetName":"a1"}}"#)
    }

    @Test func listEnvelopeUsesODataNames() throws {
        let list = ARMList(value: [Asset(name: "a")], odataCount: 1, odataNextLink: "https://x/next")
        let object = try #require(try JSONSerialization.jsonObject(with: ARMJSON.encode(list)) as? [String: Any])
        #expect(object["@odata.count"] as? Int == 1)
        #expect(object["@odata.nextLink"] as? String == "https://x/next")
        #expect((object["value"] as? [Any])?.count == 1)
    }
}

extension SwaggerExampleTests {
    @Test func dateFractionsOfAnyLengthParse() throws {
        let base = try #require(ARMDateTime.parse("2024-05-01T10:00:00Z"))
        #expect(ARMDateTime.parse("2024-05-01T10:00:00.5Z")?.timeIntervalSince(base) == 0.5)
        let long = try #require(ARMDateTime.parse("2024-05-01T10:00:00.123456789123Z"))
        #expect(abs(long.timeIntervalSince(base) - 0.123456789) < 1e-6)
        #expect(ARMDateTime.parse("2024-05-01T10:00:00.Z") == nil)
        #expect(ARMDateTime.format(ARMDateTime.parse("1999-12-31T23:59:59.9999999Z") ?? base) == "1999-12-31T23:59:59.9999999Z")
    }
}
