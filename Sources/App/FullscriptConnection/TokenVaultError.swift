import Foundation
public import Fullscript
import Logging
import Store
import Synchronization

public enum TokenVaultError: Error, Sendable, Equatable {
    /// No connection, or Fullscript refused its refresh token: the user must go through connect again.
    case reconnectRequired
    case unknownKey(String)
    case fullscript(FullscriptError)
}
