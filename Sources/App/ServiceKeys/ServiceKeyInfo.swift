import Cryptography
import Foundation
import HTTPTypes
import Logging
import Server
import Store

/// A key as the operator sees it: everything but the key, which exists only in the creator's hands.
public struct ServiceKeyInfo: Sendable, Equatable {
    public let name: String
    /// The only tenant the key sees.
    public let tenant: String
    public let isOperator: Bool
    public let createdAt: String
    public let lastUsedAt: String?
    public let revokedAt: String?
}
