// Content key policies: every swagger key of every definition, the `@odata.type` unions both ways, and secret masking
// (validation and the API: ControlPlaneTests).
import Foundation
import Testing
import TestSupport
@testable import AMSModels

@Suite struct ContentKeyPolicyTests {
    static let file = "Metadata/stable/2023-01-01/ContentKeyPolicies.json"
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static let playRight = ContentKeyPolicyPlayReadyPlayRight(
        firstPlayExpiration: "PT1H", scmsRestriction: 1, agcAndColorStripeRestriction: 1,
        explicitAnalogTelevisionOutputRestriction: ContentKeyPolicyPlayReadyExplicitAnalogTelevisionRestriction(bestEffort: true, configurationData: 2),
        digitalVideoOnlyContentRestriction: false, imageConstraintForAnalogComponentVideoRestriction: true,
        imageConstraintForAnalogComputerMonitorRestriction: false, allowPassingVideoContentToUnknownOutput: .notAllowed,
        uncompressedDigitalVideoOpl: 100, compressedDigitalVideoOpl: 400, analogVideoOpl: 100, compressedDigitalAudioOpl: 100, uncompressedDigitalAudioOpl: 100)
    static let license = ContentKeyPolicyPlayReadyLicense(
        allowTestDevices: true, securityLevel: .sl2000, beginDate: now, expirationDate: now, relativeBeginDate: "PT0S", relativeExpirationDate: "P1D",
        gracePeriod: "PT5M", playRight: playRight, licenseType: .persistent, contentKeyLocation: .fromKeyIdentifier(keyId: "k"), contentType: .unspecified)
    static let fairPlay = ContentKeyPolicyFairPlayConfiguration(
        ask: "YXNr", fairPlayPfxPassword: "pw", fairPlayPfx: "cGZ4", rentalAndLeaseKeyType: .dualExpiry, rentalDuration: 10,
        offlineRentalConfiguration: ContentKeyPolicyFairPlayOfflineRentalConfiguration(playbackDurationSeconds: 1, storageDurationSeconds: 2))
    static let token = ContentKeyPolicyTokenRestriction(
        issuer: "i", audience: "a", primaryVerificationKey: .symmetric(keyValue: "c2VjcmV0"),
        alternateVerificationKeys: [.rsa(exponent: "AQAB", modulus: "AQ=="), .x509Certificate(rawBody: "MA==")],
        requiredClaims: [ContentKeyPolicyTokenClaim(claimType: "t", claimValue: "v")], restrictionTokenType: .jwt, openIdConnectDiscoveryDocument: "https://o")
    static let full = ContentKeyPolicy(id: "i", name: "n", type: "t", systemData: SystemData(createdAt: now), properties: ContentKeyPolicyProperties(
        policyId: "p", created: now, lastModified: now, description: "d", options: [
            ContentKeyPolicyOption(policyOptionId: "o", name: "token", configuration: .clearKey, restriction: .token(token)),
            ContentKeyPolicyOption(policyOptionId: "o", name: "fp", configuration: .fairPlay(fairPlay), restriction: .open),
            ContentKeyPolicyOption(policyOptionId: "o", name: "pr", configuration: .playReady(ContentKeyPolicyPlayReadyConfiguration(licenses: [license], responseCustomData: "c")),
                                   restriction: .open),
            ContentKeyPolicyOption(policyOptionId: "o", name: "wv", configuration: .widevine(ContentKeyPolicyWidevineConfiguration(widevineTemplate: "{}")),
                                   restriction: .unknown),
            ContentKeyPolicyOption(policyOptionId: "o", name: "u", configuration: .unknown, restriction: .open),
        ]))

    /// The keys of `definition`: its own properties, plus the discriminator for the members of a union.
    static func expectKeys(_ definition: String, _ value: Any?, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let object = try #require(value as? [String: Any], "\(definition) not encoded", sourceLocation: sourceLocation)
        let schema = try #require(SwaggerFixtures.dig(try SwaggerFixtures.json(file), "definitions", definition) as? [String: Any])
        var expected = Set((schema["properties"] as? [String: Any] ?? [:]).keys)
        if let discriminator = schema["x-ms-discriminator-value"] as? String {
            expected.insert("@odata.type")
            #expect(object["@odata.type"] as? String == discriminator, sourceLocation: sourceLocation)
        }
        #expect(expected == Set(object.keys), "\(definition) difference: \(expected.symmetricDifference(object.keys).sorted())", sourceLocation: sourceLocation)
    }

