import Testing
@testable import Live
