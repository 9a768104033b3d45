import AMSModels
import Foundation
import GRDB

/// The control plane's durable state: every resource and long-running operation, in one SQLite file
/// (`<data-dir>/edgelive.sqlite`).
///
/// Resources are stored as their swagger JSON (the same document the API returns, minus what the
/// runtime fills in on every read) plus a few columns the appliance needs to find them. The schema
/// evolves only through the numbered migrations in ``migrator``; each is applied once, in order,
/// inside a transaction, and recorded by GRDB in `grdb_migrations`.
///
/// SQLite runs on GRDB's own serial queue, never on the event loop thread: every call here is `async`
/// and suspends the caller until the write is committed (WAL, `synchronous=NORMAL` would lose the
/// last commits on power loss, so the default FULL is kept: an API answer means the change is on disk).
public final class ControlStore: Sendable {
    private let queue: DatabaseQueue
    /// Where the database lives, for messages.
    public let path: String

    /// Opens (creating if needed) the store at `path` and applies pending migrations. The file is made mode 0600 first:
    /// it holds content keys and content key policy secrets (SQLite gives its journal the same mode).
    public init(path: String) throws(StoreError) {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0, fchmod(fd, 0o600) == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            throw StoreError("cannot open the state database \(path): \(reason); the data directory must be writable by the daemon's user")
        }
        close(fd)
        do {
            var configuration = Configuration()
            configuration.label = "edgelive.store"
            configuration.busyMode = .timeout(5)
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(queue)
        } catch let error as DatabaseError {
            throw StoreError("cannot open the state database \(path): \(error.message ?? error.description)")
        } catch {
            throw StoreError("cannot open the state database \(path): \(error)")
        }
    }

    /// An in-memory store for tests.
    public init() throws(StoreError) {
        path = ":memory:"
        do {
            queue = try DatabaseQueue()
            try Self.migrator.migrate(queue)
        } catch {
            throw StoreError("cannot create an in-memory state database: \(error)")
        }
    }

    // MARK: - Migrations

    /// Numbered migrations. Never edit a shipped one: add the next number.
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        // 1: every resource as a JSON document keyed by kind, parent and name (names compare without case,
        //    as ARM does).
        migrator.registerMigration("1-resources") { db in
            try db.execute(sql: """
                CREATE TABLE resource (
                    kind TEXT NOT NULL,
                    parent TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
                    name TEXT NOT NULL COLLATE NOCASE,
                    body TEXT NOT NULL,
                    created REAL NOT NULL,
                    PRIMARY KEY (kind, parent, name)
                ) WITHOUT ROWID
                """)
        }
        // 2: long-running operations, so an SDK polling across a daemon restart still gets an answer.
        migrator.registerMigration("2-operations") { db in
            try db.execute(sql: """
                CREATE TABLE operation (
                    id TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
                    family TEXT NOT NULL,
                    resource TEXT NOT NULL,
                    status TEXT NOT NULL,
                    error TEXT,
                    created REAL NOT NULL
                )
                """)
        }
        // 3: what the runtime keeps beside a resource but never returns in the API (an asset's manifest
        //    name and archive directory, a live event's desired state), and the index that lists children
        //    in creation order.
        migrator.registerMigration("3-runtime-state") { db in
            try db.execute(sql: "ALTER TABLE resource ADD COLUMN runtime TEXT")
            try db.execute(sql: "CREATE INDEX resource_by_created ON resource (kind, created)")
            try db.execute(sql: "CREATE INDEX operation_by_created ON operation (created)")
        }
        // 4: facts about the box itself. `provisioned` is written in the same transaction as a new box's built-in
        //    resources, so a first start that fails before then (a taken port, a bad profile directory) leaves the
        //    next start a first start. A database from before this migration that holds resources was provisioned.
        migrator.registerMigration("4-box-facts") { db in
            try db.execute(sql: "CREATE TABLE box (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID")
            try db.execute(sql: "INSERT INTO box (key, value) SELECT 'provisioned', '1' WHERE EXISTS (SELECT 1 FROM resource)")
        }
        return migrator
    }

    /// Names of the migrations applied to this database, in order.
    public func appliedMigrations() async throws(StoreError) -> [String] {
        try await read { db in try Self.migrator.appliedMigrations(db) }
    }

    // MARK: - Resources

    /// Every stored row of `kind`, oldest first.
    public func rows(_ kind: StoredKind) async throws(StoreError) -> [StoredRow] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT parent, name, body, runtime, created FROM resource WHERE kind = ? ORDER BY created, name",
                             arguments: [kind.rawValue]).map { row in
                StoredRow(kind: kind, parent: row["parent"], name: row["name"], body: row["body"],
                          runtime: row["runtime"], created: Date(timeIntervalSince1970: row["created"]))
            }
        }
    }

    /// Inserts or replaces one resource.
    public func put(_ row: StoredRow) async throws(StoreError) {
        try await write { db in try Self.put(row, db) }
    }

    /// Applies several changes in one transaction: all of them are on disk, or none.
    public func apply(_ changes: [StoreChange]) async throws(StoreError) {
        guard !changes.isEmpty else { return }
        try await write { db in
            for change in changes {
                switch change {
                case .put(let row): try Self.put(row, db)
                case let .delete(kind, parent, name):
                    try db.execute(sql: "DELETE FROM resource WHERE kind = ? AND parent = ? AND name = ?",
                                   arguments: [kind.rawValue, parent, name])
                case let .deleteChildren(kind, parent):
                    try db.execute(sql: "DELETE FROM resource WHERE kind = ? AND parent = ?", arguments: [kind.rawValue, parent])
                case .operation(let record): try Self.put(record, db)
                case .markProvisioned:
                    try db.execute(sql: "INSERT OR REPLACE INTO box (key, value) VALUES ('provisioned', '1')")
                }
            }
        }
    }

    /// Whether a start has completed a new box's provisioning (its built-in resources are stored); see migration 4.
    public func isProvisioned() async throws(StoreError) -> Bool {
        try await read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM box WHERE key = 'provisioned')") ?? false }
    }

    /// Removes one resource; no error when it is absent.
    public func delete(_ kind: StoredKind, parent: String = "", name: String) async throws(StoreError) {
        try await apply([.delete(kind, parent: parent, name: name)])
    }

    private static func put(_ row: StoredRow, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO resource (kind, parent, name, body, runtime, created) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (kind, parent, name) DO UPDATE SET name = excluded.name, body = excluded.body, runtime = excluded.runtime
            """, arguments: [row.kind.rawValue, row.parent, row.name, row.body, row.runtime, row.created.timeIntervalSince1970])
    }

    // MARK: - Operations

    /// Records or updates a long-running operation.
    public func put(_ operation: OperationRecord) async throws(StoreError) {
        try await write { db in try Self.put(operation, db) }
    }

    /// One operation by id, or nil.
    public func operation(id: String) async throws(StoreError) -> OperationRecord? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM operation WHERE id = ?", arguments: [id]).map(OperationRecord.init(row:))
        }
    }

    /// Forgets operations older than `date` (they are only polled for seconds or minutes).
    public func pruneOperations(before date: Date) async throws(StoreError) {
        try await write { db in
            try db.execute(sql: "DELETE FROM operation WHERE created < ?", arguments: [date.timeIntervalSince1970])
        }
    }

    private static func put(_ operation: OperationRecord, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO operation (id, family, resource, status, error, created) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, error = excluded.error
            """, arguments: [operation.id, operation.family.rawValue, operation.resource, operation.status.rawValue,
                             operation.errorJSON, operation.created.timeIntervalSince1970])
    }

    // MARK: - Queue access

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await queue.read(body)
        } catch {
            throw StoreError(describing: error, path: path)
        }
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await queue.write(body)
        } catch {
            throw StoreError(describing: error, path: path)
        }
    }
}

