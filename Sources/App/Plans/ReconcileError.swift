import Foundation
import Fullscript
import HTTPClient
import Logging
import Store

public enum ReconcileError: Error, Sendable, Equatable, CustomStringConvertible {
    case badWindow(String)
    case windowTooLong(String)
    case noConnectedPractitioner
    case unknownTenant(String)
    case tooManyPages(Int)
    /// Tenants skipped because no clinic is pinned for them, when no other tenant was reconciled.
    case notPinned([String])

    public var description: String {
        switch self {
        case .badWindow(let text): "'\(text)' is not a time window: use minutes, hours or days, like 90m, 24h or 7d"
        case .windowTooLong(let text): "'\(text)' is longer than 30 days, all Fullscript keeps events for: use at most 30d"
        case .noConnectedPractitioner:
            "no practitioner is connected to Fullscript: the events API needs one's token. Have a practitioner click "
                + "Recommend with Fullscript (or connect) once, then run this again."
        case .unknownTenant(let tenant): "there is no tenant '\(tenant)': `fullscript-redirect tenants list` shows them"
        case .tooManyPages(let pages): "Fullscript listed more than \(pages) pages of events; stopped"
        case .notPinned(let tenants):
            "no tenant was reconciled: \(tenants.joined(separator: ", ")) \(tenants.count == 1 ? "is" : "are") not pinned to a Fullscript "
                + "clinic (reconcile never pins); pin with `fullscript-redirect tenants pin TENANT CLINIC_ID`, then run this again"
        }
    }
}
