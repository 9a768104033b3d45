public import Media

/// One AMF0 value. Objects keep their properties in wire order.
public enum AMF0Value: Sendable, Hashable {
    case number(Double)
    case boolean(Bool)
    case string(String)
    case object(AMF0Object)
    case null
    case undefined
    case ecmaArray(AMF0Object)
    case strictArray([AMF0Value])
    /// Milliseconds since the Unix epoch (the time-zone field is reserved and dropped).
    case date(Double)

    /// The property named `key` of an object or ECMA array.
    public subscript(key: String) -> AMF0Value? {
        objectValue?[key]
    }

    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The number, when this is one.
    public var numberValue: Double? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// The boolean, when this is one.
    public var boolValue: Bool? {
        if case .boolean(let b) = self { return b }
        return nil
    }

    /// The properties of an object or ECMA array.
    public var objectValue: AMF0Object? {
        switch self {
        case .object(let o), .ecmaArray(let o): return o
        default: return nil
        }
    }

    /// The elements of a strict array.
    public var arrayValue: [AMF0Value]? {
        if case .strictArray(let a) = self { return a }
        return nil
    }
}

extension AMF0Value {
    /// Decodes one value at the reader's position (same as ``AMF0/decode(_:)``).
    public static func decode(_ reader: inout ByteReader) throws(RTMPError) -> AMF0Value {
        try AMF0.decode(&reader)
    }

    /// Decodes values until the bytes run out (same as ``AMF0/decodeAll(_:)-(ArraySlice<UInt8>)``).
    public static func decodeAll(_ bytes: ArraySlice<UInt8>) throws(RTMPError) -> [AMF0Value] {
        try AMF0.decodeAll(bytes)
    }

    /// Appends this value in AMF0 form.
    public func encode(into writer: inout ByteWriter) {
        AMF0.encode(self, into: &writer)
    }
}

extension AMF0Value: ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
}

/// The ordered properties of an AMF0 object or ECMA array.
public struct AMF0Object: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// One `key: value` pair.
    public struct Property: Sendable, Hashable {
        public var key: String
        public var value: AMF0Value

        public init(key: String, value: AMF0Value) {
            self.key = key
            self.value = value
        }
    }

    public var properties: [Property]

    public init(_ properties: [Property] = []) { self.properties = properties }

    public init(dictionaryLiteral elements: (String, AMF0Value)...) {
        properties = elements.map { Property(key: $0.0, value: $0.1) }
    }

    /// The first property named `key`; setting replaces it or appends a new one.
    public subscript(key: String) -> AMF0Value? {
        get { properties.first { $0.key == key }?.value }
        set {
            if let index = properties.firstIndex(where: { $0.key == key }) {
                if let newValue { properties[index].value = newValue } else { properties.remove(at: index) }
            } else if let newValue {
                properties.append(Property(key: key, value: newValue))
            }
        }
    }

    /// The properties as a dictionary (the first of duplicate keys wins, as with the subscript).
    public var dictionary: [String: AMF0Value] {
        var result: [String: AMF0Value] = [:]
        for p in properties where result[p.key] == nil { result[p.key] = p.value }
        return result
    }
}
