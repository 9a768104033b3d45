/// The parts of a DASH manifest an ingest source POSTs (DASH-IF ingest, optional) that the receiver uses: each
/// Representation's bandwidth and segment names, and whether the presentation ended (`type="static"`, which
/// ffmpeg's `dash` muxer writes last). Anything else in the MPD is ignored; segments are parsed from their boxes.
struct DASHIngestManifest: Sendable, Equatable {
    struct Representation: Sendable, Equatable {
        var id: String
        var bandwidth: Int?
        var initialization: String?
        var media: String?
    }

    var representations: [Representation] = []
    var isStatic = false

    /// Reads `text` leniently: a tag scan, not a validating XML parse (the manifest is advisory).
    init(text: String) {
        var adaptationTemplate: (initialization: String?, media: String?) = (nil, nil)
        var current: Representation?
        for tag in Self.tags(in: text) {
            switch tag.name {
            case "MPD":
                isStatic = tag.attributes["type"] == "static"
            case "AdaptationSet":
                adaptationTemplate = (nil, nil)
            case "/AdaptationSet":
                adaptationTemplate = (nil, nil)
            case "Representation":
                if let open = current { representations.append(open) }
                let representation = Representation(
                    id: tag.attributes["id"] ?? "\(representations.count)",
                    bandwidth: tag.attributes["bandwidth"].flatMap { Int($0) },
                    initialization: adaptationTemplate.initialization, media: adaptationTemplate.media)
                if tag.selfClosing { representations.append(representation) } else { current = representation }
            case "/Representation":
                if let open = current { representations.append(open) }
                current = nil
            case "SegmentTemplate":
                let initialization = tag.attributes["initialization"], media = tag.attributes["media"]
                if current != nil {
                    if let initialization { current?.initialization = initialization }
                    if let media { current?.media = media }
                } else {
                    adaptationTemplate = (initialization ?? adaptationTemplate.initialization, media ?? adaptationTemplate.media)
                }
            default:
                break
            }
        }
        if let open = current { representations.append(open) }
    }

    /// The Representation whose initialization or media template produces `file`.
    func representation(forFile file: String) -> Representation? {
        representations.first { representation in
            [representation.initialization, representation.media].contains { template in
                template.map { Self.template($0, matches: file, representation: representation) } ?? false
            }
        }
    }

    // MARK: - Templates

    enum TemplatePart: Equatable {
        case literal([Character])
        /// `$Number$`, `$Time$`, `$SubNumber$` with or without a `%0Nd` width: one or more digits.
        case digits
    }

    /// The parts of a SegmentTemplate (`$RepresentationID$` and `$Bandwidth$` filled in), nil when it uses an
    /// identifier this matcher does not know.
    static func parts(of template: String, representation: Representation) -> [TemplatePart]? {
        var parts: [TemplatePart] = []
        var literal: [Character] = []
        let pieces = template.split(separator: "$", omittingEmptySubsequences: false)
        // Pieces alternate literal / identifier; `$$` is an escaped dollar.
        for (index, piece) in pieces.enumerated() {
            if index % 2 == 0 { literal += piece; continue }
            let identifier = piece.split(separator: "%", maxSplits: 1).first.map(String.init) ?? ""
            switch identifier {
            case "": literal.append("$")
            case "RepresentationID": literal += representation.id
            case "Bandwidth": literal += representation.bandwidth.map(String.init) ?? ""
            case "Number", "Time", "SubNumber":
                if !literal.isEmpty { parts.append(.literal(literal)); literal = [] }
                parts.append(.digits)
            default:
                return nil
            }
        }
        guard pieces.count % 2 == 1 else { return nil }  // an unclosed `$`
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return parts
    }

    static func template(_ template: String, matches file: String, representation: Representation) -> Bool {
        guard let parts = parts(of: template, representation: representation) else { return false }
        return match(parts[...], Array(file)[...])
    }

    private static func match(_ parts: ArraySlice<TemplatePart>, _ text: ArraySlice<Character>) -> Bool {
        guard let first = parts.first else { return text.isEmpty }
        switch first {
        case .literal(let literal):
            guard text.starts(with: literal) else { return false }
            return match(parts.dropFirst(), text.dropFirst(literal.count))
        case .digits:
            let run = text.prefix { $0.isASCII && $0.isNumber }.count
            guard run > 0 else { return false }
            // Longest first; a template puts a separator after its number, so this rarely backtracks.
            for length in stride(from: run, through: 1, by: -1) where match(parts.dropFirst(), text.dropFirst(length)) {
                return true
            }
            return false
        }
    }

    // MARK: - Tag scan

    struct Tag {
        var name: String
        var attributes: [String: String]
        var selfClosing: Bool
    }

    static func tags(in text: String) -> [Tag] {
        var tags: [Tag] = []
        for piece in text.split(separator: "<").dropFirst() {
            guard let end = piece.firstIndex(of: ">") else { continue }
            var body = piece[..<end]
            guard let first = body.first, first != "?", first != "!" else { continue }
            let selfClosing = body.hasSuffix("/")
            if selfClosing { body = body.dropLast() }
            let name = body.prefix { !$0.isWhitespace }
            var attributes: [String: String] = [:]
            var rest = body.dropFirst(name.count)
            while let equals = rest.firstIndex(of: "=") {
                let key = String(rest[..<equals].filter { !$0.isWhitespace })
                let afterEquals = rest[rest.index(after: equals)...].drop { $0.isWhitespace }
                guard let quote = afterEquals.first, quote == "\"" || quote == "'" else { break }
                let valueStart = afterEquals.dropFirst()
                guard let close = valueStart.firstIndex(of: quote) else { break }
                attributes[key] = String(valueStart[..<close])
                rest = valueStart[valueStart.index(after: close)...]
            }
            tags.append(Tag(name: String(name), attributes: attributes, selfClosing: selfClosing))
        }
        return tags
    }
}
