// `event create|list|show|start|stop|reset|delete` against the fake ARM server: exact requests, LRO polling, output.
import AMSModels
import HTTP
import Testing
@testable import Client

@Suite struct LiveEventVerbTests {
    static let allowAll = #"{"ip":{"allow":[{"address":"0.0.0.0","name":"AllowAll","subnetPrefixLength":0}]}}"#

    @Test func createSendsTheARMBodyPollsTheOperationAndGetsTheEvent() async throws {
        let fake = FakeARMServer()
        fake.on("PUT", "/liveEvents/news", FakeARMServer.accepted(201, operation: "op1", body: Array(#"{"name":"news"}"#.utf8)))
        fake.on("GET", "/liveeventoperations/op1", FakeARMServer.operation("op1", "InProgress", error: LenientErrorDetail(code: "None")),
                FakeARMServer.operation("op1", "Succeeded"))
        fake.on("GET", "/liveEvents/news", FakeARMServer.json(runningEvent("news")))
        let output = try await withFakeARM(fake) { client in
            try await client.createEvent(LiveEventCreateOptions(name: "news", encoding: "passthroughstandard", keyFrameInterval: "PT2S",
                                                                description: "Evening news"))
        }
        #expect(fake.calls == [
            "PUT /liveEvents/news?api-version=2022-11-01&autoStart=true",
            "GET /liveeventoperations/op1?api-version=2022-11-01",
            "GET /liveeventoperations/op1?api-version=2022-11-01",
            "GET /liveEvents/news?api-version=2022-11-01",
        ])
        let put = try #require(fake.requests.first)
        #expect(put.authorization == "Bearer secret-token")
        #expect(fake.requests.allSatisfy { $0.authorization == "Bearer secret-token" })
        #expect(put.contentType == "application/json")
        #expect(put.body == #"{"location":"local","properties":{"description":"Evening news","encoding":{"encodingType":"PassthroughStandard"},"#
            + #""input":{"accessControl":\#(Self.allowAll),"keyFrameIntervalDuration":"PT2S","streamingProtocol":"RTMP"},"#
            + #""preview":{"accessControl":\#(Self.allowAll)}}}"#)
        #expect(output.standardOutput.contains("State:"))
        #expect(output.standardOutput.contains("Running"))
        #expect(output.standardOutput.contains("rtmp://box:1935/live/0123456789abcdef0123456789abcdef  (RTMP)"))
        #expect(output.standardOutput.contains("http://box:8080/3f1c/preview.ism/manifest(format=m3u8-cmaf)"))
        #expect(output.standardOutput.contains("http://box:8080/3f1c/preview.ism/manifest(format=mpd-time-cmaf)"))
    }

    @Test func createWithEveryOptionBuildsTheEncodingBody() async throws {
        let options = LiveEventCreateOptions(name: "hd", encoding: "Standard", preset: "Default720p", streamingProtocol: "fragmentedmp4",
                                             accessToken: "abcdef0123456789abcdef0123456789", allow: ["10.0.0.0/8", "192.168.1.7"],
                                             previewAllow: ["fd00::/8"], keyFrameInterval: "PT1S", lowLatency: true, staticHostname: true,
                                             location: "edge", autoStart: false, encodePolicy: "Never")
        let fake = FakeARMServer()
        fake.on("PUT", "/liveEvents/hd", FakeARMServer.json(runningEvent("hd")))
        fake.on("GET", "/liveEvents/hd", FakeARMServer.json(runningEvent("hd")))
        _ = try await withFakeARM(fake) { client in try await client.createEvent(options) }
        #expect(fake.calls == ["PUT /liveEvents/hd?api-version=2022-11-01&autoStart=false", "GET /liveEvents/hd?api-version=2022-11-01"])
        #expect(fake.requests.first?.body == #"{"location":"edge","properties":{"#
            + #""encoding":{"encodingType":"Standard","keyFrameInterval":"PT1S","presetName":"Default720p"},"#
            + #""input":{"accessControl":{"ip":{"allow":[{"address":"10.0.0.0","name":"10.0.0.0/8","subnetPrefixLength":8},"#
            + #"{"address":"192.168.1.7","name":"192.168.1.7","subnetPrefixLength":32}]}},"#
            + #""accessToken":"abcdef0123456789abcdef0123456789","streamingProtocol":"FragmentedMP4"},"#
            + #""preview":{"accessControl":{"ip":{"allow":[{"address":"fd00::","name":"fd00::/8","subnetPrefixLength":8}]}}},"#
            + #""streamOptions":["LowLatencyV2"],"useStaticHostname":true},"tags":{"edgelive.encodePolicy":"never"}}"#)
    }

    @Test func badOptionValuesAreUsageErrorsBeforeAnyRequest() {
        func code(_ options: LiveEventCreateOptions) -> ClientExitCode? {
            do { _ = try options.makeBody(); return nil } catch { return error.exitCode }
        }
        #expect(code(LiveEventCreateOptions(name: "a", encoding: "Turbo")) == .usage)
        #expect(code(LiveEventCreateOptions(name: "a", streamingProtocol: "SRT")) == .usage)
        #expect(code(LiveEventCreateOptions(name: "a", allow: ["10.0.0.0/33"])) == .usage)
        #expect(code(LiveEventCreateOptions(name: "a", allow: ["300.1.1.1"])) == .usage)
        #expect(code(LiveEventCreateOptions(name: "a", keyFrameInterval: "2s")) == .usage)
        #expect(code(LiveEventCreateOptions(name: "a", preset: "Default720p")) == .usage)
        #expect(code(LiveEventCreateOptions(name: "a", encodePolicy: "never")) == .usage)  // pass-through
        #expect(code(LiveEventCreateOptions(name: "a", encoding: "Standard", encodePolicy: "sometimes")) == .usage)
        #expect(code(LiveEventCreateOptions(name: "a", encoding: "PassthroughBasic", lowLatency: true)) == nil)
    }

    @Test func listPrintsAnAlignedTableAndJSONPrintsTheRawList() async throws {
        var stopped = runningEvent("sports")
        stopped.properties?.resourceState = .stopped
        stopped.properties?.input?.endpoints = []
        let list = ARMList(value: [runningEvent("news"), stopped], odataCount: 2)
        let fake = FakeARMServer()
        fake.on("GET", "/liveEvents", FakeARMServer.json(list))
        let table = try await withFakeARM(fake) { client in try await client.listEvents() }
        #expect(table.standardOutput == """
            NAME    STATE    ENCODING             PROTOCOL  INGEST
            news    Running  PassthroughStandard  RTMP      rtmp://box:1935/live/0123456789abcdef0123456789abcdef
            sports  Stopped  PassthroughStandard  RTMP      -

            """)
        let raw = try await withFakeARM(fake, json: true) { client in try await client.listEvents() }
        #expect(raw.standardOutput == String(decoding: try ARMJSON.encode(list), as: UTF8.self) + "\n")
        #expect(fake.calls == ["GET /liveEvents?api-version=2022-11-01", "GET /liveEvents?api-version=2022-11-01"])
    }

    @Test func showPrintsAKeyValueBlock() async throws {
        let fake = FakeARMServer()
        fake.on("GET", "/liveEvents/news", FakeARMServer.json(runningEvent("news")))
        let output = try await withFakeARM(fake) { client in try await client.showEvent("news") }
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first == "Name:          news")
        #expect(lines.contains("State:         Running"))
        #expect(lines.contains("Access token:  0123456789abcdef0123456789abcdef"))
        #expect(lines.contains("Ingest:        rtmp://box:1935/live/0123456789abcdef0123456789abcdef  (RTMP)"))
        #expect(lines.contains("               http://box:8080/3f1c/preview.ism/manifest(format=m3u8-cmaf)"))
    }

    @Test func stopSendsRemoveOutputsAndShowsTheEventAfterTheOperation() async throws {
        var stopped = runningEvent("news")
        stopped.properties?.resourceState = .stopped
        let fake = FakeARMServer()
        fake.on("POST", "/liveEvents/news/stop", FakeARMServer.accepted(202, operation: "op2"))
        fake.on("GET", "/liveeventoperations/op2", FakeARMServer.operation("op2", "Succeeded"))
        fake.on("GET", "/liveEvents/news", FakeARMServer.json(stopped))
        let output = try await withFakeARM(fake) { client in try await client.stopEvent("news", removeOutputs: true) }
        #expect(fake.calls == [
            "POST /liveEvents/news/stop?api-version=2022-11-01",
            "GET /liveeventoperations/op2?api-version=2022-11-01",
            "GET /liveEvents/news?api-version=2022-11-01",
        ])
        #expect(fake.requests.first?.body == #"{"removeOutputsOnStop":true}"#)
        #expect(output.standardOutput.contains("State:         Stopped"))
    }

    @Test func startAndResetPostWithoutABodyAndAcceptASynchronousAnswer() async throws {
        let fake = FakeARMServer()
        fake.on("POST", "/liveEvents/news/start", HTTPResponse(status: 200))
        fake.on("POST", "/liveEvents/news/reset", HTTPResponse(status: 200))
        fake.on("GET", "/liveEvents/news", FakeARMServer.json(runningEvent("news")))
        try await withFakeARM(fake) { client in
            _ = try await client.startEvent("news")
            _ = try await client.resetEvent("news")
        }
        #expect(fake.calls == [
            "POST /liveEvents/news/start?api-version=2022-11-01", "GET /liveEvents/news?api-version=2022-11-01",
            "POST /liveEvents/news/reset?api-version=2022-11-01", "GET /liveEvents/news?api-version=2022-11-01",
        ])
        #expect(fake.requests.filter { $0.method == "POST" }.allSatisfy { $0.body.isEmpty })
    }

    @Test func deletePollsAndDoesNotGetTheResourceAfterwards() async throws {
        let fake = FakeARMServer()
        fake.on("DELETE", "/liveEvents/news", FakeARMServer.accepted(202, operation: "op3"), HTTPResponse(status: 204))
        fake.on("GET", "/liveeventoperations/op3", FakeARMServer.operation("op3", "InProgress"), FakeARMServer.operation("op3", "Succeeded"))
        let (first, second) = try await withFakeARM(fake) { client in
            (try await client.deleteEvent("news"), try await client.deleteEvent("news"))
        }
        #expect(fake.calls == [
            "DELETE /liveEvents/news?api-version=2022-11-01",
            "GET /liveeventoperations/op3?api-version=2022-11-01",
            "GET /liveeventoperations/op3?api-version=2022-11-01",
            "DELETE /liveEvents/news?api-version=2022-11-01",
        ])
        #expect(first.standardOutput == "deleted live event 'news'\n")
        #expect(second.standardOutput == "live event 'news' did not exist; nothing to delete\n")
    }

    @Test func noWaitReturnsAfterTheDaemonAcceptedTheOperation() async throws {
        let fake = FakeARMServer()
        fake.on("POST", "/liveEvents/news/start", FakeARMServer.accepted(202, operation: "op4"))
        let output = try await withFakeARM(fake, wait: false) { client in try await client.startEvent("news") }
        #expect(fake.calls == ["POST /liveEvents/news/start?api-version=2022-11-01"])
        #expect(output.standardOutput.hasPrefix("accepted: the start of live event 'news' is in progress; follow it with `edgelive event show news`"))
        #expect(output.standardOutput.contains("operation: https://management.azure.com"))
    }

    @Test func aFailedOperationReportsItsErrorAndExitCode() async throws {
        let fake = FakeARMServer()
        fake.on("POST", "/liveEvents/news/stop", FakeARMServer.accepted(202, operation: "op5"))
        fake.on("GET", "/liveeventoperations/op5",
                FakeARMServer.operation("op5", "Failed", error: LenientErrorDetail(code: "InvalidOperation", message: "The live event has running live outputs.")))
        let error = try await withFakeARM(fake) { client in
            await clientError { () throws(ClientError) in try await client.stopEvent("news", removeOutputs: false) }
        }
        #expect(error?.exitCode == .conflict)
        #expect(error?.code == "InvalidOperation")
        #expect(error?.message == "The live event has running live outputs.")
        #expect(fake.calls.count == 2)
    }
}
