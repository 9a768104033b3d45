// Error responses → exit codes and messages; token and API resolution.
import AMSModels
import Foundation
import HTTP
import Testing
@testable import Client

@Suite struct ExitCodeTests {
    @Test(arguments: [
        (404, "ResourceNotFound", ClientExitCode.notFound),
        (409, "Conflict", .conflict),
        (400, "InvalidOperation", .conflict),
        (400, "Conflict", .conflict),
        (401, "AuthenticationFailed", .authentication),
        (403, "AuthorizationFailed", .authentication),
        (400, "BadRequest", .badRequest),
        (500, "InternalError", .failure),
    ])
    func errorResponsesMapToExitCodes(status: Int, code: String, expected: ClientExitCode) async throws {
        let fake = FakeARMServer()
        fake.on("GET", "/liveEvents/news", FakeARMServer.error(status, code, "message for \(code)"))
        let error = try await withFakeARM(fake) { client in await clientError { () throws(ClientError) in try await client.showEvent("news") } }
        let failure = try #require(error)
        #expect(failure.exitCode == expected)
        #expect(failure.code == code)
        #expect(failure.status == status)
        #expect(failure.report.hasPrefix("edgelive: error: \(code): message for \(code) (HTTP \(status))\n"))
    }

    @Test func errorsCarryAHintNamingTheNextCommand() async throws {
        let fake = FakeARMServer()
        fake.on("GET", "/liveEvents/gone", FakeARMServer.error(404, "ResourceNotFound", "The live event 'gone' was not found."))
        fake.on("POST", "/liveEvents/busy/start", FakeARMServer.error(409, "Conflict", "Another operation is in progress."))
        let (missing, busy) = try await withFakeARM(fake) { client in
            (await clientError { () throws(ClientError) in try await client.showEvent("gone") },
             await clientError { () throws(ClientError) in try await client.startEvent("busy") })
        }
        #expect(missing?.hint == "live event 'gone' does not exist; see `edgelive event list`")
        #expect(busy?.hint?.contains("`edgelive event show busy`") == true)
    }

    @Test func aPlainTextErrorBodyIsKeptAsTheMessage() async throws {
        let fake = FakeARMServer()
        fake.on("GET", "/assets/x", HTTPResponse.text("token expired", status: 401))
        let error = try await withFakeARM(fake) { client in await clientError { () throws(ClientError) in try await client.showAsset("x") } }
        #expect(error?.exitCode == .authentication)
        #expect(error?.code == nil)
        #expect(error?.message == "token expired")
        #expect(error?.hint?.contains("--token") == true)
    }

    @Test func connectionRefusedIsExitCodeFiveWithAHint() async throws {
        // Port 1 (tcpmux) is privileged and unused on test machines, so the connect is refused.
        let configuration = ClientConfiguration(apiURL: "http://127.0.0.1:1", token: "t")
        let result = await ClientRunner.execute(configuration, json: false, wait: true) { client throws(ClientError) in try await client.listEvents() }
        #expect(result.exitCode == .unreachable)
        #expect(result.output.standardOutput.isEmpty)
        #expect(result.output.standardError.contains("cannot reach the edgelive API at http://127.0.0.1:1"))
        #expect(result.output.standardError.contains("ECONNREFUSED"))
        #expect(result.output.standardError.contains("hint: is the daemon running? start it with `edgelive serve`, or pass --api URL"))
    }

    @Test func theRunnerReadsTheTokenFileAndSucceeds() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edgelive-client-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "file-token\n".write(to: directory.appendingPathComponent("api-token"), atomically: true, encoding: .utf8)
        let fake = FakeARMServer()
        fake.on("GET", "/liveEvents", FakeARMServer.json(ARMList<LiveEvent>(value: [])))
        let host = try FakeARMHost()
        let port = try await host.start(fake)
        let options = ClientOptions(dataDirectory: directory.path)
        let result = await ClientRunner.execute(options, json: false, wait: true, environment: ["EDGELIVE_API": "http://127.0.0.1:\(port)"]) {
            client throws(ClientError) in try await client.listEvents()
        }
        try await host.stop()
        #expect(result.exitCode == .success)
        #expect(result.output.standardOutput == "No live events. Create one with `edgelive event create NAME`.\n")
        #expect(fake.requests.first?.authorization == "Bearer file-token")
    }

    @Test func tokenResolutionOrderAndMissingFileMessage() throws {
        #expect(try ClientOptions.resolveToken(explicit: " cli ", environment: ["EDGELIVE_TOKEN": "env"], dataDirectory: "/nonexistent") == "cli")
        #expect(try ClientOptions.resolveToken(explicit: nil, environment: ["EDGELIVE_TOKEN": "env"], dataDirectory: "/nonexistent") == "env")
        do {
            _ = try ClientOptions.resolveToken(explicit: nil, environment: [:], dataDirectory: "/nonexistent/data")
            Issue.record("a missing token file must fail")
        } catch {
            #expect(error.exitCode == .authentication)
            #expect(error.message.contains("/nonexistent/data/api-token was tried but it does not exist"))
        }
    }

    @Test func apiResolution() throws {
        #expect(try ClientOptions.resolveAPI(explicit: nil, environment: [:]) == "http://127.0.0.1:8090")
        #expect(try ClientOptions.resolveAPI(explicit: nil, environment: ["EDGELIVE_API": "http://box:9000"]) == "http://box:9000")
        #expect(try ClientOptions.resolveAPI(explicit: "http://a:1", environment: ["EDGELIVE_API": "http://box:9000"]) == "http://a:1")
        #expect(throws: ClientError.self) { try ClientOptions.resolveAPI(explicit: "https://box", environment: [:]) }
        #expect(ClientConfiguration(apiURL: "http://box:1//", token: "t").apiURL == "http://box:1")
    }

    @Test func operationErrorCodesMapLikeResponses() {
        #expect(ClientExitCode.forOperationError(code: "Conflict") == .conflict)
        #expect(ClientExitCode.forOperationError(code: "ResourceNotFound") == .notFound)
        #expect(ClientExitCode.forOperationError(code: "InternalServerError") == .failure)
        #expect(ClientExitCode.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5, 6, 64])
    }
}
