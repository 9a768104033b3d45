// The OData subset ARM list operations accept: $filter, $orderby, $top, $skiptoken, and the @odata.nextLink paging built on them.
import Foundation

/// A value a filter compares: what a resource property or a literal evaluates to.
public enum ODataValue: Sendable, Hashable {
    case string(String), int(Int64), date(Date), bool(Bool), null
}

/// A comparison operator of `$filter`.
public enum ODataComparison: String, Sendable, Hashable, CaseIterable {
    case eq, ne, gt, ge, lt, le
}

/// A parsed `$filter` expression.
public indirect enum ODataFilter: Sendable, Hashable {
    /// `path op literal`.
    case comparison(path: String, op: ODataComparison, value: ODataValue)
    /// `a and b`.
    case and(ODataFilter, ODataFilter)
    /// `a or b`.
    case or(ODataFilter, ODataFilter)
    /// `not a`.
    case not(ODataFilter)

    /// Every property path the expression reads.
    public var paths: Set<String> {
        switch self {
        case .comparison(let path, _, _): [path]
        case .and(let a, let b), .or(let a, let b): a.paths.union(b.paths)
        case .not(let a): a.paths
        }
    }

    /// Evaluates against a resource; `lookup` returns a property's value (nil counts as null).
    public func evaluate(_ lookup: (String) -> ODataValue?) -> Bool {
        switch self {
        case let .comparison(path, op, literal):
            return ODataFilter.compare(lookup(path) ?? .null, op, literal)
        case let .and(a, b): return a.evaluate(lookup) && b.evaluate(lookup)
        case let .or(a, b): return a.evaluate(lookup) || b.evaluate(lookup)
        case let .not(a): return !a.evaluate(lookup)
        }
    }

    /// Orders two values of the same kind (a string literal compared with a date is read as a date); nil when not comparable.
    static func order(_ left: ODataValue, _ right: ODataValue) -> ComparisonResult? {
        func result<T: Comparable>(_ a: T, _ b: T) -> ComparisonResult { a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame }
        switch (left, right) {
        case let (.string(a), .string(b)): return result(a, b)
        case let (.int(a), .int(b)): return result(a, b)
        case let (.date(a), .date(b)): return result(a, b)
        case let (.bool(a), .bool(b)): return result(a ? 1 : 0, b ? 1 : 0)
        case let (.date(a), .string(b)): return ARMDateTime.parse(b).map { result(a, $0) }
        case let (.string(a), .date(b)): return ARMDateTime.parse(a).map { result($0, b) }
        case (.null, .null): return .orderedSame
        default: return nil
        }
    }

    static func compare(_ left: ODataValue, _ op: ODataComparison, _ right: ODataValue) -> Bool {
        // null equals only null; ordering against null is false, as in OData.
        guard let ordering = order(left, right) else { return op == .ne }
        if left == .null || right == .null, op != .eq, op != .ne { return false }
        switch op {
        case .eq: return ordering == .orderedSame
        case .ne: return ordering != .orderedSame
        case .gt: return ordering == .orderedDescending
        case .ge: return ordering != .orderedAscending
        case .lt: return ordering == .orderedAscending
        case .le: return ordering != .orderedDescending
        }
    }
}

/// One `$orderby` key.
public struct ODataOrderBy: Sendable, Hashable {
    /// Property path, e.g. `properties/created`.
    public var path: String
    /// True for `desc`.
    public var descending: Bool

    /// Creates a key.
    public init(path: String, descending: Bool = false) {
        self.path = path
        self.descending = descending
    }
}

/// The OData options of a list request.
public struct ODataQuery: Sendable, Hashable {
    /// `$filter`, if given.
    public var filter: ODataFilter?
    /// `$orderby` keys, outermost first.
    public var orderBy: [ODataOrderBy]
    /// `$top`: the most results in total, across pages.
    public var top: Int?
    /// Offset decoded from `$skiptoken` (0 for the first page).
    public var skip: Int

    /// The service's page size.
    public static let defaultPageSize = 1000

    /// Creates options.
    public init(filter: ODataFilter? = nil, orderBy: [ODataOrderBy] = [], top: Int? = nil, skip: Int = 0) {
        self.filter = filter
        self.orderBy = orderBy
        self.top = top
        self.skip = skip
    }

