import HTTPClient
import HTTPTypes
import Server
import ServerTesting
import Testing

/// Plain HTTP against our own server on loopback: framing, pooling, limits, timeouts and retries.
struct HTTPClientTests {
    /// `gate` holds `/slow` until the test opens it.
    static func router(hits: HitCounter = HitCounter(), failuresBeforeSuccess: Int = 0, gate: TestGate = TestGate()) -> Router {
        let router = Router()
        router.get("/hello") { _ in .text("hello") }
        router.post("/echo", body: .standard) { request in
            var response = Response.text(String(decoding: request.body, as: UTF8.self))
            response.headerFields[.init("X-Seen-Length")!] = request.head.headerFields[.contentLength] ?? "-"
            response.headerFields[.init("X-Seen-Agent")!] = request.head.headerFields[.userAgent] ?? "-"
            return response
        }
        router.get("/stream") { _ in
            Response(status: .ok, body: .stream { writer in
                for index in 0..<3 { try await writer.write("part \(index)\n") }
            })
        }
        router.get("/closing") { _ in
            var response = Response.text("bye")
            response.headerFields[.connection] = "close"
            return response
        }
        router.get("/big") { _ in .text(String(repeating: "x", count: 10_000)) }
        router.get("/big-stream") { _ in
            Response(status: .ok, body: .stream { writer in
                for _ in 0..<10 { try await writer.write(String(repeating: "y", count: 1000)) }
            })
        }
        router.get("/slow") { _ in
            // Answers only once the test says so: a client that gives up at its deadline is told apart from
            // one that waited however busy the machine is, and nobody waits for a fixed time.
            await gate.pass()
            return .text("slow")
        }
        router.get("/flaky") { _ in
            hits.hit() <= failuresBeforeSuccess ? .text("busy", status: .serviceUnavailable) : .text("ok")
        }
        router.post("/flaky", body: .standard) { _ in
            hits.hit()
            return .text("busy", status: .serviceUnavailable)
        }
        router.get("/later") { _ in
            hits.hit()
            var response = Response.text("later", status: .tooManyRequests)
            response.headerFields[.retryAfter] = "3600"
            return response
        }
        return router
    }

    @Test func getRoundTrip() async throws {
        try await withServer(router: Self.router()) { server in
            try await withClient { client in
                let response = try await client.execute(request(port: server.port, "/hello"), deadline: .seconds(5))
                #expect(response.head.status == .ok)
                #expect(String(decoding: response.body, as: UTF8.self) == "hello")
                #expect(response.head.headerFields[.contentLength] == "5")
            }
        }
    }

