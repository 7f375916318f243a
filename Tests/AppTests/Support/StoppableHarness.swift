import ServerTesting

/// Something a test starts and must stop before the next one begins: servers, databases, simulators.
protocol StoppableHarness: Sendable {
    func stop() async
}

/// Makes a harness, runs `body` with it and stops it before returning, whether `body` returned or threw, so
/// one test's teardown never overlaps the next test. The harness is made and used inside one of `TestSlots`.
func withHarness<Harness: StoppableHarness>(
    _ harness: @autoclosure () async throws -> Harness, _ body: (Harness) async throws -> Void
) async throws {
    try await TestSlots.run {
        let harness = try await harness()
        do {
            try await body(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }
}
