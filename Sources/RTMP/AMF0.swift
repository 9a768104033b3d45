public import Media

/// AMF0 (Action Message Format, version 0): the encoding of RTMP commands and metadata.
public struct AMF0 {
    /// Objects and arrays nested deeper than this are refused, so hostile input cannot exhaust the stack.
    public static let maxNestingDepth = 32

    enum Marker: UInt8 {
        case number = 0x00, boolean = 0x01, string = 0x02, object = 0x03, movieClip = 0x04, null = 0x05
        case undefined = 0x06, reference = 0x07, ecmaArray = 0x08, objectEnd = 0x09, strictArray = 0x0A
        case date = 0x0B, longString = 0x0C, unsupported = 0x0D, recordSet = 0x0E, xmlDocument = 0x0F
        case typedObject = 0x10, avmPlusObject = 0x11
    }

    // MARK: - Decoding

    /// Decodes one value at the reader's position.
    public static func decode(_ reader: inout ByteReader) throws(RTMPError) -> AMF0Value {
        do {
            return try decodeValue(&reader, depth: 0)
        } catch {
            throw .malformedAMF0(error.description)
        }
    }

    /// Decodes values until the bytes run out (a command: name, transaction id, object, arguments).
    public static func decodeAll(_ bytes: ArraySlice<UInt8>) throws(RTMPError) -> [AMF0Value] {
        var reader = ByteReader(bytes)
        var values: [AMF0Value] = []
        while !reader.isAtEnd {
            values.append(try decode(&reader))
        }
        return values
    }

    /// Decodes values until the bytes run out.
    public static func decodeAll(_ bytes: [UInt8]) throws(RTMPError) -> [AMF0Value] {
        try decodeAll(bytes[...])
    }

