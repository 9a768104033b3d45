// Request validation mirroring the swagger constraints and documented value ranges; each failure is an ARMError a user can act on.
import AMSModels
import Foundation

/// Validation of names and request bodies before the service acts on them.
public enum ResourceValidation {
    /// Characters the docs forbid in Metadata resource names (assets, locators, policies, filters).
    static let forbiddenNameCharacters: Set<Character> = ["<", ">", "%", "&", ":", "\\", "?", "/", "*", "+", ".", "'"]

    /// Checks `name` against the naming rule of `kind`; throws 400 `InvalidResourceName`.
    public static func validateName(_ name: String, for kind: ResourceKind) throws(ARMError) {
        let limit = kind.maxNameLength
        if kind.usesAlphanumericHyphenNames {
            func isAlphanumeric(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }
            let valid = !name.isEmpty && name.count <= limit
                && name.allSatisfy { isAlphanumeric($0) || $0 == "-" }
                && name.first.map(isAlphanumeric) == true && name.last.map(isAlphanumeric) == true
            guard valid else {
                throw .invalidResourceName(
                    "The \(kind.displayName) name '\(name)' is invalid: it must be 1 to \(limit) characters of letters, digits and hyphens, starting and ending with a letter or digit (pattern ^[a-zA-Z0-9]+(-*[a-zA-Z0-9])*$).",
                    target: "\(kind.rawValue)Name")
            }
        } else {
            let bad = name.first { forbiddenNameCharacters.contains($0) || $0.unicodeScalars.contains { $0.properties.generalCategory == .control } }
            guard !name.isEmpty, name.count <= limit, bad == nil else {
                let reason = bad.map { "it contains the character '\($0)'" } ?? "it must be 1 to \(limit) characters long"
                throw .invalidResourceName(
                    "The \(kind.displayName) name '\(name)' is invalid: \(reason). Names may not contain < > % & : \\ ? / * + . ' or control characters.",
                    target: "\(kind.rawValue)Name")
            }
        }
    }

    /// Parses an ISO-8601 duration field, throwing 400 `BadRequest` that names `field`.
    public static func duration(_ text: String, field: String) throws(ARMError) -> ISO8601Duration {
        do {
            return try ISO8601Duration(parsing: text)
        } catch {
            throw .badRequest("The value of '\(field)' is invalid: \(error.description)", target: field)
        }
    }

    /// True for a UUID with or without hyphens (the form AMS accepts for access tokens and locator ids).
    public static func isUUID(_ text: String, hyphensOptional: Bool = false) -> Bool {
        let hex = text.filter { $0 != "-" }
        guard hex.count == 32, hex.allSatisfy({ $0.isHexDigit && $0.isASCII }) else { return false }
        if hyphensOptional && !text.contains("-") { return true }
        let groups = text.split(separator: "-", omittingEmptySubsequences: false).map(\.count)
        return groups == [8, 4, 4, 4, 12]
    }

    static func require<T>(_ value: T?, _ field: String) throws(ARMError) -> T {
        guard let value else { throw .badRequest("The required field '\(field)' is missing.", target: field) }
        return value
    }

    /// Checks every IP range of an allow list (address with optional `/prefix`, prefix in range); throws 400 naming the range.
    static func validateIPRanges(_ ranges: [IPRange]?, field: String) throws(ARMError) {
        for (index, range) in (ranges ?? []).enumerated() {
            _ = try IPNetwork(range, field: "\(field)[\(index)]")
        }
    }
}

// MARK: - Live event

extension LiveEvent {
    /// Checks a create (PUT) body: location, input and protocol present, durations in range, settings matching the encoding type.
    public func validateForCreate() throws(ARMError) {
        let location = try ResourceValidation.require(location, "location")
        guard !location.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .badRequest("The field 'location' must not be empty.", target: "location")
        }
        let properties = try ResourceValidation.require(properties, "properties")
        let input = try ResourceValidation.require(properties.input, "properties.input")
        let inputProtocol = try ResourceValidation.require(input.streamingProtocol, "properties.input.streamingProtocol")
        let encodingType = properties.encoding?.encodingType ?? .none

