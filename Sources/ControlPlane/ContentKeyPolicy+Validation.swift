// Content key policy validation: the swagger's required fields and enums, and the checks the service made on values
// (base64 keys, a 16-byte FairPlay ASK, a JSON Widevine template, a URL discovery document). No message echoes a secret.
import AMSModels
import Foundation

extension ContentKeyPolicy {
    /// Most required claims a token restriction may list (the service's documented limit).
    static let maximumRequiredClaims = 30

    /// Checks a create or replace (PUT) body; also what a PATCH must leave behind.
    public func validateForPut() throws(ARMError) {
        let properties = try ResourceValidation.require(properties, "properties")
        let options = try ResourceValidation.require(properties.options, "properties.options")
        guard !options.isEmpty else {
            throw .badRequest("'properties.options' must hold at least one option (a configuration and a restriction).", target: "properties.options")
        }
        var names = Set<String>()
        for (index, option) in options.enumerated() {
            let field = "properties.options[\(index)]"
            if let name = option.name, !names.insert(name.lowercased()).inserted {
                throw .badRequest("Two options are named '\(name)'; give each option its own name.", target: "\(field).name")
            }
            try Self.validate(try ResourceValidation.require(option.configuration, "\(field).configuration"), field: "\(field).configuration")
            try Self.validate(try ResourceValidation.require(option.restriction, "\(field).restriction"), field: "\(field).restriction")
        }
    }

    // MARK: - Configurations

    static func validate(_ configuration: ContentKeyPolicyConfiguration, field: String) throws(ARMError) {
        switch configuration {
        case .clearKey, .unknown:
            return
        case .widevine(let widevine):
            let templateField = "\(field).widevineTemplate"
            let template = try ResourceValidation.require(widevine.widevineTemplate, templateField)
            guard let object = try? JSONSerialization.jsonObject(with: Data(template.utf8)), object is [String: Any] else {
                throw .badRequest("'\(templateField)' must be a JSON object serialised as a string (e.g. {\"allowed_track_types\":\"SD_HD\",…}); it does not parse as one.",
                                  target: templateField)
            }
        case .playReady(let playReady):
            let licenses = try ResourceValidation.require(playReady.licenses, "\(field).licenses")
            guard !licenses.isEmpty else {
                throw .badRequest("'\(field).licenses' must hold at least one PlayReady license.", target: "\(field).licenses")
            }
            for (index, license) in licenses.enumerated() { try validate(license, field: "\(field).licenses[\(index)]") }
        case .fairPlay(let fairPlay):
            try validate(fairPlay, field: field)
        }
    }

    static func validate(_ license: ContentKeyPolicyPlayReadyLicense, field: String) throws(ARMError) {
        _ = try ResourceValidation.require(license.allowTestDevices, "\(field).allowTestDevices")
        let licenseType = try ResourceValidation.require(license.licenseType, "\(field).licenseType")
        try refuseUnknown(licenseType == .unknown, "\(field).licenseType", allowed: "NonPersistent, Persistent")
        let contentType = try ResourceValidation.require(license.contentType, "\(field).contentType")
        try refuseUnknown(contentType == .unknown, "\(field).contentType", allowed: "Unspecified, UltraVioletDownload, UltraVioletStreaming")
        try refuseUnknown(license.securityLevel == .unknown, "\(field).securityLevel", allowed: "SL150, SL2000, SL3000")
        let location = try ResourceValidation.require(license.contentKeyLocation, "\(field).contentKeyLocation")
        if case .fromKeyIdentifier(let keyId) = location {
            let keyField = "\(field).contentKeyLocation.keyId"
            guard let keyId, ResourceValidation.isUUID(keyId) else {
                throw .badRequest("'\(keyField)' must be the UUID of a content key.", target: keyField)
            }
        }
        for (name, text) in [("relativeBeginDate", license.relativeBeginDate), ("relativeExpirationDate", license.relativeExpirationDate),
                             ("gracePeriod", license.gracePeriod)] {
            if let text { _ = try ResourceValidation.duration(text, field: "\(field).\(name)") }
        }
        if license.beginDate != nil, license.relativeBeginDate != nil {
            throw .badRequest("Set either '\(field).beginDate' or '\(field).relativeBeginDate', not both.", target: "\(field).relativeBeginDate")
        }
        if license.expirationDate != nil, license.relativeExpirationDate != nil {
            throw .badRequest("Set either '\(field).expirationDate' or '\(field).relativeExpirationDate', not both.", target: "\(field).relativeExpirationDate")
        }
        if let begin = license.beginDate, let end = license.expirationDate, end <= begin {
            throw .badRequest("'\(field).expirationDate' must be later than '\(field).beginDate'.", target: "\(field).expirationDate")
        }
        if let right = license.playRight { try validate(right, field: "\(field).playRight") }
    }

