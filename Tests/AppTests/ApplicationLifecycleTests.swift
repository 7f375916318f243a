@testable import App
import Foundation
import ServerTesting
import ServiceLifecycleTestKit
import Testing
import Server

/// `Application.run` as the process runs it: the HTTP server and the webhook processor as services of one
/// `ServiceGroup`. A graceful shutdown is what SIGTERM and SIGINT trigger; here the test triggers it, so no
/// signal is sent to the test process.
@Suite(.serialized)
struct ApplicationLifecycleTests {
    @Test func runServesUntilAGracefulShutdownThenDrainsAndReturns() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("app-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var config = try await AppConfig.load(
            directory: repositoryRoot + "/config", environment: ApplicationTests.environment(directory)
        )
        config.server.shutdownGracePeriod = .seconds(30)
        let application = try await Application(config: config, logger: ApplicationTests.quietLogger)
        try await testGracefulShutdown { trigger in
            // Inherits the test's graceful-shutdown context, which the application's group listens to.
            let running = Task { try await application.run() }
            // The port is bound from init: this waits in the backlog until the group starts the server.
            let client = try await TestClient(port: application.port)
            await client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            let started = ContinuousClock.now
            trigger.triggerGracefulShutdown()
            try await running.value
            // The kept-alive idle connection was closed at once, not at the end of the (30 s) grace period; the
            // bound leaves room for a machine busy with other tests.
            #expect(ContinuousClock.now - started < .seconds(15))
            #expect(await client.isClosedByServer())
            #expect(application.server.isShuttingDown)
            await #expect(throws: TestClientError.self) { _ = try await TestClient(port: application.port) }
        }
    }

    /// SIGTERM to a replica behind a load balancer: `/readyz` answers 503 at once while the server still accepts
    /// connections, so the balancer's health check takes it out of rotation before anything is refused; after
    /// `http.shutdown_delay_ms` it drains and `run` returns.
    @Test func aGracefulShutdownFailsReadinessAtOnceAndDrainsAfterTheDelay() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("app-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var config = try await AppConfig.load(
            directory: repositoryRoot + "/config", environment: ApplicationTests.environment(directory)
        )
        // Room for the probes below on a machine busy with other tests.
        config.server.shutdownDelay = .seconds(3)
        let application = try await Application(config: config, logger: ApplicationTests.quietLogger)
        try await testGracefulShutdown { trigger in
            let running = Task { try await application.run() }
            let before = try await TestClient(port: application.port)
            await before.send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await before.readResponse().status == 200)
            let started = ContinuousClock.now
            trigger.triggerGracefulShutdown()
            // The group hands the shutdown to the server's service as a task of its own: probe until it has.
            var readiness: TestResponse
            repeat {
                let probe = try await TestClient(port: application.port)
                await probe.send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
                readiness = try await probe.readResponse()
            } while readiness.status == 200
            #expect(readiness.status == 503)
            #expect(readiness.text.contains("shutting down"))
            #expect(readiness.header("connection") == "close")
            // Not refused: a request that reaches it during the delay is served.
            let late = try await TestClient(port: application.port)
            await late.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await late.readResponse().status == 200)
            try await running.value
            #expect(ContinuousClock.now - started >= .seconds(3))
            await #expect(throws: TestClientError.self) { _ = try await TestClient(port: application.port) }
        }
    }
}
