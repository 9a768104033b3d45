// A small namespace-aware XML reader for the CPIX documents the CLI reads. It exists because Foundation's XMLParser
// lives in FoundationXML, which would link libxml2 into the shipped (statically linked) binary for one CLI option.
// Enough XML for data documents: elements, attributes, namespaces, text, CDATA, comments, processing instructions,
// character and the five predefined entity references. A DOCTYPE is refused (no entity expansion, no external fetch).

/// An element: its qualified name, namespace, attributes (by their name as written), children and text.
struct XMLLiteElement: Sendable, Equatable {
    /// The name as written, e.g. `cpix:ContentKey`.
    var name: String
    /// The name without its prefix.
    var localName: String
    /// The namespace URI the prefix (or the default namespace) resolves to; nil for none.
    var namespace: String?
    /// Attributes by their name as written (`kid`, `xmlns:cpix`).
    var attributes: [String: String]
    /// Child elements in order.
    var children: [XMLLiteElement]
    /// The element's own character data (not its children's), concatenated.
    var text: String

    /// The children named `localName` in `namespace`.
    func children(_ namespace: String, _ localName: String) -> [XMLLiteElement] {
        children.filter { $0.namespace == namespace && $0.localName == localName }
    }
}

/// Why a document could not be read, with where.
struct XMLLiteError: Error, Sendable, Equatable {
    var reason: String
}

/// Parses a whole document into its root element.
enum XMLLiteReader {
    /// How deep elements may nest. Key documents nest about six deep; the limit keeps a hostile file from building a
    /// tree whose recursive teardown would exhaust the stack.
    static let maximumDepth = 64

