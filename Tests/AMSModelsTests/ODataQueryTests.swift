// $filter/$orderby/$top/$skiptoken parsing, evaluation against resources, paging and nextLink construction.
import Foundation
import Testing
@testable import AMSModels

@Suite struct ODataQueryTests {
    struct Item {
        var name: String
        var created: Date
        var alternateId: String?
        var count: Int64
    }

    static let items: [Item] = (0 ..< 10).map { index in
        Item(name: "asset\(index)", created: Date(timeIntervalSince1970: 1_600_000_000 + Double(index) * 86_400),
             alternateId: index.isMultiple(of: 2) ? "even" : nil, count: Int64(10 - index))
    }

    static func lookup(_ item: Item, _ path: String) -> ODataValue? {
        switch path.lowercased() {
        case "name": .string(item.name)
        case "properties/created": .date(item.created)
        case "properties/alternateid": item.alternateId.map(ODataValue.string) ?? .null
        case "count": .int(item.count)
        default: nil
        }
    }

    static func names(_ query: String) throws(ARMError) -> [String] {
        try ODataQuery(rawQuery: query).apply(items, lookup: lookup).page.map(\.name)
    }

    @Test func comparisonsOnStringsDatesIntsAndNull() throws {
        #expect(try Self.names("$filter=name%20eq%20'asset3'") == ["asset3"])
        #expect(try Self.names("$filter=name ne 'asset3' and count gt 7") == ["asset0", "asset1", "asset2"])
        // 1_600_000_000 is 2020-09-13T12:26:40Z; asset i is created i days later.
        #expect(try Self.names("$filter=properties/created gt 2020-09-15T00:00:00Z and properties/created lt 2020-09-17") == ["asset2", "asset3"])
        #expect(try Self.names("$filter=properties/created ge 2020-09-22T12:26:40Z") == ["asset9"])
        #expect(try Self.names("$filter=properties/created le datetime'2020-09-13T12:26:40Z'") == ["asset0"])
        #expect(try Self.names("$filter=properties/alternateId eq null and count ge 5") == ["asset1", "asset3", "asset5"])
        #expect(try Self.names("$filter=properties/alternateId ne null and count lt 5") == ["asset6", "asset8"])
        #expect(try Self.names("$filter=count le 1") == ["asset9"])
    }

    @Test func andOrNotAndParenthesesFollowPrecedence() throws {
        // and binds tighter than or.
        #expect(try Self.names("$filter=name eq 'asset1' or name eq 'asset2' and count eq 0") == ["asset1"])
        #expect(try Self.names("$filter=(name eq 'asset1' or name eq 'asset2') and count eq 8") == ["asset2"])
        #expect(try Self.names("$filter=not (count gt 2)") == ["asset8", "asset9"])
        #expect(try Self.names("$filter=not name eq 'asset0' and count gt 8") == ["asset1"])
    }

    @Test func quotedStringsUnescapeDoubledQuotes() throws {
        let query = try ODataQuery(items: [("$filter", "properties/alternateId eq 'O''Brien (x) and y'")])
        #expect(query.filter == .comparison(path: "properties/alternateId", op: .eq, value: .string("O'Brien (x) and y")))
        #expect(query.filter?.evaluate { _ in .string("O'Brien (x) and y") } == true)
        #expect(query.filter?.evaluate { _ in nil } == false)
    }

    @Test func keywordsAndBooleans() throws {
        let query = try ODataQuery(items: [("$filter", "enabled EQ true OR enabled eq FALSE")])
        #expect(query.filter?.evaluate { _ in .bool(false) } == true)
        #expect(query.filter?.paths == ["enabled"])
    }

    @Test(arguments: [
        "name eq",
        "name eq 'x",
        "name like 'x'",
        "'x' eq name",
        "(name eq 'x'",
        "name eq 'x')",
        "name eq 2020-13-45T00:00:00Z",
        "name eq 'a' and",
        "name eq 'a' xor name eq 'b'",
        "",
        "na$me eq 'a'",
    ])
    func malformedFiltersAre400NamingTheText(filter: String) {
        do {
            _ = try ODataQuery(items: [("$filter", filter)])
            Issue.record("expected 400 for \(filter)")
        } catch {
            #expect(error.status == 400)
            #expect(error.code == "BadRequest")
            #expect(error.message.contains("'\(filter)'"), "\(error.message)")
        }
    }

    @Test func orderByOneOrMoreKeys() throws {
        #expect(try Self.names("$orderby=properties/created desc&$top=3") == ["asset9", "asset8", "asset7"])
        #expect(try Self.names("$orderby=count") == (0 ..< 10).reversed().map { "asset\($0)" })
        // Nulls sort first ascending; ties keep the next key, then input order.
        #expect(try Self.names("$orderby=properties/alternateId asc, name desc&$top=6") == ["asset9", "asset7", "asset5", "asset3", "asset1", "asset8"])
        for bad in ["name sideways", "name asc desc", ",name", "'name'"] {
            #expect(throws: ARMError.self, "\(bad)") { try ODataQuery(items: [("$orderby", bad)]) }
        }
    }

