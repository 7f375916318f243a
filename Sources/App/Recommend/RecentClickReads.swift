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

    /// Every table a snapshot is made of: `PatientStore.finding` and `anotherLivePatientSharingTheEmail`, and
    /// `TokenVault.readingStored`.
    static let tables = ["patients", "patient_mappings", "patient_sync", "fullscript_connections", "tenants"]

    struct Key: Hashable {
        let tenant: String
        let user: String
        let patient: String
    }

    private struct Kept {
        let user: EHRUser
        let snapshot: ClickRead.Snapshot
        let readAt: Date
    }

    /// Every kept snapshot was read at `version`: when the tables move on, all of them are out of date at once, and
    /// go, opened tokens with them. Those that grew old go at the next sweep, at most `maximumAge` later.
    private struct State {
        var kept: [Key: Kept] = [:]
        var version: UInt64 = 0
        var sweptAt = Date.distantPast
    }

    private let changes: TableChanges
    private let watched: TableChanges.Tables
    private let state = PThreadMutex(State())

    init(changes: TableChanges) {
        self.changes = changes
        watched = changes.tables(Self.tables)
    }

    /// How many snapshots are kept, for tests of what goes.
    var count: Int { state.withLock { $0.kept.count } }

    /// Read before the rows, and given back to `remember` with what they were.
    var version: UInt64 { changes.version(of: watched) }

    /// The snapshot `user` read of the patient, when nothing it was made of has changed since and it is not too old.
    func snapshot(of patient: String, for user: EHRUser, at now: Date) -> ClickRead.Snapshot? {
        let version = version
        let key = Key(tenant: user.tenant, user: user.id, patient: patient)
        return state.withLock { state in
            guard state.version == version else {
                state.kept.removeAll()
                return nil
            }
            guard let found = state.kept[key] else { return nil }
            guard found.user == user, found.readAt <= now, now.timeIntervalSince(found.readAt) < Self.maximumAge else {
                state.kept[key] = nil
                return nil
            }
            return found.snapshot
        }
    }

    /// Keeps `snapshot`, read by `user` at `now` after `version` was read. Past `capacity` it starts again empty.
    func remember(_ snapshot: ClickRead.Snapshot, of patient: String, for user: EHRUser, version: UInt64, at now: Date) {
        let key = Key(tenant: user.tenant, user: user.id, patient: patient)
        state.withLock { state in
            if state.version != version {
                // Read before or after another change: only a snapshot of the newest version is kept.
                guard version > state.version else { return }
                state.kept.removeAll()
                state.version = version
            }
            if now.timeIntervalSince(state.sweptAt) >= Self.maximumAge || now < state.sweptAt {
                state.kept = state.kept.filter { $0.value.readAt <= now && now.timeIntervalSince($0.value.readAt) < Self.maximumAge }
                state.sweptAt = now
            }
            if state.kept.count >= Self.capacity { state.kept.removeAll(keepingCapacity: true) }
            state.kept[key] = Kept(user: user, snapshot: snapshot, readAt: now)
        }
    }
}
