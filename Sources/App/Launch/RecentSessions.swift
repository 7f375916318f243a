import Locking

/// Live sessions read before, by their hash: a request of a signed-in user then reads no session row. Only
/// where every write to `sessions` is this process's (SQLite: the file is one process's), so that the store's
/// own writes keep it true; on PostgreSQL another replica may end a session, so each request reads it.
///
/// A hit is checked against the same expiry as the read (`SessionStore.Found.isLive`). Ending a session forgets
/// it and moves `generation`, so a read that began before the end cannot put the ended session back.
final class RecentSessions: Sendable {
    static let capacity = 10_000

    private struct State {
        var sessions: [String: SessionStore.Found] = [:]
        var generation = 0
    }

    private let state = PThreadMutex(State())

    subscript(hash: String) -> SessionStore.Found? {
        state.withLock { $0.sessions[hash] }
    }

    /// Read before a session is looked up in the store, and given back to `remember`.
    var generation: Int { state.withLock { $0.generation } }

    /// Keeps `found` unless a session ended since `generation` was read. Past `capacity` it starts again empty.
    func remember(_ found: SessionStore.Found, readAt generation: Int) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.sessions.count >= Self.capacity { state.sessions.removeAll(keepingCapacity: true) }
            state.sessions[found.hash] = found
        }
    }

    /// The session's idle expiry was extended to `lastSeen`, never back; a session forgotten meanwhile stays forgotten.
    func touched(_ hash: String, at lastSeen: Int64) {
        state.withLock { state in
            state.sessions[hash] = state.sessions[hash].map {
                SessionStore.Found(hash: $0.hash, user: $0.user, lastSeen: max($0.lastSeen, lastSeen), expiresAt: $0.expiresAt)
            }
        }
    }

    func forget(_ hash: String) {
        state.withLock { state in
            state.generation += 1
            state.sessions[hash] = nil
        }
    }
}
