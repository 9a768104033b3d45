// PATCH merging for live events, streaming endpoints and assets: apply the updatable fields a body sets, ignore read-only ones,
// and refuse a create-only field whose value differs (scripts often PATCH back a whole GET result, so equal values must pass).
import AMSModels
import Foundation

/// Helpers shared by the merges.
enum ResourcePatch {
    /// Throws 400 naming `path` when a create-only field is sent with a value other than the stored one.
    static func requireUnchanged<T: Equatable>(_ requested: T?, _ current: T?, _ path: String, kind: ResourceKind,
                                               same: (T, T) -> Bool = { $0 == $1 }) throws(ARMError) {
        guard let requested else { return }
        if let current, same(requested, current) { return }
        throw .badRequest("'\(path)' can only be set when the \(kind.displayName) is created; it cannot be changed by an update. Omit it, send the current value, or delete and recreate the \(kind.displayName).",
                          target: path)
    }

    /// Azure regions compare ignoring case and spaces ("West US" is "westus").
    static func sameLocation(_ a: String, _ b: String) -> Bool {
        a.lowercased().filter { $0 != " " } == b.lowercased().filter { $0 != " " }
    }
}

// MARK: - Live event

extension LiveEvent {
    /// Applies a PATCH body: updatable fields (description, tags, input/preview access control, transcriptions,
    /// crossSiteAccessPolicies, hostnamePrefix, useStaticHostname) replace the stored values when sent; read-only fields are
    /// ignored; create-only fields must equal the stored value (400 naming the field). Returns the merged event and what changed.
    public func merged(with patch: LiveEvent) throws(ARMError) -> (event: LiveEvent, changed: Set<LiveEventField>) {
        var result = self
        var changed: Set<LiveEventField> = []
        try ResourcePatch.requireUnchanged(patch.location, location, "location", kind: .liveEvent, same: ResourcePatch.sameLocation)
        if let tags = patch.tags, tags != (tags.isEmpty ? result.tags ?? [:] : result.tags) {
            result.tags = tags
            changed.insert(.tags)
        }
        guard let requested = patch.properties else { return (result, changed) }
        var properties = result.properties ?? LiveEventProperties()
        let current = properties

        // Create-only fields.
        let input = requested.input, currentInput = current.input
        try ResourcePatch.requireUnchanged(input?.streamingProtocol, currentInput?.streamingProtocol, "properties.input.streamingProtocol", kind: .liveEvent)
        try ResourcePatch.requireUnchanged(input?.keyFrameIntervalDuration.flatMap { $0.isEmpty ? nil : $0 }, currentInput?.keyFrameIntervalDuration,
                                           "properties.input.keyFrameIntervalDuration", kind: .liveEvent) { a, b in
            (try? ISO8601Duration(parsing: a)) == (try? ISO8601Duration(parsing: b))
        }
        try ResourcePatch.requireUnchanged(input?.accessToken, currentInput?.accessToken, "properties.input.accessToken", kind: .liveEvent) { a, b in
            a.lowercased().filter { $0 != "-" } == b.lowercased().filter { $0 != "-" }
        }
        let encoding = requested.encoding, currentEncoding = current.encoding
        // An omitted encoding type means None, so None must compare equal to a stored nil.
        try ResourcePatch.requireUnchanged(encoding?.encodingType, currentEncoding?.encodingType ?? LiveEventEncodingType.none,
                                           "properties.encoding.encodingType", kind: .liveEvent)
        try ResourcePatch.requireUnchanged(encoding?.presetName, currentEncoding?.presetName, "properties.encoding.presetName", kind: .liveEvent)
        try ResourcePatch.requireUnchanged(encoding?.stretchMode, currentEncoding?.stretchMode ?? StretchMode.none, "properties.encoding.stretchMode", kind: .liveEvent)
        try ResourcePatch.requireUnchanged(encoding?.keyFrameInterval, currentEncoding?.keyFrameInterval, "properties.encoding.keyFrameInterval", kind: .liveEvent) { a, b in
            (try? ISO8601Duration(parsing: a)) == (try? ISO8601Duration(parsing: b))
        }
        let preview = requested.preview, currentPreview = current.preview
        try ResourcePatch.requireUnchanged(preview?.previewLocator, currentPreview?.previewLocator, "properties.preview.previewLocator", kind: .liveEvent) {
            $0.lowercased() == $1.lowercased()
        }
        try ResourcePatch.requireUnchanged(preview?.streamingPolicyName, currentPreview?.streamingPolicyName, "properties.preview.streamingPolicyName", kind: .liveEvent)
        try ResourcePatch.requireUnchanged(preview?.alternativeMediaId, currentPreview?.alternativeMediaId, "properties.preview.alternativeMediaId", kind: .liveEvent)
        // The service echoes [] on create and ["Default"] later: both mean default latency.
        func normalised(_ options: [StreamOptionsFlag]) -> Set<StreamOptionsFlag> { options.isEmpty ? [.default] : Set(options) }
        try ResourcePatch.requireUnchanged(requested.streamOptions.map(normalised), normalised(current.streamOptions ?? []),
                                           "properties.streamOptions", kind: .liveEvent)

        // Updatable fields.
        if let description = requested.description, description != current.description {
            properties.description = description
            changed.insert(.description)
        }
        if let control = input?.accessControl {
            try ResourceValidation.validateIPRanges(control.ip?.allow, field: "properties.input.accessControl.ip.allow")
            if control != currentInput?.accessControl {
                properties.input = (properties.input ?? LiveEventInput())
                properties.input?.accessControl = control
                changed.insert(.inputAccessControl)
            }
        }
        if let control = preview?.accessControl {
            try ResourceValidation.validateIPRanges(control.ip?.allow, field: "properties.preview.accessControl.ip.allow")
            if control != currentPreview?.accessControl {
                properties.preview = (properties.preview ?? LiveEventPreview())
                properties.preview?.accessControl = control
                changed.insert(.previewAccessControl)
            }
        }
        if let transcriptions = requested.transcriptions, transcriptions != (current.transcriptions ?? []) {
            properties.transcriptions = transcriptions
            changed.insert(.transcriptions)
        }
        if let policies = requested.crossSiteAccessPolicies, policies != current.crossSiteAccessPolicies {
            properties.crossSiteAccessPolicies = policies
            changed.insert(.crossSiteAccessPolicies)
        }
        if let flag = requested.useStaticHostname, flag != (current.useStaticHostname ?? false) {
            properties.useStaticHostname = flag
            changed.insert(.useStaticHostname)
        }
        if let prefix = requested.hostnamePrefix, prefix != current.hostnamePrefix {
            let valid = !prefix.isEmpty && prefix.count <= 63 && prefix.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
                && prefix.first != "-" && prefix.last != "-"
            guard valid else {
                throw .badRequest("'properties.hostnamePrefix' must be a DNS label: 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen; got '\(prefix)'.",
                                  target: "properties.hostnamePrefix")
            }
            properties.hostnamePrefix = prefix
            changed.insert(.hostnamePrefix)
        }
        result.properties = properties
        return (result, changed)
    }
}

