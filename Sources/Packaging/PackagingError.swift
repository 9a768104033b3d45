// Why a segment could not be packaged in the format asked for.

/// A track or a stored fragment that cannot be packaged as requested; `message` names the thing and the reason.
public struct PackagingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is. A struct over a private enum so new codes can be added without breaking switches.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unsupportedCodec, invalidMedia, invalidRequest
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The output format cannot carry the track's codec (e.g. an AAC object type ADTS has no profile for).
        public static let unsupportedCodec = Code(.unsupportedCodec)
        /// A stored sample or configuration is malformed (a NAL length past the sample's end, an empty fragment).
        public static let invalidMedia = Code(.invalidMedia)
        /// A request parameter (an LL-HLS `_HLS_…` directive) is malformed.
        public static let invalidRequest = Code(.invalidRequest)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// A sentence naming the track or fragment, the reason, and what to do.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
