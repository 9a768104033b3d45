// Allow-list matching: IPv4/IPv6 parsing, prefixes in either form, IPv4-mapped clients, nil vs empty lists, bad ranges.
import AMSModels
import Testing
@testable import ControlPlane

@Suite struct IPAllowListTests {
    static func list(_ ranges: [IPRange]) throws(ARMError) -> IPAllowList {
        try IPAllowList(IPAccessControl(allow: ranges), field: "properties.input.accessControl.ip")
    }

    @Test func parsesAddresses() throws {
        #expect(IPAddress("10.0.0.1")?.isIPv4 == true)
        #expect(IPAddress("::ffff:10.0.0.1") == IPAddress("10.0.0.1"))
        #expect(IPAddress("[2001:db8::1]") == IPAddress("2001:0db8:0:0:0:0:0:1"))
        #expect(IPAddress("fe80::1%eth0") == IPAddress("fe80::1"))
        #expect(IPAddress("::")?.bytes == [UInt8](repeating: 0, count: 16))
        #expect(IPAddress("2001:db8::1")?.description == "2001:db8:0:0:0:0:0:1")
        #expect(IPAddress("10.0.0.1")?.description == "10.0.0.1")
        for bad in ["", "10.0.0", "10.0.0.256", "1.2.3.4.5", "2001:db8::1::2", "12345::", "g::1", "1:2:3:4:5:6:7:8:9", "10.0.0.1/24", "::ffff:300.0.0.1"] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func singleHostWhenPrefixNil() throws {
        let allow = try Self.list([IPRange(name: "encoder", address: "192.168.1.10")])
        #expect(allow.allows("192.168.1.10"))
        #expect(allow.allows("::ffff:192.168.1.10"))
        #expect(!allow.allows("192.168.1.11"))
    }

    @Test func prefixFromFieldOrInlineSlash() throws {
        let fromField = try Self.list([IPRange(address: "10.0.0.1", subnetPrefixLength: 22)])
        let inline = try Self.list([IPRange(address: "10.0.0.1/22")])
        for allow in [fromField, inline] {
            #expect(allow.allows("10.0.3.255"))
            #expect(allow.allows("10.0.0.0"))
            #expect(!allow.allows("10.0.4.0"))
            #expect(allow.allows("::ffff:10.0.2.7"))
            #expect(!allow.allows("2001:db8::1"))
        }
        #expect(try Self.list([IPRange(address: "10.0.0.1/22", subnetPrefixLength: 22)]).allows("10.0.1.1"))
    }

    @Test func ipv6Ranges() throws {
        let allow = try Self.list([IPRange(address: "2001:db8::", subnetPrefixLength: 32)])
        #expect(allow.allows("2001:db8:ffff::1"))
        #expect(allow.allows("[2001:db8::5]"))
        #expect(!allow.allows("2001:db9::1"))
        #expect(!allow.allows("10.0.0.1"))
        // An IPv6 range over the mapped block matches IPv4 clients.
        #expect(try Self.list([IPRange(address: "::ffff:10.0.0.0", subnetPrefixLength: 104)]).allows("10.9.9.9"))
    }

    @Test func allowAllMatchesEveryFamily() throws {
        let allow = try Self.list([IPRange(name: "AllowAll", address: "0.0.0.0", subnetPrefixLength: 0)])
        #expect(allow.allows("203.0.113.9"))
        #expect(allow.allows("2001:db8::1"))
        #expect(!allow.allows("not an address"))
    }

    @Test func nilMeansUnrestrictedEmptyMeansNothing() throws {
        #expect(try IPAllowList(nil, field: "ip").allows("198.51.100.1"))
        #expect(IPAllowList.unrestricted.allows("garbage"))
        let none: LiveEventAccessControl? = nil
        #expect(try none.allowList(field: "properties.input.accessControl").allows("198.51.100.1"))
        #expect(try LiveEventAccessControl(ip: nil).allowList(field: "x").allows("198.51.100.1"))
        #expect(!(try Self.list([]).allows("198.51.100.1")))
        #expect(!(try IPAllowList(IPAccessControl(allow: nil), field: "ip").allows("198.51.100.1")))
        #expect(!IPAccessControl(allow: []).allows("127.0.0.1"))
        #expect(IPAccessControl(allow: [IPRange(address: "127.0.0.0/8")]).allows("127.0.0.1"))
    }

    @Test(arguments: [
        (IPRange(name: "bad", address: "10.0.0.300"), "allow[1].address"),
        (IPRange(name: "wide", address: "10.0.0.0", subnetPrefixLength: 33), "allow[1].subnetPrefixLength"),
        (IPRange(address: "2001:db8::", subnetPrefixLength: 129), "allow[1].subnetPrefixLength"),
        (IPRange(address: "10.0.0.0/8", subnetPrefixLength: 16), "allow[1].subnetPrefixLength"),
        (IPRange(address: "10.0.0.0/x"), "allow[1].address"),
        (IPRange(name: "empty"), "allow[1].address"),
    ])
    func invalidRangesAre400NamingTheRange(range: IPRange, target: String) {
        do {
            _ = try Self.list([IPRange(address: "10.0.0.0/8"), range])
            Issue.record("expected 400 for \(range)")
        } catch {
            #expect(error.status == 400)
            #expect(error.error.target == "properties.input.accessControl.ip." + target)
            #expect(error.message.contains("properties.input.accessControl.ip.allow[1]"), "\(error.message)")
        }
    }

    @Test func createValidationAcceptsSlashForm() throws {
        var event = ResourceValidationTests.rtmpEvent { _ in }
        event.properties?.input?.accessControl = LiveEventAccessControl(ip: IPAccessControl(allow: [IPRange(name: "lan", address: "10.0.0.1/22")]))
        try event.validateForCreate()
        var endpoint = StreamingEndpoint(location: "West US", properties: StreamingEndpointProperties(scaleUnits: 0))
        endpoint.properties?.accessControl = StreamingEndpointAccessControl(ip: IPAccessControl(allow: [IPRange(address: "10.0.0.0/33")]))
        #expect(throws: ARMError.self) { try endpoint.validateForCreate() }
    }
}
