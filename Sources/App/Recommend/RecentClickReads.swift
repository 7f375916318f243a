import Foundation
import Locking
import Store

/// What clicks read lately (`ClickRead.Snapshot`), by user and patient, so that a click repeated on a patient
/// reads no row. Kept only where the store counts every process's commits by table (SQLite's `TableChanges`), and
/// only while none of `tables` changed since the read began: a change by this process (a patient synced, a
/// token refreshed, a disconnect) or by another (`tokens`, `tenants`, `reconcile`) makes the next click read again.
/// A snapshot also grows old after `maximumAge`, for a writer that is not counted (the `sqlite3` shell).
final class RecentClickReads: Sendable {
    static let capacity = 10_000
    static let maximumAge: TimeInterval = 1

    /// Every table a snapshot is made of: `PatientStore.find` and `anotherLivePatientHolds`, and `TokenVault.stored`.
    static let tables = ["patients", "patient_mappings", "patient_sync", "fullscript_connections", "tenants"]

    struct Key: Hashable {
        let tenant: String
        let user: String
        let patient: String
    }

    private struct Kept {
        let user: EHRUser
        let snapshot: ClickRead.Snapshot
        let version: UInt64
        let readAt: Date
    }

    private let changes: TableChanges
    private let watched: TableChanges.Tables
    private let kept = PThreadMutex([Key: Kept]())

    init(changes: TableChanges) {
        self.changes = changes
        watched = changes.tables(Self.tables)
    }

    /// Read before the rows, and given back to `remember` with what they were.
    var version: UInt64 { changes.version(of: watched) }

    /// The snapshot `user` read of the patient, when nothing it was made of has changed since and it is not too old.
    func snapshot(of patient: String, for user: EHRUser, at now: Date) -> ClickRead.Snapshot? {
        let version = version
        let key = Key(tenant: user.tenant, user: user.id, patient: patient)
        guard let found = kept.withLock({ $0[key] }), found.version == version, found.user == user,
              now.timeIntervalSince(found.readAt) < Self.maximumAge, found.readAt <= now else { return nil }
        return found.snapshot
    }

    /// Keeps `snapshot`, read by `user` at `now` after `version` was read. Past `capacity` it starts again empty.
    func remember(_ snapshot: ClickRead.Snapshot, of patient: String, for user: EHRUser, version: UInt64, at now: Date) {
        let key = Key(tenant: user.tenant, user: user.id, patient: patient)
        kept.withLock { kept in
            if kept.count >= Self.capacity { kept.removeAll(keepingCapacity: true) }
            kept[key] = Kept(user: user, snapshot: snapshot, version: version, readAt: now)
        }
    }
}
