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
        heldLocks.insert(name)
    }

    /// Takes the lock when no other session holds it; false otherwise, at once.
    func tryAdvisoryLock(_ name: String) throws -> Bool {
        let acquired = try transaction(.readCommitted, readOnly: true) {
            try queryFirst("SELECT pg_try_advisory_lock(hashtextextended(?, 0)) AS acquired", [.text(name)])?.bool("acquired") ?? false
        }
        if acquired { heldLocks.insert(name) }
        return acquired
    }

    /// Lets go of a lock this session holds. A session that broke since has lost it already.
    ///
    /// A release that fails while the session lives on (a timeout, say) leaves the lock with a pooled connection,
    /// barring every other replica from the name. A new session lets it go, but also every other lock this
    /// session holds, whose holders (other names, sharing the pooled connection) are still inside: so the new
    /// session starts when the last of them has released, and until then the failed name stays taken.
    func advisoryUnlock(_ name: String) {
        do {
            try transaction(.readCommitted, readOnly: true) {
                try execute("SELECT pg_advisory_unlock(hashtextextended(?, 0))", [.text(name)])
            }
        } catch {
            aReleaseFailed = true
        }
        heldLocks.remove(name)
        if aReleaseFailed, heldLocks.isEmpty { try? startNewSession() }
    }
}
