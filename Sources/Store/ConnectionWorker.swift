import Dispatch

/// A connection confined to one serial queue, so its blocking calls (disk I/O,
/// busy waits, network round trips) never occupy Swift's cooperative thread pool.
package final class ConnectionWorker<Connection: ClosableConnection>: @unchecked Sendable {
    // Unchecked because `connection` is not Sendable: it is only ever touched
    // from blocks running on `queue`, which runs one at a time.
    private let connection: Connection
    private let queue: DispatchQueue

    package init(label: String, connection: Connection) {
        self.connection = connection
        self.queue = DispatchQueue(label: label)
    }

    package func run<T: Sendable>(_ body: @Sendable (Connection) throws -> T) async throws -> T {
        // The queue needs an escaping closure; this one is safe to escape because
        // we wait for it, and `Job` lets go of it before resuming the caller.
        try await withoutActuallyEscaping(body) { body in
            let job = Job(body)
            return try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    continuation.resume(with: job.run(self.connection))
                }
            }
        }
    }

    /// Runs `body` on the queue, after what is queued, without waiting for it.
    package func submit(_ body: @escaping @Sendable (Connection) -> Void) {
        queue.async { body(self.connection) }
    }

    /// Runs `body` on the calling thread, still one at a time with the queue's blocks (`sync` runs an idle
    /// serial queue's block where it is called). The calling thread waits meanwhile.
    package func runHere<T>(_ body: (Connection) throws -> T) rethrows -> T {
        try queue.sync { try body(connection) }
    }

    package func close() {
        queue.sync { connection.close() }
    }
}

/// Holds a closure until it runs once, then drops it, so that when the caller
/// resumes nothing still references the closure that only pretended to escape.
private final class Job<Connection, T: Sendable>: @unchecked Sendable {
    // Unchecked: `body` is written at init and cleared by `run`, which the
    // owning queue calls exactly once, strictly after init.
    private var body: (@Sendable (Connection) throws -> T)?

    init(_ body: @escaping @Sendable (Connection) throws -> T) {
        self.body = body
    }

    func run(_ connection: Connection) -> Result<T, any Error> {
        guard let body else { preconditionFailure("a database job ran twice") }
        self.body = nil
        return Result { try body(connection) }
    }
}
