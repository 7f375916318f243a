import Server
import ServerTesting
import Testing

/// The header, idle, progress and body timeouts as a client meets them. Each test configures timeouts of a few
/// hundred milliseconds and waits for the server's answer or close (a bounded read), never for a fixed time.
/// A lower bound is measured from before whatever starts the server's clock; an upper bound (15 s) leaves room for
/// a machine busy with other work, and is still well short of the next-longest timeout that could explain it
/// (30 s unless a test says otherwise).
extension HTTPServerTests {
    static func shortTimeouts(
        header: Duration = .seconds(30), idle: Duration = .seconds(60), progress: Duration = .seconds(30),
        body: Duration = .seconds(30)
    ) -> HTTPServer.Configuration {
        HTTPServer.Configuration(
            port: 0, headerTimeout: header, idleTimeout: idle, progressTimeout: progress, bodyTimeout: body, eventLoopCount: 1
        )
    }

    /// Complete field lines are consumed by the parser as they come, leaving nothing buffered; the head is
    /// still incomplete, so its clock keeps running.
    @Test func theHeaderTimeoutFiresThoughEveryLineSoFarWasConsumed() async throws {
        try await withServer(Self.shortTimeouts(header: .milliseconds(300)), router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port, timeoutSeconds: 20)
            let start = ContinuousClock.now
            await client.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 408)
            #expect(response.header("connection") == "close")
            #expect(await client.isClosedByServer())
            #expect(ContinuousClock.now - start < .seconds(15))
        }
    }

    /// A connection that never sends a byte has the header timeout from accept, not the idle timeout; with
    /// no request begun there is nothing to answer, so it is closed silently.
    @Test func aConnectionThatSendsNothingIsClosedWithinTheHeaderTimeout() async throws {
        try await withServer(Self.shortTimeouts(header: .milliseconds(300)), router: Self.echoRouter) { server in
            // From before connecting: the server's clock starts at accept, which may come before the connect returns.
            let start = ContinuousClock.now
            let client = try await TestClient(port: server.port, timeoutSeconds: 20)
            #expect(await client.isClosedByServer(), "closed, and without an answer")
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(250))
            #expect(elapsed < .seconds(15))
        }
    }

    /// Between requests only the idle timeout applies (longer here than the header timeout), and the
    /// connection goes without an answer.
    @Test func aKeptAliveConnectionIsClosedSilentlyByTheIdleTimeout() async throws {
        let configuration = Self.shortTimeouts(header: .milliseconds(200), idle: .milliseconds(600))
        try await withServer(configuration, router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port, timeoutSeconds: 20)
            // Before the request: the idle clock starts once the answer is written, after this.
            let start = ContinuousClock.now
            await client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            #expect(await client.isClosedByServer(), "closed, and without an answer")
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(550))
            #expect(elapsed < .seconds(15))
        }
    }

    /// On a kept-alive connection the header timeout runs from the first byte of the next request: the idle
    /// time before it does not count, and the field lines dribbled after it do not re-arm it.
    @Test func theNextRequestsHeaderTimeoutRunsFromItsFirstByteAndIsNeverReArmed() async throws {
        // The idle timeout is long, so a test starved of CPU after its pause still sends before it.
        let configuration = Self.shortTimeouts(header: .milliseconds(300), idle: .seconds(4))
        try await withServer(configuration, router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port, timeoutSeconds: 20)
            await client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            // Idle time, shorter than the idle timeout: must not be charged to the next head.
            try await Task.sleep(for: .milliseconds(200))
            let firstByte = ContinuousClock.now
            await client.send("GET /hello HTTP/1.1\r\n")
            var line = 0
            while await !client.waitForInput(timeout: .milliseconds(50)), line < 40 {
                await client.send("X-\(line): y\r\n")
                line += 1
            }
            let response = try await client.readResponse()
            #expect(response.status == 408)
            #expect(response.header("connection") == "close")
            // The server closes without lingering (the point is to free the connection), so a line sent just as
            // the timeout fired makes that close a reset: closed all the same.
            #expect(await client.isClosedByServer(acceptingReset: true))
            let elapsed = ContinuousClock.now - firstByte
            #expect(elapsed >= .milliseconds(250), "not charged for the idle time before the first byte")
            #expect(elapsed < .seconds(15))
        }
    }

    /// Whichever clock ran out, the 408 is a response like any other: rendered, dated, closing.
    @Test func timeoutAnswersCarryADateAndCloseTheConnection() async throws {
        let configuration = Self.shortTimeouts(header: .milliseconds(300), progress: .milliseconds(300))
        try await withServer(configuration, router: Self.echoRouter) { server in
            for request in ["GET /hello HTTP/1.1\r\nHo", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"] {
                let client = try await TestClient(port: server.port, timeoutSeconds: 20)
                let start = ContinuousClock.now
                await client.send(request)
                let response = try await client.readResponse()
                #expect(response.status == 408, "\(request)")
                #expect(response.header("date")?.hasSuffix(" GMT") == true, "\(request)")
                #expect(response.header("connection") == "close")
                #expect(response.text == "Request Timeout")
                #expect(await client.isClosedByServer())
                #expect(ContinuousClock.now - start < .seconds(15))
            }
        }
    }

    /// Each byte arriving within the progress timeout keeps a body alive only until the body timeout.
    @Test func cutsOffBodiesThatTrickleInForLongerThanTheBodyTimeout() async throws {
        // Progress is generous, so a byte that a busy machine sends late is not what cuts the body off.
        let configuration = Self.shortTimeouts(progress: .milliseconds(1000), body: .milliseconds(1500))
        try await withServer(configuration, router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port, timeoutSeconds: 20)
            await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
            let start = ContinuousClock.now
            var sent = 0
            while await !client.waitForInput(timeout: .milliseconds(100)), sent < 60 {
                await client.send("x")
                sent += 1
            }
            let response = try await client.readResponse()
            #expect(response.status == 408)
            #expect(response.header("connection") == "close")
            // As above: a byte sent just as the timeout fired may turn the close into a reset.
            #expect(await client.isClosedByServer(acceptingReset: true))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(1450))
            #expect(elapsed < .seconds(15))
        }
    }
}