    @Test func everyDefinitionsKeysMatchTheSwagger() throws {
        let encoded = try SwaggerDriftTests.encodedObject(Self.full)
        try Self.expectKeys("ContentKeyPolicy", encoded.filter { !["id", "name", "type"].contains($0.key) })
        let properties = encoded["properties"] as? [String: Any]
        try Self.expectKeys("ContentKeyPolicyProperties", properties)
        let options = properties?["options"] as? [[String: Any]] ?? []
        try Self.expectKeys("ContentKeyPolicyOption", options.first)
        let restriction = options.first?["restriction"] as? [String: Any]
        try Self.expectKeys("ContentKeyPolicyTokenRestriction", restriction)
        try Self.expectKeys("ContentKeyPolicySymmetricTokenKey", restriction?["primaryVerificationKey"])
        let alternates = restriction?["alternateVerificationKeys"] as? [Any] ?? []
        try Self.expectKeys("ContentKeyPolicyRsaTokenKey", alternates.first)
        try Self.expectKeys("ContentKeyPolicyX509CertificateTokenKey", alternates.last)
        try Self.expectKeys("ContentKeyPolicyTokenClaim", (restriction?["requiredClaims"] as? [Any])?.first)
        try Self.expectKeys("ContentKeyPolicyClearKeyConfiguration", options.first?["configuration"])
        try Self.expectKeys("ContentKeyPolicyOpenRestriction", options[1]["restriction"])
        let fairPlay = options[1]["configuration"] as? [String: Any]
        try Self.expectKeys("ContentKeyPolicyFairPlayConfiguration", fairPlay)
        try Self.expectKeys("ContentKeyPolicyFairPlayOfflineRentalConfiguration", fairPlay?["offlineRentalConfiguration"])
        let playReady = options[2]["configuration"] as? [String: Any]
        try Self.expectKeys("ContentKeyPolicyPlayReadyConfiguration", playReady)
        let license = (playReady?["licenses"] as? [Any])?.first as? [String: Any]
        try Self.expectKeys("ContentKeyPolicyPlayReadyLicense", license)
        try Self.expectKeys("ContentKeyPolicyPlayReadyContentEncryptionKeyFromKeyIdentifier", license?["contentKeyLocation"])
        let right = license?["playRight"] as? [String: Any]
        try Self.expectKeys("ContentKeyPolicyPlayReadyPlayRight", right)
        try Self.expectKeys("ContentKeyPolicyPlayReadyExplicitAnalogTelevisionRestriction", right?["explicitAnalogTelevisionOutputRestriction"])
        try Self.expectKeys("ContentKeyPolicyWidevineConfiguration", options[3]["configuration"])
        try Self.expectKeys("ContentKeyPolicyUnknownRestriction", options[3]["restriction"])
        try Self.expectKeys("ContentKeyPolicyUnknownConfiguration", options[4]["configuration"])
    }

    @Test func unionsRoundTripAndRefuseUnknownTypes() throws {
        let data = try ARMJSON.encode(Self.full)
        #expect(try ARMJSON.decode(ContentKeyPolicy.self, from: data) == Self.full)
        let header = try ARMJSON.decode(ContentKeyPolicyPlayReadyContentKeyLocation.self, from: Data(
            ##"{"@odata.type":"#microsoft.media.ContentKeyPolicyPlayReadyContentEncryptionKeyFromHeader"}"##.utf8))
        #expect(header == .fromHeader, "the discriminator compares without case")
        #expect(throws: ARMError.self) {
            try ARMJSON.decode(ContentKeyPolicyRestriction.self, from: Data(##"{"@odata.type":"#Microsoft.Media.Nope"}"##.utf8))
        }
        do {
            _ = try ARMJSON.decode(ContentKeyPolicyOption.self, from: Data(#"{"configuration":{"widevineTemplate":"{}"}}"#.utf8))
            Issue.record("a configuration without @odata.type decoded")
        } catch {
            #expect(error.message.contains("@odata.type"), "\(error.message)")
        }
    }

    @Test func readsMaskSecretsButNotPublicKeys() throws {
        let masked = try #require(Self.full.properties?.maskingSecrets)
        let options = masked.options ?? []
        guard case .token(let token) = options.first?.restriction, case .fairPlay(let fairPlay) = options[1].configuration else {
            Issue.record("options changed shape"); return
        }
        #expect(token.primaryVerificationKey == .symmetric(keyValue: ""))
        #expect(token.alternateVerificationKeys == Self.token.alternateVerificationKeys)
        #expect(fairPlay.ask == "" && fairPlay.fairPlayPfx == "" && fairPlay.fairPlayPfxPassword == "")
        #expect(fairPlay.rentalDuration == 10)
        #expect(options.dropFirst(2).map(\.configuration) == Self.full.properties?.options?.dropFirst(2).map(\.configuration))
    }
}