    static func parse(_ text: String) throws(XMLLiteError) -> XMLLiteElement {
        var reader = Cursor(Array(text.unicodeScalars))
        var stack: [(element: XMLLiteElement, scope: [String: String])] = []
        var root: XMLLiteElement?
        var namespaces: [String: String] = ["xml": "http://www.w3.org/XML/1998/namespace"]

        func resolve(_ name: String, scope: [String: String], isAttribute: Bool) throws(XMLLiteError) -> (local: String, namespace: String?) {
            if let colon = name.firstIndex(of: ":") {
                let prefix = String(name[..<colon])
                guard let uri = scope[prefix] else { throw XMLLiteError(reason: "the namespace prefix '\(prefix)' of <\(name)> is not declared") }
                return (String(name[name.index(after: colon)...]), uri)
            }
            return (name, isAttribute ? nil : scope[""].flatMap { $0.isEmpty ? nil : $0 })
        }

        while !reader.atEnd {
            if reader.consume("<?") {
                try reader.skip(past: "?>")
            } else if reader.consume("<!--") {
                try reader.skip(past: "-->")
            } else if reader.consume("<![CDATA[") {
                let data = try reader.take(until: "]]>")
                guard !stack.isEmpty else { throw XMLLiteError(reason: "character data outside the root element") }
                stack[stack.count - 1].element.text += data
            } else if reader.consume("<!") {
                throw XMLLiteError(reason: "a DOCTYPE or other declaration is not accepted in a key document")
            } else if reader.consume("</") {
                let name = reader.takeName()
                reader.skipSpace()
                guard reader.consume(">") else { throw XMLLiteError(reason: "the end tag </\(name)> is not closed") }
                guard let open = stack.popLast() else { throw XMLLiteError(reason: "</\(name)> closes nothing") }
                guard open.element.name == name else { throw XMLLiteError(reason: "</\(name)> closes <\(open.element.name)>") }
                namespaces = stack.last?.scope ?? ["xml": "http://www.w3.org/XML/1998/namespace"]
                if stack.isEmpty {
                    guard root == nil else { throw XMLLiteError(reason: "more than one root element") }
                    root = open.element
                } else {
                    stack[stack.count - 1].element.children.append(open.element)
                }
            } else if reader.consume("<") {
                let name = reader.takeName()
                guard !name.isEmpty else { throw XMLLiteError(reason: "a '<' that starts no tag") }
                guard root == nil else { throw XMLLiteError(reason: "content after the root element") }
                var attributes: [String: String] = [:]
                var selfClosing = false
                while true {
                    reader.skipSpace()
                    if reader.consume("/>") { selfClosing = true; break }
                    if reader.consume(">") { break }
                    let attribute = reader.takeName()
                    guard !attribute.isEmpty else { throw XMLLiteError(reason: "a malformed attribute in <\(name)>") }
                    reader.skipSpace()
                    guard reader.consume("=") else { throw XMLLiteError(reason: "the attribute '\(attribute)' of <\(name)> has no value") }
                    reader.skipSpace()
                    guard let quote = reader.next(), quote == "\"" || quote == "'" else {
                        throw XMLLiteError(reason: "the value of '\(attribute)' in <\(name)> is not quoted")
                    }
                    let raw = try reader.take(until: String(quote))
                    guard attributes[attribute] == nil else { throw XMLLiteError(reason: "<\(name)> repeats the attribute '\(attribute)'") }
                    attributes[attribute] = try decodeReferences(raw)
                }
                var scope = namespaces
                for (key, value) in attributes {
                    if key == "xmlns" { scope[""] = value } else if key.hasPrefix("xmlns:") { scope[String(key.dropFirst(6))] = value }
                }
                let (local, uri) = try resolve(name, scope: scope, isAttribute: false)
                for key in attributes.keys where key.contains(":") && !key.hasPrefix("xmlns:") {
                    _ = try resolve(key, scope: scope, isAttribute: true)
                }
                let element = XMLLiteElement(name: name, localName: local, namespace: uri, attributes: attributes, children: [], text: "")
                if selfClosing {
                    if stack.isEmpty { root = element } else { stack[stack.count - 1].element.children.append(element) }
                } else {
                    guard stack.count < maximumDepth else { throw XMLLiteError(reason: "elements nest more than \(maximumDepth) deep") }
                    stack.append((element, scope))
                    namespaces = scope
                }
            } else {
                let raw = reader.take(upTo: "<")
                if stack.isEmpty {
                    guard raw.unicodeScalars.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "\u{FEFF}" }) else {
                        throw XMLLiteError(reason: "text outside the root element")
                    }
                } else {
                    stack[stack.count - 1].element.text += try decodeReferences(raw)
                }
            }
        }
        guard stack.isEmpty else { throw XMLLiteError(reason: "<\(stack[stack.count - 1].element.name)> is never closed") }
        guard let root else { throw XMLLiteError(reason: "no root element") }
        return root
    }

    /// `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` `&#N;` `&#xN;` replaced.
    static func decodeReferences(_ text: String) throws(XMLLiteError) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";") else { throw XMLLiteError(reason: "an '&' that starts no reference") }
            let name = rest[rest.index(after: amp) ..< semicolon]
            switch name {
            case "lt": out += "<"
            case "gt": out += ">"
            case "amp": out += "&"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let number: UInt32? = name.hasPrefix("#x") ? UInt32(name.dropFirst(2), radix: 16) : name.hasPrefix("#") ? UInt32(name.dropFirst()) : nil
                guard let number, let scalar = Unicode.Scalar(number) else { throw XMLLiteError(reason: "the reference '&\(name);' is not known") }
                out.unicodeScalars.append(scalar)
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return out + rest
    }

    /// A position in the document's scalars.
    struct Cursor {
        let scalars: [Unicode.Scalar]
        var index = 0

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        var atEnd: Bool { index >= scalars.count }

        mutating func next() -> Unicode.Scalar? {
            guard index < scalars.count else { return nil }
            defer { index += 1 }
            return scalars[index]
        }

        func hasPrefix(_ text: String) -> Bool {
            var i = index
            for scalar in text.unicodeScalars {
                guard i < scalars.count, scalars[i] == scalar else { return false }
                i += 1
            }
            return true
        }

        mutating func consume(_ text: String) -> Bool {
            guard hasPrefix(text) else { return false }
            index += text.unicodeScalars.count
            return true
        }

        mutating func skipSpace() {
            while index < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[index]) { index += 1 }
        }

        mutating func takeName() -> String {
            var out = String.UnicodeScalarView()
            while index < scalars.count {
                let scalar = scalars[index]
                if [" ", "\n", "\r", "\t", "/", ">", "=", "<", "\"", "'"].contains(scalar) { break }
                out.append(scalar)
                index += 1
            }
            return String(out)
        }

        /// The text before `end`, consuming `end` too.
        mutating func take(until end: String) throws(XMLLiteError) -> String {
            var out = String.UnicodeScalarView()
            while !hasPrefix(end) {
                guard let scalar = next() else { throw XMLLiteError(reason: "the document ends before '\(end)'") }
                out.append(scalar)
            }
            index += end.unicodeScalars.count
            return String(out)
        }

        mutating func skip(past end: String) throws(XMLLiteError) { _ = try take(until: end) }

        /// The text before `stop` (not consumed) or the end.
        mutating func take(upTo stop: Unicode.Scalar) -> String {
            var out = String.UnicodeScalarView()
            while index < scalars.count, scalars[index] != stop {
                out.append(scalars[index])
                index += 1
            }
            return String(out)
        }
    }
}
