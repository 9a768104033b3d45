// The module map in docs/ARCHITECTURE.md is the rule: every `import` under a target's sources must be one its row
// allows. The tables are parsed from the document itself, so the map and the check cannot drift apart.
import Foundation
import Testing

@Suite struct ImportRulesTests {
    /// The repository root, found from this file's path: repo/Tests/ArchitectureTests/<file>.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ArchitectureTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root

    @Test func everyImportIsOneTheMapAllows() throws {
        let map = try ModuleMap(markdown: String(contentsOf: Self.root.appendingPathComponent(ModuleMap.document), encoding: .utf8))
        var checkedFiles = 0
        for target in map.targets.keys.sorted() {
            guard let directory = Self.sourceDirectory(of: target) else {
                Issue.record("\(ModuleMap.document) names the target '\(target)', but neither Sources/\(target) nor Tests/\(target) exists")
                continue
            }
            let allowed = map.allowedImports(of: target)
            for file in try Self.swiftFiles(under: directory) {
                checkedFiles += 1
                let text = try String(contentsOf: file, encoding: .utf8)
                for (line, module) in ImportScanner.imports(in: text) where !allowed.contains(module) {
                    let path = file.path.replacingOccurrences(of: Self.root.path + "/", with: "")
                    Issue.record("\(path):\(line) imports \(module), which \(target) may not import (\(ModuleMap.document): \(target) may import \(allowed.subtracting(map.everyTarget).sorted().joined(separator: ", ")))")
                }
            }
        }
        #expect(checkedFiles > 100, "only \(checkedFiles) Swift files checked: is the repository root right (\(Self.root.path))?")
    }

    @Test func everyTargetInThePackageIsOnTheMap() throws {
        let map = try ModuleMap(markdown: String(contentsOf: Self.root.appendingPathComponent(ModuleMap.document), encoding: .utf8))
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let declared = Set(ImportScanner.matches(of: #"\.(?:target|executableTarget|systemLibrary)\(\s*name:\s*"([A-Za-z0-9_]+)""#, in: manifest))
        #expect(declared.count > 10, "found only \(declared.sorted()) in Package.swift")
        for target in declared.subtracting(map.targets.keys).sorted() {
            Issue.record("Package.swift declares the target '\(target)'; add its row (what it owns, what it may import) to \(ModuleMap.document)")
        }
        for target in Set(map.targets.keys).subtracting(declared).sorted() {
            Issue.record("\(ModuleMap.document) has a row for '\(target)', which Package.swift does not declare; remove or rename the row")
        }
    }

    @Test func scannerReadsEveryImportForm() {
        let text = """
        import Foundation
        @testable import ControlPlane
        @_exported import AMSModels
        public import struct Media.Sample
        @preconcurrency internal import Logging
        #if canImport(Glibc)
            import Glibc
        #endif
        // import Commented
        let important = "import Quoted"
        """
        #expect(ImportScanner.imports(in: text).map(\.module) == ["Foundation", "ControlPlane", "AMSModels", "Media", "Logging", "Glibc"])
        #expect(ImportScanner.imports(in: text).map(\.line) == [1, 2, 3, 4, 5, 7])
    }

    @Test func mapParsesTargetRowsAndOutsideModules() throws {
        let map = try ModuleMap(markdown: """
        | target | owns | may import |
        |---|---|---|
        | `CLibUV`, `CHTTPParser` | C libraries | — |
        | `EventLoop` | the loop | `CLibUV` |
        | `ControlPlane` | the account | `EventLoop`, `Ingest`* |

        | module | from | who may import |
        |---|---|---|
        | `Foundation`, `Glibc` | the toolchain | every target |
        | `GRDB` | GRDB.swift | `ControlPlane` |
        """)
        #expect(Set(map.targets.keys) == ["CLibUV", "CHTTPParser", "EventLoop", "ControlPlane"])
        #expect(map.allowedImports(of: "CLibUV") == ["Foundation", "Glibc"])
        #expect(map.allowedImports(of: "ControlPlane") == ["EventLoop", "Ingest", "GRDB", "Foundation", "Glibc"])
        #expect(map.allowedImports(of: "EventLoop").contains("GRDB") == false)
    }

    /// Where a target's sources live: `Sources/<target>`, or `Tests/<target>` for the test-support library.
    static func sourceDirectory(of target: String) -> URL? {
        for folder in ["Sources", "Tests"] {
            let url = root.appendingPathComponent(folder).appendingPathComponent(target)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue { return url }
        }
        return nil
    }

    static func swiftFiles(under directory: URL) throws -> [URL] {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }.sorted { $0.path < $1.path }
    }
}

/// The two tables of docs/ARCHITECTURE.md that state the import rules.
struct ModuleMap {
    static let document = "docs/ARCHITECTURE.md"

    /// Each target and the targets and packages its row says it may import.
    var targets: [String: Set<String>] = [:]
    /// Outside modules (toolchain, packages) and the targets that may import them.
    var outside: [String: Set<String>] = [:]
    /// Outside modules any target may import.
    var everyTarget: Set<String> = []

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    init(markdown: String) throws {
        var table: String?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard line.hasPrefix("|") else { table = nil; continue }
            let cells = line.dropFirst().split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3 else { continue }
            let header = cells.prefix(3).map { $0.lowercased() }
            if header == ["target", "owns", "may import"] { table = "targets"; continue }
            if header == ["module", "from", "who may import"] { table = "outside"; continue }
            if cells[0].hasPrefix("---") { continue }
            let names = Self.names(in: cells[0])
            switch table {
            case "targets":
                for name in names { targets[name, default: []].formUnion(Self.names(in: cells[2])) }
            case "outside":
                let who = cells[2].lowercased() == "every target" ? nil : Self.names(in: cells[2])
                for name in names {
                    if let who { outside[name, default: []].formUnion(who) } else { everyTarget.insert(name) }
                }
            default:
                continue
            }
        }
        guard !targets.isEmpty else { throw Malformed(description: "no '| target | owns | may import |' table in \(Self.document)") }
        guard !everyTarget.isEmpty || !outside.isEmpty else {
            throw Malformed(description: "no '| module | from | who may import |' table in \(Self.document)")
        }
    }

    /// What `target` may import: its row, the outside modules naming it, and those every target may use.
    func allowedImports(of target: String) -> Set<String> {
        var allowed = targets[target] ?? []
        for (module, who) in outside where who.contains(target) { allowed.insert(module) }
        return allowed.union(everyTarget)
    }

    /// The backquoted module names in a table cell.
    static func names(in cell: String) -> [String] {
        ImportScanner.matches(of: "`([A-Za-z_][A-Za-z0-9_]*)`", in: cell)
    }
}

/// Finds `import` declarations in Swift source text, line by line.
enum ImportScanner {
    /// `[attributes] [access] import [kind] Module[.Sub]`, at the start of a line (so comments and strings don't count).
    static let declaration = #"^\s*(?:@[A-Za-z_]+\s+)*(?:(?:public|package|internal|fileprivate|private)\s+)?import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?([A-Za-z_][A-Za-z0-9_]*)"#

    static func imports(in text: String) -> [(line: Int, module: String)] {
        var result: [(line: Int, module: String)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let module = matches(of: declaration, in: String(line)).first { result.append((index + 1, module)) }
        }
        return result
    }

    /// The first capture group of every match of `pattern` in `text`.
    static func matches(of pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines]) else {
            preconditionFailure("bad pattern \(pattern)")
        }
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        }
    }
}
