/// Why the encode worker cannot go on: the thing, the reason and what to do. Only situations no later input can
/// repair are errors (a missing codec, a device that will not open); bad input is logged and skipped instead.
public struct EncodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure; more may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidJob, codecMissing, codecOpenFailed, deviceUnavailable, filterGraphFailed, outOfMemory
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The job's values cannot be encoded (no rungs, a keyframe interval of 0, …).
        public static let invalidJob = Code(.invalidJob)
        /// This libavcodec has no such encoder or decoder.
        public static let codecMissing = Code(.codecMissing)
        /// The codec refused its settings.
        public static let codecOpenFailed = Code(.codecOpenFailed)
        /// The VAAPI render node cannot be opened.
        public static let deviceUnavailable = Code(.deviceUnavailable)
        /// The scaling filter graph (VAAPI path) cannot be built.
        public static let filterGraphFailed = Code(.filterGraphFailed)
        /// An allocation failed.
        public static let outOfMemory = Code(.outOfMemory)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    static func outOfMemory(_ what: String) -> EncodeError {
        EncodeError(.outOfMemory, "encode worker: cannot allocate \(what); the machine is out of memory, free some or give the worker more")
    }
}