    /// Reads `$filter`, `$orderby`, `$top`, `$skiptoken` from decoded query items; other `$` options are a 400 `BadRequest`, other names are ignored.
    public init(items: [(name: String, value: String)]) throws(ARMError) {
        self.init()
        for (name, value) in items {
            switch name.lowercased() {
            case "$filter": filter = try ODataFilterParser.parse(value)
            case "$orderby": orderBy = try Self.parseOrderBy(value)
            case "$top":
                guard let count = Int(value.trimmingCharacters(in: .whitespaces)), count >= 0 else {
                    throw .badRequest("The value '\(value)' of $top is invalid; it must be a non-negative integer.", target: "$top")
                }
                top = count
            case "$skiptoken":
                guard let offset = Self.decodeSkipToken(value) else {
                    throw .badRequest("The $skiptoken '\(value)' is invalid; use the @odata.nextLink of the previous page unchanged.", target: "$skiptoken")
                }
                skip = offset
            case let other where other.hasPrefix("$"):
                throw .badRequest("The query option '\(name)' is not supported; list operations accept $filter, $orderby, $top and $skiptoken.", target: name)
            default: continue
            }
        }
    }

    /// Parses a raw query string (`a=b&c=d`, percent-encoded, `+` as space) and reads the OData options from it.
    public init(rawQuery: String) throws(ARMError) {
        try self.init(items: ODataQuery.decodeQuery(rawQuery))
    }

    /// Splits and percent-decodes a raw query string; malformed escapes are kept as sent.
    public static func decodeQuery(_ rawQuery: String) -> [(name: String, value: String)] {
        func decode(_ text: Substring) -> String {
            let spaced = text.replacingOccurrences(of: "+", with: " ")
            return spaced.removingPercentEncoding ?? spaced
        }
        return rawQuery.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// Throws 400 naming the first path of `$filter` or `$orderby` that is not in `allowed` (the resource's filterable properties).
    public func validate(allowedPaths allowed: Set<String>) throws(ARMError) {
        let lowered = Set(allowed.map { $0.lowercased() })
        let used = (filter?.paths ?? []).sorted() + orderBy.map(\.path)
        for path in used where !lowered.contains(path.lowercased()) {
            throw .badRequest("The property '\(path)' cannot be used in $filter or $orderby here; supported properties are: \(allowed.sorted().joined(separator: ", ")).")
        }
    }

    // MARK: - Applying

    /// Filters, sorts and pages `items`; `lookup` gives a property of an item. Returns the page and, when more remain, the next offset.
    public func apply<T>(_ items: [T], pageSize: Int = ODataQuery.defaultPageSize, lookup: (T, String) -> ODataValue?) -> (page: [T], nextSkip: Int?) {
        precondition(pageSize > 0, "page size must be positive")
        var selected = items
        if let filter { selected = selected.filter { item in filter.evaluate { lookup(item, $0) } } }
        if !orderBy.isEmpty {
            // Decorate once so lookups are not repeated per comparison; the index keeps the sort stable.
            let keyed: [(offset: Int, item: T, keys: [ODataValue])] = selected.enumerated().map { entry in
                (entry.offset, entry.element, orderBy.map { key in lookup(entry.element, key.path) ?? .null })
            }
            selected = keyed.sorted { a, b in
                for (index, key) in orderBy.enumerated() {
                    let ordering = Self.sortOrder(a.keys[index], b.keys[index])
                    if ordering == .orderedSame { continue }
                    return (ordering == .orderedAscending) != key.descending
                }
                return a.offset < b.offset
            }.map { $0.item }
        }
        let limit = min(selected.count, top ?? selected.count)
        let start = min(skip, limit)
        let end = min(start + pageSize, limit)
        return (Array(selected[start ..< end]), end < limit ? end : nil)
    }

    /// Total order for sorting: nulls first, then by kind, then by value.
    static func sortOrder(_ a: ODataValue, _ b: ODataValue) -> ComparisonResult {
        func rank(_ value: ODataValue) -> Int {
            switch value {
            case .null: 0
            case .bool: 1
            case .int: 2
            case .date: 3
            case .string: 4
            }
        }
        if rank(a) != rank(b) { return rank(a) < rank(b) ? .orderedAscending : .orderedDescending }
        return ODataFilter.order(a, b) ?? .orderedSame
    }

    // MARK: - Paging links

    /// The `$skiptoken` text for an offset (opaque to clients).
    public static func encodeSkipToken(_ offset: Int) -> String { "\(offset)" }

    /// The offset in a `$skiptoken`; nil when it is not one this service issued.
    public static func decodeSkipToken(_ token: String) -> Int? {
        guard let value = Int(token), value >= 0 else { return nil }
        return value
    }

    /// The absolute `@odata.nextLink`: `baseURL` (scheme+host[:port]) + `path` + the original raw query with `$skiptoken` replaced.
    public static func nextLink(baseURL: String, path: String, rawQuery: String, nextSkip: Int) -> String {
        let kept = rawQuery.split(separator: "&", omittingEmptySubsequences: true).filter { pair in
            let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return (name.removingPercentEncoding ?? name).lowercased() != "$skiptoken"
        }
        let query = (kept.map(String.init) + ["$skiptoken=\(encodeSkipToken(nextSkip))"]).joined(separator: "&")
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        return "\(base)\(path)?\(query)"
    }

    // MARK: - $orderby

    static func parseOrderBy(_ text: String) throws(ARMError) -> [ODataOrderBy] {
        var keys: [ODataOrderBy] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let words = item.split(separator: " ", omittingEmptySubsequences: true)
            guard let path = words.first, words.count <= 2, ODataFilterParser.isPath(path) else {
                throw .badRequest("The $orderby clause '\(item.trimmingCharacters(in: .whitespaces))' is invalid; use 'property [asc|desc]', e.g. 'properties/created desc'.", target: "$orderby")
            }
            var descending = false
            if words.count == 2 {
                switch words[1].lowercased() {
                case "asc": descending = false
                case "desc": descending = true
                default:
                    throw .badRequest("The $orderby direction '\(words[1])' is invalid; use 'asc' or 'desc'.", target: "$orderby")
                }
            }
            keys.append(ODataOrderBy(path: String(path), descending: descending))
        }
        return keys
    }
}

