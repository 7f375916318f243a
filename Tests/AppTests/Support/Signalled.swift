@testable import App

/// Whether the chart's stream hears of a change within `timeout` (ends the subscription).
func signalled(_ subscription: PlanUpdates.Subscription, within timeout: Duration = .seconds(5)) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            for await _ in subscription.signals { return true }
            return false
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
}

/// Waits for signals until `read` finds what the chart should show (nil: not yet). A signal of an earlier write (the
/// patient's link, a click) may come first, on PostgreSQL even after the chart opened, since signals travel through
/// the database; a chart re-reads on every signal, as this does.
func signalled<T>(_ subscription: PlanUpdates.Subscription, until read: () async throws -> T?, signals: Int = 3) async throws -> T? {
    for _ in 0..<signals {
        guard await signalled(subscription) else { return nil }
        if let found = try await read() { return found }
    }
    return nil
}
