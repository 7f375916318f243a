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

    public var description: String {
        switch self {
        case .badWindow(let text): "'\(text)' is not a time window: use minutes, hours or days, like 90m, 24h or 7d"
        case .windowTooLong(let text): "'\(text)' is longer than 30 days, all Fullscript keeps events for: use at most 30d"
        case .noConnectedPractitioner:
            "no practitioner is connected to Fullscript: the events API needs one's token. Have a practitioner click "
                + "Recommend with Fullscript (or connect) once, then run this again."
        case .unknownTenant(let tenant): "there is no tenant '\(tenant)': `fullscript-redirect tenants list` shows them"
        case .tooManyPages(let pages): "Fullscript listed more than \(pages) pages of events; stopped"
        }
    }
}
