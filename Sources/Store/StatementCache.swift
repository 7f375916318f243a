/// Prepared statements keyed by their SQL, evicting the least recently used
/// once full so that ad-hoc SQL cannot grow memory without bound. Shared by
/// SQLite (statement handles) and PostgreSQL (server-side statement names).
package struct StatementCache<Prepared> {
    private struct Entry {
        let statement: Prepared
        var lastUsed: UInt64
    }

    package let capacity: Int
    private var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0

    package init(capacity: Int) {
        precondition(capacity >= 0, "statement cache capacity must not be negative")
        self.capacity = capacity
    }

    package var count: Int { entries.count }

    /// The cached statement for `key`, or a new one from `prepare`. `evicted` is
    /// the statement dropped to make room, for stores that must release it
    /// explicitly (PostgreSQL keeps prepared statements until `DEALLOCATE`).
    package mutating func statement(
        for key: String,
        prepare: () throws -> Prepared
    ) rethrows -> (statement: Prepared, evicted: Prepared?) {
        clock += 1
        if let cached = entries[key] {
            entries[key]?.lastUsed = clock
            return (cached.statement, nil)
        }
        let statement = try prepare()
        guard capacity > 0 else { return (statement, nil) }
        var evicted: Prepared?
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            evicted = entries.removeValue(forKey: oldest.key)?.statement
        }
        entries[key] = Entry(statement: statement, lastUsed: clock)
        return (statement, evicted)
    }

    /// Drops one statement, for a store that found it no longer valid; returns it for explicit release.
    package mutating func removeStatement(for key: String) -> Prepared? {
        entries.removeValue(forKey: key)?.statement
    }

    package mutating func removeAll() {
        entries.removeAll()
    }
}
