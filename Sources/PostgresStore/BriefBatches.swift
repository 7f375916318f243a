import Locking
import Reactor
import Store

/// Brief transactions that wait for a connection of their loop go to the server together, as one transaction, when one
/// comes: a busy loop then makes one round trip for several requests where it made one each. Every server round trip
/// wakes a PostgreSQL process and, when its answer comes, this loop; on a few cores that switching costs more than the
/// work. A transaction that finds a connection free runs alone, as before, and so does every one on a quiet loop.
///
/// The first transaction to wait (the leader) opens a batch; those of the same kind (the same `BEGIN`) that come to the
/// same loop while it waits join it, up to `maximumStatements`. Reads share one snapshot, as one read's statements do;
/// writes are single statements whose effect does not depend on the transaction they run in (`briefExecute`). When the
/// server refuses a statement, it rolls the whole transaction back, so nothing of the batch is committed: the caller
/// whose statement it was gets the error, and the others go again together (each alone when the refusal was the
/// transaction's, not one statement's), on the same connection while it stays usable and through the pool once it is
/// not, so that one caller's error is no other caller's. A lost connection fails each as it would have failed alone (a
/// write whose answer was lost may have committed: never sent again). When no connection comes for the leader (the
/// server refused to open one, say), each follower tries alone.
final class BriefBatches: Sendable {
    static let maximumStatements = 64

    private struct Key: Hashable {
        let loop: ObjectIdentifier
        let begin: String
    }

    /// What a caller does next.
    private enum Turn: Sendable {
        case lead
        /// Alone, through the pool: the batch it joined is full, or ended without answering it.
        case alone
        case answered([StatementResult])
    }

    private struct Follower {
        let statements: [SQLStatement]
        let continuation: CheckedContinuation<Turn, any Error>
    }

    private struct Forming {
        var followers: [Follower] = []
        var statementCount: Int
    }

    private let connections: PostgresLoopConnections
    private let forming = PThreadMutex([Key: Forming]())

    init(connections: PostgresLoopConnections) {
        self.connections = connections
    }

    /// Runs `statements` in a transaction opened by `begin`, with others waiting on `loop` when there are. The caller
    /// runs on `loop`.
    func run(_ begin: String, _ statements: [SQLStatement], on loop: EventLoop) async throws -> [StatementResult] {
        let key = Key(loop: ObjectIdentifier(loop), begin: begin)
        // A caller of no statements still counts: each adds to the batch's wait for its answer.
        let count = max(statements.count, 1)
        let turn: Turn = try await withCheckedThrowingContinuation { continuation in
            let turn = forming.withLock { forming -> Turn? in
                guard var batch = forming[key] else {
                    forming[key] = Forming(statementCount: count)
                    return .lead
                }
                guard batch.statementCount + count <= Self.maximumStatements else { return .alone }
                batch.followers.append(Follower(statements: statements, continuation: continuation))
                batch.statementCount += count
                forming[key] = batch
                return nil
            }
            if let turn { continuation.resume(returning: turn) }
        }
        switch turn {
        case .answered(let results): return results
        case .alone: return try await alone(begin, statements, on: loop)
        case .lead: break
        }
        var followers: [Follower]?
        let led: Turn
        do {
            led = try await connections.withConnection(on: loop) { connection in
                // The batch closes as the connection comes: later callers wait for the next one.
                let taken = forming.withLock { $0.removeValue(forKey: key)?.followers ?? [] }
                followers = taken
                return try await Self.run(begin, statements, with: taken, on: connection)
            }
        } catch {
            if followers == nil {
                // No connection came: each follower tries alone, unless the store is closed.
                let stranded = forming.withLock { $0.removeValue(forKey: key)?.followers ?? [] }
                let closed = (error as? PostgresError)?.kind == .closed
                for follower in stranded {
                    if closed { follower.continuation.resume(throwing: error) } else { follower.continuation.resume(returning: .alone) }
                }
            }
            throw error
        }
        guard case .answered(let results) = led else { return try await alone(begin, statements, on: loop) }
        return results
    }

    private func alone(_ begin: String, _ statements: [SQLStatement], on loop: EventLoop) async throws -> [StatementResult] {
        try await connections.withConnection(on: loop) { try await $0.transaction(begin, statements) }
    }

    /// The leader's `statements` and its followers' in one transaction. Each follower is given its turn as soon as it
    /// is known, whatever happens; the leader's is returned.
    private static func run(
        _ begin: String, _ statements: [SQLStatement], with followers: [Follower], on connection: PostgresLoopConnection
    ) async throws -> Turn {
        var led: Result<Turn, any Error> = .success(.alone)
        let parts = [statements] + followers.map(\.statements)
        await run(begin, Array(parts.indices), of: parts, on: connection) { index, outcome in
            if index == 0 { led = outcome } else { followers[index - 1].continuation.resume(with: outcome) }
        }
        return try led.get()
    }

    /// Runs the parts at `indices` in one transaction, and delivers each one's outcome. When the server refuses a
    /// statement it rolls them all back, so nothing committed: the caller whose statement it was is given the error,
    /// and the others go together again. When the refusal is not that statement's own (a conflict, a deadlock, a
    /// resource of the whole transaction run out, a plan the session prepared before a table changed) or none of
    /// theirs was refused (the `COMMIT` was), each goes alone. Once the connection is no longer usable, those left go
    /// alone through the pool.
    private static func run(
        _ begin: String, _ indices: [Int], of parts: [[SQLStatement]], on connection: PostgresLoopConnection,
        deliver: (Int, Result<Turn, any Error>) -> Void
    ) async {
        guard connection.isUsable else { return indices.forEach { deliver($0, .success(.alone)) } }
        var refused: Int?
        do {
            let statements = indices.flatMap { parts[$0] }
            var results = try await connection.transaction(begin, statements, callers: indices.count) { refused = $0 }[...]
            for index in indices {
                deliver(index, .success(.answered(Array(results.prefix(parts[index].count)))))
                results = results.dropFirst(parts[index].count)
            }
        } catch let error as PostgresError where indices.count > 1 && error.isServerRefusal {
            let culprit = refused.flatMap { part(holding: $0, of: indices.map { parts[$0] }) }
            guard !error.isTransactionWide, let culprit else {
                for index in indices { await run(begin, [index], of: parts, on: connection, deliver: deliver) }
                return
            }
            deliver(indices[culprit], .failure(error))
            var others = indices
            others.remove(at: culprit)
            await run(begin, others, of: parts, on: connection, deliver: deliver)
        } catch {
            indices.forEach { deliver($0, .failure(error)) }
        }
    }

    /// Which of `parts` holds the statement at `index` of them all.
    private static func part(holding index: Int, of parts: [[SQLStatement]]) -> Int? {
        var end = 0
        return parts.firstIndex { part in
            end += part.count
            return index < end
        }
    }
}

extension PostgresError {
    /// A refusal that is the batch's as a whole, or the session's, not the statement's own: it might not have come
    /// to the statement alone.
    fileprivate var isTransactionWide: Bool {
        isStalePlan || ["40001", "40P01"].contains(sqlState) || sqlState?.hasPrefix("53") == true
    }
}
