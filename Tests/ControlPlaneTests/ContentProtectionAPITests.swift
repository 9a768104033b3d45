// Dynamic encryption through the API: content key policies (validation, masked secrets, getPolicyPropertiesWithSecrets,
// in-use deletion), encrypting streaming policies, locators' content keys, and what is published for the media path
// (protection plans and key grants), across a store reopen too.
import AMSModels
import EventLoop
import Foundation
import MediaDirectory
import Protection
import Testing
@testable import ControlPlane

extension APIHarness {
    static let metadata = "api-version=2023-01-01"

    @discardableResult
    func putKeyPolicy(_ name: String, _ body: [String: Any]) async -> APIResponse {
        await send("PUT", "/contentKeyPolicies/\(name)", body: body, query: Self.metadata)
    }

    @discardableResult
    func putLocator(_ name: String, _ properties: [String: Any]) async -> APIResponse {
        await send("PUT", "/streamingLocators/\(name)", body: ["properties": properties], query: Self.metadata)
    }

    func contentKeys(_ locator: String) async -> [[String: Any]] {
        await send("POST", "/streamingLocators/\(locator)/listContentKeys", query: Self.metadata).at("contentKeys") as? [[String: Any]] ?? []
    }
}

@Suite struct ContentProtectionAPITests {
    static let metadata = APIHarness.metadata
    static let hmacKey = Data((0 ..< 40).map { UInt8($0 * 7 % 256) }).base64EncodedString()
    static let ask = Data((0 ..< 16).map { UInt8($0 + 100) }).base64EncodedString()
    /// A self-signed P-256 certificate (`openssl req -x509`), DER, base64.
    static let certificate = "MIIBhDCCASugAwIBAgIUfaDjA4J9rwv5yeVOHcJqBmaGghwwCgYIKoZIzj0EAwIwGDEWMBQGA1UEAwwNZWRnZWxpdmUgdGVzdDAeFw0yNjEyMDcxODExNTRaFw0zNjEyMDQxODExNTRaMBgxFjAUBgNVBAMMDWVkZ2VsaXZlIHRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT37UaRnPvg6UywtEwElY0oYVG+UxvTXlcCIa/isdh4qMbF/z4xt7uFQK5C80tgV7g+PE1dtv9YhFby7CAKCju2o1MwUTAdBgNVHQ4EFgQUJv/aNkeDGIHarrKPJayrRQGExyIwHwYDVR0jBBgwFoAUJv/aNkeDGIHarrKPJayrRQGExyIwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiAT0wFEDnrxrUJkWxy4SMtP2/Cmxl4rAVjBzLogPwC2FAIgfbw9Lmhfr/e80e/hwYud6utmqeU0Xov5TPQrQKKl8mg="

    static func tokenRestriction(key: String = hmacKey, type: String = "Jwt") -> [String: Any] {
        ["@odata.type": "#Microsoft.Media.ContentKeyPolicyTokenRestriction", "issuer": "https://sts.example", "audience": "urn:edgelive",
         "primaryVerificationKey": ["@odata.type": "#Microsoft.Media.ContentKeyPolicySymmetricTokenKey", "keyValue": key],
         "alternateVerificationKeys": [["@odata.type": "#Microsoft.Media.ContentKeyPolicyX509CertificateTokenKey", "rawBody": certificate]],
         "requiredClaims": [["claimType": "urn:microsoft:azure:mediaservices:contentkeyidentifier"], ["claimType": "tier", "claimValue": "gold"]],
         "restrictionTokenType": type]
    }

    static var clearKey: [String: Any] { ["@odata.type": "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration"] }
    static var open: [String: Any] { ["@odata.type": "#Microsoft.Media.ContentKeyPolicyOpenRestriction"] }
    static var fairPlay: [String: Any] { [
        "@odata.type": "#Microsoft.Media.ContentKeyPolicyFairPlayConfiguration", "ask": ask, "fairPlayPfxPassword": "secret",
        "fairPlayPfx": pfx, "rentalAndLeaseKeyType": "PersistentUnlimited", "rentalDuration": 0] }
    static var widevine: [String: Any] { [
        "@odata.type": "#Microsoft.Media.ContentKeyPolicyWidevineConfiguration", "widevineTemplate": "{\"allowed_track_types\":\"SD_HD\"}"] }
    static var playReady: [String: Any] { [
        "@odata.type": "#Microsoft.Media.ContentKeyPolicyPlayReadyConfiguration",
        "licenses": [["allowTestDevices": true, "securityLevel": "SL2000", "licenseType": "NonPersistent", "contentType": "Unspecified",
                      "contentKeyLocation": ["@odata.type": "#Microsoft.Media.ContentKeyPolicyPlayReadyContentEncryptionKeyFromHeader"],
                      "playRight": ["digitalVideoOnlyContentRestriction": false, "imageConstraintForAnalogComponentVideoRestriction": true,
                                    "imageConstraintForAnalogComputerMonitorRestriction": false, "allowPassingVideoContentToUnknownOutput": "NotAllowed",
                                    "uncompressedDigitalVideoOpl": 100]]]] }

    static func policyBody(_ options: [[String: Any]], description: String = "keys") -> [String: Any] {
        ["properties": ["description": description, "options": options]]
    }

