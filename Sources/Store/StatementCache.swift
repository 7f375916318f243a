internal import CSQLite

/// A prepared statement owned by one connection.
final class Statement {
    let handle: OpaquePointer
    let sql: String
    fileprivate var lastUsed: UInt64 = 0

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }
}

/// Prepared statements keyed by SQL text, evicting the least recently used
/// once full so that ad-hoc SQL cannot grow memory without bound.
struct StatementCache {
    let capacity: Int
    private var statements: [String: Statement] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int) {
        precondition(capacity >= 0, "statement cache capacity must not be negative")
        self.capacity = capacity
    }

    var count: Int { statements.count }

    mutating func statement(for sql: String, prepare: () throws -> Statement) rethrows -> Statement {
        clock += 1
        if let cached = statements[sql] {
            cached.lastUsed = clock
            return cached
        }
        let statement = try prepare()
        guard capacity > 0 else { return statement }
        if statements.count >= capacity, let oldest = statements.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            statements[oldest.key] = nil
        }
        statement.lastUsed = clock
        statements[sql] = statement
        return statement
    }

    mutating func removeAll() {
        statements.removeAll()
    }
}
