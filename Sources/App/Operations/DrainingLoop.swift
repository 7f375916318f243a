import Locking

/// One task that drains a stored queue (the webhook inbox, the patient sync outbox): woken by `signal()`,
/// by the time its last pass asked for, and else by a slow sweep. Its first pass runs at `start`, taking
/// whatever a previous run left, which is what makes a crash harmless.
final class DrainingLoop: Sendable {
    private let sweepInterval: Duration
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let task = PThreadMutex<Task<Void, Never>?>(nil)

    init(sweepInterval: Duration) {
        self.sweepInterval = sweepInterval
        // One buffered wake-up is enough: a pass reads everything pending, however many arrived.
        (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Starts the task, once. `pass` drains what is due, keeping `state` between passes, and says how long
    /// until the next item falls due (nil: nothing is waiting but the sweep).
    func start<State: Sendable>(_ state: State, pass: @escaping @Sendable (inout State) async -> Duration?) {
        task.withLock { task in
            guard task == nil else { return }
            wake.yield()
            task = Task { [wakeups, wake, sweepInterval] in
                var state = state
                var timer: Task<Void, Never>?
                defer { timer?.cancel() }
                for await _ in wakeups {
                    guard !Task.isCancelled else { break }
                    let delay = await pass(&state) ?? sweepInterval
                    timer?.cancel()
                    timer = Task {
                        try? await Task.sleep(for: delay)
                        if !Task.isCancelled { wake.yield() }
                    }
                }
            }
        }
    }

    /// Something was queued. Never blocks: the request that queued it must not wait on the drain.
    func signal() {
        wake.yield()
    }

    /// Ends the task after the item in hand; what is still pending waits for the next start.
    func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        await running?.value
    }
}
