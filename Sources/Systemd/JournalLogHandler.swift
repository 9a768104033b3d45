// Structured logging to journald (sd_journal_sendv), used only when stderr already goes to the journal.
import CSystemd
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A swift-log handler writing one journal entry per message, metadata as `EDGELIVE_*` fields, so
/// `journalctl EDGELIVE_EVENT=news EDGELIVE_COMPONENT=rtmp` finds a channel's lines.
public struct JournalLogHandler: LogHandler {
    /// The logger label, sent as `EDGELIVE_LOGGER`.
    public let label: String
    /// `SYSLOG_IDENTIFIER=` (what `journalctl -t` filters on).
    public let identifier: String
    /// The minimum level logged.
    public var logLevel: Logger.Level = .info
    /// Metadata attached to every entry from this handler.
    public var metadata: Logger.Metadata = [:]
    /// Adds contextual metadata to every entry.
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler for `label`; `identifier` becomes `SYSLOG_IDENTIFIER`.
    public init(label: String, identifier: String = "edgelive",
                metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.identifier = identifier
        self.metadataProvider = metadataProvider
    }

    /// The handler the appliance bootstraps with: journald under systemd, plain stderr otherwise.
    public static func standard(label: String) -> any LogHandler {
        isStderrJournal() ? JournalLogHandler(label: label) : StreamLogHandler.standardError(label: label)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        merged["logger"] = .string(label)
        let fields = Self.fields(level: event.level, message: event.message.description, metadata: merged,
                                 file: event.file, function: event.function, line: event.line,
                                 identifier: identifier)
        // Nothing useful can be done when journald is unreachable; stderr still reaches it via systemd.
        _ = Self.send(fields)
    }

    // MARK: - Field mapping (pure)

    /// The journal fields ("NAME=value") of one log call, in a stable order.
    public static func fields(level: Logger.Level, message: String, metadata: Logger.Metadata,
                              file: String, function: String, line: UInt, identifier: String) -> [String] {
        var fields = [
            "MESSAGE=" + message,
            "PRIORITY=\(priority(of: level))",
            "SYSLOG_IDENTIFIER=" + identifier,
            "CODE_FILE=" + file,
            "CODE_LINE=\(line)",
            "CODE_FUNC=" + function,
        ]
        var seen: Set<String> = []
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            let field = "\(fieldName(forMetadataKey: key))=\(value)"
            // "event" and "channel" both map to EDGELIVE_EVENT; one copy of an identical value is enough.
            if seen.insert(field).inserted { fields.append(field) }
        }
        return fields
    }

    /// The journal field for a metadata key: `EDGELIVE_` + the key uppercased with every other
    /// character as `_`; "channel" (the live event's name in our log metadata) is `EDGELIVE_EVENT`.
    public static func fieldName(forMetadataKey key: String) -> String {
        if key == "channel" { return "EDGELIVE_EVENT" }
        var name = "EDGELIVE_"
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z": name.unicodeScalars.append(Unicode.Scalar(UInt8(scalar.value - 32)))
            case "A"..."Z", "0"..."9": name.unicodeScalars.append(scalar)
            default: name.unicodeScalars.append("_")
            }
        }
        // journald drops fields whose names exceed 64 characters.
        return String(name.prefix(64))
    }

    /// The syslog priority journald stores for a swift-log level.
    public static func priority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    // MARK: - Sending

    /// Sends one entry; returns 0 or the negative errno libsystemd reports (e.g. no journald running).
    static func send(_ fields: [String]) -> Int32 {
        // One contiguous buffer for every field, so the iovecs can point into it without per-field copies.
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(fields.count)
        for field in fields {
            let start = bytes.count
            bytes.append(contentsOf: field.utf8)
            ranges.append(start..<bytes.count)
        }
        return bytes.withUnsafeMutableBytes { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -EINVAL }
            let vectors = ranges.map { iovec(iov_base: base + $0.lowerBound, iov_len: $0.count) }
            return vectors.withUnsafeBufferPointer { edgelive_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
    }

    // MARK: - Detection

    /// True when stderr is the journal stream systemd set up (`JOURNAL_STREAM` = stderr's device:inode).
    public static func isStderrJournal() -> Bool {
        guard let stream = environmentValue("JOURNAL_STREAM") else { return false }
        var status = stat()
        guard fstat(2, &status) == 0 else { return false }
        return journalStream(stream, matchesDevice: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// True when a `JOURNAL_STREAM` value ("device:inode", decimal) names the given file.
    public static func journalStream(_ value: String, matchesDevice device: UInt64, inode: UInt64) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let streamDevice = UInt64(parts[0]), let streamInode = UInt64(parts[1]) else {
            return false
        }
        return streamDevice == device && streamInode == inode
    }
}
