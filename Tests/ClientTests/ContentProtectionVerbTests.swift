// `key-policy`, `token issue`, `locator keys [--cpix]` and `locator create --cpix` against the fake ARM server.
import AMSModels
import Crypto
import Foundation
import HTTP
import Protection
import Testing
@testable import Client
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct ContentProtectionVerbTests {
    static let hmacKey = Data((0 ..< 32).map { UInt8($0) }).base64EncodedString()
    static let keyClaim = "urn:microsoft:azure:mediaservices:contentkeyidentifier"

    static func tokenPolicy(key: String?, claims: [ContentKeyPolicyTokenClaim] = [ContentKeyPolicyTokenClaim(claimType: keyClaim)]) -> ContentKeyPolicy {
        ContentKeyPolicy(name: "tokens", properties: ContentKeyPolicyProperties(
            policyId: "8a1b0d7e-0000-4000-8000-000000000001", description: "demo",
            options: [ContentKeyPolicyOption(name: "token-clearkey", configuration: .clearKey, restriction: .token(ContentKeyPolicyTokenRestriction(
                issuer: "https://sts.example", audience: "edgelive", primaryVerificationKey: .symmetric(keyValue: key),
                requiredClaims: claims, restrictionTokenType: .jwt)))]))
    }

    static func json(_ text: String) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
    }

    // MARK: - key-policy create

    @Test func keyPolicyCreateTokenSendsIssuerAudienceKeyAndClaims() async throws {
        let options = ContentKeyPolicyCreateOptions(name: "tokens", open: false, issuer: "https://sts.example", audience: "edgelive",
                                                    primaryKey: .symmetric(base64: Self.hmacKey),
                                                    alternateKeys: [try TokenKeySource.parseAlternate("symmetric:" + Self.hmacKey)],
                                                    claims: ["role=viewer", "tier"], bindKeyID: true, description: "demo")
        let fake = FakeARMServer()
        fake.on("PUT", "/contentKeyPolicies/tokens", FakeARMServer.json(Self.tokenPolicy(key: ""), status: 201))
        let output = try await withFakeARM(fake) { client in try await client.createKeyPolicy(options) }
        #expect(fake.calls == ["PUT /contentKeyPolicies/tokens?api-version=2023-01-01"])
        let body = try Self.json(try #require(fake.requests.first).body)
        let symmetric = ##"{"@odata.type":"#Microsoft.Media.ContentKeyPolicySymmetricTokenKey","keyValue":"\##(Self.hmacKey)"}"##
        let expected = try Self.json(#"""
            {"properties":{"description":"demo","options":[{"name":"token-clearkey",
             "configuration":{"@odata.type":"#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration"},
             "restriction":{"@odata.type":"#Microsoft.Media.ContentKeyPolicyTokenRestriction","issuer":"https://sts.example",
              "audience":"edgelive","restrictionTokenType":"Jwt","primaryVerificationKey":\#(symmetric),
              "alternateVerificationKeys":[\#(symmetric)],
              "requiredClaims":[{"claimType":"role","claimValue":"viewer"},{"claimType":"tier"},{"claimType":"\#(Self.keyClaim)"}]}}]}}
            """#)
        #expect(body == expected)
        #expect(output.standardOutput.contains("https://sts.example"))
        #expect(output.standardOutput.contains("symmetric (hidden; `--secrets` shows it)"))
        #expect(!output.standardOutput.contains("Generated key"))
    }

    @Test func keyPolicyCreateGeneratedKeyIsSentAndPrintedOnce() async throws {
        let options = ContentKeyPolicyCreateOptions(name: "tokens", open: false, issuer: "iss", audience: "aud", primaryKey: .generatedSymmetric)
        let fake = FakeARMServer()
        fake.on("PUT", "/contentKeyPolicies/tokens", FakeARMServer.json(Self.tokenPolicy(key: ""), status: 201))
        let output = try await withFakeARM(fake) { client in try await client.createKeyPolicy(options) }
        let body = try JSONDecoder().decode(ContentKeyPolicy.self, from: Data(try #require(fake.requests.first).body.utf8))
        guard case .token(let token)? = body.properties?.options?.first?.restriction, case .symmetric(let sent?)? = token.primaryVerificationKey else {
            Issue.record("no symmetric key in the body")
            return
        }
        #expect(Data(base64Encoded: sent)?.count == 32)
        #expect(output.standardOutput.components(separatedBy: sent).count == 2, "the generated key is printed exactly once")
        #expect(output.standardOutput.contains("Generated key (base64, HMAC-SHA256): \(sent)\n"))
        // Two generations differ.
        let (first, _) = try options.makeBody()
        let (second, _) = try options.makeBody()
        #expect(first != second)
        // --json keeps standard output parseable and puts the key on standard error.
        let raw = try await withFakeARM(fake, json: true) { client in try await client.createKeyPolicy(options) }
        _ = try Self.json(raw.standardOutput)
        #expect(raw.standardError.hasPrefix("generated symmetric key (base64): "))
    }

    @Test func keyPolicyCreateOpenAndItsRefusals() throws {
        let (open, generated) = try ContentKeyPolicyCreateOptions(name: "o", open: true).makeBody()
        #expect(generated == nil)
        #expect(open.properties?.options?.first?.restriction == .open)
        #expect(open.properties?.options?.first?.configuration == .clearKey)

        func refusal(_ options: ContentKeyPolicyCreateOptions) -> ClientError? {
            do { _ = try options.makeBody(); return nil } catch { return error }
        }
        #expect(refusal(ContentKeyPolicyCreateOptions(name: "o", open: true, issuer: "x"))?.exitCode == .usage)
        #expect(refusal(ContentKeyPolicyCreateOptions(name: "t", open: false, audience: "a", primaryKey: .generatedSymmetric))?.message.contains("--issuer") == true)
        #expect(refusal(ContentKeyPolicyCreateOptions(name: "t", open: false, issuer: "i", audience: "a"))?.message.contains("verification key") == true)
        #expect(refusal(ContentKeyPolicyCreateOptions(name: "t", open: false, issuer: "i", audience: "a", primaryKey: .symmetric(base64: "not base64!")))?.exitCode == .usage)
        #expect(refusal(ContentKeyPolicyCreateOptions(name: "t", open: false, issuer: "i", audience: "a", primaryKey: .symmetric(base64: "AAAA")))?.message.contains("too short") == true)
        #expect(refusal(ContentKeyPolicyCreateOptions(name: "t", open: false, issuer: "i", audience: "a", primaryKey: .rsa(modulus: "AQAB", exponent: "AQAB")))?.exitCode == .usage)
        #expect(refusal(ContentKeyPolicyCreateOptions(name: "t", open: false, issuer: "i", audience: "a", primaryKey: .x509(path: "/nonexistent.pem")))?.exitCode == .usage)
        #expect(throws: ClientError.self) { try TokenKeySource.parseAlternate("hmac:AAAA") }
        #expect(try TokenKeySource.parseAlternate("rsa:MOD:AQAB") == .rsa(modulus: "MOD", exponent: "AQAB"))
        #expect(try TokenKeySource.parseAlternate("x509:/etc/cert.pem") == .x509(path: "/etc/cert.pem"))
    }

    @Test func keyPolicyCreateReadsRSAKeysAndPEMCertificates() throws {
        let modulus = Data([0x00] + (0 ..< 256).map { _ in UInt8.random(in: 1 ... 255) }).base64EncodedString()
        let (rsa, _) = try ContentKeyPolicyCreateOptions(name: "r", open: false, issuer: "i", audience: "a",
                                                         primaryKey: .rsa(modulus: modulus, exponent: "AQAB")).makeBody()
        guard case .token(let token)? = rsa.properties?.options?.first?.restriction else { Issue.record("not a token policy"); return }
        #expect(token.primaryVerificationKey == .rsa(exponent: "AQAB", modulus: modulus))
        #expect(ResourceText.keyText(.rsa(exponent: "AQAB", modulus: modulus), secrets: false).hasPrefix("rsa 20"))

        // Any DER blob starting with a SEQUENCE stands in for a certificate: the daemon checks the certificate itself.
        let der = Data([0x30, 0x82, 0x01, 0x00] + (0 ..< 256).map { UInt8(truncatingIfNeeded: $0) })
        let pem = "-----BEGIN CERTIFICATE-----\n" + der.base64EncodedString(options: .lineLength64Characters) + "\n-----END CERTIFICATE-----\n"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edgelive-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pemPath = directory.appendingPathComponent("signer.pem").path
        let derPath = directory.appendingPathComponent("signer.der").path
        try Data(pem.utf8).write(to: URL(fileURLWithPath: pemPath))
        try der.write(to: URL(fileURLWithPath: derPath))
        for path in [pemPath, derPath] {
            let (policy, _) = try ContentKeyPolicyCreateOptions(name: "x", open: false, issuer: "i", audience: "a", primaryKey: .x509(path: path)).makeBody()
            guard case .token(let token)? = policy.properties?.options?.first?.restriction else { Issue.record("not a token policy"); return }
            #expect(token.primaryVerificationKey == .x509Certificate(rawBody: der.base64EncodedString()))
        }
    }

    // MARK: - key-policy list, show, delete

    @Test func keyPolicyShowReadsSecretsOnlyWithTheFlag() async throws {
        let fake = FakeARMServer()
        fake.on("GET", "/contentKeyPolicies/tokens", FakeARMServer.json(Self.tokenPolicy(key: "")))
        fake.on("POST", "/contentKeyPolicies/tokens/getPolicyPropertiesWithSecrets", FakeARMServer.json(Self.tokenPolicy(key: Self.hmacKey).properties))
        let masked = try await withFakeARM(fake) { client in try await client.showKeyPolicy("tokens", secrets: false) }
        #expect(fake.calls == ["GET /contentKeyPolicies/tokens?api-version=2023-01-01"])
        #expect(!masked.standardOutput.contains(Self.hmacKey))
        #expect(masked.standardOutput.contains("\(Self.keyClaim) (the requested key id)"))
        let revealed = try await withFakeARM(fake) { client in try await client.showKeyPolicy("tokens", secrets: true) }
        #expect(fake.calls.suffix(2) == ["GET /contentKeyPolicies/tokens?api-version=2023-01-01",
                                         "POST /contentKeyPolicies/tokens/getPolicyPropertiesWithSecrets?api-version=2023-01-01"])
        #expect(revealed.standardOutput.contains("symmetric \(Self.hmacKey)"))
        #expect(revealed.standardOutput.contains("Name:"))
    }

    @Test func keyPolicyListAndDelete() async throws {
        let open = ContentKeyPolicy(name: "anyone", properties: ContentKeyPolicyProperties(options: [
            ContentKeyPolicyOption(name: "o", configuration: .clearKey, restriction: .open)]))
        let fake = FakeARMServer()
        fake.on("GET", "/contentKeyPolicies", FakeARMServer.json(ARMList(value: [open, Self.tokenPolicy(key: "")])))
        fake.on("DELETE", "/contentKeyPolicies/anyone", HTTPResponse(status: 200), HTTPResponse(status: 204))
        fake.on("DELETE", "/contentKeyPolicies/used", FakeARMServer.error(409, "Conflict", "The content key policy 'used' is used by streaming locator 'l'."))
        let list = try await withFakeARM(fake) { client in try await client.listKeyPolicies() }
        #expect(list.standardOutput == """
            NAME    RESTRICTION  ISSUER               AUDIENCE  KEY        DESCRIPTION
            anyone  open         -                    -         -          -
            tokens  token (Jwt)  https://sts.example  edgelive  symmetric  demo

            """)
        let (first, second) = try await withFakeARM(fake) { client in
            (try await client.deleteKeyPolicy("anyone"), try await client.deleteKeyPolicy("anyone"))
        }
        #expect(first.standardOutput == "deleted content key policy 'anyone'\n")
        #expect(second.standardOutput == "content key policy 'anyone' did not exist; nothing to delete\n")
        let refused = try await withFakeARM(fake) { client in await clientError { () async throws(ClientError) in try await client.deleteKeyPolicy("used") } }
        #expect(refused?.exitCode == .conflict)
        #expect(refused?.message.contains("streaming locator 'l'") == true)
    }

    // MARK: - token issue

    /// The header and claims of a JWT, after checking its HS256 signature with `key`.
    static func verifiedClaims(_ token: String, key: Data) throws -> (header: NSDictionary, claims: NSDictionary) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        try #require(parts.count == 3)
        func decode(_ text: String) throws -> Data {
            var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            return try #require(Data(base64Encoded: base64))
        }
        let signature = try decode(parts[2])
        #expect(HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Data("\(parts[0]).\(parts[1])".utf8), using: SymmetricKey(data: key)))
        let header = try #require(try JSONSerialization.jsonObject(with: try decode(parts[0])) as? NSDictionary)
        let claims = try #require(try JSONSerialization.jsonObject(with: try decode(parts[1])) as? NSDictionary)
        return (header, claims)
    }

    @Test func tokenIssueSignsTheClaimsWithThePolicyKey() async throws {
        let kid = "1F2E3D4C-5B6A-4978-8695-A4B3C2D1E0F9"
        let fake = FakeARMServer()
        fake.on("POST", "/contentKeyPolicies/tokens/getPolicyPropertiesWithSecrets", FakeARMServer.json(
            Self.tokenPolicy(key: Self.hmacKey, claims: [ContentKeyPolicyTokenClaim(claimType: Self.keyClaim),
                                                         ContentKeyPolicyTokenClaim(claimType: "role", claimValue: "viewer"),
                                                         ContentKeyPolicyTokenClaim(claimType: "tier")]).properties))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let output = try await withFakeARM(fake) { client in
            try await client.issueToken(TokenIssueOptions(policy: "tokens", keyID: kid, validFor: "30m", claims: ["tier=gold", "extra=1"]), now: now)
        }
        #expect(fake.calls == ["POST /contentKeyPolicies/tokens/getPolicyPropertiesWithSecrets?api-version=2023-01-01"])
        #expect(output.standardOutput.hasSuffix("\n") && output.standardOutput.filter { $0 == "\n" }.count == 1)
        let token = output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let (header, claims) = try Self.verifiedClaims(token, key: try #require(Data(base64Encoded: Self.hmacKey)))
        let expectedHeader = try Self.json(#"{"alg":"HS256","typ":"JWT"}"#)
        #expect(header == expectedHeader)
        let expectedClaims = try Self.json("""
            {"iss":"https://sts.example","aud":"edgelive","nbf":\(1_800_000_000 - 300),"exp":\(1_800_000_000 + 1800),
             "\(Self.keyClaim)":"\(kid.lowercased())","role":"viewer","tier":"gold","extra":"1"}
            """)
        #expect(claims == expectedClaims)
        #expect(output.standardError.contains("Authorization: Bearer"))
        // A wrong key does not verify: the check above is a real one.
        let parts = token.split(separator: ".").map(String.init)
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(parts[0]).\(parts[1])".utf8), using: SymmetricKey(data: Data(repeating: 7, count: 32)))
        #expect(TestTokenIssuer.base64URL(Data(mac)) != parts[2])
    }

    @Test func tokenIssueRefusesWhatItCannotSign() async throws {
        let open = ContentKeyPolicyProperties(options: [ContentKeyPolicyOption(name: "o", configuration: .clearKey, restriction: .open)])
        let rsa = ContentKeyPolicyProperties(options: [ContentKeyPolicyOption(name: "r", configuration: .clearKey, restriction: .token(
            ContentKeyPolicyTokenRestriction(issuer: "i", audience: "a", primaryVerificationKey: .rsa(exponent: "AQAB", modulus: "AAAA"),
                                             restrictionTokenType: .jwt)))])
        let fake = FakeARMServer()
        fake.on("POST", "/contentKeyPolicies/open/getPolicyPropertiesWithSecrets", FakeARMServer.json(open))
        fake.on("POST", "/contentKeyPolicies/rsa/getPolicyPropertiesWithSecrets", FakeARMServer.json(rsa))
        fake.on("POST", "/contentKeyPolicies/tokens/getPolicyPropertiesWithSecrets", FakeARMServer.json(Self.tokenPolicy(key: Self.hmacKey).properties))
        fake.on("POST", "/contentKeyPolicies/nope/getPolicyPropertiesWithSecrets", FakeARMServer.error(404, "ResourceNotFound", "not found"))
        let errors = try await withFakeARM(fake) { client in
            [await clientError { () async throws(ClientError) in try await client.issueToken(TokenIssueOptions(policy: "open")) },
             await clientError { () async throws(ClientError) in try await client.issueToken(TokenIssueOptions(policy: "rsa")) },
             await clientError { () async throws(ClientError) in try await client.issueToken(TokenIssueOptions(policy: "tokens")) },
             await clientError { () async throws(ClientError) in try await client.issueToken(TokenIssueOptions(policy: "tokens", keyID: "not-a-uuid")) },
             await clientError { () async throws(ClientError) in try await client.issueToken(TokenIssueOptions(policy: "tokens", validFor: "soon")) },
             await clientError { () async throws(ClientError) in try await client.issueToken(TokenIssueOptions(policy: "nope")) }]
        }
        #expect(errors[0]?.exitCode == .failure && errors[0]?.message.contains("is open") == true)
        #expect(errors[1]?.exitCode == .failure && errors[1]?.message.contains("cannot sign") == true)
        #expect(errors[2]?.exitCode == .usage && errors[2]?.message.contains("--key-id") == true)
        #expect(errors[3]?.exitCode == .usage)
        #expect(errors[4]?.exitCode == .usage)
        #expect(errors[5]?.exitCode == .notFound && errors[5]?.hint?.contains("edgelive key-policy list") == true)
        #expect(!fake.calls.contains { $0.contains("soon") })
    }

    @Test func tokenLifetimes() throws {
        #expect(try TestTokenIssuer.parseLifetime("90s") == 90)
        #expect(try TestTokenIssuer.parseLifetime("30m") == 1800)
        #expect(try TestTokenIssuer.parseLifetime("1h") == 3600)
        #expect(try TestTokenIssuer.parseLifetime("2d") == 172_800)
        #expect(try TestTokenIssuer.parseLifetime("PT1H30M") == 5400)
        #expect(try TestTokenIssuer.parseLifetime("600") == 600)
        #expect(throws: ClientError.self) { try TestTokenIssuer.parseLifetime("0s") }
        #expect(throws: ClientError.self) { try TestTokenIssuer.parseLifetime("400d") }
    }

    // MARK: - locator keys and CPIX

    static let cencKey = StreamingLocatorContentKey(id: "0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9", type: .commonEncryptionCenc,
                                                    labelReferenceInStreamingPolicy: "cencDefaultKey",
                                                    value: Data((0 ..< 16).map { UInt8($0) }).base64EncodedString(), policyName: "tokens")
    static let cbcsKey = StreamingLocatorContentKey(id: "f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f", type: .commonEncryptionCbcs,
                                                    labelReferenceInStreamingPolicy: "cbcsDefaultKey",
                                                    value: Data((16 ..< 32).map { UInt8($0) }).base64EncodedString(), policyName: "tokens")

    @Test func locatorKeysTable() async throws {
        let fake = FakeARMServer()
        fake.on("POST", "/streamingLocators/drm/listContentKeys", FakeARMServer.json(ListContentKeysResponse(contentKeys: [Self.cencKey, Self.cbcsKey])))
        fake.on("POST", "/streamingLocators/clear/listContentKeys", FakeARMServer.json(ListContentKeysResponse(contentKeys: [])))
        let (table, empty) = try await withFakeARM(fake) { client in (try await client.locatorKeys("drm"), try await client.locatorKeys("clear")) }
        #expect(fake.calls.first == "POST /streamingLocators/drm/listContentKeys?api-version=2023-01-01")
        #expect(table.standardOutput == """
            ID                                    TYPE                  LABEL           POLICY  VALUE
            0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9  CommonEncryptionCenc  cencDefaultKey  tokens  \(Self.cencKey.value!)
            f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f  CommonEncryptionCbcs  cbcsDefaultKey  tokens  \(Self.cbcsKey.value!)

            """)
        #expect(empty.standardOutput.contains("no content keys"))
    }

    /// What Foundation's XMLParser sees in a CPIX document (namespace-aware).
    final class CPIXCollector: NSObject, XMLParserDelegate {
        var contentKeys: [(kid: String, scheme: String?)] = []
        var plainValues: [String] = []
        var drmSystems: [(kid: String, systemId: String, pssh: String)] = []
        var usageRules: [(kid: String, trackType: String?)] = []
        var rootNamespace: String?
        var rootVersion: String?
        private var text = ""
        private var drm: (String, String)?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            text = ""
            switch name {
            case "CPIX": rootNamespace = namespaceURI; rootVersion = attributes["version"]
            case "ContentKey": contentKeys.append((attributes["kid"] ?? "", attributes["commonEncryptionScheme"]))
            case "DRMSystem": drm = (attributes["kid"] ?? "", attributes["systemId"] ?? "")
            case "ContentKeyUsageRule": usageRules.append((attributes["kid"] ?? "", attributes["intendedTrackType"]))
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "PlainValue", namespaceURI == "urn:ietf:params:xml:ns:keyprov:pskc" { plainValues.append(text) }
            if name == "PSSH", let drm { drmSystems.append((drm.0, drm.1, text)) }
            if name == "DRMSystem" { drm = nil }
        }
    }

    @Test func locatorKeysCPIXWritesKeysAndPSSHForEverySystem() async throws {
        let locator = StreamingLocator(name: "drm", properties: StreamingLocatorProperties(streamingLocatorId: "6f3264f5-8b37-4a2c-9f3e-1c2d3e4f5a6b"))
        let fake = FakeARMServer()
        fake.on("POST", "/streamingLocators/drm/listContentKeys", FakeARMServer.json(ListContentKeysResponse(contentKeys: [Self.cencKey, Self.cbcsKey])))
        fake.on("GET", "/streamingLocators/drm", FakeARMServer.json(locator))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edgelive-cpix-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keys.xml").path
        let output = try await withFakeARM(fake) { client in try await client.locatorKeysCPIX("drm", destination: path) }
        #expect(output.standardOutput.isEmpty)
        #expect(output.standardError.contains("wrote 2 content keys of streaming locator 'drm' to \(path)"))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        let collector = CPIXCollector()
        parser.delegate = collector
        #expect(parser.parse(), "XMLParser: \(String(describing: parser.parserError))")
        #expect(collector.rootNamespace == "urn:dashif:org:cpix")
        #expect(collector.rootVersion == "2.3")
        #expect(collector.contentKeys.map(\.kid) == [Self.cencKey.id, Self.cbcsKey.id])
        #expect(collector.contentKeys.map(\.scheme) == ["cenc", "cbcs"])
        #expect(collector.plainValues == [Self.cencKey.value, Self.cbcsKey.value])
        #expect(collector.usageRules.map(\.trackType) == ["cencDefaultKey", "cbcsDefaultKey"])
        let widevine = "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed", playReady = "9a04f079-9840-4286-ab92-e65be0885f95"
        let common = "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"
        #expect(collector.drmSystems.map { "\($0.kid) \($0.systemId)" } == [Self.cencKey.id, Self.cbcsKey.id].flatMap { kid in
            [widevine, playReady, common].map { "\(kid) \($0)" }
        })
        // Each PSSH is a whole `pssh` box of the system it is listed under; the common one lists the KID.
        for system in collector.drmSystems {
            let box = [UInt8](try #require(Data(base64Encoded: system.pssh)))
            #expect(Array(box[4 ..< 8]) == Array("pssh".utf8))
            #expect(Int(box[0]) << 24 | Int(box[1]) << 16 | Int(box[2]) << 8 | Int(box[3]) == box.count)
            let systemID = UUID(uuid: (box[12], box[13], box[14], box[15], box[16], box[17], box[18], box[19],
                                       box[20], box[21], box[22], box[23], box[24], box[25], box[26], box[27]))
            #expect(systemID.uuidString.lowercased() == system.systemId)
            let kid = try #require(UUID(uuidString: system.kid))
            if system.systemId == common {
                #expect(box[8] == 1 && Array(box[32 ..< 48]) == withUnsafeBytes(of: kid.uuid) { Array($0) })
            }
            if system.systemId == widevine {
                let scheme: ProtectionScheme = system.kid == Self.cencKey.id ? .cenc : .cbcs
                #expect(Array(box[32...]) == PSSH.widevineData(keyIDs: [kid], scheme: scheme))
            }
        }

        // `-` prints the same document.
        let printed = try await withFakeARM(fake) { client in try await client.locatorKeysCPIX("drm", destination: "-") }
        #expect(printed.standardOutput == String(decoding: data, as: UTF8.self))
    }

    @Test func envelopeKeysHaveNoSchemeAndNoPSSH() throws {
        let key = StreamingLocatorContentKey(id: "11111111-2222-4333-8444-555555555555", type: .envelopeEncryption,
                                             labelReferenceInStreamingPolicy: "aesDefaultKey", value: Data(repeating: 9, count: 16).base64EncodedString())
        let xml = try CPIXDocument(contentID: "x", locatorKeys: [key]).xml()
        #expect(!xml.contains("commonEncryptionScheme"))
        #expect(!xml.contains("DRMSystem"))
        #expect(xml.contains(#"intendedTrackType="aesDefaultKey""#))
        #expect(throws: ClientError.self) {
            try CPIXDocument(contentID: nil, locatorKeys: [StreamingLocatorContentKey(id: key.id, type: .envelopeEncryption)])
        }
    }

    @Test func cpixRoundTripsIntoALocatorCreateBody() async throws {
        let document = try CPIXDocument(contentID: "drm", locatorKeys: [Self.cbcsKey, Self.cencKey])
        let policy = try #require(StreamingPolicy.predefined(named: "Predefined_MultiDrmStreaming"))
        let created = StreamingLocator(name: "copy", properties: StreamingLocatorProperties(assetName: "a", streamingPolicyName: "Predefined_MultiDrmStreaming"))
        let fake = FakeARMServer()
        fake.on("GET", "/streamingPolicies/Predefined_MultiDrmStreaming", FakeARMServer.json(policy))
        fake.on("PUT", "/streamingLocators/copy", FakeARMServer.json(created, status: 201))
        let options = LocatorCreateOptions(name: "copy", asset: "a", policy: "Predefined_MultiDrmStreaming", contentKeyPolicy: "tokens")
        let output = try await withFakeARM(fake) { client in
            try await client.createLocator(options, cpixText: document.xml(), source: "'keys.xml'")
        }
        #expect(fake.calls == ["GET /streamingPolicies/Predefined_MultiDrmStreaming?api-version=2023-01-01", "PUT /streamingLocators/copy?api-version=2023-01-01"])
        let body = try JSONDecoder().decode(StreamingLocator.self, from: Data(try #require(fake.requests.last).body.utf8))
        #expect(body.properties?.defaultContentKeyPolicyName == "tokens")
        let strip = { (key: StreamingLocatorContentKey) in
            StreamingLocatorContentKey(id: key.id, type: key.type, labelReferenceInStreamingPolicy: key.labelReferenceInStreamingPolicy, value: key.value)
        }
        #expect(body.properties?.contentKeys == [strip(Self.cbcsKey), strip(Self.cencKey)])
        #expect(output.standardError.contains("locator paths copy"))
    }

    @Test func cpixFromOtherWritersIsMatchedBySchemeAndOrder() throws {
        // Another provider's style: the default namespace, no usage rules, no scheme on the key, an XML comment, CRLF.
        let kid = "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716"
        let value = Data(repeating: 0xAB, count: 16).base64EncodedString()
        let text = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<!-- from a key server -->\r\n"
            + "<CPIX xmlns=\"urn:dashif:org:cpix\" xmlns:pskc=\"urn:ietf:params:xml:ns:keyprov:pskc\" id=\"x&amp;y\">"
            + "<ContentKeyList><ContentKey kid=\"\(kid.uppercased())\"><Data><pskc:Secret><pskc:PlainValue>\n  \(value)\n</pskc:PlainValue>"
            + "</pskc:Secret></Data></ContentKey></ContentKeyList></CPIX>"
        let document = try CPIXDocument.parse(text, source: "'other.xml'")
        let kidUUID = try #require(UUID(uuidString: kid))
        #expect(document.keys == [CPIXDocument.Key(id: kidUUID, value: Array(repeating: 0xAB, count: 16))])
        let clearKeySlots = StreamingPolicyKeySlot.slots(of: try #require(StreamingPolicy.predefined(named: "Predefined_ClearKey")?.properties))
        #expect(try document.locatorContentKeys(slots: clearKeySlots, policyName: "Predefined_ClearKey") == [
            StreamingLocatorContentKey(id: kid, type: .envelopeEncryption, labelReferenceInStreamingPolicy: "aesDefaultKey", value: value),
        ])
        // A cbcs key has no place in a CENC-only policy; a clear policy takes no keys.
        let cbcs = try CPIXDocument(contentID: nil, locatorKeys: [Self.cbcsKey])
        let cencSlots = StreamingPolicyKeySlot.slots(of: try #require(StreamingPolicy.predefined(named: "Predefined_MultiDrmCencStreaming")?.properties))
        #expect(throws: ClientError.self) { try cbcs.locatorContentKeys(slots: cencSlots, policyName: "Predefined_MultiDrmCencStreaming") }
        #expect(throws: ClientError.self) { try document.locatorContentKeys(slots: [], policyName: "Predefined_ClearStreamingOnly") }
    }

    @Test func cpixRefusals() {
        func refusal(_ text: String) -> String? {
            do { _ = try CPIXDocument.parse(text, source: "'k.xml'"); return nil } catch { return error.message }
        }
        let head = #"<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc">"#
        let encrypted = head + #"<cpix:DeliveryDataList><cpix:DeliveryData/></cpix:DeliveryDataList><cpix:ContentKeyList>"#
            + #"<cpix:ContentKey kid="5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716"><cpix:Data><pskc:Secret><pskc:EncryptedValue/></pskc:Secret></cpix:Data>"#
            + #"</cpix:ContentKey></cpix:ContentKeyList></cpix:CPIX>"#
        #expect(refusal(encrypted)?.contains("encrypted content keys") == true)
        let encryptedKeyOnly = encrypted.replacingOccurrences(of: "<cpix:DeliveryDataList><cpix:DeliveryData/></cpix:DeliveryDataList>", with: "")
        #expect(refusal(encryptedKeyOnly)?.contains("pskc:EncryptedValue") == true)
        #expect(refusal("<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\"/>")?.contains("not a CPIX document") == true)
        #expect(refusal(head + "<cpix:ContentKeyList></cpix:ContentKeyList></cpix:CPIX>")?.contains("no content keys") == true)
        #expect(refusal(head + "<cpix:ContentKeyList>")?.contains("never closed") == true)
        #expect(refusal(String(repeating: "<a>", count: 100_000))?.contains("nest more than") == true)
        #expect(refusal("<!DOCTYPE x [<!ENTITY a \"b\">]>" + head + "</cpix:CPIX>")?.contains("DOCTYPE") == true)
        let noValue = head + #"<cpix:ContentKeyList><cpix:ContentKey kid="5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716"/></cpix:ContentKeyList></cpix:CPIX>"#
        #expect(refusal(noValue)?.contains("no value") == true)
        let cens = noValue.replacingOccurrences(of: "/></cpix:ContentKeyList>", with: #" commonEncryptionScheme="cens"><cpix:Data><pskc:Secret><pskc:PlainValue>AAAAAAAAAAAAAAAAAAAAAA==</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey></cpix:ContentKeyList>"#)
        #expect(refusal(cens)?.contains("'cens'") == true)
    }
}
