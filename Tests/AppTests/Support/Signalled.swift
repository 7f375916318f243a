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
