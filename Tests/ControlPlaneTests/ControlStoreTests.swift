import Foundation
import GRDB
import Testing
@testable import ControlPlane

/// The SQLite store: numbered migrations, resource rows, transactions, operations.
@Suite struct ControlStoreTests {
    private func temporaryPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgelive-store-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("edgelive.sqlite").path
    }

    @Test func freshDatabaseGetsEveryMigrationInOrder() async throws {
        let store = try ControlStore(path: temporaryPath())
        #expect(try await store.appliedMigrations() == ["1-resources", "2-operations", "3-runtime-state", "4-box-facts"])
    }

    @Test func olderDatabaseIsMigratedForwardKeepingItsRows() async throws {
        let path = temporaryPath()
        // A database as the first release left it: only migration 1, one live event row.
        do {
            let queue = try DatabaseQueue(path: path)
            try ControlStore.migrator.migrate(queue, upTo: "1-resources")
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO resource (kind, parent, name, body, created) VALUES ('liveEvent', '', 'news', '{}', 1)")
            }
        }
        let store = try ControlStore(path: path)
        #expect(try await store.appliedMigrations() == ["1-resources", "2-operations", "3-runtime-state", "4-box-facts"])
        let rows = try await store.rows(.liveEvent)
        #expect(rows.map(\.name) == ["news"])
        #expect(rows.first?.runtime == nil)
    }

    @Test func aNewDatabaseIsNotProvisionedUntilMarkedInTheSameTransaction() async throws {
        let path = temporaryPath()
        do {
            let store = try ControlStore(path: path)
            #expect(try await store.isProvisioned() == false)
        }
        // Reopened (a first start that failed after creating the file): still not provisioned.
        let store = try ControlStore(path: path)
        #expect(try await store.isProvisioned() == false)
        try await store.apply([.put(StoredRow(kind: .streamingEndpoint, name: "default", body: "{}", created: Date())), .markProvisioned])
        #expect(try await ControlStore(path: path).isProvisioned())
    }

    @Test func aDatabaseFromBeforeTheMarkThatHoldsResourcesWasProvisioned() async throws {
        let path = temporaryPath()
        let empty = temporaryPath()
        for file in [path, empty] {
            let queue = try DatabaseQueue(path: file)
            try ControlStore.migrator.migrate(queue, upTo: "3-runtime-state")
            if file == path {
                try await queue.write { db in
                    try db.execute(sql: "INSERT INTO resource (kind, parent, name, body, created) VALUES ('streamingEndpoint', '', 'default', '{}', 1)")
                }
            }
        }
        #expect(try await ControlStore(path: path).isProvisioned())
        #expect(try await ControlStore(path: empty).isProvisioned() == false)
    }

    @Test func reopeningAppliesNothingTwiceAndKeepsData() async throws {
        let path = temporaryPath()
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        do {
            let store = try ControlStore(path: path)
            try await store.put(StoredRow(kind: .asset, name: "a1", body: #"{"name":"a1"}"#, runtime: #"{"dir":"x"}"#, created: created))
        }
        let again = try ControlStore(path: path)
        let rows = try await again.rows(.asset)
        #expect(rows == [StoredRow(kind: .asset, name: "a1", body: #"{"name":"a1"}"#, runtime: #"{"dir":"x"}"#, created: created)])
    }

    @Test func namesCompareWithoutCaseAndReplaceKeepsOneRow() async throws {
        let store = try ControlStore()
        let t = Date(timeIntervalSince1970: 10)
        try await store.put(StoredRow(kind: .liveEvent, name: "News", body: "1", created: t))
        try await store.put(StoredRow(kind: .liveEvent, name: "NEWS", body: "2", created: t))
        let rows = try await store.rows(.liveEvent)
        #expect(rows.count == 1)
        #expect(rows.first?.body == "2")
        #expect(rows.first?.name == "NEWS")
        try await store.delete(.liveEvent, name: "news")
        #expect(try await store.rows(.liveEvent).isEmpty)
    }

    @Test func rowsComeOldestFirstAndKindsAreSeparate() async throws {
        let store = try ControlStore()
        try await store.put(StoredRow(kind: .asset, name: "late", body: "{}", created: Date(timeIntervalSince1970: 20)))
        try await store.put(StoredRow(kind: .asset, name: "early", body: "{}", created: Date(timeIntervalSince1970: 10)))
        try await store.put(StoredRow(kind: .streamingLocator, name: "early", body: "{}", created: Date(timeIntervalSince1970: 5)))
        #expect(try await store.rows(.asset).map(\.name) == ["early", "late"])
        #expect(try await store.rows(.streamingLocator).map(\.name) == ["early"])
    }

    @Test func transactionAppliesAllChangesTogether() async throws {
        let store = try ControlStore()
        let t = Date(timeIntervalSince1970: 1)
        try await store.apply([
            .put(StoredRow(kind: .liveEvent, name: "e", body: "{}", created: t)),
            .put(StoredRow(kind: .liveOutput, parent: "e", name: "o1", body: "{}", created: t)),
            .put(StoredRow(kind: .liveOutput, parent: "e", name: "o2", body: "{}", created: t)),
            .put(StoredRow(kind: .liveOutput, parent: "other", name: "o1", body: "{}", created: t)),
        ])
        try await store.apply([.deleteChildren(.liveOutput, parent: "E"), .delete(.liveEvent, parent: "", name: "e")])
        #expect(try await store.rows(.liveEvent).isEmpty)
        #expect(try await store.rows(.liveOutput).map(\.parent) == ["other"])
    }

    @Test func operationsAreRecordedUpdatedAndPruned() async throws {
        let store = try ControlStore()
        let old = OperationRecord(id: "op-old", family: .liveEvent, resource: "liveevents/e", status: .succeeded,
                                  created: Date(timeIntervalSince1970: 100))
        var current = OperationRecord(id: "op-new", family: .streamingEndpoint, resource: "streamingendpoints/default",
                                      status: .inProgress, created: Date(timeIntervalSince1970: 1000))
        try await store.put(old)
        try await store.put(current)
        current.status = .failed
        current.errorJSON = #"{"code":"Conflict","message":"busy"}"#
        try await store.put(current)
        #expect(try await store.operation(id: "OP-NEW") == current)
        try await store.pruneOperations(before: Date(timeIntervalSince1970: 500))
        #expect(try await store.operation(id: "op-old") == nil)
        #expect(try await store.operation(id: "op-new") != nil)
    }

    @Test func unusablePathIsAClearError() {
        #expect {
            _ = try ControlStore(path: "/proc/edgelive-cannot-exist/edgelive.sqlite")
        } throws: { error in
            "\(error)".contains("/proc/edgelive-cannot-exist/edgelive.sqlite")
        }
    }
}
