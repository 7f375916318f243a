/// Something a test starts and must stop before the next one begins: servers, databases, simulators.
protocol StoppableHarness: Sendable {
    func stop() async
}

/// Runs `body` with `harness` and stops it before returning, whether `body` returned or threw, so one
/// test's teardown never overlaps the next test.
func withHarness<Harness: StoppableHarness>(
    _ harness: Harness, _ body: (Harness) async throws -> Void
) async throws {
    do {
        try await body(harness)
    } catch {
        await harness.stop()
        throw error
    }
    await harness.stop()
}