    static var multiOptionPolicy: [String: Any] { policyBody([
        ["name": "ck", "configuration": clearKey, "restriction": tokenRestriction()],
        ["name": "fp", "configuration": fairPlay, "restriction": open],
        ["name": "wv", "configuration": widevine, "restriction": open],
        ["name": "pr", "configuration": playReady, "restriction": open],
    ]) }

    // MARK: - Content key policies

    @Test func contentKeyPolicyLifecycleMasksSecrets() async throws {
        try await withAPI { api in
            let created = await api.putKeyPolicy("tokenPolicy", Self.multiOptionPolicy)
            #expect(created.status == 201, "\(created.text)")
            try expectConforms(created.json, to: "ContentKeyPolicy", in: SwaggerSchema.contentKeyPolicies)
            try expectReadOnlyPresent(created.object, ["properties.policyId", "properties.created", "properties.lastModified"],
                                      definition: "ContentKeyPolicy", in: SwaggerSchema.contentKeyPolicies)
            #expect(created.at("type") as? String == "Microsoft.Media/mediaservices/contentKeyPolicies")
            #expect((created.at("id") as? String)?.hasSuffix("/contentKeyPolicies/tokenPolicy") == true)
            let policyId = try #require(created.at("properties", "policyId") as? String)
            #expect(ResourceValidation.isUUID(policyId))

            // Masked everywhere but getPolicyPropertiesWithSecrets.
            func expectMasked(_ properties: Any?, sourceLocation: SourceLocation = #_sourceLocation) {
                let options = (properties as? [String: Any])?["options"] as? [[String: Any]] ?? []
                #expect(options.count == 4, sourceLocation: sourceLocation)
                let token = options.first?["restriction"] as? [String: Any]
                #expect((token?["primaryVerificationKey"] as? [String: Any])?["keyValue"] as? String == "", sourceLocation: sourceLocation)
                // Public keys are not secrets.
                #expect(((token?["alternateVerificationKeys"] as? [[String: Any]])?.first)?["rawBody"] as? String == Self.certificate, sourceLocation: sourceLocation)
                let fairPlay = options.dropFirst().first?["configuration"] as? [String: Any]
                for field in ["ask", "fairPlayPfx", "fairPlayPfxPassword"] {
                    #expect(fairPlay?[field] as? String == "", "\(field) not masked", sourceLocation: sourceLocation)
                }
                for option in options { #expect((option["policyOptionId"] as? String).map { ResourceValidation.isUUID($0) } == true, sourceLocation: sourceLocation) }
            }
            expectMasked(created.at("properties"))
            let fetched = await api.send("GET", "/contentKeyPolicies/tokenPolicy", query: Self.metadata)
            expectMasked(fetched.at("properties"))
            let listed = await api.send("GET", "/contentKeyPolicies", query: Self.metadata)
            #expect(listed.names == ["tokenPolicy"])
            expectMasked(listed.values.first?["properties"])
            #expect(!listed.text.contains(Self.hmacKey) && !listed.text.contains(Self.ask))

            let secrets = await api.send("POST", "/contentKeyPolicies/tokenPolicy/getPolicyPropertiesWithSecrets", query: Self.metadata)
            #expect(secrets.status == 200)
            try expectConforms(secrets.json, to: "ContentKeyPolicyProperties", in: SwaggerSchema.contentKeyPolicies)
            let options = secrets.at("options") as? [[String: Any]] ?? []
            #expect(((options.first?["restriction"] as? [String: Any])?["primaryVerificationKey"] as? [String: Any])?["keyValue"] as? String == Self.hmacKey)
            #expect((options.dropFirst().first?["configuration"] as? [String: Any])?["fairPlayPfx"] as? String == Self.pfx)
            #expect(secrets.at("policyId") as? String == policyId)

            // Replace: 200, same policyId and created; an option of the same name keeps its id.
            let optionIds = (created.at("properties", "options") as? [[String: Any]] ?? []).compactMap { $0["policyOptionId"] as? String }
            let replaced = await api.putKeyPolicy("TOKENPOLICY", Self.policyBody([["name": "ck", "configuration": Self.clearKey, "restriction": Self.open]]))
            #expect(replaced.status == 200, "\(replaced.text)")
            #expect(replaced.at("name") as? String == "tokenPolicy")
            #expect(replaced.at("properties", "policyId") as? String == policyId)
            #expect(replaced.at("properties", "created") as? String == created.at("properties", "created") as? String)
            #expect((replaced.at("properties", "options") as? [[String: Any]])?.first?["policyOptionId"] as? String == optionIds.first)

            // PATCH: description alone; options alone.
            let patched = await api.send("PATCH", "/contentKeyPolicies/tokenPolicy", body: ["properties": ["description": "renamed"]], query: Self.metadata)
            #expect(patched.status == 200 && patched.at("properties", "description") as? String == "renamed", "\(patched.text)")
            #expect((patched.at("properties", "options") as? [Any])?.count == 1)
            let badPatch = await api.send("PATCH", "/contentKeyPolicies/tokenPolicy", body: ["properties": ["options": []]], query: Self.metadata)
            try expectARMError(badPatch, status: 400, code: "BadRequest", naming: "properties.options")
            try expectARMError(await api.send("PATCH", "/contentKeyPolicies/none", body: ["properties": ["description": "x"]], query: Self.metadata), status: 404)

            // OData on the list.
            await api.putKeyPolicy("second", Self.policyBody([["configuration": Self.clearKey, "restriction": Self.open]], description: "b"))
            #expect(await api.send("GET", "/contentKeyPolicies", query: Self.metadata + "&$filter=name%20eq%20'second'").names == ["second"])
            #expect(await api.send("GET", "/contentKeyPolicies", query: Self.metadata + "&$orderby=name%20desc").names == ["tokenPolicy", "second"])
            let page = await api.send("GET", "/contentKeyPolicies", query: Self.metadata + "&$top=1")
            #expect(page.names == ["tokenPolicy"], "$top is the total, oldest first")

            #expect(await api.send("DELETE", "/contentKeyPolicies/second", query: Self.metadata).status == 200)
            #expect(await api.send("DELETE", "/contentKeyPolicies/second", query: Self.metadata).status == 204)
            try expectARMError(await api.send("GET", "/contentKeyPolicies/second", query: Self.metadata), status: 404)
            try expectARMError(await api.send("POST", "/contentKeyPolicies/second/getPolicyPropertiesWithSecrets", query: Self.metadata), status: 404)
        }
    }

    @Test func contentKeyPolicyRefusalsNameTheField() async throws {
        try await withAPI { api in
            func refused(_ configuration: [String: Any], _ restriction: [String: Any] = Self.open, naming field: String,
                         sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let response = await api.putKeyPolicy("bad", Self.policyBody([["configuration": configuration, "restriction": restriction]]))
                try expectARMError(response, status: 400, naming: field, sourceLocation: sourceLocation)
                #expect(!response.text.contains(Self.hmacKey), "an error echoed a secret", sourceLocation: sourceLocation)
            }
            func with(_ base: [String: Any], _ key: String, _ value: Any?) -> [String: Any] {
                var copy = base
                copy[key] = value
                return copy
            }
            try expectARMError(await api.putKeyPolicy("bad", ["properties": ["description": "no options"]]), status: 400, naming: "properties.options")
            try expectARMError(await api.putKeyPolicy("bad", Self.policyBody([])), status: 400, naming: "properties.options")
            try expectARMError(await api.putKeyPolicy("bad", Self.policyBody([["restriction": Self.open]])), status: 400, naming: "configuration")
            try expectARMError(await api.putKeyPolicy("bad.name", Self.multiOptionPolicy), status: 400, code: "InvalidResourceName")

            let symmetricField = "properties.options[0].restriction.primaryVerificationKey.keyValue"
            try await refused(Self.clearKey, Self.tokenRestriction(key: "not base64!"), naming: symmetricField)
            try await refused(Self.clearKey, Self.tokenRestriction(key: ""), naming: symmetricField)
            let swt = await api.putKeyPolicy("bad", Self.policyBody([["configuration": Self.clearKey, "restriction": Self.tokenRestriction(type: "Swt")]]))
            try expectARMError(swt, status: 400, naming: "restrictionTokenType")
            #expect(swt.errorMessage.contains("Simple Web Tokens") && swt.errorMessage.contains("Jwt"), "\(swt.errorMessage)")
            try await refused(Self.clearKey, with(Self.tokenRestriction(), "issuer", nil), naming: "properties.options[0].restriction.issuer")
            try await refused(Self.clearKey, with(Self.tokenRestriction(), "audience", " "), naming: "properties.options[0].restriction.audience")
            try await refused(Self.clearKey, with(Self.tokenRestriction(), "primaryVerificationKey", nil), naming: "primaryVerificationKey")
            try await refused(Self.clearKey, with(Self.tokenRestriction(), "openIdConnectDiscoveryDocument", "not a url"), naming: "openIdConnectDiscoveryDocument")
            try await refused(Self.clearKey, with(Self.tokenRestriction(), "primaryVerificationKey",
                                                  ["@odata.type": "#Microsoft.Media.ContentKeyPolicyRsaTokenKey", "exponent": "AQAB", "modulus": ""]),
                              naming: "primaryVerificationKey.modulus")
            try await refused(Self.clearKey, with(Self.tokenRestriction(), "alternateVerificationKeys",
                                                  [["@odata.type": "#Microsoft.Media.ContentKeyPolicyX509CertificateTokenKey", "rawBody": Self.ask]]),
                              naming: "alternateVerificationKeys[0].rawBody")
            try await refused(Self.clearKey, with(Self.tokenRestriction(), "requiredClaims", [["claimValue": "x"]]), naming: "requiredClaims[0].claimType")
            try await refused(Self.clearKey, ["@odata.type": "#Microsoft.Media.ContentKeyPolicyUnknownRestriction"], naming: "restriction")
            try await refused(Self.clearKey, ["@odata.type": "#Microsoft.Media.NoSuchRestriction"], naming: "restriction")
            try await refused(Self.clearKey, ["issuer": "x"], naming: "@odata.type")

            try await refused(with(Self.widevine, "widevineTemplate", "{not json"), naming: "widevineTemplate")
            try await refused(with(Self.widevine, "widevineTemplate", nil), naming: "widevineTemplate")
            try await refused(with(Self.fairPlay, "ask", Data(count: 15).base64EncodedString()), naming: "configuration.ask")
            try await refused(with(Self.fairPlay, "fairPlayPfx", Self.certificate), naming: "fairPlayPfx")
            try await refused(with(Self.fairPlay, "fairPlayPfxPassword", nil), naming: "fairPlayPfxPassword")
            try await refused(with(Self.fairPlay, "rentalAndLeaseKeyType", "Forever"), naming: "rentalAndLeaseKeyType")
            try await refused(with(Self.fairPlay, "rentalAndLeaseKeyType", "DualExpiry"), naming: "offlineRentalConfiguration")
            try await refused(with(Self.playReady, "licenses", []), naming: "licenses")
            var license = (Self.playReady["licenses"] as? [[String: Any]])?.first ?? [:]
            license["contentKeyLocation"] = ["@odata.type": "#Microsoft.Media.ContentKeyPolicyPlayReadyContentEncryptionKeyFromKeyIdentifier", "keyId": "nope"]
            try await refused(with(Self.playReady, "licenses", [license]), naming: "contentKeyLocation.keyId")
            license["contentKeyLocation"] = nil
            try await refused(with(Self.playReady, "licenses", [license]), naming: "contentKeyLocation")
            var right = (license["playRight"] as? [String: Any]) ?? [:]
            right["scmsRestriction"] = 7
            license["contentKeyLocation"] = ["@odata.type": "#Microsoft.Media.ContentKeyPolicyPlayReadyContentEncryptionKeyFromHeader"]
            license["playRight"] = right
            try await refused(with(Self.playReady, "licenses", [license]), naming: "scmsRestriction")
            #expect(await api.send("GET", "/contentKeyPolicies/bad", query: Self.metadata).status == 404)
        }
    }

    // MARK: - Streaming policies

    @Test func encryptingStreamingPolicyRules() async throws {
        try await withAPI { api in
            await api.putKeyPolicy("ck", Self.policyBody([["configuration": Self.clearKey, "restriction": Self.open]]))
            func protocols(hls: Bool = false, dash: Bool = false, smooth: Bool = false, download: Bool = false) -> [String: Any] {
                ["download": download, "dash": dash, "hls": hls, "smoothStreaming": smooth]
            }
            func refused(_ properties: [String: Any], naming field: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let response = await api.send("PUT", "/streamingPolicies/bad", body: ["properties": properties], query: Self.metadata)
                try expectARMError(response, status: 400, naming: field, sourceLocation: sourceLocation)
            }
            try await refused(["envelopeEncryption": ["enabledProtocols": protocols(hls: true)], "commonEncryptionCbcs": ["enabledProtocols": protocols(hls: true)]],
                              naming: "'Hls' is enabled in both")
            try await refused(["commonEncryptionCbcs": ["enabledProtocols": protocols(smooth: true)]], naming: "properties.commonEncryptionCbcs.enabledProtocols.smoothStreaming")
            try await refused(["commonEncryptionCenc": ["enabledProtocols": protocols(dash: true, download: true)]], naming: "download")
            try await refused(["noEncryption": ["enabledProtocols": protocols(hls: true)], "commonEncryptionCenc": ["enabledProtocols": protocols(dash: true)]],
                              naming: "properties.noEncryption")
            try await refused(["envelopeEncryption": ["enabledProtocols": protocols(hls: true), "customKeyAcquisitionUrlTemplate": "/relative/{ContentKeyId}"]],
                              naming: "customKeyAcquisitionUrlTemplate")
            try await refused(["envelopeEncryption": ["enabledProtocols": protocols(hls: true), "customKeyAcquisitionUrlTemplate": "https://k.example/{KeyId}"]],
                              naming: "customKeyAcquisitionUrlTemplate")
            try await refused(["commonEncryptionCenc": ["enabledProtocols": protocols(dash: true),
                                                        "contentKeys": ["keyToTrackMappings": [["tracks": [["trackSelections": [["property": "FourCC", "operation": "Equal", "value": "mp4a"]]]]]]]]],
                              naming: "keyToTrackMappings[0].label")
            try await refused(["commonEncryptionCenc": ["enabledProtocols": protocols(dash: true),
                                                        "clearTracks": [["trackSelections": [["property": "Unknown", "operation": "Equal", "value": "mp4a"]]]]]],
                              naming: "clearTracks[0].trackSelections[0]")
            try await refused(["defaultContentKeyPolicyName": "missing", "envelopeEncryption": ["enabledProtocols": protocols(hls: true)]],
                              naming: "defaultContentKeyPolicyName")
            try await refused(["envelopeEncryption": ["enabledProtocols": protocols(hls: true), "contentKeys": ["defaultKey": ["policyName": "missing"]]]],
                              naming: "properties.envelopeEncryption.contentKeys.defaultKey.policyName")

            let custom: [String: Any] = [
                "envelopeEncryption": ["enabledProtocols": protocols(hls: true), "customKeyAcquisitionUrlTemplate": "https://keys.example/{AlternativeMediaId}/{ContentKeyId}"],
                "commonEncryptionCenc": ["enabledProtocols": protocols(dash: true, smooth: true), "clearKeyEncryptionConfiguration": [:] as [String: Any],
                                         "clearTracks": [["trackSelections": [["property": "FourCC", "operation": "Equal", "value": "stpp"]]]],
                                         "contentKeys": ["defaultKey": ["label": "video", "policyName": "ck"],
                                                         "keyToTrackMappings": [["label": "audio", "tracks": [["trackSelections": [["property": "FourCC", "operation": "Equal", "value": "mp4a"]]]]]]]],
            ]
            let created = await api.send("PUT", "/streamingPolicies/custom", body: ["properties": custom], query: Self.metadata)
            #expect(created.status == 201, "\(created.text)")
            try expectConforms(created.json, to: "StreamingPolicy", in: SwaggerSchema.locators)
            for name in ["Predefined_ClearKey", "Predefined_MultiDrmCencStreaming", "Predefined_MultiDrmStreaming"] {
                #expect(await api.send("GET", "/streamingPolicies/\(name)", query: Self.metadata).status == 200)
            }
            // The content key policy a streaming policy names cannot go.
            try expectARMError(await api.send("DELETE", "/contentKeyPolicies/ck", query: Self.metadata), status: 400, code: "InvalidOperation", naming: "custom")
        }
    }

    // MARK: - Locators, keys and the directory

    @Test func locatorsGetKeysAndPublishPlansAndGrants() async throws {
        try await withAPI { api in
            await api.createAsset("a1")
            await api.putKeyPolicy("tokenPolicy", Self.policyBody([["name": "ck", "configuration": Self.clearKey, "restriction": Self.tokenRestriction()],
                                                                  ["name": "wv", "configuration": Self.widevine, "restriction": Self.open]]))

            // Predefined_MultiDrmStreaming: CENC and CBCS get distinct generated keys.
            let multi = await api.putLocator("multi", ["assetName": "a1", "streamingPolicyName": "Predefined_MultiDrmStreaming",
                                                       "defaultContentKeyPolicyName": "tokenPolicy", "alternativeMediaId": "show-1"])
            #expect(multi.status == 201, "\(multi.text)")
            try expectConforms(multi.json, to: "StreamingLocator", in: SwaggerSchema.locators)
            let shown = multi.at("properties", "contentKeys") as? [[String: Any]] ?? []
            #expect(shown.count == 2 && shown.allSatisfy { $0["value"] == nil }, "GET/PUT must not show key values: \(multi.text)")
            let keys = await api.contentKeys("multi")
            #expect(keys.map { $0["type"] as? String } == ["CommonEncryptionCenc", "CommonEncryptionCbcs"])
            #expect(keys.map { $0["labelReferenceInStreamingPolicy"] as? String } == ["cencDefaultKey", "cbcsDefaultKey"])
            #expect(keys.allSatisfy { $0["policyName"] as? String == "tokenPolicy" })
            let values = keys.compactMap { ($0["value"] as? String).flatMap { Data(base64Encoded: $0) } }
            #expect(values.count == 2 && values.allSatisfy { $0.count == 16 } && values[0] != values[1])
            let ids = keys.compactMap { $0["id"] as? String }
            #expect(Set(ids).count == 2 && ids.allSatisfy { ResourceValidation.isUUID($0) })
            try expectConforms(await api.send("POST", "/streamingLocators/multi/listContentKeys", query: Self.metadata).json,
                               to: "ListContentKeysResponse", in: SwaggerSchema.locators)
            #expect(!(await api.send("GET", "/streamingLocators/multi", query: Self.metadata).text.contains(values[0].base64EncodedString())))

            let paths = await api.send("POST", "/streamingLocators/multi/listPaths", query: Self.metadata)
            let entries = (paths.at("streamingPaths") as? [[String: Any]] ?? []).map { "\($0["streamingProtocol"] ?? "")+\($0["encryptionScheme"] ?? "")" }
            #expect(entries == ["Dash+CommonEncryptionCenc", "SmoothStreaming+CommonEncryptionCenc", "Hls+CommonEncryptionCbcs"])

            // The plan and the grants the media path reads.
            let locatorId = try #require(multi.at("properties", "streamingLocatorId") as? String)
            let contents = api.services.directory.contents
            let plan = try #require(contents.locators[locatorId]?.protection)
            #expect(plan.alternativeMediaID == "show-1")
            #expect(plan.schemes.map(\.scheme) == [.cenc, .cbcs])
            #expect(plan.schemes.map(\.protocols) == [[.dash, .smoothStreaming], [.hls]])
            #expect(plan.schemes.map { $0.defaultKey.id.uuidString.lowercased() } == ids)
            #expect(plan.schemes.map { Data($0.defaultKey.value) } == values)
            #expect(plan.schemes[0].drm.map(\.system) == [.playReady, .widevine])
            #expect(plan.schemes[1].drm.map(\.system) == [.fairPlay])
            let grant = try #require(contents.keyGrants[plan.schemes[0].defaultKey.id])
            #expect(grant.policyName == "tokenPolicy" && grant.locatorName == "multi")
            #expect(grant.options.map(\.name) == ["ck", "wv"] && grant.options.map(\.configuration) == [.clearKey, .widevine])
            guard case .token(let token) = grant.options.first?.restriction else { Issue.record("not a token restriction"); return }
            #expect(token.issuer == "https://sts.example" && token.audience == "urn:edgelive" && token.tokenType == .jwt)
            #expect(token.verificationKeys.first == .symmetric(Array(Data(base64Encoded: Self.hmacKey) ?? Data())))
            #expect(token.verificationKeys.dropFirst().first == .x509(der: Array(Data(base64Encoded: Self.certificate) ?? Data())))
            #expect(token.requiredClaims.map(\.type) == [TokenRestriction.contentKeyIdentifierClaim, "tier"])
            #expect(token.requiredClaims.map(\.value) == [nil, "gold"])
            #expect(contents.keyGrants.count == 2)

            // A policy update reaches the grants at once.
            await api.putKeyPolicy("tokenPolicy", Self.policyBody([["name": "open", "configuration": Self.clearKey, "restriction": Self.open]]))
            guard case .open = api.services.directory.contents.keyGrants[plan.schemes[0].defaultKey.id]?.options.first?.restriction else {
                Issue.record("the grant did not follow the policy update"); return
            }

            // Predefined_ClearKey with a key given: its id and value are kept, type and label filled in.
            let givenId = "0b7b8f1e-2c5d-4e6f-8a9b-0c1d2e3f4a5b"
            let givenValue = Data((0 ..< 16).map { UInt8($0) }).base64EncodedString()
            let aes = await api.putLocator("aes", ["assetName": "a1", "streamingPolicyName": "Predefined_ClearKey", "defaultContentKeyPolicyName": "tokenPolicy",
                                                   "contentKeys": [["id": givenId.uppercased(), "value": givenValue]]])
            #expect(aes.status == 201, "\(aes.text)")
            let aesKeys = await api.contentKeys("aes")
            #expect(aesKeys.count == 1 && aesKeys.first?["id"] as? String == givenId && aesKeys.first?["value"] as? String == givenValue)
            #expect(aesKeys.first?["type"] as? String == "EnvelopeEncryption" && aesKeys.first?["labelReferenceInStreamingPolicy"] as? String == "aesDefaultKey")
            let aesPaths = await api.send("POST", "/streamingLocators/aes/listPaths", query: Self.metadata)
            #expect(((aesPaths.at("streamingPaths") as? [[String: Any]])?.first?["encryptionScheme"] as? String) == "EnvelopeEncryption")

            // Refusals.
            func refused(_ properties: [String: Any], naming field: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                var body = ["assetName": "a1", "streamingPolicyName": "Predefined_ClearKey"] as [String: Any]
                body.merge(properties) { _, new in new }
                let response = await api.putLocator("bad", body)
                try expectARMError(response, status: 400, naming: field, sourceLocation: sourceLocation)
                #expect(!response.text.contains(givenValue), sourceLocation: sourceLocation)
            }
            try await refused(["contentKeys": [["id": UUID().uuidString, "value": "short"]]], naming: "properties.contentKeys[0].value")
            try await refused(["contentKeys": [["id": UUID().uuidString, "value": Data(count: 32).base64EncodedString()]]], naming: "properties.contentKeys[0].value")
            try await refused(["contentKeys": [["id": "nope", "value": givenValue]]], naming: "properties.contentKeys[0].id")
            try await refused(["contentKeys": [["id": UUID().uuidString, "labelReferenceInStreamingPolicy": "other"]]], naming: "properties.contentKeys[0]")
            try await refused(["contentKeys": [["id": UUID().uuidString, "type": "CommonEncryptionCenc"]]], naming: "properties.contentKeys[0]")
            try await refused(["contentKeys": [["id": givenId, "value": Data(count: 16).base64EncodedString()]]], naming: "properties.contentKeys")
            try await refused(["defaultContentKeyPolicyName": "missing"], naming: "properties.defaultContentKeyPolicyName")
            try await refused(["streamingPolicyName": "Predefined_ClearStreamingOnly", "contentKeys": [["id": UUID().uuidString]]], naming: "properties.contentKeys")

            // In use: refused until the locators are gone.
            let inUse = await api.send("DELETE", "/contentKeyPolicies/tokenPolicy", query: Self.metadata)
            try expectARMError(inUse, status: 400, code: "InvalidOperation")
            #expect(inUse.errorMessage.contains("streaming locator 'aes'") || inUse.errorMessage.contains("streaming locator 'multi'"), "\(inUse.errorMessage)")
            #expect(await api.send("DELETE", "/streamingLocators/multi", query: Self.metadata).status == 200)
            #expect(await api.send("DELETE", "/streamingLocators/aes", query: Self.metadata).status == 200)
            #expect(api.services.directory.contents.keyGrants.isEmpty)
            #expect(await api.send("DELETE", "/contentKeyPolicies/tokenPolicy", query: Self.metadata).status == 200)
        }
    }

    @Test func customPolicyCompilesTrackKeysClearTracksAndTemplates() async throws {
        try await withAPI { api in
            await api.createAsset("a1")
            await api.putKeyPolicy("ck", Self.policyBody([["configuration": Self.clearKey, "restriction": Self.open]]))
            let policy: [String: Any] = [
                "envelopeEncryption": ["enabledProtocols": ["download": false, "dash": false, "hls": true, "smoothStreaming": false],
                                       "customKeyAcquisitionUrlTemplate": "https://keys.example/{AlternativeMediaId}/{ContentKeyId}"],
                "commonEncryptionCenc": ["enabledProtocols": ["download": false, "dash": true, "hls": false, "smoothStreaming": true],
                                         "clearKeyEncryptionConfiguration": [:] as [String: Any],
                                         "drm": ["playReady": ["customLicenseAcquisitionUrlTemplate": "https://pr.example/{ContentKeyId}", "playReadyCustomAttributes": "a=b"]],
                                         "clearTracks": [["trackSelections": [["property": "FourCC", "operation": "Equal", "value": "stpp"]]]],
                                         "contentKeys": ["defaultKey": ["label": "video", "policyName": "ck"],
                                                         "keyToTrackMappings": [["label": "audio", "tracks": [["trackSelections": [["property": "FourCC", "operation": "Equal", "value": "MP4A"]]]]]]]],
            ]
            #expect(await api.send("PUT", "/streamingPolicies/custom", body: ["properties": policy], query: Self.metadata).status == 201)
            let audioKey = ["id": UUID().uuidString.lowercased(), "labelReferenceInStreamingPolicy": "audio", "value": Data(repeating: 9, count: 16).base64EncodedString()]
            let locator = await api.putLocator("custom", ["assetName": "a1", "streamingPolicyName": "custom", "contentKeys": [audioKey]])
            #expect(locator.status == 201, "\(locator.text)")
            let keys = await api.contentKeys("custom")
            #expect(keys.map { $0["labelReferenceInStreamingPolicy"] as? String } == ["aesDefaultKey", "video", "audio"])
            // The streaming policy's per-key policy; keys without one (and no default) have none: a custom template, or nothing, delivers them.
            #expect(keys.map { $0["policyName"] as? String } == [nil, "ck", nil])
            #expect(keys.last?["id"] as? String == audioKey["id"])
            #expect(((keys.last?["tracks"] as? [[String: Any]])?.first?["trackSelections"] as? [[String: Any]])?.first?["value"] as? String == "MP4A")

            let id = try #require(locator.at("properties", "streamingLocatorId") as? String)
            let contents = api.services.directory.contents
            let plan = try #require(contents.locators[id]?.protection)
            #expect(plan.schemes.map(\.scheme) == [.envelope, .cenc])
            #expect(plan.schemes[0].drm == [DRMSignalling(system: .clearKey, licenseURLTemplate: "https://keys.example/{AlternativeMediaId}/{ContentKeyId}")])
            let cenc = plan.schemes[1]
            #expect(cenc.drm == [DRMSignalling(system: .playReady, licenseURLTemplate: "https://pr.example/{ContentKeyId}", customAttributes: "a=b"),
                                 DRMSignalling(system: .clearKey)])
            #expect(cenc.key(forFourCC: "mp4a")?.id.uuidString.lowercased() == audioKey["id"])
            #expect(cenc.key(forFourCC: "avc1")?.label == "video")
            #expect(cenc.key(forFourCC: "stpp") == nil)
            // Grants only for keys with a content key policy.
            #expect(Set(contents.keyGrants.keys) == [cenc.defaultKey.id])
            #expect(contents.keyGrants[plan.schemes[0].defaultKey.id] == nil)
        }
    }

    // MARK: - Persistence

    @Test func keysAndPoliciesSurviveAReopenInA0600Database() async throws {
        let directory = NSTemporaryDirectory() + "edgelive-keys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/edgelive.sqlite"
        let loop = try EventLoop(name: "keys-persist")
        do {
            let store = try ControlStore(path: path)
            let first = try await APIHarness.open(loop: loop, store: store, directory: directory)
            await first.createAsset("a1")
            #expect(await first.putKeyPolicy("p", Self.multiOptionPolicy).status == 201)
            #expect(await first.putLocator("l", ["assetName": "a1", "streamingPolicyName": "Predefined_MultiDrmCencStreaming",
                                                  "defaultContentKeyPolicyName": "p"]).status == 201)
            let keys = await first.send("POST", "/streamingLocators/l/listContentKeys", query: Self.metadata).text
            let secrets = await first.send("POST", "/contentKeyPolicies/p/getPolicyPropertiesWithSecrets", query: Self.metadata).text
            let masked = await first.send("GET", "/contentKeyPolicies/p", query: Self.metadata).text
            let grants = first.services.directory.contents.keyGrants.mapValues(\.key)
            await first.services.shutdown()

            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

            let second = try await APIHarness.open(loop: loop, store: try ControlStore(path: path), directory: directory)
            #expect(await second.send("POST", "/streamingLocators/l/listContentKeys", query: Self.metadata).text == keys)
            #expect(await second.send("POST", "/contentKeyPolicies/p/getPolicyPropertiesWithSecrets", query: Self.metadata).text == secrets)
            #expect(await second.send("GET", "/contentKeyPolicies/p", query: Self.metadata).text == masked)
            #expect(second.services.directory.contents.keyGrants.mapValues(\.key) == grants && grants.count == 1)
            await second.services.shutdown()
        } catch {
            try? await loop.shutdownGracefully()
            throw error
        }
        try await loop.shutdownGracefully()
    }

    // MARK: - Pure parts

    @Test func derChecksTellCertificatesAndPKCS12FromOtherBytes() throws {
        let certificate = try #require(Data(base64Encoded: Self.certificate))
        let pfx = try #require(Data(base64Encoded: Self.pfx))
        #expect(DER.looksLikeCertificate(Array(certificate)))
        #expect(!DER.looksLikeCertificate(Array(certificate.dropLast())))
        #expect(!DER.looksLikeCertificate(Array(pfx)))
        #expect(DER.looksLikePKCS12(Array(pfx)))
        #expect(!DER.looksLikePKCS12(Array(certificate)))
        #expect(!DER.looksLikePKCS12([0x30, 0x84, 0xFF]))
        #expect(!DER.looksLikeCertificate([]))
    }

    @Test func keyAssignmentMatchesByTypeAndLabel() throws {
        let multi = try #require(StreamingPolicy.predefined(named: "Predefined_MultiDrmStreaming")?.properties)
        var counter: UInt8 = 0
        func next() -> (id: String, value: [UInt8]) {
            counter += 1
            return (UUID().uuidString.lowercased(), Array(repeating: counter, count: 16))
        }
        let given = StreamingLocatorContentKey(id: "AAAAAAAA-0000-4000-8000-000000000001", type: .commonEncryptionCbcs)
        let keys = try ContentKeyAssignment.assign(policy: multi, policyName: "m", supplied: [given], defaultPolicy: "p", newKey: next)
        #expect(keys.map(\.type) == [.commonEncryptionCenc, .commonEncryptionCbcs])
        #expect(keys[1].id == "aaaaaaaa-0000-4000-8000-000000000001" && keys[1].value != nil)
        #expect(keys.allSatisfy { $0.policyName == "p" && $0.tracks == [] })
        // Without type or label, a two-scheme policy cannot tell where a key goes.
        #expect(throws: ARMError.self) {
            try ContentKeyAssignment.assign(policy: multi, policyName: "m", supplied: [StreamingLocatorContentKey(id: UUID().uuidString)],
                                            defaultPolicy: nil, newKey: next)
        }
    }

    /// A PKCS#12 file (`openssl pkcs12 -export`, password "secret") holding the certificate above and its key.
    static let pfx = "MIIEHAIBAzCCA9IGCSqGSIb3DQEHAaCCA8MEggO/MIIDuzCCAnIGCSqGSIb3DQEHBqCCAmMwggJfAgEAMIICWAYJKoZIhvcNAQcBMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAgVAXyAnJgz/AICCAAwDAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEHqtrpNTnd+DIFlGWsyJfj+AggHw/uMm8MaeFBD+YaXL6MhMnsY3OAr083S2I09q68K4Y8oOoYfitEiNaN6C5liHEg1pIDQ2p/hf5gMvGvFg6PW3Lcro61ArBblbKFdvc1jrryTLjd62MJVx/ffervR84RXNvMCCyFxuqoxErH4tWhV0fE4+qGk1RpZVjaBzSPOJZpmlwPY0u9QS8fI0Q84f7ogfI417i8zQO/wL7CMlf9aHhzJENKrwTtz3Iztan/MwO3+Ay8z2fhptPBcWaO8dHReIY2y5W7IV57NZo+XwLCebYctsmRDpD41Aybd/DYni2v++ESIyOWnLk/nIAHWkI8FKPMzxQ/fM9WXjVcqyt6yrqxNNu4ukJLemPubInD3CsZOl0sBrUQL4BUQBkgWkrq84+5U9I6ggaYH1igNMQcPzGPb21q5NWD5IoPosyPq3YA3K+QqI7Eu1UzjbB9lEFWoS0T1pMWBVjs79r9cwfWSDGb0DSWbsbFqAeSMUPvPrVVt6B4NDprZJ98jsH1m6oGiiHyZRKFsH4YYjTSFSFVdMV2Jc1V5q4UQKonqM4dgVL/pxHs6uHEUcHFwKqQ1jbyNLYQryALKG9cUdWojpGdvxg5MT1tqanrWybkTUeenvqY8smoC2wcluhPwTXuFup0xFbFFqKnMBs1JS/cZLCpxppjCCAUEGCSqGSIb3DQEHAaCCATIEggEuMIIBKjCCASYGCyqGSIb3DQEMCgECoIHvMIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAgnF6HnYMBpyAICCAAwDAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEPJJbCO3lrWxOkl+2knNYrkEgZCq0001UzIX8O0Ca+qGspKaiyk/5VwuhDR/nBjn3QLUgSTd9COpWOfGdtME0bd9SBTD1L90IDf4N+DNmJKG0MShzWnS5yY8356Mi9jmTmeMtrLJVWgXlkiDc8OW2U95RwrRxotMbBtT/ARHSTj/3jM9shlED9R3Hn4LMaxjeV0zbfpQOwkrLFtTo7oxl7cLBQUxJTAjBgkqhkiG9w0BCRUxFgQUPwegt/X53DyRlrBGbw0ZK25nI8EwQTAxMA0GCWCGSAFlAwQCAQUABCBFOtR+X9kL95vWoEM729RIz1iByu9lA6ak6gnZkUHE9QQI5qSHjoQtVGoCAggA"
}