// MARK: - Streaming endpoint

extension StreamingEndpoint {
    /// Applies a PATCH body: description, tags, accessControl, maxCacheAge, customHostNames, cdnEnabled/Provider/Profile,
    /// crossSiteAccessPolicies and scaleUnits replace the stored values when sent; `location` and `availabilitySetName` are
    /// create-only; read-only fields (sku, hostName, states, times) are ignored. A changed `scaleUnits` is reported so the
    /// caller runs it as a scale.
    public func merged(with patch: StreamingEndpoint) throws(ARMError) -> (endpoint: StreamingEndpoint, changed: Set<StreamingEndpointField>) {
        var result = self
        var changed: Set<StreamingEndpointField> = []
        try ResourcePatch.requireUnchanged(patch.location, location, "location", kind: .streamingEndpoint, same: ResourcePatch.sameLocation)
        if let tags = patch.tags, tags != (tags.isEmpty ? result.tags ?? [:] : result.tags) {
            result.tags = tags
            changed.insert(.tags)
        }
        guard let requested = patch.properties else { return (result, changed) }
        var properties = result.properties ?? StreamingEndpointProperties()
        let current = properties
        try ResourcePatch.requireUnchanged(requested.availabilitySetName, current.availabilitySetName, "properties.availabilitySetName", kind: .streamingEndpoint)

        func apply<T: Equatable>(_ value: T?, _ keyPath: WritableKeyPath<StreamingEndpointProperties, T?>, _ field: StreamingEndpointField) {
            guard let value, value != current[keyPath: keyPath] else { return }
            properties[keyPath: keyPath] = value
            changed.insert(field)
        }
        if let units = requested.scaleUnits, units < 0 {
            throw .badRequest("'properties.scaleUnits' must be 0 (Standard) or more (Premium); got \(units).", target: "properties.scaleUnits")
        }
        if let age = requested.maxCacheAge, age < 0 {
            throw .badRequest("'properties.maxCacheAge' must not be negative; got \(age).", target: "properties.maxCacheAge")
        }
        if let control = requested.accessControl {
            try ResourceValidation.validateIPRanges(control.ip?.allow, field: "properties.accessControl.ip.allow")
        }
        apply(requested.description, \.description, .description)
        apply(requested.scaleUnits, \.scaleUnits, .scaleUnits)
        apply(requested.accessControl, \.accessControl, .accessControl)
        apply(requested.maxCacheAge, \.maxCacheAge, .maxCacheAge)
        apply(requested.customHostNames, \.customHostNames, .customHostNames)
        apply(requested.cdnEnabled, \.cdnEnabled, .cdnEnabled)
        apply(requested.cdnProvider, \.cdnProvider, .cdnProvider)
        apply(requested.cdnProfile, \.cdnProfile, .cdnProfile)
        apply(requested.crossSiteAccessPolicies, \.crossSiteAccessPolicies, .crossSiteAccessPolicies)
        result.properties = properties
        return (result, changed)
    }
}

// MARK: - Asset

extension Asset {
    /// Applies a PATCH (or a PUT over an existing asset): `description` and `alternateId` are updatable; `container`,
    /// `storageAccountName` and `encryptionScope` are create-only; read-only fields are ignored. Returns whether anything changed.
    public func merged(with patch: Asset) throws(ARMError) -> (asset: Asset, changed: Bool) {
        var result = self
        guard let requested = patch.properties else { return (result, false) }
        var properties = result.properties ?? AssetProperties()
        let current = properties
        try ResourcePatch.requireUnchanged(requested.container, current.container, "properties.container", kind: .asset)
        try ResourcePatch.requireUnchanged(requested.storageAccountName, current.storageAccountName, "properties.storageAccountName", kind: .asset) {
            $0.lowercased() == $1.lowercased()
        }
        try ResourcePatch.requireUnchanged(requested.encryptionScope, current.encryptionScope, "properties.encryptionScope", kind: .asset)
        var changed = false
        if let description = requested.description, description != current.description {
            properties.description = description
            changed = true
        }
        if let alternateId = requested.alternateId, alternateId != current.alternateId {
            properties.alternateId = alternateId
            changed = true
        }
        result.properties = properties
        return (result, changed)
    }
}
