// Dynamic encryption's control-plane half: what an encrypting streaming policy must say, which content keys a locator
// needs (one per scheme and label), and the compilation of a locator and its content key policies into what the media
// path reads: a `ProtectionPlan` per locator and a `KeyGrant` per key (spec/ams-live.md §5, §6, §7, §11).
import AMSModels
import Foundation
import Protection

// MARK: - Schemes

extension StreamingEncryptionScheme {
    /// The locator content key type of an encrypting scheme (nil for `noEncryption`).
    var keyType: StreamingLocatorContentKeyType? {
        switch self {
        case .noEncryption: nil
        case .envelopeEncryption: .envelopeEncryption
        case .commonEncryptionCenc: .commonEncryptionCenc
        case .commonEncryptionCbcs: .commonEncryptionCbcs
        }
    }

    /// The label the service gives a default key when the policy names none.
    var defaultKeyLabel: String {
        switch self {
        case .noEncryption: ""
        case .envelopeEncryption: "aesDefaultKey"
        case .commonEncryptionCenc: "cencDefaultKey"
        case .commonEncryptionCbcs: "cbcsDefaultKey"
        }
    }

    /// The media path's name for the scheme.
    var protectionScheme: ProtectionScheme? {
        switch self {
        case .noEncryption: nil
        case .envelopeEncryption: .envelope
        case .commonEncryptionCenc: .cenc
        case .commonEncryptionCbcs: .cbcs
        }
    }

    init(keyType: StreamingLocatorContentKeyType) {
        switch keyType {
        case .envelopeEncryption: self = .envelopeEncryption
        case .commonEncryptionCenc: self = .commonEncryptionCenc
        case .commonEncryptionCbcs: self = .commonEncryptionCbcs
        }
    }
}

/// The parts every encrypting scheme configuration has.
struct EncryptingScheme {
    var scheme: StreamingEncryptionScheme
    var protocols: EnabledProtocols?
    var clearTracks: [TrackSelection]?
    var contentKeys: StreamingPolicyContentKeys?
    /// DRM systems signalled, with their custom URL templates (field name, template) for validation.
    var drm: [DRMSignalling]
    var templates: [(field: String, template: String?)]
}