    static func validate(_ right: ContentKeyPolicyPlayReadyPlayRight, field: String) throws(ARMError) {
        _ = try ResourceValidation.require(right.digitalVideoOnlyContentRestriction, "\(field).digitalVideoOnlyContentRestriction")
        _ = try ResourceValidation.require(right.imageConstraintForAnalogComponentVideoRestriction, "\(field).imageConstraintForAnalogComponentVideoRestriction")
        _ = try ResourceValidation.require(right.imageConstraintForAnalogComputerMonitorRestriction, "\(field).imageConstraintForAnalogComputerMonitorRestriction")
        let passing = try ResourceValidation.require(right.allowPassingVideoContentToUnknownOutput, "\(field).allowPassingVideoContentToUnknownOutput")
        try refuseUnknown(passing == .unknown, "\(field).allowPassingVideoContentToUnknownOutput", allowed: "NotAllowed, Allowed, AllowedWithVideoConstriction")
        if let text = right.firstPlayExpiration { _ = try ResourceValidation.duration(text, field: "\(field).firstPlayExpiration") }
        func zeroToThree(_ value: Int32?, _ name: String) throws(ARMError) {
            guard let value, !(0 ... 3).contains(value) else { return }
            throw .badRequest("'\(field).\(name)' must be between 0 and 3; got \(value).", target: "\(field).\(name)")
        }
        try zeroToThree(right.scmsRestriction, "scmsRestriction")
        try zeroToThree(right.agcAndColorStripeRestriction, "agcAndColorStripeRestriction")
        if let analog = right.explicitAnalogTelevisionOutputRestriction {
            let analogField = "explicitAnalogTelevisionOutputRestriction"
            _ = try ResourceValidation.require(analog.bestEffort, "\(field).\(analogField).bestEffort")
            let data = try ResourceValidation.require(analog.configurationData, "\(field).\(analogField).configurationData")
            try zeroToThree(data, "\(analogField).configurationData")
        }
        // Output protection levels: the values PlayReady's compliance rules define for each output.
        let levels: [(String, Int32?, Set<Int32>)] = [
            ("compressedDigitalVideoOpl", right.compressedDigitalVideoOpl, [400, 500]),
            ("uncompressedDigitalVideoOpl", right.uncompressedDigitalVideoOpl, [100, 250, 270, 300]),
            ("analogVideoOpl", right.analogVideoOpl, [100, 150, 200]),
            ("compressedDigitalAudioOpl", right.compressedDigitalAudioOpl, [100, 150, 200, 250, 300]),
            ("uncompressedDigitalAudioOpl", right.uncompressedDigitalAudioOpl, [100, 150, 200, 250, 300]),
        ]
        for (name, value, allowed) in levels {
            guard let value, !allowed.contains(value) else { continue }
            throw .badRequest("'\(field).\(name)' must be one of \(allowed.sorted().map(String.init).joined(separator: ", ")); got \(value).",
                              target: "\(field).\(name)")
        }
    }

