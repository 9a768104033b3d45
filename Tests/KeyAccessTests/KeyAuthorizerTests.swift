// The token rules of spec/ams-live.md §7.3 with real JWTs: signatures, claims, content key binding, maxuses.
import Foundation
import JWTKit
import KeyAccess
import Protection
import Testing

@Suite struct KeyAuthorizerTests {
    // MARK: - Open and token basics

    @Test func openRestrictionGrantsWithoutToken() async {
        let result = await authorizer().authorize(grant(.open), token: nil, deliver: .clearKey, now: now)
        #expect(result.value == contentKey)
    }

    @Test func validHS256TokenGetsTheKey() async throws {
        let token = try await hs256(claims())
        let result = await authorizer().authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now)
        #expect(result.value == contentKey)
    }

    @Test func missingTokenIsDenied() async {
        let result = await authorizer().authorize(grant(tokenRestriction()), token: nil, deliver: .clearKey, now: now)
        #expect(result.denial?.code == .missingToken)
    }

    @Test func malformedTokenIsDenied() async {
        let result = await authorizer().authorize(grant(tokenRestriction()), token: "not.a-jwt", deliver: .clearKey, now: now)
        #expect(result.denial?.code == .malformedToken)
        let swtShaped = await authorizer().authorize(grant(tokenRestriction()), token: "Issuer=x&Audience=y&HMACSHA256=z",
                                                     deliver: .clearKey, now: now)
        #expect(swtShaped.denial?.code == .malformedToken)
    }

    @Test func swtRestrictionIsDeniedWithAReason() async throws {
        let token = try await hs256(claims())
        let result = await authorizer().authorize(grant(tokenRestriction(tokenType: .swt)), token: token, deliver: .clearKey, now: now)
        #expect(result.denial?.code == .unsupportedTokenType)
        #expect(result.denial?.reason.contains("SWT") == true)
    }

    @Test func wrongSignatureIsDenied() async throws {
        let token = try await hs256(claims(), key: otherSymmetricKey)
        let result = await authorizer().authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now)
        #expect(result.denial?.code == .badSignature)
        #expect(result.denial?.reason.contains("primary symmetric key") == true)
    }

    @Test func tamperedClaimsAreDenied() async throws {
        let token = try await hs256(claims())
        let parts = token.split(separator: ".")
        let forged = Base64URL.encode(Array(#"{"iss":"\#(issuer)","aud":"\#(audience)","exp":9999999999}"#.utf8))
        let result = await authorizer().authorize(grant(tokenRestriction()), token: "\(parts[0]).\(forged).\(parts[2])", deliver: .clearKey, now: now)
        #expect(result.denial?.code == .badSignature)
    }

    @Test func shortSymmetricKeysVerify() async throws {
        let short: [UInt8] = Array(0..<16)
        let token = try handMadeHS256(claims(), key: short)
        let result = await authorizer().authorize(grant(tokenRestriction(keys: [.symmetric(short)])), token: token, deliver: .clearKey, now: now)
        #expect(result.value == contentKey)
        let wrong = try handMadeHS256(claims(), key: Array(1..<17))
        #expect(await authorizer().authorize(grant(tokenRestriction(keys: [.symmetric(short)])), token: wrong, deliver: .clearKey, now: now)
            .denial?.code == .badSignature)
    }

    @Test func unsignedTokenIsDenied() async throws {
        let header = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let payload = Base64URL.encode(Array(try JSONEncoder().encode(claims())))
        let result = await authorizer().authorize(grant(tokenRestriction()), token: "\(header).\(payload).", deliver: .clearKey, now: now)
        #expect(result.denial?.code == .unsupportedAlgorithm)
    }

    @Test func alternateKeyVerifies() async throws {
        let token = try await hs256(claims(), key: otherSymmetricKey)
        let restriction = tokenRestriction(keys: [.symmetric(symmetricKey), .symmetric(otherSymmetricKey)])
        let result = await authorizer().authorize(grant(restriction), token: token, deliver: .clearKey, now: now)
        #expect(result.value == contentKey)
    }

    // MARK: - Time

    @Test func expiredTokenIsDenied() async throws {
        let token = try await hs256(claims(["exp": .number(now.timeIntervalSince1970 - 301)]))
        let result = await authorizer().authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now)
        #expect(result.denial?.code == .expired)
    }

    @Test func expiryWithinTheClockSkewIsAccepted() async throws {
        let token = try await hs256(claims(["exp": .number(now.timeIntervalSince1970 - 240)]))
        let result = await authorizer().authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now)
        #expect(result.value == contentKey)
    }

    @Test func tokenWithoutExpiryIsDenied() async throws {
        let token = try await hs256(claims(["exp": nil]))
        let result = await authorizer().authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now)
        #expect(result.denial?.code == .claimRejected)
    }

    @Test func notYetValidTokenIsDenied() async throws {
        let early = try await hs256(claims(["nbf": .number(now.timeIntervalSince1970 + 600)]))
        let result = await authorizer().authorize(grant(tokenRestriction()), token: early, deliver: .clearKey, now: now)
        #expect(result.denial?.code == .notYetValid)
        let withinSkew = try await hs256(claims(["nbf": .number(now.timeIntervalSince1970 + 120)]))
        #expect(await authorizer().authorize(grant(tokenRestriction()), token: withinSkew, deliver: .clearKey, now: now).value == contentKey)
    }

    // MARK: - Issuer, audience, claims

    @Test func wrongIssuerIsDenied() async throws {
        let token = try await hs256(claims(["iss": "https://someone.else"]))
        let result = await authorizer().authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now)
        #expect(result.denial?.code == .claimRejected)
        #expect(result.denial?.reason.contains("issuer") == true)
    }

    @Test func wrongAudienceIsDenied() async throws {
        let token = try await hs256(claims(["aud": "urn:other"]))
        let result = await authorizer().authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now)
        #expect(result.denial?.code == .claimRejected)
        #expect(result.denial?.reason.contains("audience") == true)
    }

    @Test func audienceArrayContainingThePolicysAudienceIsAccepted() async throws {
        let token = try await hs256(claims(["aud": .strings(["urn:other", audience])]))
        let result = await authorizer().authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now)
        #expect(result.value == contentKey)
    }

    @Test func missingRequiredClaimIsDenied() async throws {
        let restriction = tokenRestriction(requiredClaims: [(type: "urn:edgelive:tier", value: nil)])
        let without = try await hs256(claims())
        let denied = await authorizer().authorize(grant(restriction), token: without, deliver: .clearKey, now: now)
        #expect(denied.denial?.code == .claimRejected)
        #expect(denied.denial?.reason.contains("urn:edgelive:tier") == true)
        let with = try await hs256(claims(["urn:edgelive:tier": "anything"]))
        #expect(await authorizer().authorize(grant(restriction), token: with, deliver: .clearKey, now: now).value == contentKey)
    }

    @Test func requiredClaimValueMustMatch() async throws {
        let restriction = tokenRestriction(requiredClaims: [(type: "urn:edgelive:tier", value: "gold")])
        let wrong = try await hs256(claims(["urn:edgelive:tier": "silver"]))
        #expect(await authorizer().authorize(grant(restriction), token: wrong, deliver: .clearKey, now: now).denial?.code == .claimRejected)
        let right = try await hs256(claims(["urn:edgelive:tier": "gold"]))
        #expect(await authorizer().authorize(grant(restriction), token: right, deliver: .clearKey, now: now).value == contentKey)
    }

    @Test func contentKeyIdentifierMustBeTheRequestedKey() async throws {
        let restriction = tokenRestriction(requiredClaims: [(type: TokenRestriction.contentKeyIdentifierClaim, value: nil)])
        let upperCase = try await hs256(claims([TokenRestriction.contentKeyIdentifierClaim: .string(keyID.uuidString.uppercased())]))
        #expect(await authorizer().authorize(grant(restriction), token: upperCase, deliver: .clearKey, now: now).value == contentKey)
        let lowerCase = try await hs256(claims([TokenRestriction.contentKeyIdentifierClaim: .string(keyID.uuidString.lowercased())]))
        #expect(await authorizer().authorize(grant(restriction), token: lowerCase, deliver: .clearKey, now: now).value == contentKey)
        let other = try await hs256(claims([TokenRestriction.contentKeyIdentifierClaim: .string(UUID().uuidString)]))
        let denied = await authorizer().authorize(grant(restriction), token: other, deliver: .clearKey, now: now)
        #expect(denied.denial?.code == .claimRejected)
        #expect(denied.denial?.reason.contains(keyID.uuidString.lowercased()) == true)
        let missing = try await hs256(claims())
        #expect(await authorizer().authorize(grant(restriction), token: missing, deliver: .clearKey, now: now).denial?.code == .claimRejected)
    }

    // MARK: - RSA and certificates

    @Test func rs256WithRSAKeyVerifies() async throws {
        let material = try rsaMaterial()
        let token = try await rs256(claims(), key: material)
        let result = await authorizer().authorize(grant(tokenRestriction(keys: [material.rsaKey])), token: token, deliver: .clearKey, now: now)
        #expect(result.value == contentKey)
        let otherKeysToken = try await rs256(claims(), key: try otherRSAMaterial())
        let denied = await authorizer().authorize(grant(tokenRestriction(keys: [material.rsaKey])), token: otherKeysToken, deliver: .clearKey, now: now)
        #expect(denied.denial?.code == .badSignature)
    }

    @Test func rs256WithX509CertificateVerifies() async throws {
        let material = try rsaMaterial()
        let token = try await rs256(claims(), key: material)
        let restriction = tokenRestriction(keys: [.symmetric(symmetricKey), .x509(der: material.certificateDER)])
        let result = await authorizer().authorize(grant(restriction), token: token, deliver: .clearKey, now: now)
        #expect(result.value == contentKey)
    }

    @Test func hmacTokenIsNotVerifiedWithAnRSAKey() async throws {
        // The classic algorithm confusion: an HS256 token whose secret is the RSA public key's bytes.
        let material = try rsaMaterial()
        let token = try await hs256(claims(), key: material.modulus)
        let result = await authorizer().authorize(grant(tokenRestriction(keys: [material.rsaKey])), token: token, deliver: .clearKey, now: now)
        #expect(result.denial?.code == .unsupportedAlgorithm)
    }

    @Test func unusableRSAKeyIsReported() async throws {
        let token = try await hs256(claims())
        let restriction = tokenRestriction(keys: [.x509(der: [0x30, 0x03, 0x02, 0x01, 0x01])])
        let result = await authorizer().authorize(grant(restriction), token: token, deliver: .clearKey, now: now)
        #expect(result.denial?.code == .badSignature)
        #expect(result.denial?.reason.contains("X.509") == true)
    }

    // MARK: - maxuses

    @Test func maxUsesTokenIsUsableThatManyTimes() async throws {
        let token = try await hs256(claims([TokenRestriction.maxUsesClaim: 2, "exp": .number(now.timeIntervalSince1970 + 1_800)]))
        let keys = authorizer()
        #expect(await keys.authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now).value == contentKey)
        #expect(await keys.authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now).value == contentKey)
        let third = await keys.authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now)
        #expect(third.denial?.code == .usesExhausted)
        #expect(await keys.recordedUses(tokenSignature: String(token.split(separator: ".")[2])) == 2)
        // Another token (another signature) has its own count.
        let fresh = try await hs256(claims([TokenRestriction.maxUsesClaim: 2, "exp": .number(now.timeIntervalSince1970 + 1_799)]))
        #expect(await keys.authorize(grant(tokenRestriction()), token: fresh, deliver: .clearKey, now: now).value == contentKey)
    }

    @Test func maxUsesTokenExpiringAfterAnHourIsDenied() async throws {
        let token = try await hs256(claims([TokenRestriction.maxUsesClaim: 5, "exp": .number(now.timeIntervalSince1970 + 3_700)]))
        let result = await authorizer().authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now)
        #expect(result.denial?.code == .claimRejected)
        #expect(result.denial?.reason.contains("maxuses") == true)
    }

    @Test func deniedRequestsDoNotSpendUses() async throws {
        let token = try await hs256(claims([TokenRestriction.maxUsesClaim: 1, "exp": .number(now.timeIntervalSince1970 + 600)]))
        let keys = authorizer()
        let wrongKey = grant(tokenRestriction(requiredClaims: [(type: "urn:edgelive:tier", value: nil)]))
        #expect(await keys.authorize(wrongKey, token: token, deliver: .clearKey, now: now).denial?.code == .claimRejected)
        #expect(await keys.authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now).value == contentKey)
        #expect(await keys.authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now).denial?.code == .usesExhausted)
    }

    @Test func concurrentRequestsCannotShareTheLastUse() async throws {
        let token = try await hs256(claims([TokenRestriction.maxUsesClaim: 3, "exp": .number(now.timeIntervalSince1970 + 600)]))
        let keys = authorizer()
        let granted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<12 {
                group.addTask { await keys.authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now).value != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(granted == 3)
    }

    @Test func oneLicenceRequestCountsOneUse() async throws {
        let token = try await hs256(claims([TokenRestriction.maxUsesClaim: 1, "exp": .number(now.timeIntervalSince1970 + 600)]))
        let second = ContentKey(id: UUID(), value: Array(repeating: 7, count: 16))
        let keys = authorizer()
        let result = await keys.authorize([grant(tokenRestriction()), grant(tokenRestriction(), key: second)], token: token,
                                          deliver: .clearKey, now: now)
        #expect(result.value == [contentKey, second])
        #expect(await keys.authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now).denial?.code == .usesExhausted)
    }

    // MARK: - Options

    @Test func policyWithoutAClearKeyOptionIsDenied() async {
        let result = await authorizer().authorize(grant(.open, configuration: .playReady), token: nil, deliver: .clearKey, now: now)
        #expect(result.denial?.code == .noMatchingOption)
        #expect(result.denial?.reason.contains("playReady") == true)
    }

    @Test func firstSatisfiedOptionWins() async throws {
        let options = [
            KeyAccessOption(name: "drm", restriction: .open, configuration: .widevine),
            KeyAccessOption(name: "subscribers", restriction: tokenRestriction(), configuration: .clearKey),
            KeyAccessOption(name: "trial", restriction: tokenRestriction(keys: [.symmetric(otherSymmetricKey)]), configuration: .clearKey),
        ]
        let policy = KeyGrant(key: contentKey, policyName: "policy-1", options: options, locatorName: "locator-1")
        let trialToken = try await hs256(claims(), key: otherSymmetricKey)
        #expect(await authorizer().authorize(policy, token: trialToken, deliver: .clearKey, now: now).value == contentKey)
        let strangerToken = try await hs256(claims(), key: Array("a stranger's key, as long as the others".utf8))
        let denied = await authorizer().authorize(policy, token: strangerToken, deliver: .clearKey, now: now)
        #expect(denied.denial?.code == .badSignature)
        #expect(denied.denial?.reason.contains("option 'subscribers'") == true)
        #expect(denied.denial?.reason.contains("option 'trial'") == true)
        #expect(denied.denial?.reason.contains("option 'drm'") == false)
    }

    @Test func denialReasonsNeverHoldTheTokenOrKey() async throws {
        let token = try await hs256(claims(["iss": "https://someone.else"]))
        let denial = try #require(await authorizer().authorize(grant(tokenRestriction()), token: token, deliver: .clearKey, now: now).denial)
        #expect(!denial.reason.contains(String(token.split(separator: ".")[2])))
        #expect(!denial.reason.contains(Base64URL.encode(contentKey.value)))
    }
}

@Suite struct Base64URLTests {
    @Test func roundTripsWithoutPadding() {
        for count in 0..<20 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 37 + 250) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Base64URL.decode(text) == bytes)
        }
        #expect(Base64URL.decode("not base64!") == nil)
    }

    @Test func keyIdentifiersParseInTheirUsualForms() {
        let id = UUID(uuidString: "2e8f1c3a-5b7d-4c11-9a0e-6f2b8d4c1a07")
        #expect(KeyIdentifierText.parse("2E8F1C3A-5B7D-4C11-9A0E-6F2B8D4C1A07") == id)
        #expect(KeyIdentifierText.parse("{2e8f1c3a-5b7d-4c11-9a0e-6f2b8d4c1a07}") == id)
        #expect(KeyIdentifierText.parse("nb:kid:UUID:2e8f1c3a-5b7d-4c11-9a0e-6f2b8d4c1a07") == id)
        #expect(KeyIdentifierText.parse("2e8f1c3a") == nil)
    }
}
