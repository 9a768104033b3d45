// The `api-version` values edgelive answers: the GA versions of the Streaming and Metadata swaggers (spec §0).

/// Validation of the required `api-version` query parameter.
public enum APIVersion {
    /// Every GA version; 2022-08-01 is what azure-mgmt-media 10.2 sends, 2022-11-01/2023-01-01 are the newest swaggers.
    public static let supported: [String] = [
        "2018-07-01", "2020-05-01", "2021-06-01", "2021-11-01", "2022-08-01", "2022-11-01", "2023-01-01",
    ]

    /// Returns the version when it is supported; throws `MissingApiVersionParameter` or `InvalidApiVersionParameter`.
    @discardableResult
    public static func validate(_ value: String?) throws(ARMError) -> String {
        guard let value, !value.isEmpty else { throw .missingApiVersion(supported: supported) }
        guard supported.contains(value) else { throw .invalidApiVersion(value, supported: supported) }
        return value
    }
}
