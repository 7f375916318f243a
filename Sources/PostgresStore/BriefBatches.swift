import Locking
import Reactor
import Store

/// Brief transactions that wait for a connection of their loop go to the server together, as one transaction, when
/// one comes: a busy loop then makes one round trip for several requests where it made one each. Every server round
/// trip wakes a PostgreSQL process and, when its answer comes, this loop; on a few cores that switching costs more
/// than the work. A transaction that finds a connection free runs alone, as before, and so does every one on a quiet
/// loop.
///
/// The first transaction to wait (the leader) opens a batch; those of the same kind (the same `BEGIN`) that come to
/// the same loop while it waits join it, up to `maximumStatements`. Reads share one snapshot, as one read's statements
/// do. When a statement fails, the server rolls the whole transaction back, so nothing of the batch is committed: each
/// then runs alone, on the same connection, so that one caller's error is no other caller's. A lost connection fails
/// each of them as it would have failed alone (a write whose answer was lost may have committed: never sent again).
final class BriefBatches: Sendable {
    static let maximumStatements = 64

    private struct Key: Hashable {
        let loop: ObjectIdentifier
        let begin: String
    }

    private struct Follower {
        let statements: [SQLStatement]
        let continuation: CheckedContinuation<[StatementResult]?, any Error>
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
        var leads = false
        // nil: this caller leads, or the batch waiting is full and it runs alone.
        let joined: [StatementResult]? = try await withCheckedThrowingContinuation { continuation in
            let followed = forming.withLock { forming -> Bool in
                guard var batch = forming[key] else {
                    forming[key] = Forming(statementCount: statements.count)
                    leads = true
                    return false
                }
                guard batch.statementCount + statements.count <= Self.maximumStatements else { return false }
                batch.followers.append(Follower(statements: statements, continuation: continuation))
                batch.statementCount += statements.count
                forming[key] = batch
                return true
            }
            if !followed { continuation.resume(returning: nil) }
        }
        if let joined { return joined }
        guard leads else { return try await connections.withConnection(on: loop) { try await $0.transaction(begin, statements) } }
        var followers: [Follower]?
        do {
            return try await connections.withConnection(on: loop) { connection in
                // The batch closes as the connection comes: later callers wait for the next one.
                let taken = forming.withLock { $0.removeValue(forKey: key)?.followers ?? [] }
                followers = taken
                return try await Self.run(begin, statements, with: taken, on: connection)
            }
        } catch {
            // No connection came (the store closed, the server unreachable): those who joined fail as the leader does.
            let stranded = followers == nil ? forming.withLock { $0.removeValue(forKey: key)?.followers ?? [] } : []
            stranded.forEach { $0.continuation.resume(throwing: error) }
            throw error
        }
    }

    /// The leader's `statements` and its followers' in one transaction; each follower is answered, whatever happens.
    private static func run(
        _ begin: String, _ statements: [SQLStatement], with followers: [Follower], on connection: PostgresLoopConnection
    ) async throws -> [StatementResult] {
        guard !followers.isEmpty else { return try await connection.transaction(begin, statements) }
        let parts = [statements] + followers.map(\.statements)
        do {
            var results = try await connection.transaction(begin, parts.flatMap { $0 })[...]
            let answers = parts.map { part in
                defer { results = results.dropFirst(part.count) }
                return Array(results.prefix(part.count))
            }
            zip(followers, answers.dropFirst()).forEach { $0.continuation.resume(returning: $1) }
            return answers[0]
        } catch let error as PostgresError where error.sqlState != nil && error.kind != .connectionLost && connection.isUsable {
            // The server refused a statement and rolled the batch back: nothing of it committed, and each runs alone.
            for follower in followers {
                do {
                    follower.continuation.resume(returning: try await connection.transaction(begin, follower.statements))
                } catch {
                    follower.continuation.resume(throwing: error)
                }
            }
            return try await connection.transaction(begin, statements)
        } catch {
            followers.forEach { $0.continuation.resume(throwing: error) }
            throw error
        }
    }
}
