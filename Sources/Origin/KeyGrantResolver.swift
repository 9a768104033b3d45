// Where key delivery finds a key and its policy.
import Foundation
import MediaDirectory
import Protection

/// The key grants key delivery answers from (the appliance passes the ``ChannelDirectory``; tests pass fakes).
public protocol KeyGrantResolver: Sendable {
    /// The key `keyID` and its content key policy, or nil when no streaming locator publishes that key.
    func keyGrant(_ keyID: UUID) -> KeyGrant?
}

extension ChannelDirectory: KeyGrantResolver {}
