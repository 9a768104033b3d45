import Testing
import TestSupport
@testable import AMSModels

@Suite struct ResourceIDTests {
    static let account = ResourceID(subscriptionId: "0a6ec948-5a62-437d-b9df-934dc7c1b722", resourceGroup: "mediaresources", accountName: "slitestmedia10")

    @Test func buildsIdsWithTheServiceCasing() {
        let output = Self.account.appending(.liveEvent, "myLiveEvent1").appending(.liveOutput, "myLiveOutput1")
        #expect(output.description == "/subscriptions/0a6ec948-5a62-437d-b9df-934dc7c1b722/resourceGroups/mediaresources/providers/Microsoft.Media/mediaservices/slitestmedia10/liveevents/myLiveEvent1/liveoutputs/myLiveOutput1")
        #expect(output.armType == "Microsoft.Media/mediaservices/liveevents/liveoutputs")
        #expect(output.name == "myLiveOutput1")
        #expect(output.kind == .liveOutput)
        #expect(Self.account.appending(.streamingLocator, "loc").description.hasSuffix("/mediaservices/slitestmedia10/streamingLocators/loc"))
        #expect(ResourceKind.liveEvent.armType == "Microsoft.Media/mediaservices/liveevents")
        #expect(ResourceKind.assetFilter.armType == "Microsoft.Media/mediaservices/assets/assetFilters")
    }

    @Test func idsInSwaggerExamplesMatchWhatWeBuild() throws {
        let example = try SwaggerFixtures.json(SwaggerFixtures.streamingExamples + "liveoutput-create.json")
        let body = try #require(SwaggerFixtures.dig(example, "responses", "200", "body") as? [String: Any])
        let id = try #require(body["id"] as? String)
        let parsed = try ResourceID(parsing: id)
        #expect(parsed.description == id)
        #expect(parsed.armType == body["type"] as? String)
    }

    @Test func parsesCaseInsensitivelyAndKeepsNames() throws {
        let parsed = try ResourceID(parsing: "/SUBSCRIPTIONS/sub/resourcegroups/RG/Providers/microsoft.media/mediaServices/Acct/LiveEvents/Ev1/liveOutputs/Out1?api-version=2022-08-01")
        #expect(parsed.subscriptionId == "sub")
        #expect(parsed.resourceGroup == "RG")
        #expect(parsed.accountName == "Acct")
        #expect(parsed.segments == [.init(kind: .liveEvent, name: "Ev1"), .init(kind: .liveOutput, name: "Out1")])
        #expect(parsed.description == "/subscriptions/sub/resourceGroups/RG/providers/Microsoft.Media/mediaservices/Acct/liveevents/Ev1/liveoutputs/Out1")
        let account = try ResourceID(parsing: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Media/mediaservices/a")
        #expect(account.segments.isEmpty)
        #expect(account.armType == "Microsoft.Media/mediaservices")
        #expect(try ResourceID(parsing: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Media/mediaServices/a/streaminglocators/L").kind == .streamingLocator)
    }

    @Test(arguments: [
        "", "/subscriptions/s", "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Media/mediaservices/a/liveOutputs/o",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Media/mediaservices/a/liveEvents",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Media/mediaservices/a/transforms/t",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Media/mediaservices/a/liveEvents/e/assetFilters/f",
    ])
    func rejectsMalformedIds(text: String) {
        do {
            _ = try ResourceID(parsing: text)
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect(error.status == 400)
            #expect(error.message.contains("is not a Microsoft.Media resource id"))
        }
    }
}

extension ResourceIDTests {
    @Test func matchingIgnoresCase() throws {
        let a = try ResourceID(parsing: "/subscriptions/S/resourceGroups/G/providers/Microsoft.Media/mediaservices/A/liveEvents/Ev")
        let b = Self.account.appending(.liveEvent, "ev")
        #expect(!a.matches(b))
        let c = ResourceID(subscriptionId: "s", resourceGroup: "g", accountName: "a").appending(.liveEvent, "EV")
        #expect(a.matches(c))
        #expect(a != c)
    }
}
