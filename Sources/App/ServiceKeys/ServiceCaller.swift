import Cryptography
import Foundation
import HTTPTypes
import Logging
import Server
import Store

/// The internal service behind a request to `/api/v1`, as named when its key was created.
struct ServiceCaller: Sendable, Equatable {
    let name: String
    /// The only tenant whose patients and plans the key sees.
    let tenant: String
    /// An operator key may also list across tenants (`GET /api/v1/tenants`).
    var isOperator = false

    /// How its writes appear in `audit_log`.
    var auditActor: String { "service:" + name }
}
