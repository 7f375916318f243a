import Foundation
import Fullscript
import HTTPClient
import Logging
import Server
import Store

public enum StartupError: Error, CustomStringConvertible {
    case pendingMigrations([String])

    public var description: String {
        switch self {
        case .pendingMigrations(let names):
            "the database needs migrations \(names.joined(separator: ", ")); run `fullscript-redirect migrate` "
                + "or set database.auto_migrate (DATABASE_AUTO_MIGRATE) to true"
        }
    }
}