    @Test func topSkipTokenAndPaging() throws {
        var query = try ODataQuery(rawQuery: "api-version=2023-01-01&$top=7")
        #expect(query.top == 7)
        var result = query.apply(Self.items, pageSize: 3, lookup: Self.lookup)
        #expect(result.page.map(\.name) == ["asset0", "asset1", "asset2"])
        #expect(result.nextSkip == 3)
        query.skip = 6
        result = query.apply(Self.items, pageSize: 3, lookup: Self.lookup)
        #expect(result.page.map(\.name) == ["asset6"])
        #expect(result.nextSkip == nil)
        let all = ODataQuery().apply(Self.items, lookup: Self.lookup)
        #expect(all.page.count == 10 && all.nextSkip == nil)
        #expect(ODataQuery.defaultPageSize == 1000)
        #expect(try ODataQuery(rawQuery: "$skiptoken=\(ODataQuery.encodeSkipToken(4))").skip == 4)
        #expect(throws: ARMError.self) { try ODataQuery(rawQuery: "$skiptoken=abc") }
        #expect(throws: ARMError.self) { try ODataQuery(rawQuery: "$top=-1") }
        #expect(throws: ARMError.self) { try ODataQuery(rawQuery: "$top=many") }
        #expect(throws: ARMError.self) { try ODataQuery(rawQuery: "$expand=properties") }
        #expect(try ODataQuery(rawQuery: "api-version=2022-08-01&autoStart=true") == ODataQuery())
    }

    @Test func nextLinkReplacesSkipTokenKeepingTheRest() throws {
        let link = ODataQuery.nextLink(baseURL: "https://edge.example:8443/", path: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Media/mediaServices/a/assets",
                                       rawQuery: "api-version=2023-01-01&%24skiptoken=3&$filter=name%20eq%20'x'", nextSkip: 6)
        #expect(link == "https://edge.example:8443/subscriptions/s/resourceGroups/rg/providers/Microsoft.Media/mediaServices/a/assets?api-version=2023-01-01&$filter=name%20eq%20'x'&$skiptoken=6")
        let query = try ODataQuery(rawQuery: try #require(link.split(separator: "?").last).description)
        #expect(query.skip == 6)
        #expect(query.filter == .comparison(path: "name", op: .eq, value: .string("x")))
    }

    @Test func validateRejectsUnsupportedProperties() throws {
        let query = try ODataQuery(rawQuery: "$filter=properties/endTime gt 2024-01-01T00:00:00Z&$orderby=properties/created")
        try query.validate(allowedPaths: ["properties/endTime", "properties/created", "name"])
        do {
            try query.validate(allowedPaths: ["name"])
            Issue.record("expected 400")
        } catch {
            #expect(error.status == 400)
            #expect(error.message.contains("'properties/endTime'"))
        }
    }
}

@Suite struct ODataFilterableTests {
    static let assets: [Asset] = (1 ... 5).map { index in
        Asset(name: "asset\(index)", properties: AssetProperties(assetId: "id\(index)", created: Date(timeIntervalSince1970: Double(index) * 1000),
                                                                 alternateId: index == 3 ? "three" : nil))
    }

    @Test func assetsFilterSortAndPage() throws {
        let byAlternate = try ODataQuery(rawQuery: "$filter=properties/alternateId eq 'three'").apply(Self.assets)
        #expect(byAlternate.page.map(\.name) == ["asset3"])
        let newestTwo = try ODataQuery(rawQuery: "$orderby=properties/created desc&$top=2").apply(Self.assets)
        #expect(newestTwo.page.map(\.name) == ["asset5", "asset4"] && newestTwo.nextSkip == nil)
        let paged = try ODataQuery(rawQuery: "$filter=NAME ne 'asset1'").apply(Self.assets, pageSize: 3)
        #expect(paged.page.map(\.name) == ["asset2", "asset3", "asset4"] && paged.nextSkip == 3)
        #expect(throws: ARMError.self) { try ODataQuery(rawQuery: "$filter=properties/container eq 'x'").apply(Self.assets) }
    }

    @Test func locatorsByEndTimeAndLiveEventsByState() throws {
        let end = Date(timeIntervalSince1970: 2_000_000_000)
        let locators = [
            StreamingLocator(name: "expiring", properties: StreamingLocatorProperties(endTime: end)),
            StreamingLocator(name: "forever", properties: StreamingLocatorProperties()),
        ]
        let soon = try ODataQuery(rawQuery: "$filter=properties/endTime lt 2040-01-01T00:00:00Z").apply(locators)
        #expect(soon.page.map(\.name) == ["expiring"])
        let events = [LiveEvent(name: "a", properties: LiveEventProperties(resourceState: .running)), LiveEvent(name: "b", properties: LiveEventProperties(resourceState: .stopped))]
        #expect(try ODataQuery(rawQuery: "$filter=properties/resourceState eq 'Running'").apply(events).page.map(\.name) == ["a"])
        #expect(StreamingPolicy(name: "p").odataValue("NAME") == .string("p"))
        #expect(LiveOutput(name: "o").odataValue("properties/assetName") == .null)
        #expect(StreamingEndpoint(name: "se").odataValue("unknown") == nil)
    }
}
