// JournalLogHandler: journal fields from swift-log calls, and journald detection.
import EventLoop
import Foundation
import Logging
import Testing
@testable import Systemd

@Test func metadataKeysBecomeEdgeliveFields() {
    #expect(JournalLogHandler.fieldName(forMetadataKey: "component") == "EDGELIVE_COMPONENT")
    #expect(JournalLogHandler.fieldName(forMetadataKey: "event") == "EDGELIVE_EVENT")
    #expect(JournalLogHandler.fieldName(forMetadataKey: "channel") == "EDGELIVE_EVENT")
    #expect(JournalLogHandler.fieldName(forMetadataKey: "peer.address") == "EDGELIVE_PEER_ADDRESS")
    #expect(JournalLogHandler.fieldName(forMetadataKey: "streamName2") == "EDGELIVE_STREAMNAME2")
    #expect(JournalLogHandler.fieldName(forMetadataKey: "débit") == "EDGELIVE_D_BIT")
    let long = JournalLogHandler.fieldName(forMetadataKey: String(repeating: "k", count: 100))
    #expect(long.count == 64 && long.hasPrefix("EDGELIVE_KKK"))
}

@Test func levelsMapToSyslogPriorities() {
    let expected: [(Logger.Level, Int)] = [
        (.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ]
    for (level, priority) in expected {
        #expect(JournalLogHandler.priority(of: level) == priority, "\(level)")
    }
}

@Test func oneLogCallBecomesOneEntryOfFields() {
    let fields = JournalLogHandler.fields(
        level: .warning, message: "reader too slow\ndropped 3 frames",
        metadata: ["component": "rtmp", "channel": "news", "event": "news", "bitrate": .stringConvertible(3_000_000)],
        file: "Ingest/RTMPIngestConnection.swift", function: "push(_:)", line: 120, identifier: "edgelive")
    #expect(fields == [
        "MESSAGE=reader too slow\ndropped 3 frames",
        "PRIORITY=4",
        "SYSLOG_IDENTIFIER=edgelive",
        "CODE_FILE=Ingest/RTMPIngestConnection.swift",
        "CODE_LINE=120",
        "CODE_FUNC=push(_:)",
        "EDGELIVE_BITRATE=3000000",
        "EDGELIVE_EVENT=news",
        "EDGELIVE_COMPONENT=rtmp",
    ])
}

@Test func journalStreamMatchesDeviceAndInode() {
    #expect(JournalLogHandler.journalStream("8:1234", matchesDevice: 8, inode: 1234))
    #expect(!JournalLogHandler.journalStream("8:1235", matchesDevice: 8, inode: 1234))
    #expect(!JournalLogHandler.journalStream("9:1234", matchesDevice: 8, inode: 1234))
    #expect(!JournalLogHandler.journalStream("8:1234:5", matchesDevice: 8, inode: 1234))
    #expect(!JournalLogHandler.journalStream("", matchesDevice: 0, inode: 0))
    #expect(!JournalLogHandler.journalStream("x:y", matchesDevice: 0, inode: 0))
}

extension SystemdEnvironmentTests {
    @Suite struct JournalDetectionTests {
        /// JOURNAL_STREAM must name stderr itself; systemd sets it so, a stale inherited value does not.
        @Test func stderrIsTheJournalOnlyWhenJournalStreamNamesIt() async throws {
            var status = stat()
            try #require(fstat(2, &status) == 0)
            let matching = "\(status.st_dev):\(status.st_ino)"
            try await withEnvironment(["JOURNAL_STREAM": matching]) {
                #expect(JournalLogHandler.isStderrJournal())
            }
            try await withEnvironment(["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino + 1)"]) {
                #expect(!JournalLogHandler.isStderrJournal())
            }
            try await withEnvironment(["JOURNAL_STREAM": nil]) {
                #expect(!JournalLogHandler.isStderrJournal())
                #expect(JournalLogHandler.standard(label: "test") is StreamLogHandler)
            }
        }
    }
}

@Test func handlerMergesItsMetadataWithTheCall() {
    var handler = JournalLogHandler(label: "edgelive.test")
    handler[metadataKey: "component"] = "origin"
    #expect(handler[metadataKey: "component"] == "origin")
    handler.logLevel = .debug
    #expect(handler.logLevel == .debug)
    #expect(handler.identifier == "edgelive")
}

// MARK: - A real journald, when there is one

let journaldSocketPresent = FileManager.default.fileExists(atPath: "/run/systemd/journal/socket")

@Test(.enabled(if: journaldSocketPresent, "no journald here (/run/systemd/journal/socket is missing)"))
func entryReachesJournald() throws {
    let marker = "edgelive-test-\(UInt64.random(in: 0...UInt64.max))"
    let fields = JournalLogHandler.fields(level: .info, message: "journal test", metadata: ["channel": .string(marker)],
                                          file: #fileID, function: #function, line: #line, identifier: "edgelive-test")
    #expect(JournalLogHandler.send(fields) == 0)
    var found = false
    for _ in 0..<20 where !found {
        let run = Process()
        run.executableURL = URL(fileURLWithPath: "/usr/bin/journalctl")
        run.arguments = ["--no-pager", "-o", "cat", "EDGELIVE_EVENT=\(marker)"]
        let pipe = Pipe()
        run.standardOutput = pipe
        try run.run()
        run.waitUntilExit()
        let text = String(decoding: Data(BlockingRead.toEnd(fileDescriptor: pipe.fileHandleForReading.fileDescriptor)), as: UTF8.self)
        found = text.contains("journal test")
        if !found { usleep(100_000) }
    }
    #expect(found)
}
