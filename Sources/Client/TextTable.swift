// Plain-text layouts for terminals: aligned tables for lists, `key: value` blocks for single resources.

/// A table whose columns are padded to their widest cell; the last column is not padded (no trailing spaces).
public struct TextTable: Sendable, Equatable {
    /// Column headings, upper case by convention (`NAME`, `STATE`).
    public var columns: [String]
    /// The rows; a short row is filled with empty cells.
    public var rows: [[String]]

    /// Creates a table.
    public init(columns: [String], rows: [[String]] = []) {
        self.columns = columns
        self.rows = rows
    }

    /// The table as lines separated by two spaces between columns, ending with a newline.
    public func render() -> String {
        let all = [columns] + rows.map { row in (0 ..< columns.count).map { $0 < row.count ? row[$0] : "" } }
        var widths = Array(repeating: 0, count: columns.count)
        for row in all {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var text = ""
        for row in all {
            var line = ""
            for (index, cell) in row.enumerated() {
                if index == row.count - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[index] - cell.count + 2)
                }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            text += line + "\n"
        }
        return text
    }
}

/// `Key: value` lines with the values aligned; a key with several values lists them on following lines.
public struct KeyValueBlock: Sendable, Equatable {
    /// The entries in display order.
    public private(set) var entries: [(key: String, values: [String])] = []

    /// Creates an empty block.
    public init() {}

    /// Adds `key` with `value`; nil or empty values are skipped so blocks show only what is set.
    public mutating func add(_ key: String, _ value: String?) {
        guard let value, !value.isEmpty else { return }
        entries.append((key, [value]))
    }

    /// Adds `key` with several values (one per line); `empty` is shown when there are none.
    public mutating func add(_ key: String, list values: [String], empty: String? = nil) {
        if values.isEmpty {
            if let empty { entries.append((key, [empty])) }
        } else {
            entries.append((key, values))
        }
    }

    /// The block as text ending with a newline.
    public func render() -> String {
        let width = (entries.map(\.key.count).max() ?? 0) + 3
        var text = ""
        for entry in entries {
            for (index, value) in entry.values.enumerated() {
                let label = index == 0 ? entry.key + ":" : ""
                text += label + String(repeating: " ", count: width - label.count) + value + "\n"
            }
        }
        return text
    }

    public static func == (lhs: KeyValueBlock, rhs: KeyValueBlock) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.key == $1.key && $0.values == $1.values }
    }
}
