import Store

/// Session-level advisory locks named by text: the server hashes a name to its 64-bit key
/// (`hashtextextended`), so a name may be anything; two names sharing a key only wait for each other.
/// A session keeps its locks across transactions, until it releases them or ends.
extension PostgresConnection {
    /// Waits for the lock at most `timeout` (`lock_timeout`); past it, `.lockTimeout`.
    func advisoryLock(_ name: String, waitingAtMost timeout: Duration) throws {
        try transaction(.readCommitted, readOnly: true) {
            // Set for this transaction only; the statement's own timeout must not end the wait first.
            try execute("SELECT set_config('lock_timeout', ?, true), set_config('statement_timeout', ?, true)",
                        [.text("\(Self.milliseconds(timeout))"), .text("\(Self.milliseconds(timeout) + 1000)")])
            try execute("SELECT pg_advisory_lock(hashtextextended(?, 0))", [.text(name)])
        }
    }

    /// Takes the lock when no other session holds it; false otherwise, at once.
    func tryAdvisoryLock(_ name: String) throws -> Bool {
        try transaction(.readCommitted, readOnly: true) {
            try queryFirst("SELECT pg_try_advisory_lock(hashtextextended(?, 0)) AS acquired", [.text(name)])?.bool("acquired") ?? false
        }
    }

    /// Lets go of a lock this session holds. A session that broke since has lost it already. One whose release
    /// failed while it lives on (a timeout, say) is replaced by a new session: the lock goes with the old one,
    /// instead of staying with a pooled connection and barring every other replica from the name.
    func advisoryUnlock(_ name: String) {
        do {
            try transaction(.readCommitted, readOnly: true) {
                try execute("SELECT pg_advisory_unlock(hashtextextended(?, 0))", [.text(name)])
            }
        } catch {
            try? startNewSession()
        }
    }
}
