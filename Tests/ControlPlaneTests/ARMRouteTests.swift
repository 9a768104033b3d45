// Routing: every swagger path maps to its target, fixed segments ignore case, names are decoded, bad paths/methods fail as ARM does.
import AMSModels
import Foundation
import Testing
import TestSupport
@testable import ControlPlane

@Suite struct ARMRouteTests {
    static let account = "/subscriptions/sub-1/resourceGroups/My-RG/providers/Microsoft.Media/mediaservices/Acct1"
    static let accountM = "/subscriptions/sub-1/resourceGroups/My-RG/providers/Microsoft.Media/mediaServices/Acct1"

    static func route(_ method: String, _ suffix: String, base: String = account) throws(ARMError) -> ARMRoute {
        try ARMRoute.parse(method: method, path: base + suffix)
    }

    @Test(arguments: [
        ("GET", "", ARMRoute.Target.account),
        ("GET", "/liveEvents", .liveEvents),
        ("PUT", "/liveEvents/le1", .liveEvent("le1")),
        ("PATCH", "/liveEvents/le1", .liveEvent("le1")),
        ("DELETE", "/liveEvents/le1", .liveEvent("le1")),
        ("POST", "/liveEvents/le1/allocate", .liveEventAction("le1", .allocate)),
        ("POST", "/liveEvents/le1/start", .liveEventAction("le1", .start)),
        ("POST", "/liveEvents/le1/stop", .liveEventAction("le1", .stop)),
        ("POST", "/liveEvents/le1/reset", .liveEventAction("le1", .reset)),
        ("POST", "/liveEvents/le1/getStatus", .liveEventAction("le1", .getStatus)),
        ("POST", "/liveEvents/le1/getStreamEvents", .liveEventAction("le1", .getStreamEvents)),
        ("POST", "/liveEvents/le1/getTrackIngestHeartbeats", .liveEventAction("le1", .getTrackIngestHeartbeats)),
        ("GET", "/liveEventOperations/op-1", .liveEventOperation("op-1")),
        ("GET", "/liveEvents/le1/operationLocations/op-1", .liveEventOperationLocation(liveEvent: "le1", operationId: "op-1")),
        ("GET", "/liveEvents/le1/liveOutputs", .liveOutputs(liveEvent: "le1")),
        ("PUT", "/liveEvents/le1/liveOutputs/lo1", .liveOutput(liveEvent: "le1", liveOutput: "lo1")),
        ("GET", "/liveOutputOperations/op-2", .liveOutputOperation("op-2")),
        ("GET", "/liveEvents/le1/liveOutputs/lo1/operationLocations/op-2", .liveOutputOperationLocation(liveEvent: "le1", liveOutput: "lo1", operationId: "op-2")),
        ("GET", "/streamingEndpoints", .streamingEndpoints),
        ("PATCH", "/streamingEndpoints/default", .streamingEndpoint("default")),
        ("POST", "/streamingEndpoints/default/start", .streamingEndpointAction("default", .start)),
        ("POST", "/streamingEndpoints/default/stop", .streamingEndpointAction("default", .stop)),
        ("POST", "/streamingEndpoints/default/scale", .streamingEndpointAction("default", .scale)),
        ("GET", "/streamingEndpoints/default/skus", .streamingEndpointSkus("default")),
        ("GET", "/streamingEndpointOperations/op-3", .streamingEndpointOperation("op-3")),
        ("GET", "/streamingEndpoints/default/operationLocations/op-3", .streamingEndpointOperationLocation(streamingEndpoint: "default", operationId: "op-3")),
    ])
    func streamingPaths(method: String, suffix: String, target: ARMRoute.Target) throws {
        let route = try Self.route(method, suffix)
        #expect(route.target == target)
        #expect(route.method.rawValue == method)
        #expect(route.account.subscriptionId == "sub-1")
        #expect(route.account.resourceGroup == "My-RG")
        #expect(route.account.accountName == "Acct1")
    }

    @Test(arguments: [
        ("GET", "/assets", ARMRoute.Target.assets),
        ("PUT", "/assets/a1", .asset("a1")),
        ("PATCH", "/assets/a1", .asset("a1")),
        ("POST", "/assets/a1/listStreamingLocators", .assetAction("a1", .listStreamingLocators)),
        ("POST", "/assets/a1/listContainerSas", .assetAction("a1", .listContainerSas)),
        ("POST", "/assets/a1/getEncryptionKey", .assetAction("a1", .getEncryptionKey)),
        ("GET", "/streamingLocators", .streamingLocators),
        ("PUT", "/streamingLocators/loc1", .streamingLocator("loc1")),
        ("POST", "/streamingLocators/loc1/listPaths", .streamingLocatorAction("loc1", .listPaths)),
        ("POST", "/streamingLocators/loc1/listContentKeys", .streamingLocatorAction("loc1", .listContentKeys)),
        ("GET", "/streamingPolicies", .streamingPolicies),
        ("DELETE", "/streamingPolicies/p1", .streamingPolicy("p1")),
    ])
    func metadataPathsWithCamelCaseAccountSegment(method: String, suffix: String, target: ARMRoute.Target) throws {
        #expect(try Self.route(method, suffix, base: Self.accountM).target == target)
    }

