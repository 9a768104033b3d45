import Testing
@testable import Origin
@Test func originTargetBuilds() { #expect(OriginResponder.self == OriginResponder.self) }