extension StreamingPolicyProperties {
    /// The encrypting schemes in listPaths order (envelope, CENC, CBCS).
    var encryptingSchemes: [EncryptingScheme] {
        var result: [EncryptingScheme] = []
        if let envelope = envelopeEncryption {
            let template = envelope.customKeyAcquisitionUrlTemplate
            result.append(EncryptingScheme(
                scheme: .envelopeEncryption, protocols: envelope.enabledProtocols, clearTracks: envelope.clearTracks, contentKeys: envelope.contentKeys,
                drm: template.map { [DRMSignalling(system: .clearKey, licenseURLTemplate: $0)] } ?? [],
                templates: [("properties.envelopeEncryption.customKeyAcquisitionUrlTemplate", template)]))
        }
        if let cenc = commonEncryptionCenc {
            let field = "properties.commonEncryptionCenc"
            var drm: [DRMSignalling] = []
            if let playReady = cenc.drm?.playReady {
                drm.append(DRMSignalling(system: .playReady, licenseURLTemplate: playReady.customLicenseAcquisitionUrlTemplate,
                                         customAttributes: playReady.playReadyCustomAttributes))
            }
            if let widevine = cenc.drm?.widevine {
                drm.append(DRMSignalling(system: .widevine, licenseURLTemplate: widevine.customLicenseAcquisitionUrlTemplate))
            }
            if let clearKey = cenc.clearKeyEncryptionConfiguration {
                drm.append(DRMSignalling(system: .clearKey, licenseURLTemplate: clearKey.customKeysAcquisitionUrlTemplate))
            }
            // A CENC configuration naming no system is the service's multi-DRM CENC: PlayReady and Widevine.
            if drm.isEmpty { drm = [DRMSignalling(system: .playReady), DRMSignalling(system: .widevine)] }
            result.append(EncryptingScheme(
                scheme: .commonEncryptionCenc, protocols: cenc.enabledProtocols, clearTracks: cenc.clearTracks, contentKeys: cenc.contentKeys, drm: drm,
                templates: [("\(field).drm.playReady.customLicenseAcquisitionUrlTemplate", cenc.drm?.playReady?.customLicenseAcquisitionUrlTemplate),
                            ("\(field).drm.widevine.customLicenseAcquisitionUrlTemplate", cenc.drm?.widevine?.customLicenseAcquisitionUrlTemplate),
                            ("\(field).clearKeyEncryptionConfiguration.customKeysAcquisitionUrlTemplate",
                             cenc.clearKeyEncryptionConfiguration?.customKeysAcquisitionUrlTemplate)]))
        }
        if let cbcs = commonEncryptionCbcs {
            let field = "properties.commonEncryptionCbcs"
            var drm: [DRMSignalling] = []
            if let fairPlay = cbcs.drm?.fairPlay {
                drm.append(DRMSignalling(system: .fairPlay, licenseURLTemplate: fairPlay.customLicenseAcquisitionUrlTemplate))
            }
            if let playReady = cbcs.drm?.playReady {
                drm.append(DRMSignalling(system: .playReady, licenseURLTemplate: playReady.customLicenseAcquisitionUrlTemplate,
                                         customAttributes: playReady.playReadyCustomAttributes))
            }
            if let widevine = cbcs.drm?.widevine {
                drm.append(DRMSignalling(system: .widevine, licenseURLTemplate: widevine.customLicenseAcquisitionUrlTemplate))
            }
            if let clearKey = cbcs.clearKeyEncryptionConfiguration {
                drm.append(DRMSignalling(system: .clearKey, licenseURLTemplate: clearKey.customKeysAcquisitionUrlTemplate))
            }
            // CBCS naming no system is FairPlay, what the service's CBCS was for.
            if drm.isEmpty { drm = [DRMSignalling(system: .fairPlay)] }
            result.append(EncryptingScheme(
                scheme: .commonEncryptionCbcs, protocols: cbcs.enabledProtocols, clearTracks: cbcs.clearTracks, contentKeys: cbcs.contentKeys, drm: drm,
                templates: [("\(field).drm.fairPlay.customLicenseAcquisitionUrlTemplate", cbcs.drm?.fairPlay?.customLicenseAcquisitionUrlTemplate),
                            ("\(field).drm.playReady.customLicenseAcquisitionUrlTemplate", cbcs.drm?.playReady?.customLicenseAcquisitionUrlTemplate),
                            ("\(field).drm.widevine.customLicenseAcquisitionUrlTemplate", cbcs.drm?.widevine?.customLicenseAcquisitionUrlTemplate),
                            ("\(field).clearKeyEncryptionConfiguration.customKeysAcquisitionUrlTemplate",
                             cbcs.clearKeyEncryptionConfiguration?.customKeysAcquisitionUrlTemplate)]))
        }
        return result
    }

    /// True when the policy encrypts: its locators need content keys and a protection plan.
    var encrypts: Bool { !encryptingSchemes.isEmpty }

    /// Every key a locator with this policy holds: per encrypting scheme its default key, then one per key-to-track mapping.
    var keySlots: [ContentKeySlot] {
        encryptingSchemes.flatMap { scheme -> [ContentKeySlot] in
            guard let type = scheme.scheme.keyType else { return [] }
            let defaultKey = scheme.contentKeys?.defaultKey
            var slots = [ContentKeySlot(type: type, label: defaultKey?.label ?? scheme.scheme.defaultKeyLabel, policyName: defaultKey?.policyName,
                                        tracks: nil)]
            for mapping in scheme.contentKeys?.keyToTrackMappings ?? [] {
                slots.append(ContentKeySlot(type: type, label: mapping.label ?? "", policyName: mapping.policyName, tracks: mapping.tracks ?? []))
            }
            return slots
        }
    }

    /// Every content key policy the policy names (default and per key), for existence and in-use checks.
    var contentKeyPolicyNames: [String] {
        [defaultContentKeyPolicyName].compactMap { $0 } + keySlots.compactMap(\.policyName)
    }
}

/// One content key a locator needs: its scheme (as the key type), the label the policy gives it, the content key policy
/// the policy names for it, and the tracks it encrypts (nil: the default key).
struct ContentKeySlot: Equatable {
    var type: StreamingLocatorContentKeyType
    var label: String
    var policyName: String?
    var tracks: [TrackSelection]?
    var isDefault: Bool { tracks == nil }
}

// MARK: - Streaming policy rules for encryption

extension StreamingPolicy {
    /// The URL template tokens the service substitutes.
    static let templateTokens: Set<String> = ["ContentKeyId", "AlternativeMediaId"]