    @Test func postSendsTheBodyWithItsLengthAndOurUserAgent() async throws {
        try await withServer(router: Self.router()) { server in
            try await withClient { client in
                let body = Array(#"{"name":"Ada"}"#.utf8)
                let response = try await client.execute(request(.post, port: server.port, "/echo"), body: body, deadline: .seconds(5))
                #expect(response.body == body)
                #expect(response.head.headerFields[.init("X-Seen-Length")!] == "\(body.count)")
                #expect(response.head.headerFields[.init("X-Seen-Agent")!] == "fullscript-redirect")
            }
        }
    }

    @Test func keepsTheCallersUserAgent() async throws {
        try await withServer(router: Self.router()) { server in
            try await withClient { client in
                var post = request(.post, port: server.port, "/echo")
                post.headerFields[.userAgent] = "custom/1"
                let response = try await client.execute(post, deadline: .seconds(5))
                #expect(response.head.headerFields[.init("X-Seen-Agent")!] == "custom/1")
                #expect(response.head.headerFields[.init("X-Seen-Length")!] == "0")
            }
        }
    }

    @Test func readsAChunkedBody() async throws {
        try await withServer(router: Self.router()) { server in
            try await withClient { client in
                let response = try await client.execute(request(port: server.port, "/stream"), deadline: .seconds(5))
                #expect(response.head.headerFields[.transferEncoding] == "chunked")
                #expect(String(decoding: response.body, as: UTF8.self) == "part 0\npart 1\npart 2\n")
            }
        }
    }

    @Test func headHasNoBody() async throws {
        try await withServer(router: Self.router()) { server in
            try await withClient { client in
                let response = try await client.execute(request(.head, port: server.port, "/big"), deadline: .seconds(5))
                #expect(response.head.headerFields[.contentLength] == "10000")
                #expect(response.body.isEmpty)
                // The connection is still in step: a GET on it gets its own answer.
                let next = try await client.execute(request(port: server.port, "/hello"), deadline: .seconds(5))
                #expect(next.body == Array("hello".utf8))
                #expect(client.connectionsOpened == 1)
            }
        }
    }

    @Test func reusesOneConnectionForSequentialCalls() async throws {
        try await withServer(router: Self.router()) { server in
            try await withClient { client in
                for _ in 0..<20 {
                    let response = try await client.execute(request(port: server.port, "/hello"), deadline: .seconds(5))
                    #expect(response.head.status == .ok)
                }
                #expect(client.connectionsOpened == 1)
            }
        }
    }

    @Test func doesNotReuseAConnectionTheServerSaidItWouldClose() async throws {
        try await withServer(router: Self.router()) { server in
            try await withClient { client in
                for _ in 0..<2 {
                    let response = try await client.execute(request(port: server.port, "/closing"), deadline: .seconds(5))
                    #expect(response.body == Array("bye".utf8))
                }
                #expect(client.connectionsOpened == 2)
            }
        }
    }

    @Test func concurrentCallsStayWithinThePerOriginBound() async throws {
        let gate = TestGate()
        defer { gate.open() }
        let submitted = HitCounter()
        try await withServer(router: Self.router(gate: gate)) { server in
            try await withClient({ $0.maxConnectionsPerOrigin = 2 }) { client in
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<6 {
                        group.addTask {
                            submitted.hit()
                            return try await client.execute(request(port: server.port, "/slow"), deadline: .seconds(30)).head.status.code
                        }
                    }
                    // Every call is made while the first two hold both connections; then they all go through.
                    #expect(await eventually { submitted.value == 6 })
                    #expect(await gate.waitForArrivals(2))
                    gate.open()
                    for try await status in group { #expect(status == 200) }
                }
                #expect(client.connectionsOpened == 2)
            }
        }
    }

    @Test func waitingForAConnectionEndsAtTheDeadline() async throws {
        let gate = TestGate()
        defer { gate.open() }
        try await withServer(router: Self.router(gate: gate)) { server in
            try await withClient({ $0.maxConnectionsPerOrigin = 1 }) { client async throws in
                async let slow = client.execute(request(port: server.port, "/slow"), deadline: .seconds(15))
                // The slow call has the only connection once its handler runs.
                #expect(await gate.waitForArrivals(1))
                let error = await failure { _ = try await client.execute(request(port: server.port, "/hello"), deadline: .milliseconds(200)) }
                #expect(error == .deadlineExceeded)
                gate.open()
                #expect(try await slow.head.status == .ok)
            }
        }
    }

    @Test func limitsTheResponseBody() async throws {
        try await withServer(router: Self.router()) { server in
            try await withClient({ $0.maxResponseBodySize = 1000 }) { client in
                for path in ["/big", "/big-stream"] {
                    let error = await failure { _ = try await client.execute(request(port: server.port, path), deadline: .seconds(5)) }
                    #expect(error == .responseTooLarge, "\(path)")
                }
                let fits = try await client.execute(request(port: server.port, "/hello"), deadline: .seconds(5))
                #expect(fits.head.status == .ok)
                // A connection left in the middle of a body is never handed to the next request.
                #expect(client.connectionsOpened == 3)
            }
        }
    }

    @Test func timesOutWhenTheServerGoesQuiet() async throws {
        let gate = TestGate()
        defer { gate.open() }
        try await withServer(router: Self.router(gate: gate)) { server in
            try await withClient({ $0.readTimeout = .milliseconds(200) }) { client in
                let error = await failure { _ = try await client.execute(request(port: server.port, "/slow"), deadline: .seconds(5)) }
                #expect(error == .timedOut)
                gate.open()
            }
        }
    }

    @Test func endsAtTheDeadline() async throws {
        let gate = TestGate()
        defer { gate.open() }
        try await withServer(router: Self.router(gate: gate)) { server in
            try await withClient { client in
                let started = ContinuousClock.now
                let error = await failure { _ = try await client.execute(request(port: server.port, "/slow"), deadline: .milliseconds(300)) }
                #expect(error == .deadlineExceeded)
                // The handler never answers until the test is done: any bound well short of forever will do.
                #expect(ContinuousClock.now - started < .seconds(15))
                gate.open()
            }
        }
    }

    @Test func retriesGetOn503() async throws {
        let hits = HitCounter()
        try await withServer(router: Self.router(hits: hits, failuresBeforeSuccess: 2)) { server in
            try await withClient { client in
                let response = try await client.execute(request(port: server.port, "/flaky"), deadline: .seconds(5))
                #expect(response.head.status == .ok)
                #expect(hits.value == 3)
            }
        }
    }

    @Test func givesUpAfterMaxAttempts() async throws {
        let hits = HitCounter()
        try await withServer(router: Self.router(hits: hits, failuresBeforeSuccess: 10)) { server in
            try await withClient { client in
                let response = try await client.execute(request(port: server.port, "/flaky"), deadline: .seconds(5))
                #expect(response.head.status == .serviceUnavailable)
                #expect(hits.value == 3)
            }
        }
    }

    @Test func neverRetriesPost() async throws {
        let hits = HitCounter()
        try await withServer(router: Self.router(hits: hits)) { server in
            try await withClient { client in
                let response = try await client.execute(request(.post, port: server.port, "/flaky"), body: [1], deadline: .seconds(5))
                #expect(response.head.status == .serviceUnavailable)
                #expect(hits.value == 1)
            }
        }
    }

    @Test func doesNotWaitForARetryAfterBeyondTheDeadline() async throws {
        let hits = HitCounter()
        try await withServer(router: Self.router(hits: hits)) { server in
            try await withClient { client in
                let response = try await client.execute(request(port: server.port, "/later"), deadline: .seconds(2))
                #expect(response.head.status == .tooManyRequests)
                #expect(hits.value == 1)
            }
        }
    }

    @Test func recoversWhenTheServerClosedAnIdleConnection() async throws {
        let configuration = HTTPServer.Configuration(port: 0, idleTimeout: .milliseconds(100), eventLoopCount: 1)
        try await withServer(configuration, router: Self.router()) { server in
            try await withClient { client in
                _ = try await client.execute(request(port: server.port, "/hello"), deadline: .seconds(5))
                // The server's idle timer closes the connection: wait for that, not for a time.
                #expect(await eventually { server.openConnections == 0 })
                let response = try await client.execute(request(port: server.port, "/hello"), deadline: .seconds(5))
                #expect(response.head.status == .ok)
                #expect(client.connectionsOpened == 2)
            }
        }
    }

    @Test func dropsIdleConnectionsAfterTheirTimeout() async throws {
        try await withServer(router: Self.router()) { server in
            try await withClient({ $0.idleConnectionTimeout = .milliseconds(100) }) { client in
                _ = try await client.execute(request(port: server.port, "/hello"), deadline: .seconds(5))
                // The client's idle timer closes its connection, which the server sees go.
                #expect(await eventually { server.openConnections == 0 })
                _ = try await client.execute(request(port: server.port, "/hello"), deadline: .seconds(5))
                #expect(client.connectionsOpened == 2)
            }
        }
    }

    @Test func refusedConnectionsFailAfterRetrying() async throws {
        try await withClient { client in
            // Nothing listens on port 1 of a test machine. A refusal is immediate: the deadline is only there
            // so that a hang fails the test, and a loaded machine must not turn the refusal into a timeout.
            let error = await failure { _ = try await client.execute(request(port: 1, "/hello"), deadline: .seconds(60)) }
            guard case .connectFailed(let reason)? = error else {
                Issue.record("expected connectFailed, got \(String(describing: error))")
                return
            }
            #expect(reason.contains("refused"))
        }
    }

    @Test func refusesPlainHTTPBeyondLoopback() async throws {
        try await withClient { client in
            let remote = await failure { _ = try await client.execute(request(host: "example.com", port: 80, "/"), deadline: .seconds(1)) }
            #expect(remote == .insecureURL("http://example.com:80"))
            let private10 = await failure { _ = try await client.execute(request(host: "10.0.0.1", port: 80, "/"), deadline: .seconds(1)) }
            #expect(private10 == .insecureURL("http://10.0.0.1:80"))
        }
        try await withClient({ $0.allowPlainHTTPToLoopback = false }) { client in
            let loopback = await failure { _ = try await client.execute(request(port: 8080, "/"), deadline: .seconds(1)) }
            #expect(loopback == .insecureURL("http://127.0.0.1:8080"))
        }
    }

    @Test func failsEverythingAfterShutdown() async throws {
        let client = try makeClient()
        await client.shutdown()
        let error = await failure { _ = try await client.execute(request(port: 1, "/"), deadline: .seconds(1)) }
        #expect(error == .shutdown)
        await client.shutdown()
    }
}
