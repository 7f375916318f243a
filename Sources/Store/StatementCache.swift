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
        if let cached = cached(key) { return (cached, nil) }
        let statement = try prepare()
        return (statement, insert(statement, for: key))
    }

    /// The statement cached for `key`, marked as just used; nil when it is to be prepared.
    package mutating func cached(_ key: String) -> Prepared? {
        clock += 1
        guard let index = entries.index(forKey: key) else { return nil }
        entries.values[index].lastUsed = clock
        return entries.values[index].statement
    }

    /// Keeps `statement`, prepared for `key`; returns the statement dropped to make room, for stores that must release
    /// it explicitly.
    package mutating func insert(_ statement: Prepared, for key: String) -> Prepared? {
        guard capacity > 0 else { return nil }
        var evicted: Prepared?
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            evicted = entries.removeValue(forKey: oldest.key)?.statement
        }
        entries[key] = Entry(statement: statement, lastUsed: clock)
        return evicted
    }

    /// Drops one statement, for a store that found it no longer valid; returns it for explicit release.
    package mutating func removeStatement(for key: String) -> Prepared? {
        entries.removeValue(forKey: key)?.statement
    }

    package mutating func removeAll() {
        entries.removeAll()
    }
}