    /// Encrypting schemes: no download, no clear scheme beside them (the origin serves a protected locator only
    /// encrypted), CBCS on HLS and DASH (`cbcs-aapl`; Smooth Streaming takes CENC), labelled key-to-track
    /// mappings with FourCC conditions, and absolute URL templates that use only the service's tokens.
    static func validateEncryption(_ properties: StreamingPolicyProperties) throws(ARMError) {
        let encrypting = properties.encryptingSchemes
        guard !encrypting.isEmpty else { return }
        if properties.noEncryption != nil {
            throw .badRequest("'properties.noEncryption' cannot be combined with an encrypting scheme: this box serves a protected locator only encrypted. Use two policies and two locators, one clear and one encrypted.",
                              target: "properties.noEncryption")
        }
        for scheme in encrypting {
            let field = "properties.\(scheme.scheme.propertyName)"
            if scheme.protocols?.download == true {
                throw .badRequest("'\(field).enabledProtocols.download' must be false: progressive download cannot be encrypted.", target: "\(field).enabledProtocols.download")
            }
            if scheme.scheme == .commonEncryptionCbcs, scheme.protocols?.smoothStreaming == true {
                throw .badRequest("'\(field)' can be enabled for HLS and DASH, not Smooth Streaming (its clients take CENC); encrypt Smooth Streaming with 'commonEncryptionCenc'.",
                                  target: "\(field).enabledProtocols.smoothStreaming")
            }
            for (index, selection) in (scheme.clearTracks ?? []).enumerated() {
                _ = try fourCCs(selection, field: "\(field).clearTracks[\(index)]")
            }
            var labels: Set<String> = [scheme.contentKeys?.defaultKey?.label ?? scheme.scheme.defaultKeyLabel]
            for (index, mapping) in (scheme.contentKeys?.keyToTrackMappings ?? []).enumerated() {
                let mappingField = "\(field).contentKeys.keyToTrackMappings[\(index)]"
                guard let label = mapping.label, !label.isEmpty else {
                    throw .badRequest("'\(mappingField).label' is required: locators name their keys by label.", target: "\(mappingField).label")
                }
                guard labels.insert(label).inserted else {
                    throw .badRequest("The key label '\(label)' is used twice in '\(field).contentKeys'; give every key its own label.", target: "\(mappingField).label")
                }
                let tracks = mapping.tracks ?? []
                guard !tracks.isEmpty else {
                    throw .badRequest("'\(mappingField).tracks' must select at least one track.", target: "\(mappingField).tracks")
                }
                for (trackIndex, selection) in tracks.enumerated() {
                    _ = try fourCCs(selection, field: "\(mappingField).tracks[\(trackIndex)]")
                }
            }
            for (templateField, template) in scheme.templates {
                if let template { try validateTemplate(template, field: templateField) }
            }
        }
    }

    /// The FourCCs a track selection names; every condition must be `FourCC` `Equal` a value.
    static func fourCCs(_ selection: TrackSelection, field: String) throws(ARMError) -> Set<String> {
        let conditions = selection.trackSelections ?? []
        guard !conditions.isEmpty else {
            throw .badRequest("'\(field).trackSelections' must hold at least one condition such as {\"property\":\"FourCC\",\"operation\":\"Equal\",\"value\":\"avc1\"}.",
                              target: "\(field).trackSelections")
        }
        var values = Set<String>()
        for (index, condition) in conditions.enumerated() {
            let conditionField = "\(field).trackSelections[\(index)]"
            guard condition.property.lowercased() == "fourcc", condition.operation.lowercased() == "equal" else {
                throw .badRequest("'\(conditionField)' must be property 'FourCC' with operation 'Equal' (the only track condition the service defines); got '\(condition.property)' '\(condition.operation)'.",
                                  target: conditionField)
            }
            guard let value = condition.value, !value.isEmpty, value.count <= 4 else {
                throw .badRequest("'\(conditionField).value' must be a FourCC such as avc1, hev1 or mp4a.", target: "\(conditionField).value")
            }
            values.insert(value.lowercased())
        }
        return values
    }

    /// A custom key or license URL template: an absolute URL once `{ContentKeyId}` and `{AlternativeMediaId}` are
    /// substituted, with no other `{…}` token.
    static func validateTemplate(_ template: String, field: String) throws(ARMError) {
        var substituted = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            substituted += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw .badRequest("'\(field)' has a '{' without its '}'.", target: field)
            }
            let token = String(rest[rest.index(after: open) ..< close])
            guard templateTokens.contains(token) else {
                throw .badRequest("'\(field)' uses the token '{\(token)}'; only {ContentKeyId} and {AlternativeMediaId} are substituted.", target: field)
            }
            substituted += "x"
            rest = rest[rest.index(after: close)...]
        }
        substituted += rest
        guard let url = URL(string: substituted), let scheme = url.scheme?.lowercased(), ["http", "https", "skd"].contains(scheme),
              url.host?.isEmpty == false else {
            throw .badRequest("'\(field)' must be an absolute http(s) URL (skd:// for FairPlay), e.g. https://license.example.com/{ContentKeyId}; got '\(template)'.",
                              target: field)
        }
    }
}

