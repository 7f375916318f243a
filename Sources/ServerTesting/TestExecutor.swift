import Dispatch

/// Where test bodies that start servers and harnesses run: threads of their own (a concurrent dispatch queue,
/// which adds threads when one blocks) rather than Swift's cooperative pool, which has one thread per core.
/// Setting up and tearing down a server or an application blocks for moments (joining an event loop thread,
/// closing a database waits for its queue); two such moments at once on a two-core machine used to stop every
/// other test, and the servers' simulators (actors), for seconds. See `TestSlots.run`.
final class TestExecutor: TaskExecutor {
    static let shared = TestExecutor()

    private let queue = DispatchQueue(label: "ServerTesting.TestExecutor", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
