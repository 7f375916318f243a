import Cryptography
import Foundation
import HTTPTypes
import Logging
import Server
import Store

public enum ServiceKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidName(String)
    case nameTaken(String)
    case unknown(String)
    case alreadyRevoked(String)
    case unknownTenant(String)

    public var description: String {
        switch self {
        case .invalidName(let name):
            "'\(name)' is not a valid key name: use 1 to \(ServiceKeyStore.maxNameLength) characters among A-Z a-z 0-9 . _ -"
        case .nameTaken(let name):
            "a service key named '\(name)' already exists (revoked keys keep their name); choose another name"
        case .unknown(let name):
            "there is no service key named '\(name)'"
        case .alreadyRevoked(let name):
            "the service key '\(name)' is already revoked"
        case .unknownTenant(let tenant):
            "there is no tenant '\(tenant)': create it first with `fullscript-redirect tenants create \(tenant) --region us|ca`"
        }
    }
}
