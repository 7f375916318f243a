import Logging
import Server
import ServerTesting
import Testing

/// A shutdown first withdraws the server's readiness and goes on serving for `shutdownDelay`, so a load
/// balancer's health check sees the readiness route fail while no connection is refused yet; then it drains.
extension HTTPServerTests {
    @Test func servesThroughTheShutdownDelayClosingEachConnectionThenDrains() async throws {
        try await TestSlots.run {
            let drainStarted = AsyncStream<Void>.makeStream()
            let router = Self.echoRouter
            router.get("/held") { _ in
                for await _ in drainStarted.stream { break }
                return .text("held")
            }
            var configuration = HTTPServer.Configuration(port: 0, eventLoopCount: 1)
            // Longer than any test: the test ends the delay by cancelling the shutdown.
            configuration.shutdownDelay = .seconds(600)
            configuration.shutdownGracePeriod = .seconds(30)
            let readiness = Readiness()
            var logger = Logging.Logger(label: "test")
            logger.logLevel = .critical
            let server = try HTTPServer(configuration: configuration, router: router, readiness: readiness, logger: logger)
            try server.start()
            let keptAlive = try await TestClient(port: server.port)
            await keptAlive.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await keptAlive.readResponse().header("connection") == nil)
            let busy = try await TestClient(port: server.port)
            await busy.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n")

            let stopping = Task { await server.shutdown() }
            while !readiness.isWithdrawn {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(server.isStopping)
            // Still accepting, and still answering on connections already open, but every answer closes its
            // connection: nothing idle is left to close under a client when the listener closes.
            let late = try await TestClient(port: server.port)
            await late.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let lateResponse = try await late.readResponse()
            #expect(lateResponse.status == 200)
            #expect(lateResponse.header("connection") == "close")
            #expect(await late.isClosedByServer())
            await keptAlive.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let keptAliveResponse = try await keptAlive.readResponse()
            #expect(keptAliveResponse.text == "hello")
            #expect(keptAliveResponse.header("connection") == "close")
            #expect(await keptAlive.isClosedByServer())
            #expect(!server.isShuttingDown)

            // Cancelled (a service group that gives up waiting): the delay ends, the drain still finishes what is in flight.
            stopping.cancel()
            while !server.isShuttingDown {
                try await Task.sleep(for: .milliseconds(5))
            }
            drainStarted.continuation.yield()
            let held = try await busy.readResponse()
            #expect(held.text == "held")
            #expect(held.header("connection") == "close")
            await stopping.value
            #expect(server.openConnections == 0)
            await #expect(throws: TestClientError.self) { _ = try await TestClient(port: server.port) }
        }
    }

    @Test func theShutdownDelayEndsByItself() async throws {
        var configuration = HTTPServer.Configuration(port: 0, eventLoopCount: 1)
        configuration.shutdownDelay = .milliseconds(300)
        try await withServer(configuration, router: Self.echoRouter) { server in
            let start = ContinuousClock.now
            await server.shutdown()
            #expect(ContinuousClock.now - start >= .milliseconds(300))
            #expect(server.isShuttingDown)
            #expect(server.openConnections == 0)
        }
    }
}
