import Foundation
import Store

/// What a click reads before it asks Fullscript, in one read transaction: the patient, whether another live patient
/// of the tenant holds its email, and the clicking user's connection with its tokens opened. Three reads were three
/// hops to a reader's queue and back and three `BEGIN`s, on every click; one also sees them all in one snapshot. None
/// depends on another's answer, so PostgreSQL takes them in one round trip. The stores keep their single-purpose reads
/// for everyone else. A few rows by key: a brief read, on the request's own thread. A click repeated soon on the same
/// patient reads nothing where the store counts its changes (`RecentClickReads`).
struct ClickRead: Sendable {
    let database: any SQLDatabase
    let vault: TokenVault
    let now: @Sendable () -> Date
    private let recent: RecentClickReads?

    init(database: any SQLDatabase, vault: TokenVault, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.vault = vault
        self.now = now
        recent = database.tableChanges.map(RecentClickReads.init)
    }

    struct Snapshot: Sendable {
        let patient: PatientLookup
        /// Who the patient is to Fullscript; `.nobody` for a patient we do not know.
        let naming: PatientNaming
        /// nil when `user` is not connected (or not to their practice's clinic); not read for a deleted patient.
        let connection: StoredConnection?
    }

    func read(patientID: String, for user: EHRUser) async throws -> Snapshot {
        let now = now()
        if let kept = recent?.snapshot(of: patientID, for: user, at: now) { return kept }
        let version = recent?.version ?? 0
        let snapshot = try await readStored(patientID: patientID, for: user)
        recent?.remember(snapshot, of: patientID, for: user, version: version, at: now)
        return snapshot
    }

    private func readStored(patientID: String, for user: EHRUser) async throws -> Snapshot {
        let rows = try await database.briefRead([
            PatientStore.finding(patientID, in: user.tenant),
            PatientStore.anotherLivePatientSharingTheEmail(of: patientID, in: user.tenant),
            TokenVault.readingStored(for: user),
        ])
        let patient = try PatientStore.lookup(rows[0].first)
        switch patient {
        case .deleted:
            return Snapshot(patient: patient, naming: .nobody, connection: nil)
        case .unknown:
            return Snapshot(patient: patient, naming: .nobody, connection: try vault.opened(rows[2].first, for: user))
        case .found(let found):
            return Snapshot(patient: patient, naming: PatientMatcher.naming(of: found, emailSharedWithAnother: !rows[1].isEmpty),
                            connection: try vault.opened(rows[2].first, for: user))
        }
    }
}