    private static func decodeValue(_ reader: inout ByteReader, depth: Int) throws(MediaParseError) -> AMF0Value {
        let byte = try reader.readUInt8()
        guard let marker = Marker(rawValue: byte) else {
            throw .invalid("unknown AMF0 type marker 0x\(String(byte, radix: 16)) at offset \(reader.offset - 1)")
        }
        switch marker {
        case .number:
            return .number(Double(bitPattern: try reader.readUInt64()))
        case .boolean:
            return .boolean(try reader.readUInt8() != 0)
        case .string:
            return .string(try readString(&reader, length: Int(try reader.readUInt16())))
        case .longString, .xmlDocument:
            return .string(try readString(&reader, length: Int(try reader.readUInt32())))
        case .object:
            return .object(try decodeProperties(&reader, depth: depth + 1, minimumCount: nil))
        case .typedObject:
            // The class name does not matter to a server; keep the properties.
            _ = try readString(&reader, length: Int(try reader.readUInt16()))
            return .object(try decodeProperties(&reader, depth: depth + 1, minimumCount: nil))
        case .ecmaArray:
            // The count is only a hint (encoders disagree on it); the end marker ends the array.
            let count = try reader.readUInt32()
            return .ecmaArray(try decodeProperties(&reader, depth: depth + 1, minimumCount: Int(count)))
        case .strictArray:
            let count = Int(try reader.readUInt32())
            // Every value takes at least one byte: a count beyond the input is a lie, not a reason to allocate.
            guard count <= reader.remaining else {
                throw .truncated(context: "AMF0 strict array of \(count) values", needed: count, available: reader.remaining)
            }
            guard depth + 1 <= maxNestingDepth else { throw .invalid("AMF0 nesting deeper than \(maxNestingDepth)") }
            var values: [AMF0Value] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try decodeValue(&reader, depth: depth + 1)) }
            return .strictArray(values)
        case .date:
            let milliseconds = Double(bitPattern: try reader.readUInt64())
            _ = try reader.readUInt16()  // time zone: reserved, should be 0
            return .date(milliseconds)
        case .null:
            return .null
        case .undefined, .unsupported:
            return .undefined
        case .objectEnd:
            throw .invalid("AMF0 object end marker outside an object at offset \(reader.offset - 1)")
        case .movieClip, .recordSet:
            throw .unsupported("reserved AMF0 type marker 0x\(String(byte, radix: 16))")
        case .reference:
            throw .unsupported("AMF0 object references")
        case .avmPlusObject:
            throw .unsupported("AMF3 values inside AMF0 (objectEncoding 3)")
        }
    }

    /// Reads `key, value` pairs up to the empty key followed by the object-end marker.
    ///
    /// `minimumCount` is set for ECMA arrays: some encoders omit the end marker at the very end of the
    /// input, which is accepted once the announced number of properties has been read.
    private static func decodeProperties(_ reader: inout ByteReader, depth: Int,
                                         minimumCount: Int?) throws(MediaParseError) -> AMF0Object {
        guard depth <= maxNestingDepth else { throw .invalid("AMF0 nesting deeper than \(maxNestingDepth)") }
        var properties: [AMF0Object.Property] = []
        while true {
            if reader.isAtEnd, let minimumCount, properties.count >= minimumCount { break }
            let keyLength = Int(try reader.readUInt16())
            if keyLength == 0, try reader.peekUInt8() == Marker.objectEnd.rawValue {
                try reader.skip(1)
                break
            }
            let key = try readString(&reader, length: keyLength)
            let value = try decodeValue(&reader, depth: depth)
            properties.append(.init(key: key, value: value))
        }
        return AMF0Object(properties)
    }

    private static func readString(_ reader: inout ByteReader, length: Int) throws(MediaParseError) -> String {
        String(decoding: try reader.readBytes(length), as: UTF8.self)
    }

    // MARK: - Encoding

    /// Appends `value` in AMF0 form.
    public static func encode(_ value: AMF0Value, into writer: inout ByteWriter) {
        switch value {
        case .number(let n):
            writer.write(Marker.number.rawValue)
            writer.write(n.bitPattern)
        case .boolean(let b):
            writer.write(Marker.boolean.rawValue)
            writer.write(UInt8(b ? 1 : 0))
        case .string(let s):
            let utf8 = s.utf8
            if utf8.count > Int(UInt16.max) {
                writer.write(Marker.longString.rawValue)
                writer.write(UInt32(utf8.count))
            } else {
                writer.write(Marker.string.rawValue)
                writer.write(UInt16(utf8.count))
            }
            writer.write(contentsOf: utf8)
        case .object(let object):
            writer.write(Marker.object.rawValue)
            encodeProperties(object, into: &writer)
        case .ecmaArray(let object):
            writer.write(Marker.ecmaArray.rawValue)
            writer.write(UInt32(object.properties.count))
            encodeProperties(object, into: &writer)
        case .strictArray(let values):
            writer.write(Marker.strictArray.rawValue)
            writer.write(UInt32(values.count))
            for v in values { encode(v, into: &writer) }
        case .date(let milliseconds):
            writer.write(Marker.date.rawValue)
            writer.write(milliseconds.bitPattern)
            writer.write(UInt16(0))
        case .null:
            writer.write(Marker.null.rawValue)
        case .undefined:
            writer.write(Marker.undefined.rawValue)
        }
    }

    /// The AMF0 form of `values`, one after another.
    public static func encode(_ values: [AMF0Value]) -> [UInt8] {
        var writer = ByteWriter()
        for v in values { encode(v, into: &writer) }
        return writer.bytes
    }

    private static func encodeProperties(_ object: AMF0Object, into writer: inout ByteWriter) {
        for property in object.properties {
            let key = property.key.utf8
            precondition(key.count <= Int(UInt16.max), "AMF0 property names are limited to 65535 bytes")
            writer.write(UInt16(key.count))
            writer.write(contentsOf: key)
            encode(property.value, into: &writer)
        }
        writer.write(UInt16(0))
        writer.write(Marker.objectEnd.rawValue)
    }
}
