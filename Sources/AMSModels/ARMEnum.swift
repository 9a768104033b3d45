// String enums of the swagger: case-insensitive on input, canonical on output, and a decoding error that lists allowed values.

/// A swagger string enum whose decoding rejects unknown values with the list of allowed ones.
public protocol ARMEnum: RawRepresentable, CaseIterable, Codable, Sendable, Hashable where RawValue == String {}

extension ARMEnum {
    /// Looks `text` up ignoring case (ARM treats enum values case-insensitively).
    public init?(caseInsensitive text: String) {
        let lowered = text.lowercased()
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == lowered }) else { return nil }
        self = match
    }

    /// The allowed values, comma-separated, for error messages.
    public static var allowedValues: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(caseInsensitive: text) else {
            let field = decoder.codingPath.last(where: { $0.intValue == nil })?.stringValue ?? "\(Self.self)"
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "'\(text)' is not a valid value for \(field); allowed values are: \(Self.allowedValues)")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

// MARK: - Live event

/// `LiveEventEncodingType`: pass-through or cloud-encoding live event.
public enum LiveEventEncodingType: String, ARMEnum {
    case none = "None", standard = "Standard", premium1080p = "Premium1080p"
    case passthroughBasic = "PassthroughBasic", passthroughStandard = "PassthroughStandard"

    /// True for the pass-through types (`None` is a deprecated alias of `PassthroughStandard`).
    public var isPassthrough: Bool { self == .none || self == .passthroughBasic || self == .passthroughStandard }
}

/// `LiveEventInputProtocol`: how the contribution encoder sends the stream.
public enum LiveEventInputProtocol: String, ARMEnum {
    case fragmentedMP4 = "FragmentedMP4", rtmp = "RTMP"
}

/// `LiveEventResourceState`, plus `Creating`, which the service returns while a create runs though the swagger omits it.
public enum LiveEventResourceState: String, ARMEnum {
    case stopped = "Stopped", allocating = "Allocating", standBy = "StandBy", starting = "Starting"
    case running = "Running", stopping = "Stopping", deleting = "Deleting"
    case creating = "Creating"
}

/// `StreamOptionsFlag`: latency mode of a live event.
public enum StreamOptionsFlag: String, ARMEnum {
    case `default` = "Default", lowLatency = "LowLatency", lowLatencyV2 = "LowLatencyV2"
}

/// `StretchMode`: how an encoding live event fits the input into the preset resolution.
public enum StretchMode: String, ARMEnum {
    case none = "None", autoSize = "AutoSize", autoFit = "AutoFit"
}

// MARK: - Live output

/// `LiveOutputResourceState`, plus `Stopped`, which a swagger example returns though the enum omits it.
public enum LiveOutputResourceState: String, ARMEnum {
    case creating = "Creating", running = "Running", deleting = "Deleting"
    case stopped = "Stopped"
}

// MARK: - Streaming endpoint

/// `StreamingEndpointResourceState`, plus `Creating`, seen in service responses.
public enum StreamingEndpointResourceState: String, ARMEnum {
    case stopped = "Stopped", starting = "Starting", running = "Running", stopping = "Stopping"
    case deleting = "Deleting", scaling = "Scaling"
    case creating = "Creating"
}

// MARK: - Metadata resources

/// `AssetStorageEncryptionFormat`.
public enum AssetStorageEncryptionFormat: String, ARMEnum {
    case none = "None", mediaStorageClientEncryption = "MediaStorageClientEncryption"
}

/// `StreamingLocatorContentKeyType`.
public enum StreamingLocatorContentKeyType: String, ARMEnum {
    case commonEncryptionCenc = "CommonEncryptionCenc", commonEncryptionCbcs = "CommonEncryptionCbcs", envelopeEncryption = "EnvelopeEncryption"
}

/// `createdByType` of `systemData`.
public enum CreatedByType: String, ARMEnum {
    case user = "User", application = "Application", managedIdentity = "ManagedIdentity", key = "Key"
}