    static func validate(_ fairPlay: ContentKeyPolicyFairPlayConfiguration, field: String) throws(ARMError) {
        let ask = try ResourceValidation.require(fairPlay.ask, "\(field).ask")
        guard let askBytes = Data(base64Encoded: ask), askBytes.count == 16 else {
            throw .badRequest("'\(field).ask' must be the FairPlay Application Secret Key: 16 bytes, base64-encoded.", target: "\(field).ask")
        }
        _ = try ResourceValidation.require(fairPlay.fairPlayPfxPassword, "\(field).fairPlayPfxPassword")
        let pfx = try ResourceValidation.require(fairPlay.fairPlayPfx, "\(field).fairPlayPfx")
        guard let pfxBytes = Data(base64Encoded: pfx), DER.looksLikePKCS12(Array(pfxBytes)) else {
            throw .badRequest("'\(field).fairPlayPfx' must be the FairPlay certificate with its private key as a base64-encoded PKCS#12 (.pfx) file; it is not one.",
                              target: "\(field).fairPlayPfx")
        }
        let keyType = try ResourceValidation.require(fairPlay.rentalAndLeaseKeyType, "\(field).rentalAndLeaseKeyType")
        try refuseUnknown(keyType == .unknown, "\(field).rentalAndLeaseKeyType", allowed: "Undefined, DualExpiry, PersistentUnlimited, PersistentLimited")
        let rental = try ResourceValidation.require(fairPlay.rentalDuration, "\(field).rentalDuration")
        guard rental >= 0 else {
            throw .badRequest("'\(field).rentalDuration' must not be negative; got \(rental).", target: "\(field).rentalDuration")
        }
        if keyType == .dualExpiry {
            _ = try ResourceValidation.require(fairPlay.offlineRentalConfiguration, "\(field).offlineRentalConfiguration")
        }
        if let offline = fairPlay.offlineRentalConfiguration {
            for (name, value) in [("playbackDurationSeconds", offline.playbackDurationSeconds), ("storageDurationSeconds", offline.storageDurationSeconds)] {
                let seconds = try ResourceValidation.require(value, "\(field).offlineRentalConfiguration.\(name)")
                guard seconds >= 0 else {
                    throw .badRequest("'\(field).offlineRentalConfiguration.\(name)' must not be negative; got \(seconds).",
                                      target: "\(field).offlineRentalConfiguration.\(name)")
                }
            }
        }
    }

    // MARK: - Restrictions

    static func validate(_ restriction: ContentKeyPolicyRestriction, field: String) throws(ARMError) {
        switch restriction {
        case .open:
            return
        case .unknown:
            throw .badRequest("'\(field)' is '\(ContentKeyPolicyRestriction.unknownType)', which only stands for types a client does not know; use '\(ContentKeyPolicyRestriction.openType)' or '\(ContentKeyPolicyRestriction.tokenType)'.",
                              target: "\(field).@odata.type")
        case .token(let token):
            try validate(token, field: field)
        }
    }

    static func validate(_ token: ContentKeyPolicyTokenRestriction, field: String) throws(ARMError) {
        let tokenType = try ResourceValidation.require(token.restrictionTokenType, "\(field).restrictionTokenType")
        switch tokenType {
        case .jwt: break
        case .swt:
            throw .badRequest("'\(field).restrictionTokenType' is 'Swt': Simple Web Tokens are not accepted by this box's key delivery (they were retired with ACS); issue JWTs and set 'Jwt'.",
                              target: "\(field).restrictionTokenType")
        case .unknown:
            throw .badRequest("'\(field).restrictionTokenType' must be 'Jwt'.", target: "\(field).restrictionTokenType")
        }
        for name in ["issuer", "audience"] {
            let value = try ResourceValidation.require(name == "issuer" ? token.issuer : token.audience, "\(field).\(name)")
            guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .badRequest("'\(field).\(name)' must not be empty: tokens are checked against it.", target: "\(field).\(name)")
            }
        }
        if let document = token.openIdConnectDiscoveryDocument {
            let docField = "\(field).openIdConnectDiscoveryDocument"
            guard let url = URL(string: document), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
                  url.host?.isEmpty == false else {
                throw .badRequest("'\(docField)' must be an http(s) URL of an OpenID Connect discovery document (…/.well-known/openid-configuration).",
                                  target: docField)
            }
        }
        if let primary = token.primaryVerificationKey {
            try validate(primary, field: "\(field).primaryVerificationKey")
        } else if token.openIdConnectDiscoveryDocument == nil {
            throw .badRequest("The required field '\(field).primaryVerificationKey' is missing (it may be left out only when 'openIdConnectDiscoveryDocument' supplies the keys).",
                              target: "\(field).primaryVerificationKey")
        }
        for (index, key) in (token.alternateVerificationKeys ?? []).enumerated() {
            try validate(key, field: "\(field).alternateVerificationKeys[\(index)]")
        }
        let claims = token.requiredClaims ?? []
        guard claims.count <= maximumRequiredClaims else {
            throw .badRequest("'\(field).requiredClaims' lists \(claims.count) claims; at most \(maximumRequiredClaims) are allowed.", target: "\(field).requiredClaims")
        }
        for (index, claim) in claims.enumerated() {
            let claimField = "\(field).requiredClaims[\(index)].claimType"
            guard let type = claim.claimType, !type.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .badRequest("'\(claimField)' is required: the name of a claim the token must carry.", target: claimField)
            }
        }
    }

    static func validate(_ key: ContentKeyPolicyRestrictionTokenKey, field: String) throws(ARMError) {
        switch key {
        case .symmetric(let value):
            let text = try ResourceValidation.require(value, "\(field).keyValue")
            guard let bytes = Data(base64Encoded: text), !bytes.isEmpty else {
                let hint = text.isEmpty ? " (reads return it empty: send the key again, or read it with getPolicyPropertiesWithSecrets)" : ""
                throw .badRequest("'\(field).keyValue' must be the HMAC key, base64-encoded and not empty\(hint).", target: "\(field).keyValue")
            }
        case let .rsa(exponent, modulus):
            for (name, value) in [("exponent", exponent), ("modulus", modulus)] {
                let text = try ResourceValidation.require(value, "\(field).\(name)")
                guard let bytes = Data(base64Encoded: text), bytes.contains(where: { $0 != 0 }) else {
                    throw .badRequest("'\(field).\(name)' must be the RSA public key's \(name), base64-encoded big-endian bytes, not zero.", target: "\(field).\(name)")
                }
            }
        case .x509Certificate(let rawBody):
            let text = try ResourceValidation.require(rawBody, "\(field).rawBody")
            guard let bytes = Data(base64Encoded: text), DER.looksLikeCertificate(Array(bytes)) else {
                throw .badRequest("'\(field).rawBody' must be an X.509 certificate, DER bytes base64-encoded (a PEM file without its BEGIN/END lines and line breaks).",
                                  target: "\(field).rawBody")
            }
        }
    }

    private static func refuseUnknown(_ isUnknown: Bool, _ field: String, allowed: String) throws(ARMError) {
        guard isUnknown else { return }
        throw .badRequest("'\(field)' is 'Unknown', which only stands for values a client does not know; use one of \(allowed).", target: field)
    }
}

