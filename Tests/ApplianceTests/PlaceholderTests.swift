import Testing
@testable import Appliance
@Test func applianceTargetBuilds() { #expect(ApplianceConfiguration().apiPort == 8090) }
