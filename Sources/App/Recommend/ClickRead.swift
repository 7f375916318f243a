import Foundation
import Store

/// What a click reads before it asks Fullscript, in one read transaction: the patient, the tenant's
/// live patients holding its email, and the clicking user's connection with its tokens opened. Three
/// reads were three hops to a reader's queue and back and three `BEGIN`s, on every click; one also
/// sees them all in one snapshot. The stores keep their single-purpose reads for everyone else. A few rows
/// by key: a brief read, on the request's own thread. A click repeated soon on the same patient reads nothing
/// where the store counts its changes (`RecentClickReads`).
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
        let vault = vault
        return try await database.briefRead { connection in
            let patient = try PatientStore.find(patientID, in: user.tenant, using: connection)
            switch patient {
            case .deleted:
                return Snapshot(patient: patient, naming: .nobody, connection: nil)
            case .unknown:
                return Snapshot(patient: patient, naming: .nobody, connection: try vault.stored(for: user, using: connection))
            case .found(let found):
                let shared = try found.email.map {
                    try PatientStore.anotherLivePatientHolds(email: $0, besides: found.ehrPatientID, in: user.tenant, using: connection)
                } ?? false
                return Snapshot(patient: patient, naming: PatientMatcher.naming(of: found, emailSharedWithAnother: shared),
                                connection: try vault.stored(for: user, using: connection))
            }
        }
    }
}