// MARK: - $filter parser

/// Recursive-descent parser for the `$filter` subset: `or` < `and` < `not` < comparison / parentheses.
enum ODataFilterParser {
    enum Token: Equatable {
        case word(String)       // property path or keyword
        case literal(ODataValue)
        case open, close
    }

    static func isPath(_ text: some StringProtocol) -> Bool {
        guard let first = text.first, first.isLetter || first == "_" || first == "@" else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/_.@".contains($0)) }
    }

    static func parse(_ text: String) throws(ARMError) -> ODataFilter {
        let tokens = try tokenize(text)
        var index = 0
        let filter = try parseOr(tokens, &index, text)
        guard index == tokens.count else {
            throw bad(text, "unexpected '\(describe(tokens[index]))'")
        }
        return filter
    }

    static func bad(_ text: String, _ reason: String) -> ARMError {
        .badRequest("The $filter '\(text)' is invalid: \(reason). Supported: comparisons eq, ne, gt, ge, lt, le between a property and a literal ('text', 2024-01-31T00:00:00Z, 42, true, null), combined with and, or, not and parentheses.", target: "$filter")
    }

    static func describe(_ token: Token) -> String {
        switch token {
        case .word(let word): word
        case .open: "("
        case .close: ")"
        case .literal(let value): "\(value)"
        }
    }

    // MARK: Tokens

