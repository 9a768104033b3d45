import Media

/// Why common encryption could not protect an init segment or a fragment: the stored bytes are not the CMAF this
/// project writes (or any CMAF packager writes), or a codec has no defined subsample rule. Each message names the box
/// or sample, the reason and what to do; the origin answers such a request with a 500 and logs the message.
public struct CommonEncryptionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }

    static func parse(_ error: MediaParseError, in what: String) -> Self {
        Self("\(what) could not be parsed (\(error)); the stored CMAF is damaged: re-record or re-ingest it")
    }
}
