import Testing
@testable import Client
@Test func clientTargetBuilds() { #expect(String(describing: ClientPlaceholder.self) == "ClientPlaceholder") }
