import Foundation
import Store

/// What a click reads before it asks Fullscript, in one read transaction: the patient, whether another live patient
/// of the tenant holds its email, and the clicking user's connection with its tokens opened. Three reads were three
/// hops to a reader's queue and back and three `BEGIN`s, on every click; one also sees them all in one snapshot. None
/// depends on another's answer, so PostgreSQL takes them in one round trip. The stores keep their single-purpose reads
/// for everyone else. A few rows by key: a brief read, on the request's own thread. A click repeated soon on the same
/// patient reads nothing where the store counts its changes (`RecentClickReads`); where each request reads its session
/// instead, they go in that round trip (`ClickReadAhead`).
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

    /// The rows of `statements` for a patient and user, read in the round trip that read the user's session.
    struct ReadAhead: Sendable {
        let patientID: String
        let user: EHRUser
        let rows: [[Row]]

        /// Whether these are the rows of this very patient and user.
        func isFor(_ patientID: String, _ user: EHRUser) -> Bool {
            self.patientID == patientID && self.user == user
        }

        /// The patient read ahead (`PatientStore.find`'s answer), for the page that opens the click.
        func patient(_ patientID: String, for user: EHRUser) throws -> PatientLookup? {
            isFor(patientID, user) ? try PatientStore.lookup(rows[0].first) : nil
        }
    }

    static func statements(patientID: String, for user: EHRUser) -> [SQLStatement] {
        [
            PatientStore.finding(patientID, in: user.tenant),
            PatientStore.anotherLivePatientSharingTheEmail(of: patientID, in: user.tenant),
            TokenVault.readingStored(for: user),
        ]
    }

    /// `ahead`: what `ClickReadAhead` read, used when it is this very patient's and user's.
    func read(patientID: String, for user: EHRUser, ahead: ReadAhead?) async throws -> Snapshot {
        if let ahead, ahead.isFor(patientID, user) {
            return try snapshot(ahead.rows, for: user)
        }
        let now = now()
        if let kept = recent?.snapshot(of: patientID, for: user, at: now) { return kept }
        let version = recent?.version ?? 0
        let snapshot = try await readStored(patientID: patientID, for: user)
        recent?.remember(snapshot, of: patientID, for: user, version: version, at: now)
        return snapshot
    }

    private func readStored(patientID: String, for user: EHRUser) async throws -> Snapshot {
        try snapshot(try await database.briefRead(Self.statements(patientID: patientID, for: user)), for: user)
    }

    private func snapshot(_ rows: [[Row]], for user: EHRUser) throws -> Snapshot {
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