    @Test func fixedSegmentsIgnoreCaseAndNamesKeepTheirs() throws {
        let route = try ARMRoute.parse(method: "post", path: "/SUBSCRIPTIONS/s/RESOURCEGROUPS/Rg/PROVIDERS/microsoft.media/MEDIASERVICES/MyAcct/LIVEEVENTS/MyEvent/START")
        #expect(route.target == .liveEventAction("MyEvent", .start))
        #expect(route.method == .post)
        #expect(route.account.accountName == "MyAcct")
        #expect(route.resourceID?.description == "/subscriptions/s/resourceGroups/Rg/providers/Microsoft.Media/mediaservices/MyAcct/liveevents/MyEvent")
        let lower = try ARMRoute.parse(method: "GET", path: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Media/mediaservices/a/liveevents/e/liveoutputs/o/operationlocations/x")
        #expect(lower.target == .liveOutputOperationLocation(liveEvent: "e", liveOutput: "o", operationId: "x"))
    }

    @Test func namesArePercentDecodedAndTrailingSlashIgnored() throws {
        let route = try Self.route("GET", "/assets/my%20asset%C3%A9/", base: Self.accountM)
        #expect(route.target == .asset("my asseté"))
        #expect(route.resourceID?.name == "my asseté")
        #expect(throws: ARMError.self) { try Self.route("GET", "/assets/bad%ZZ") }
    }

    @Test func resourceIDsOfNestedTargets() throws {
        let output = try Self.route("GET", "/liveEvents/le1/liveOutputs/lo1")
        #expect(output.resourceID?.description == Self.account + "/liveevents/le1/liveoutputs/lo1")
        #expect(try Self.route("GET", "/liveEventOperations/x").resourceID == nil)
        #expect(try Self.route("GET", "/streamingEndpoints/se/skus").resourceID?.kind == .streamingEndpoint)
    }

    @Test(arguments: [
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Media/mediaservices",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/mediaservices/a",
        ARMRouteTests.account + "/transforms",
        ARMRouteTests.account + "/liveEvents/le1/frobnicate",
        ARMRouteTests.account + "/liveEvents/le1/liveOutputs/lo1/start",
        ARMRouteTests.account + "/assets/a1/listPaths",
        ARMRouteTests.account + "/streamingEndpoints/se/operationLocations",
        "/",
    ])
    func unknownPathsAre404NamingThePath(path: String) {
        do {
            _ = try ARMRoute.parse(method: "GET", path: path)
            Issue.record("expected 404 for \(path)")
        } catch {
            #expect(error.status == 404)
            #expect(error.code == "NotFound")
            #expect(error.message.contains("'\(path)'"))
        }
    }

    @Test(arguments: [
        ("GET", "/liveEvents/le1/start", "POST"),
        ("DELETE", "/liveEvents", "GET"),
        ("PATCH", "/liveEvents/le1/liveOutputs/lo1", "GET, PUT, DELETE"),
        ("PATCH", "/streamingLocators/l", "GET, PUT, DELETE"),
        ("PUT", "/streamingEndpoints/se/skus", "GET"),
        ("HEAD", "/liveEvents/le1", "GET, PUT, PATCH, DELETE"),
        ("POST", "", "GET"),
    ])
    func wrongMethodIs405ListingAllowed(method: String, suffix: String, allowed: String) {
        do {
            _ = try Self.route(method, suffix)
            Issue.record("expected 405 for \(method) \(suffix)")
        } catch {
            #expect(error.status == 405)
            #expect(error.message.contains("Allowed methods: \(allowed)."), "\(error.message)")
        }
    }

    @Test func allowHeaderAndActionsArePostOnly() {
        #expect(ARMRoute.allowHeader(for: .liveEvent("x")) == "GET, PUT, PATCH, DELETE")
        for action in LiveEventAction.allCases { #expect(ARMRoute.Target.liveEventAction("x", action).allowedMethods == [.post]) }
        for action in StreamingEndpointAction.allCases { #expect(ARMRoute.Target.streamingEndpointAction("x", action).allowedMethods == [.post]) }
    }

    @Test func everySwaggerPathRoutes() throws {
        for file in [SwaggerFixtures.streamingSwagger, SwaggerFixtures.locatorsSwagger, SwaggerFixtures.assetsSwagger] {
            let paths = try #require(SwaggerFixtures.json(file)["paths"] as? [String: Any])
            for (template, operations) in paths {
                // Tracks and asset filters are outside this API's scope.
                if template.contains("/tracks") || template.contains("assetFilters") { continue }
                let concrete = template.replacingOccurrences(of: "{", with: "x").replacingOccurrences(of: "}", with: "")
                for method in (operations as? [String: Any] ?? [:]).keys where method != "parameters" {
                    let route = try ARMRoute.parse(method: method, path: concrete)
                    #expect(route.method.rawValue == method.uppercased(), "\(method) \(template)")
                }
            }
        }
    }
}