/// Just enough DER to tell a certificate or a PKCS#12 file from other bytes, without a crypto library: the outer
/// structure and the first fields, not the signature.
enum DER {
    /// One element: its tag and where its content lies; nil when the bytes do not hold one.
    /// `indefinite`: BER's indefinite length, which some PKCS#12 writers use for the outer sequence.
    static func element(_ bytes: [UInt8], at offset: Int) -> (tag: UInt8, content: Range<Int>, indefinite: Bool)? {
        guard offset + 2 <= bytes.count else { return nil }
        let tag = bytes[offset]
        let first = bytes[offset + 1]
        var index = offset + 2
        if first == 0x80 { return (tag, index ..< bytes.count, true) }
        var length = Int(first)
        if first & 0x80 != 0 {
            let count = Int(first & 0x7F)
            guard count >= 1, count <= 4, index + count <= bytes.count else { return nil }
            length = 0
            for byte in bytes[index ..< index + count] { length = length << 8 | Int(byte) }
            index += count
        }
        guard length <= bytes.count - index else { return nil }
        return (tag, index ..< index + length, false)
    }

    /// `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE, signatureValue BIT STRING }`
    /// filling the bytes exactly.
    static func looksLikeCertificate(_ bytes: [UInt8]) -> Bool {
        guard let outer = element(bytes, at: 0), outer.tag == 0x30, !outer.indefinite, outer.content.upperBound == bytes.count,
              let tbs = element(bytes, at: outer.content.lowerBound), tbs.tag == 0x30, !tbs.indefinite,
              let algorithm = element(bytes, at: tbs.content.upperBound), algorithm.tag == 0x30, !algorithm.indefinite,
              let signature = element(bytes, at: algorithm.content.upperBound), signature.tag == 0x03, !signature.indefinite else { return false }
        return signature.content.upperBound == bytes.count
    }

    /// `PFX ::= SEQUENCE { version INTEGER (v3), authSafe ContentInfo, macData MacData OPTIONAL }`.
    static func looksLikePKCS12(_ bytes: [UInt8]) -> Bool {
        guard let outer = element(bytes, at: 0), outer.tag == 0x30, outer.indefinite || outer.content.upperBound == bytes.count,
              let version = element(bytes, at: outer.content.lowerBound), version.tag == 0x02, !version.indefinite,
              version.content.count == 1, bytes[version.content.lowerBound] == 3,
              let authSafe = element(bytes, at: version.content.upperBound), authSafe.tag == 0x30 else { return false }
        return true
    }
}