// MARK: - Locator keys

enum ContentKeyAssignment {
    /// The locator's keys: one per slot of `policy`, from `supplied` where given (matched by `type` and
    /// `labelReferenceInStreamingPolicy`; a key with neither fills the only slot), generated otherwise (a random
    /// 16-byte value and a new id). Each key carries its type, label, resolved content key policy
    /// (`policyName` of the slot, else `defaultPolicy`) and, for per-track keys, its tracks.
    static func assign(policy: StreamingPolicyProperties, policyName: String, supplied: [StreamingLocatorContentKey], defaultPolicy: String?,
                       newKey: () -> (id: String, value: [UInt8])) throws(ARMError) -> [StreamingLocatorContentKey] {
        let slots = policy.keySlots
        var filled: [StreamingLocatorContentKey?] = Array(repeating: nil, count: slots.count)
        var ids = Set<String>()
        for (index, key) in supplied.enumerated() {
            let field = "properties.contentKeys[\(index)]"
            guard ids.insert(key.id.lowercased()).inserted else {
                throw .badRequest("The content key id '\(key.id)' is given twice; every key needs its own id.", target: "\(field).id")
            }
            if let value = key.value {
                guard let bytes = Data(base64Encoded: value), bytes.count == 16 else {
                    throw .badRequest("'\(field).value' must be a 16-byte AES key, base64-encoded (24 characters ending in '=='); omit it to have one generated.",
                                      target: "\(field).value")
                }
            }
            let candidates = slots.indices.filter { slot in
                filled[slot] == nil
                    && (key.type == nil || slots[slot].type == key.type)
                    && (key.labelReferenceInStreamingPolicy.map { $0 == slots[slot].label } ?? (slots[slot].isDefault || slots.count == 1))
            }
            guard candidates.count == 1, let slot = candidates.first else {
                let offered = slots.map { "'\($0.label)' (\($0.type.rawValue))" }.joined(separator: ", ")
                let reason = candidates.isEmpty ? "matches no key of the streaming policy '\(policyName)', or one already given"
                    : "matches several keys of the streaming policy '\(policyName)'; set 'labelReferenceInStreamingPolicy' or 'type'"
                throw .badRequest("The content key '\(key.id)' \(reason). Its keys: \(offered).", target: field)
            }
            filled[slot] = key
        }
        return slots.enumerated().map { index, slot in
            var key: StreamingLocatorContentKey
            if let given = filled[index] {
                key = given
                key.id = given.id.lowercased()
                if key.value == nil { key.value = Data(newKey().value).base64EncodedString() }
            } else {
                let generated = newKey()
                key = StreamingLocatorContentKey(id: generated.id, value: Data(generated.value).base64EncodedString())
            }
            key.type = slot.type
            key.labelReferenceInStreamingPolicy = slot.label
            key.policyName = slot.policyName ?? defaultPolicy
            key.tracks = slot.tracks ?? []
            return key
        }
    }