/// The kinds of resource rows.
public enum StoredKind: String, Sendable, CaseIterable {
    case liveEvent, liveOutput, asset, streamingLocator, streamingPolicy, streamingEndpoint
    /// Account filters; asset filters (parent: the asset's name).
    case accountFilter, assetFilter
    /// Content key policies, secrets included (the database file is the daemon user's only: mode 0600).
    case contentKeyPolicy
}

/// One stored resource: its API document and the runtime's private notes about it.
public struct StoredRow: Sendable, Equatable {
    public var kind: StoredKind
    /// The parent's name for child resources (a live output's event), else empty.
    public var parent: String
    public var name: String
    /// The resource's swagger JSON.
    public var body: String
    /// Private runtime state (JSON), never returned by the API.
    public var runtime: String?
    public var created: Date

    public init(kind: StoredKind, parent: String = "", name: String, body: String, runtime: String? = nil, created: Date) {
        self.kind = kind
        self.parent = parent
        self.name = name
        self.body = body
        self.runtime = runtime
        self.created = created
    }
}

/// One change in a ``ControlStore/apply(_:)`` transaction.
public enum StoreChange: Sendable {
    case put(StoredRow)
    case delete(StoredKind, parent: String, name: String)
    /// Every child of `kind` under `parent` (a live event's outputs).
    case deleteChildren(StoredKind, parent: String)
    case operation(OperationRecord)
    /// The box's built-in resources are stored (written with them, in their transaction).
    case markProvisioned
}

/// A long-running operation as the `…Operations/{id}` endpoints report it.
public struct OperationRecord: Sendable, Equatable {
    public enum Family: String, Sendable { case liveEvent, liveOutput, streamingEndpoint }
    public enum Status: String, Sendable { case inProgress = "InProgress", succeeded = "Succeeded", failed = "Failed" }

    public var id: String
    public var family: Family
    /// The ARM id (account-relative path) of the resource the operation acts on.
    public var resource: String
    public var status: Status
    /// The ARM error detail JSON when failed.
    public var errorJSON: String?
    public var created: Date

    public init(id: String, family: Family, resource: String, status: Status, errorJSON: String? = nil, created: Date) {
        self.id = id
        self.family = family
        self.resource = resource
        self.status = status
        self.errorJSON = errorJSON
        self.created = created
    }

    init(row: Row) throws {
        let familyText: String = row["family"], statusText: String = row["status"]
        guard let family = Family(rawValue: familyText), let status = Status(rawValue: statusText) else {
            throw StoreError("operation row has an unknown family '\(familyText)' or status '\(statusText)'")
        }
        self.init(id: row["id"], family: family, resource: row["resource"], status: status,
                  errorJSON: row["error"], created: Date(timeIntervalSince1970: row["created"]))
    }
}

/// A state database problem, with the file and the reason.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }

    init(describing error: any Error, path: String) {
        if let store = error as? StoreError {
            self = store
        } else if let database = error as? DatabaseError {
            let hint = database.resultCode == .SQLITE_FULL ? " (the disk is full: free space in the data directory)" : ""
            self.init("state database \(path): \(database.message ?? database.description)\(hint)")
        } else {
            self.init("state database \(path): \(error)")
        }
    }
}