        if let text = input.keyFrameIntervalDuration, !text.isEmpty {
            let field = "properties.input.keyFrameIntervalDuration"
            guard encodingType.isPassthrough else {
                throw .badRequest("'\(field)' can only be set for pass-through live events; leave it empty for encodingType '\(encodingType.rawValue)' and use 'properties.encoding.keyFrameInterval'.", target: field)
            }
            try Self.validateKeyFrameInterval(ResourceValidation.duration(text, field: field), field: field)
        }
        if let token = input.accessToken, !ResourceValidation.isUUID(token, hyphensOptional: true) {
            throw .badRequest("'properties.input.accessToken' must be a UUID (32 hexadecimal digits, hyphens optional); got '\(token)'.", target: "properties.input.accessToken")
        }
        try ResourceValidation.validateIPRanges(input.accessControl?.ip?.allow, field: "properties.input.accessControl.ip.allow")
        try ResourceValidation.validateIPRanges(properties.preview?.accessControl?.ip?.allow, field: "properties.preview.accessControl.ip.allow")
        if let locator = properties.preview?.previewLocator, !ResourceValidation.isUUID(locator) {
            throw .badRequest("'properties.preview.previewLocator' must be a UUID such as 8d4c9b1e-6f0a-4f7e-9a59-0c2f6e1d3b7a; got '\(locator)'.", target: "properties.preview.previewLocator")
        }
        if let encoding = properties.encoding {
            try Self.validateEncoding(encoding, type: encodingType)
        }
        if properties.streamOptions?.contains(.lowLatencyV2) == true {
            guard !encodingType.isPassthrough, inputProtocol == .rtmp else {
                throw .badRequest("The stream option 'LowLatencyV2' is only available for encoding live events (Standard or Premium1080p) with RTMP input.", target: "properties.streamOptions")
            }
        }
        if properties.useStaticHostname == true, let prefix = properties.hostnamePrefix {
            let valid = !prefix.isEmpty && prefix.count <= 63 && prefix.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
                && prefix.first != "-" && prefix.last != "-"
            guard valid else {
                throw .badRequest("'properties.hostnamePrefix' must be a DNS label: 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen; got '\(prefix)'.", target: "properties.hostnamePrefix")
            }
        }
    }

    static func validateKeyFrameInterval(_ value: ISO8601Duration, field: String) throws(ARMError) {
        guard value.seconds >= 0.5, value.seconds <= 20 else {
            throw .badRequest("'\(field)' must be between 0.5 and 20 seconds (e.g. PT2S); got \(value.iso8601).", target: field)
        }
    }

    static func validateEncoding(_ encoding: LiveEventEncoding, type: LiveEventEncodingType) throws(ARMError) {
        if type.isPassthrough {
            if let preset = encoding.presetName, !preset.isEmpty {
                throw .badRequest("'properties.encoding.presetName' is only valid for encoding live events (Standard or Premium1080p), not for '\(type.rawValue)'; got '\(preset)'.", target: "properties.encoding.presetName")
            }
            if let text = encoding.keyFrameInterval, !text.isEmpty {
                throw .badRequest("'properties.encoding.keyFrameInterval' cannot be set for pass-through live events; use 'properties.input.keyFrameIntervalDuration'.", target: "properties.encoding.keyFrameInterval")
            }
            if let mode = encoding.stretchMode, mode != .none {
                throw .badRequest("'properties.encoding.stretchMode' is only valid for encoding live events, not for '\(type.rawValue)'.", target: "properties.encoding.stretchMode")
            }
        } else if let text = encoding.keyFrameInterval, !text.isEmpty {
            let field = "properties.encoding.keyFrameInterval"
            try validateKeyFrameInterval(ResourceValidation.duration(text, field: field), field: field)
        }
    }
}

// MARK: - Live output

extension LiveOutput {
    /// The longest archive window for an event, from the live-event type limits (§2.7 of the spec).
    public static func maximumArchiveWindow(encodingType: LiveEventEncodingType?, streamOptions: [StreamOptionsFlag]?) -> ISO8601Duration {
        if streamOptions?.contains(.lowLatencyV2) == true { return ISO8601Duration(seconds: 6 * 3600) }
        if encodingType == .passthroughBasic { return ISO8601Duration(seconds: 8 * 3600) }
        return ISO8601Duration(seconds: 25 * 3600)
    }

    /// Checks a create (PUT) body; pass the parent event's type and options to apply their tighter archive limits.
    public func validateForCreate(encodingType: LiveEventEncodingType? = nil, streamOptions: [StreamOptionsFlag]? = nil) throws(ARMError) {
        let properties = try ResourceValidation.require(properties, "properties")
        let assetName = try ResourceValidation.require(properties.assetName, "properties.assetName")
        do {
            try ResourceValidation.validateName(assetName, for: .asset)
        } catch {
            throw .badRequest("'properties.assetName' is invalid: \(error.message)", target: "properties.assetName")
        }
        let archiveField = "properties.archiveWindowLength"
        let archive = try ResourceValidation.duration(ResourceValidation.require(properties.archiveWindowLength, archiveField), field: archiveField)
        let maximum = Self.maximumArchiveWindow(encodingType: encodingType, streamOptions: streamOptions)
        guard archive.seconds >= 60, archive.seconds <= maximum.seconds else {
            throw .badRequest("'\(archiveField)' must be between 1 minute (PT1M) and \(maximum.iso8601) for this live event; got \(archive.iso8601).", target: archiveField)
        }
        if let text = properties.rewindWindowLength {
            let rewindField = "properties.rewindWindowLength"
            let rewind = try ResourceValidation.duration(text, field: rewindField)
            guard rewind.seconds >= 60, rewind.seconds <= archive.seconds else {
                throw .badRequest("'\(rewindField)' must be between 1 minute (PT1M) and the archive window (\(archive.iso8601)); got \(rewind.iso8601).", target: rewindField)
            }
        }
        if let manifest = properties.manifestName {
            let bad = manifest.first { ResourceValidation.forbiddenNameCharacters.contains($0) || $0 == " " }
            guard !manifest.isEmpty, manifest.count <= 260, bad == nil else {
                throw .badRequest("'properties.manifestName' must be 1 to 260 characters without spaces or < > % & : \\ ? / * + . '; got '\(manifest)'.", target: "properties.manifestName")
            }
        }
        if let fragments = properties.hls?.fragmentsPerTsSegment, fragments < 1 {
            throw .badRequest("'properties.hls.fragmentsPerTsSegment' must be at least 1; got \(fragments).", target: "properties.hls.fragmentsPerTsSegment")
        }
        if let snap = properties.outputSnapTime, snap < 0 {
            throw .badRequest("'properties.outputSnapTime' must not be negative; got \(snap).", target: "properties.outputSnapTime")
        }
    }
}

