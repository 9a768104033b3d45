// Why an origin path could not be understood, with the HTTP status the origin should answer.

/// A streaming URL path the origin cannot serve; `message` names the offending part and the reason.
public struct OriginRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is. A struct over a private enum so new codes can be added without breaking switches.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case notAStreamingPath, unknownResource, malformedPath, unsupportedFormat, invalidOption
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The path does not have the `/<locatorId>/<manifestName>.ism/…` shape at all.
        public static let notAStreamingPath = Code(.notAStreamingPath)
        /// The part after `.ism/` is not `manifest`, `QualityLevels(…)/Manifest|Fragments|KeyFrames(…)`.
        public static let unknownResource = Code(.unknownResource)
        /// A recognised resource with broken syntax: bad bitrate, bad time, bad percent-encoding, missing `)`.
        public static let malformedPath = Code(.malformedPath)
        /// `format=` names no supported output.
        public static let unsupportedFormat = Code(.unsupportedFormat)
        /// An option that is unknown, repeated, has a bad value, or does not fit the resource.
        public static let invalidOption = Code(.invalidOption)

        public var description: String { base.rawValue }
    }

    /// The kind of problem.
    public let code: Code
    /// A sentence a user can act on: the offending part of the path and what is expected instead.
    public let message: String

    /// Creates an error; `message` should name the offending part and the reason.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The HTTP status to answer with: 404 when the path names nothing the origin serves, 400 when it is malformed.
    public var status: Int {
        code == .notAStreamingPath || code == .unknownResource ? 404 : 400
    }

    public var description: String { message }
}
