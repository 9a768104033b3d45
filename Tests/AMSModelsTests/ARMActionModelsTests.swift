// The action and operation-status models: JSON keys against the swagger and decoding of the bodies clients send.
import Foundation
import Testing
import TestSupport
@testable import AMSModels

@Suite struct ARMActionModelsTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func expectStreamingKeys(_ definition: String, _ value: some Encodable) throws {
        let object = try SwaggerDriftTests.encodedObject(value)
        #expect(try SwaggerFixtures.swaggerProperties(SwaggerFixtures.streamingSwagger, definition) == Set(object.keys), "\(definition)")
    }

    static func expectAssetKeys(_ definition: String, _ value: Any?) throws {
        let object = try #require(value as? [String: Any], "\(definition)")
        #expect(try SwaggerFixtures.swaggerProperties(SwaggerFixtures.assetsSwagger, definition) == Set(object.keys), "\(definition)")
    }

    @Test func streamingModelsMatchSwagger() throws {
        try Self.expectStreamingKeys("AsyncOperationResult", AsyncOperationResult(name: "op", status: .failed, error: ARMErrorDetail(code: "c", message: "m")))
        try Self.expectStreamingKeys("LiveEventActionInput", LiveEventActionInput(removeOutputsOnStop: true))
        try Self.expectStreamingKeys("StreamingEntityScaleUnit", StreamingEntityScaleUnit(scaleUnit: 2))
        let skus = StreamingEndpointSkuInfoListResult.standardAndPremium()
        try Self.expectStreamingKeys("StreamingEndpointSkuInfoListResult", skus)
        let first = try #require(skus.value?.last)
        try Self.expectStreamingKeys("ArmStreamingEndpointSkuInfo", first)
        try Self.expectStreamingKeys("ArmStreamingEndpointCapacity", try #require(first.capacity))
        try Self.expectStreamingKeys("ArmStreamingEndpointSku", try #require(first.sku))
        let statuses = try #require(SwaggerFixtures.dig(try SwaggerFixtures.json(SwaggerFixtures.streamingSwagger), "definitions", "AsyncOperationResult", "properties", "status", "enum") as? [String])
        #expect(Set(statuses) == Set(AsyncOperationStatus.allCases.map(\.rawValue)))
    }

    @Test func asyncOperationExampleDecodes() throws {
        let example = try SwaggerFixtures.json(SwaggerFixtures.streamingExamples + "async-operation-result.json")
        let body = try #require(SwaggerFixtures.dig(example, "responses", "200", "body"))
        let result = try ARMJSON.decode(AsyncOperationResult.self, from: SwaggerFixtures.fragmentData(body))
        #expect(result.status == AsyncOperationStatus(caseInsensitive: try #require(SwaggerFixtures.dig(body, "status") as? String)))
        #expect(result.name == SwaggerFixtures.dig(body, "name") as? String)
        #expect(result.error?.code == "None")
        #expect(result.error?.target == "d7aea790-8acb-40b9-8f9f-21cc37c9e519")
    }

    @Test func assetModelsMatchSwagger() throws {
        let locators = ListStreamingLocatorsResponse(streamingLocators: [AssetStreamingLocator(
            name: "loc", locator: StreamingLocatorProperties(assetName: "a", created: Self.now, startTime: Self.now, endTime: Self.now, streamingLocatorId: "id",
                                                             streamingPolicyName: "Predefined_ClearStreamingOnly", defaultContentKeyPolicyName: "k"))])
        let encoded = try SwaggerDriftTests.encodedObject(locators)
        try Self.expectAssetKeys("ListStreamingLocatorsResponse", encoded)
        try Self.expectAssetKeys("AssetStreamingLocator", (encoded["streamingLocators"] as? [Any])?.first)
        try Self.expectAssetKeys("ListContainerSasInput", try SwaggerDriftTests.encodedObject(ListContainerSasInput(permissions: .readWrite, expiryTime: Self.now)))
        try Self.expectAssetKeys("AssetContainerSas", try SwaggerDriftTests.encodedObject(AssetContainerSas(assetContainerSasUrls: ["u"])))
        let decryption = try SwaggerDriftTests.encodedObject(StorageEncryptedAssetDecryptionData(
            key: "k", assetFileEncryptionMetadata: [AssetFileEncryptionMetadata(initializationVector: "iv", assetFileName: "f", assetFileId: "id")]))
        try Self.expectAssetKeys("StorageEncryptedAssetDecryptionData", decryption)
        try Self.expectAssetKeys("AssetFileEncryptionMetadata", (decryption["assetFileEncryptionMetadata"] as? [Any])?.first)
        try StreamingPolicyTests.expectKeys("ListContentKeysResponse", try SwaggerDriftTests.encodedObject(ListContentKeysResponse(contentKeys: [])))
    }

    @Test func requestBodiesDecodeAsSent() throws {
        let sas = try ARMJSON.decode(ListContainerSasInput.self, from: Data(#"{"permissions":"readwrite","expiryTime":"2024-01-31T12:00:00Z"}"#.utf8))
        #expect(sas.permissions == .readWrite)
        #expect(sas.expiryTime == ARMDateTime.parse("2024-01-31T12:00:00Z"))
        #expect(try ARMJSON.decode(LiveEventActionInput.self, from: Data(#"{"removeOutputsOnStop":true}"#.utf8)).removeOutputsOnStop == true)
        #expect(try ARMJSON.decode(StreamingEntityScaleUnit.self, from: Data(#"{"scaleUnit":3}"#.utf8)).scaleUnit == 3)
        #expect(throws: ARMError.self) { try ARMJSON.decode(ListContainerSasInput.self, from: Data(#"{"permissions":"Write"}"#.utf8)) }
    }
}
