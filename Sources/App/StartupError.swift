import Foundation
import Fullscript
import HTTPClient
import Logging
import Server
import Store

public enum StartupError: Error, CustomStringConvertible {
    case pendingMigrations([String])
    /// The demo's practice `tenant` cannot use the simulator's `clinic`: an earlier run pinned one of them elsewhere.
    case demoClinicTaken(tenant: String, clinic: String)

    public var description: String {
        switch self {
        case .pendingMigrations(let names):
            "the database needs migrations \(names.joined(separator: ", ")); run `fullscript-redirect migrate` "
                + "or set database.auto_migrate (DATABASE_AUTO_MIGRATE) to true"
        case .demoClinicTaken(let tenant, let clinic):
            "the demo database's practice '\(tenant)' or the simulator's clinic '\(clinic)' is pinned elsewhere "
                + "(`fullscript-redirect tenants list` shows which); start the demo on a fresh database (--database PATH)"
        }
    }
}