    static func tokenize(_ text: String) throws(ARMError) -> [Token] {
        let characters = Array(text)
        var tokens: [Token] = []
        var index = 0
        while index < characters.count {
            let c = characters[index]
            if c == " " || c == "\t" { index += 1; continue }
            if c == "(" { tokens.append(.open); index += 1; continue }
            if c == ")" { tokens.append(.close); index += 1; continue }
            if c == "'" {
                tokens.append(.literal(.string(try quoted(characters, &index, text))))
                continue
            }
            let start = index
            while index < characters.count, !" \t()'".contains(characters[index]) { index += 1 }
            let word = String(characters[start ..< index])
            // OData v3 clients write datetime'2024-01-31T00:00:00Z'.
            if word.lowercased() == "datetime", index < characters.count, characters[index] == "'" {
                let inner = try quoted(characters, &index, text)
                guard let date = ARMDateTime.parse(inner) else { throw bad(text, "'\(inner)' is not an ISO 8601 date-time") }
                tokens.append(.literal(.date(date)))
                continue
            }
            if let first = word.first, first.isNumber || first == "-" || first == "+" {
                if let number = Int64(word) {
                    tokens.append(.literal(.int(number)))
                } else if let date = ARMDateTime.parse(word) ?? ARMDateTime.parse(word + "T00:00:00Z") {
                    // A bare date (2012-06-01, as the docs' examples write it) means midnight UTC.
                    tokens.append(.literal(.date(date)))
                } else {
                    throw bad(text, "'\(word)' is neither an integer nor an ISO 8601 date-time")
                }
                continue
            }
            switch word.lowercased() {
            case "true": tokens.append(.literal(.bool(true)))
            case "false": tokens.append(.literal(.bool(false)))
            case "null": tokens.append(.literal(.null))
            default:
                guard isPath(word) else { throw bad(text, "'\(word)' is not a property path or literal") }
                tokens.append(.word(word))
            }
        }
        return tokens
    }

    /// Reads a single-quoted string starting at `index` ('' is an escaped quote).
    static func quoted(_ characters: [Character], _ index: inout Int, _ text: String) throws(ARMError) -> String {
        index += 1
        var value = ""
        while index < characters.count {
            if characters[index] == "'" {
                if index + 1 < characters.count, characters[index + 1] == "'" {
                    value.append("'")
                    index += 2
                    continue
                }
                index += 1
                return value
            }
            value.append(characters[index])
            index += 1
        }
        throw bad(text, "a string literal is not closed with '")
    }

    // MARK: Grammar

    static func keyword(_ tokens: [Token], _ index: Int, _ word: String) -> Bool {
        guard index < tokens.count, case .word(let text) = tokens[index] else { return false }
        return text.lowercased() == word
    }

    static func parseOr(_ tokens: [Token], _ index: inout Int, _ text: String) throws(ARMError) -> ODataFilter {
        var left = try parseAnd(tokens, &index, text)
        while keyword(tokens, index, "or") {
            index += 1
            left = .or(left, try parseAnd(tokens, &index, text))
        }
        return left
    }

    static func parseAnd(_ tokens: [Token], _ index: inout Int, _ text: String) throws(ARMError) -> ODataFilter {
        var left = try parseUnary(tokens, &index, text)
        while keyword(tokens, index, "and") {
            index += 1
            left = .and(left, try parseUnary(tokens, &index, text))
        }
        return left
    }

    static func parseUnary(_ tokens: [Token], _ index: inout Int, _ text: String) throws(ARMError) -> ODataFilter {
        if keyword(tokens, index, "not") {
            index += 1
            return .not(try parseUnary(tokens, &index, text))
        }
        guard index < tokens.count else { throw bad(text, "it ends where a comparison was expected") }
        switch tokens[index] {
        case .open:
            index += 1
            let inner = try parseOr(tokens, &index, text)
            guard index < tokens.count, tokens[index] == .close else { throw bad(text, "a '(' is not closed") }
            index += 1
            return inner
        case .word(let path):
            index += 1
            guard index < tokens.count, case .word(let opText) = tokens[index] else {
                throw bad(text, "'\(path)' must be followed by eq, ne, gt, ge, lt or le")
            }
            guard let op = ODataComparison(rawValue: opText.lowercased()) else {
                throw bad(text, "'\(opText)' is not a supported operator (eq, ne, gt, ge, lt, le)")
            }
            index += 1
            guard index < tokens.count, case .literal(let value) = tokens[index] else {
                throw bad(text, "'\(path) \(opText)' must be followed by a literal")
            }
            index += 1
            return .comparison(path: path, op: op, value: value)
        case .literal(let value):
            throw bad(text, "a comparison must start with a property path, not the literal \(value)")
        case .close:
            throw bad(text, "unexpected ')'")
        }
    }
}