// MARK: - Streaming locator

extension StreamingLocator {
    /// Checks a create (PUT) body: asset and policy present, ids well-formed, validity window ordered.
    public func validateForCreate() throws(ARMError) {
        let properties = try ResourceValidation.require(properties, "properties")
        _ = try ResourceValidation.require(properties.assetName, "properties.assetName")
        _ = try ResourceValidation.require(properties.streamingPolicyName, "properties.streamingPolicyName")
        if let id = properties.streamingLocatorId, !ResourceValidation.isUUID(id) {
            throw .badRequest("'properties.streamingLocatorId' must be a UUID; got '\(id)'.", target: "properties.streamingLocatorId")
        }
        if let start = properties.startTime, let end = properties.endTime, end <= start {
            throw .badRequest("'properties.endTime' must be later than 'properties.startTime'.", target: "properties.endTime")
        }
        for (index, key) in (properties.contentKeys ?? []).enumerated() where !ResourceValidation.isUUID(key.id) {
            throw .badRequest("'properties.contentKeys[\(index)].id' must be a UUID; got '\(key.id)'.", target: "properties.contentKeys[\(index)].id")
        }
    }
}

// MARK: - Streaming endpoint

extension StreamingEndpoint {
    /// Checks a create (PUT) body: location and a non-negative scale unit count present.
    public func validateForCreate() throws(ARMError) {
        _ = try ResourceValidation.require(location, "location")
        let properties = try ResourceValidation.require(properties, "properties")
        let units = try ResourceValidation.require(properties.scaleUnits, "properties.scaleUnits")
        guard units >= 0 else {
            throw .badRequest("'properties.scaleUnits' must be 0 (Standard) or more (Premium); got \(units).", target: "properties.scaleUnits")
        }
        if let age = properties.maxCacheAge, age < 0 {
            throw .badRequest("'properties.maxCacheAge' must not be negative; got \(age).", target: "properties.maxCacheAge")
        }
        try ResourceValidation.validateIPRanges(properties.accessControl?.ip?.allow, field: "properties.accessControl.ip.allow")
    }
}

extension StreamingPolicy {
    /// Checks a create (PUT) body named `name`. Throws 400 `InvalidResourceName` for a bad or reserved name, 400 `BadRequest`
    /// for an empty or contradictory configuration (see `validateEncryption` for the encrypting schemes). Whether the content
    /// key policies it names exist is the service's check.
    public func validateForCreate(name: String) throws(ARMError) {
        try ResourceValidation.validateName(name, for: .streamingPolicy)
        guard !name.lowercased().hasPrefix(Self.predefinedPrefix.lowercased()) else {
            throw .invalidResourceName("The streaming policy name '\(name)' is reserved: names starting with '\(Self.predefinedPrefix)' belong to the built-in policies; choose another name.",
                                       target: "streamingPolicyName")
        }
        try Self.validate(ResourceValidation.require(properties, "properties"))
    }

    /// The rules every policy keeps, the built-ins included.
    static func validate(_ properties: StreamingPolicyProperties) throws(ARMError) {
        let schemes = properties.schemes
        guard !schemes.isEmpty else {
            throw .badRequest("The streaming policy must configure at least one of 'properties.noEncryption', 'properties.envelopeEncryption', 'properties.commonEncryptionCenc' or 'properties.commonEncryptionCbcs'.",
                              target: "properties")
        }
        var owner: [StreamingPolicyStreamingProtocol: StreamingEncryptionScheme] = [:]
        for (scheme, protocols) in schemes {
            let field = "properties.\(scheme.propertyName).enabledProtocols"
            let protocols = try ResourceValidation.require(protocols, field)
            var enabled = protocols.streamingProtocols
            if protocols.download { enabled.append(.download) }
            guard !enabled.isEmpty else {
                throw .badRequest("'\(field)' enables no protocol; set at least one of download, dash, hls, smoothStreaming to true.", target: field)
            }
            // One scheme per protocol: a player asking for the protocol must get one unambiguous encryption.
            for proto in enabled {
                if let other = owner[proto] {
                    throw .badRequest("The protocol '\(proto.rawValue)' is enabled in both '\(other.propertyName)' and '\(scheme.propertyName)'; enable each protocol in one scheme only.",
                                      target: field)
                }
                owner[proto] = scheme
            }
        }
        try validateEncryption(properties)
    }
}
