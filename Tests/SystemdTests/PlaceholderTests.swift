import Testing
@testable import Systemd
@Test func systemdTargetBuilds() { #expect(String(describing: SystemdPlaceholder.self) == "SystemdPlaceholder") }
