import Testing
@testable import Ingest

@Suite struct RTMPIngestPathTests {
    @Test func ffmpegAndOBSForm() throws {
        let p = try RTMPIngestPath.parse(app: "live/0123abcd", streamName: "stream")
        #expect(p.accessToken == "0123abcd" && p.streamName == "stream" && p.parameters.isEmpty)
    }

    @Test func tokenInStreamName() throws {
        let p = try RTMPIngestPath.parse(app: "live", streamName: "tok-1/cam2")
        #expect(p.accessToken == "tok-1" && p.streamName == "cam2")
    }

    @Test func queryParametersFromEitherPart() throws {
        let p = try RTMPIngestPath.parse(app: "live/tok?videodatarate=3000", streamName: "s?audiodatarate=128")
        #expect(p.parameters == ["videodatarate": "3000", "audiodatarate": "128"])
        #expect(p.accessToken == "tok" && p.streamName == "s")
    }

    @Test(arguments: [("vod/tok", "s"), ("live/tok/extra", "s"), ("live/to k", "s"), ("live", "s"),
                      ("live/tok", ""), ("live/tok", "a/b"), ("", "s")])
    func malformedAddressesAreRefusedWithTheServiceCode(app: String, stream: String) {
        #expect(throws: RTMPIngestPath.Refusal.self) { try RTMPIngestPath.parse(app: app, streamName: stream) }
        do { _ = try RTMPIngestPath.parse(app: app, streamName: stream) } catch {
            #expect(error.code == "MPE_BAD_URL_SYNTAX")
            #expect(!error.description.isEmpty)
        }
    }
}

@Suite struct IPAllowListTests {
    @Test func rangesMatchByPrefix() throws {
        let list = IPAllowList([try IPAddressRange(address: "10.1.0.0", subnetPrefixLength: 16), try IPAddressRange(parsing: "2001:db8::/32")])
        #expect(list.permits("10.1.200.3") && !list.permits("10.2.0.1"))
        #expect(list.permits("::ffff:10.1.0.9"))
        #expect(list.permits("2001:db8:0:1::5") && !list.permits("2001:db9::1"))
        #expect(!list.permits("not an address") && !list.permits(""))
    }

    @Test func emptyListAdmitsNobodyAndZeroPrefixEveryone() throws {
        #expect(!IPAllowList([]).permits("127.0.0.1"))
        let all = IPAllowList([try IPAddressRange(address: "0.0.0.0", subnetPrefixLength: 0)])
        #expect(all.permits("203.0.113.4") && all.permits("127.0.0.1") && !all.permits("2001:db8::1"))
    }

    @Test func portalFormsParse() throws {
        #expect(try IPAddressRange(parsing: "10.0.0.1(255.255.252.0)").contains("10.0.3.255"))
        #expect(try !IPAddressRange(parsing: "10.0.0.1(255.255.252.0)").contains("10.0.4.0"))
        #expect(try IPAddressRange(parsing: "192.168.1.5").contains("192.168.1.5"))
        #expect(try !IPAddressRange(parsing: "192.168.1.5").contains("192.168.1.6"))
        #expect(try IPAddressRange(parsing: "::1").contains("::1"))
        for bad in ["10.0.0.256", "10.0.0.1/33", "10.0.0.1(255.0.255.0)", "1:2:3", "1::2::3", "fe80::1/abc"] {
            #expect(throws: IPAddressRange.Invalid.self, "\(bad)") { try IPAddressRange(parsing: bad) }
        }
    }
}
