import Media

/// One parsed ISO BMFF box (ISO/IEC 14496-12 §4.2): its type, where it lies in the parsed buffer, its payload
/// (sharing storage with the input) and, for container boxes, its children.
public struct Box: Sendable {
    /// Four-character type (`moof`, `trun`, …); bytes outside ASCII map to Latin-1 characters.
    public var type: String
    /// For `uuid` boxes, the 16-byte extended type.
    public var userType: [UInt8]?
    /// The whole box (header included), as indices into the parsed buffer.
    public var range: Range<Int>
    /// The bytes after the header (and after the extended type of `uuid` boxes).
    public var payload: ArraySlice<UInt8>
    /// Child boxes of known containers; empty for leaf boxes.
    public var children: [Box]

    public var size: Int { range.count }

    // MARK: - Parsing

    /// Containers whose payload is a plain sequence of boxes.
    static let plainContainers: Set<String> = [
        "moov", "trak", "mdia", "minf", "stbl", "dinf", "mvex", "moof", "traf", "edts", "mfra", "udta",
        "sinf", "schi", "tref",
    ]
    /// Sample entries: fixed fields (ISO/IEC 14496-12 §12.1.3, §12.2.3) before their child boxes.
    static let sampleEntryHeaderSizes: [String: Int] = [
        "avc1": 78, "avc3": 78, "hvc1": 78, "hev1": 78, "encv": 78, "mp4a": 28, "enca": 28,
    ]
    /// Deep enough for any real file; a bound keeps hostile nesting from exhausting the stack.
    static let maximumDepth = 16

    /// Parses every top-level box in `bytes`; container children are parsed too.
    public static func parseAll(_ bytes: [UInt8]) throws(MediaParseError) -> [Box] {
        try parseAll(bytes[...])
    }

    /// Parses every top-level box in a slice (indices in the result refer to the slice's base array).
    public static func parseAll(_ bytes: ArraySlice<UInt8>) throws(MediaParseError) -> [Box] {
        try parseSequence(bytes, depth: 0)
    }

    static func parseSequence(_ bytes: ArraySlice<UInt8>, depth: Int) throws(MediaParseError) -> [Box] {
        guard depth < maximumDepth else { throw .invalid("boxes nested deeper than \(maximumDepth) levels") }
        var reader = ByteReader(bytes)
        var boxes: [Box] = []
        while !reader.isAtEnd {
            boxes.append(try parseOne(&reader, depth: depth))
        }
        return boxes
    }

    /// Reads one box header and payload from `reader`.
    static func parseOne(_ reader: inout ByteReader, depth: Int) throws(MediaParseError) -> Box {
        let start = reader.position
        let available = reader.remaining
        let size32 = try reader.readUInt32()
        let typeBytes = try reader.readBytes(4)
        let type = String(typeBytes.map { Character(Unicode.Scalar($0)) })
        var headerSize = 8
        let size: Int
        switch size32 {
        case 0:
            size = available  // the box extends to the end of its container
        case 1:
            let large = try reader.readUInt64()
            headerSize = 16
            guard large <= UInt64(Int.max) else { throw .invalid("box '\(type)' largesize \(large) is absurd") }
            size = Int(large)
        default:
            size = Int(size32)
        }
        guard size >= headerSize else {
            throw .invalid("box '\(type)' declares size \(size), smaller than its \(headerSize)-byte header")
        }
        guard size <= available else {
            throw .truncated(context: "box '\(type)'", needed: size, available: available)
        }
        var userType: [UInt8]? = nil
        if type == "uuid" {
            guard size >= headerSize + 16 else { throw .invalid("uuid box of \(size) bytes has no room for its extended type") }
            userType = Array(try reader.readBytes(16))
            headerSize += 16
        }
        let payload = try reader.readBytes(size - headerSize)
        var box = Box(type: type, userType: userType, range: start..<(start + size), payload: payload, children: [])
        box.children = try box.parseChildren(depth: depth + 1)
        return box
    }

    private func parseChildren(depth: Int) throws(MediaParseError) -> [Box] {
        if Self.plainContainers.contains(type) {
            return try Self.parseSequence(payload, depth: depth)
        }
        var skip: Int
        switch type {
        case "stsd", "dref":
            skip = 8  // version, flags, entry_count
        case "meta":
            skip = 4  // version, flags
        default:
            guard let header = Self.sampleEntryHeaderSizes[type] else { return [] }
            skip = header
        }
        guard payload.count >= skip else {
            throw .truncated(context: "'\(type)' header", needed: skip, available: payload.count)
        }
        return try Self.parseSequence(payload.dropFirst(skip), depth: depth)
    }

    // MARK: - Navigation

    /// The first descendant along a `/`-separated path of types, e.g. `traf/tfdt` from a `moof`.
    public func first(path: String) -> Box? {
        children.first(path: path)
    }

    /// Direct children of one type.
    public func children(ofType type: String) -> [Box] {
        children.filter { $0.type == type }
    }

    /// Version and flags of a full box, and the payload after them.
    public func fullBoxHeader() throws(MediaParseError) -> (version: UInt8, flags: UInt32, body: ArraySlice<UInt8>) {
        var reader = ByteReader(payload)
        let word = try reader.readUInt32()
        return (UInt8(word >> 24), word & 0x00FF_FFFF, reader.readRemaining())
    }

    func expect(_ expected: String) throws(MediaParseError) {
        guard type == expected else { throw .invalid("expected a '\(expected)' box, found '\(type)'") }
    }
}

extension Array where Element == Box {
    /// The first box along a `/`-separated path of types, e.g. `moof/traf/tfdt` from top-level boxes.
    public func first(path: String) -> Box? {
        var level: [Box] = self
        var found: Box? = nil
        for component in path.split(separator: "/") {
            guard let next = level.first(where: { $0.type == component }) else { return nil }
            found = next
            level = next.children
        }
        return found
    }
}