    /// A new key from the system's cryptographically secure generator (getrandom on Linux).
    static func randomKey() -> (id: String, value: [UInt8]) {
        var generator = SystemRandomNumberGenerator()
        return (UUID().uuidString.lowercased(), (0 ..< 16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}

// MARK: - Compiling for the media path

enum ProtectionCompiler {
    /// What a locator's policy and keys compile to.
    enum Outcome {
        /// The policy streams in the clear.
        case clear
        case protected(ProtectionPlan)
        /// A key the policy needs is missing or malformed (the database was edited): the locator is not published.
        case broken
    }

    /// A stored key as the media path's `ContentKey`; nil when its id or value is malformed (then the locator is not
    /// published at all rather than served clear).
    static func contentKey(_ key: StreamingLocatorContentKey) -> ContentKey? {
        guard let id = UUID(uuidString: key.id), let text = key.value, let value = Data(base64Encoded: text), value.count == 16 else { return nil }
        return ContentKey(id: id, value: Array(value), label: key.labelReferenceInStreamingPolicy)
    }

    /// The locator's protection: one `SchemeProtection` per encrypting scheme with its protocols, default and per-track keys,
    /// clear tracks and DRM signalling.
    static func plan(policy: StreamingPolicyProperties, keys: [StreamingLocatorContentKey], alternativeMediaId: String?) -> Outcome {
        let encrypting = policy.encryptingSchemes
        guard !encrypting.isEmpty else { return .clear }
        func find(_ type: StreamingLocatorContentKeyType, _ label: String) -> ContentKey? {
            keys.first { $0.type == type && $0.labelReferenceInStreamingPolicy == label }.flatMap(contentKey)
        }
        var schemes: [SchemeProtection] = []
        for scheme in encrypting {
            guard let protection = scheme.scheme.protectionScheme, let type = scheme.scheme.keyType,
                  let defaultKey = find(type, scheme.contentKeys?.defaultKey?.label ?? scheme.scheme.defaultKeyLabel) else { return .broken }
            var trackKeys: [(match: TrackMatch, key: ContentKey)] = []
            for mapping in scheme.contentKeys?.keyToTrackMappings ?? [] {
                guard let key = find(type, mapping.label ?? "") else { return .broken }
                trackKeys.append((trackMatch(mapping.tracks ?? []), key))
            }
            let protocols = scheme.protocols
            var delivery = Set<DeliveryProtocol>()
            if protocols?.hls == true { delivery.insert(.hls) }
            if protocols?.dash == true { delivery.insert(.dash) }
            if protocols?.smoothStreaming == true { delivery.insert(.smoothStreaming) }
            schemes.append(SchemeProtection(scheme: protection, protocols: delivery, defaultKey: defaultKey, trackKeys: trackKeys,
                                            clearTracks: (scheme.clearTracks ?? []).map { trackMatch([$0]) }, drm: scheme.drm))
        }
        return .protected(ProtectionPlan(schemes: schemes, alternativeMediaID: alternativeMediaId))
    }

    /// The FourCCs any of `selections` names (conditions were checked when the policy was created).
    static func trackMatch(_ selections: [TrackSelection]) -> TrackMatch {
        TrackMatch(fourCCs: Set(selections.flatMap { ($0.trackSelections ?? []).compactMap(\.value) }))
    }

    /// A content key policy's options as key delivery checks them; options whose configuration or restriction this box
    /// cannot act on (`Unknown`) are left out, and so are verification keys that do not decode.
    static func options(_ properties: ContentKeyPolicyProperties) -> [KeyAccessOption] {
        (properties.options ?? []).enumerated().compactMap { index, option in
            let configuration: KeyConfiguration
            switch option.configuration {
            case .clearKey: configuration = .clearKey
            case .playReady: configuration = .playReady
            case .widevine: configuration = .widevine
            case .fairPlay: configuration = .fairPlay
            case .unknown, nil: return nil
            }
            let restriction: KeyRestriction
            switch option.restriction {
            case .open: restriction = .open
            case .token(let token): restriction = .token(tokenRestriction(token))
            case .unknown, nil: return nil
            }
            return KeyAccessOption(name: option.name ?? option.policyOptionId ?? "option \(index + 1)", restriction: restriction,
                                   configuration: configuration)
        }
    }

    static func tokenRestriction(_ token: ContentKeyPolicyTokenRestriction) -> TokenRestriction {
        let keys = ([token.primaryVerificationKey].compactMap { $0 } + (token.alternateVerificationKeys ?? [])).compactMap(verificationKey)
        return TokenRestriction(
            issuer: token.issuer ?? "", audience: token.audience ?? "", verificationKeys: keys,
            requiredClaims: (token.requiredClaims ?? []).compactMap { claim in claim.claimType.map { (type: $0, value: claim.claimValue) } },
            tokenType: token.restrictionTokenType == .swt ? .swt : .jwt,
            openIDConnectDiscoveryDocument: token.openIdConnectDiscoveryDocument)
    }

    static func verificationKey(_ key: ContentKeyPolicyRestrictionTokenKey) -> TokenVerificationKey? {
        func bytes(_ text: String?) -> [UInt8]? { text.flatMap { Data(base64Encoded: $0) }.map(Array.init).flatMap { $0.isEmpty ? nil : $0 } }
        switch key {
        case .symmetric(let value): return bytes(value).map(TokenVerificationKey.symmetric)
        case let .rsa(exponent, modulus):
            guard let exponent = bytes(exponent), let modulus = bytes(modulus) else { return nil }
            return .rsa(modulus: modulus, exponent: exponent)
        case .x509Certificate(let rawBody): return bytes(rawBody).map { .x509(der: $0) }
        }
    }
}
