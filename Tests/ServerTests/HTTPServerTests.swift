import Foundation
import Glibc
import HTTP1
import Logging
import Server
import ServerTesting
import Testing
import HTTPTypes

/// Over real loopback sockets: framing, keep-alive, limits, timeouts and shutdown as a client sees them.
struct HTTPServerTests {
    static var echoRouter: Router { echoRoutes(on: Router()) }

    static func echoRoutes(on router: Router) -> Router {
        router.get("/hello") { _ in .text("hello") }
        router.post("/echo", body: .standard) { request in .text(String(decoding: request.body, as: UTF8.self)) }
        router.post("/small", body: .bytes(8)) { request in .text("\(request.body.count)") }
        router.get("/slow") { _ in
            try await Task.sleep(for: .milliseconds(300))
            return .text("slow")
        }
        router.get("/fail") { _ in throw CancellationError() }
        router.get("/teapot") { _ in throw HTTPError(.init(code: 418), "short and stout") }
        router.get("/stream") { _ in
            Response(status: .ok, body: .stream { writer in
                for index in 0..<3 { try await writer.write("part \(index)\n") }
            })
        }
        return router
    }

    @Test func answersWithDateLengthAndRequestID() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "hello")
            #expect(response.header("content-length") == "5")
            #expect(response.header("date")?.hasSuffix(" GMT") == true)
            #expect(response.header("x-request-id")?.isEmpty == false)
            #expect(response.header("connection") == nil)
        }
    }

    @Test func keepsTheCallersRequestIDAndReplacesAHostileOne() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc-123\r\n\r\n")
            #expect(try await client.readResponse().header("x-request-id") == "abc-123")
            await client.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Request-Id: <script>\r\n\r\n")
            #expect(try await client.readResponse().header("x-request-id") != "<script>")
        }
    }

    @Test func servesManyRequestsOnOneConnection() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            for _ in 0..<5 {
                await client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await client.readResponse().status == 200)
            }
        }
    }

    @Test func answersPipelinedRequestsInOrder() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send(
                "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
                    + "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            #expect(try await client.readResponse().text == "slow")
            #expect(try await client.readResponse().text == "one")
            #expect(try await client.readResponse().text == "hello")
        }
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let plain = try await TestClient(port: server.port)
            await plain.send("GET /hello HTTP/1.0\r\n\r\n")
            let first = try await plain.readResponse()
            #expect(first.header("connection") == "close")
            #expect(await plain.isClosedByServer())

            let kept = try await TestClient(port: server.port)
            await kept.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await kept.readResponse().header("connection") == "keep-alive")
            await kept.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await kept.readResponse().status == 200)
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(try await client.readResponse().header("connection") == "close")
            #expect(await client.isClosedByServer())
        }
    }

    @Test func readsChunkedBodiesWithExtensionsAndTrailers() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n")
            #expect(try await client.readResponse().text == "Wikipedia")
        }
    }

    @Test func headAnswersWithTheLengthButNoBody() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try await client.readResponse(head: true)
            #expect(response.status == 200)
            #expect(response.header("content-length") == "5")
            await client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().text == "hello")
        }
    }

    @Test func sendsContinueBeforeReadingAnExpectedBody() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
            #expect(try await client.readResponse().status == 100)
            await client.send("hi")
            #expect(try await client.readResponse().text == "hi")
        }
    }

    @Test func refusesAnOversizedBodyWithoutReadingIt() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\nExpect: 100-continue\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 413)
            #expect(response.header("connection") == "close")

            let withinLimit = try await TestClient(port: server.port)
            await withinLimit.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n12345678")
            #expect(try await withinLimit.readResponse().text == "8")
        }
    }

    @Test func rejectsMalformedRequestsWithTheirStatusThenCloses() async throws {
        let cases: [(String, Int)] = [
            ("GET /hello HTTP/1.1\r\n\r\n", 400),
            ("GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n", 400),
            ("G@T /hello HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("GET /hello HTTP/1.1\r\nHost: x\r\nA: b\u{01}c\r\n\r\n", 400),
            ("GET /hello HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            ("GET /hello HTTP/1.1\r\nHost: x\r\nBad : value\r\n\r\n", 400),
            ("GET /hello HTTP/1.1\r\nHost: x\r\nA: b\r\n folded\r\n\r\n", 400),
            ("GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: x\r\n\r\n", 414),
            ("GET /hello HTTP/1.1\r\nHost: x\r\nBig: \(String(repeating: "a", count: 17_000))\r\n\r\n", 431),
        ]
        try await withServer(router: Self.echoRouter) { server in
            for (request, status) in cases {
                let client = try await TestClient(port: server.port)
                await client.send(request)
                let response = try await client.readResponse()
                #expect(response.status == status, "\(request.prefix(60))")
                #expect(response.header("connection") == "close")
                #expect(!response.text.isEmpty)
                #expect(await client.isClosedByServer())
            }
        }
    }

    @Test func acceptsAbsoluteFormTargets() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send("GET http://example.com/hello HTTP/1.1\r\nHost: other\r\n\r\n")
            #expect(try await client.readResponse().text == "hello")
        }
    }

    @Test func writesLargeBodiesAndFilesAcrossManySocketWrites() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("large-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let content = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try Data(content).write(to: directory.appendingPathComponent("big.bin"))
        let router = Self.echoRouter
        router.get("/big") { _ in Response(status: .ok, body: .bytes(content)) }
        let files = try StaticFiles(root: directory.path)
        router.fallback = { files.respond(to: $0) }
        try await withServer(router: router) { server in
            let client = try await TestClient(port: server.port)
            await client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().body == content)
            let file = try await client.readResponse()
            #expect(file.header("content-type") == "application/octet-stream")
            #expect(file.body == content)
            let tag = try #require(file.header("etag"))
            await client.send("GET /big.bin HTTP/1.1\r\nHost: x\r\nIf-None-Match: \(tag)\r\n\r\n")
            #expect(try await client.readResponse().status == 304)
            await client.send("HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse(head: true).header("content-length") == "3000000")
            await client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().text == "hello")
        }
    }

    @Test func routesUnknownPathsAndMethods() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().status == 404)
            await client.send("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 405)
            #expect(response.header("allow") == "GET, HEAD")
        }
    }

    @Test func theServersOwnErrorsAreRenderedByTheRouterWithTheirPathAndRequestID() async throws {
        let router = Self.echoRoutes(on: Router { error, path, id in
            .text("\(error.status.code)|\(path)|\(id)|\(error.message)", status: error.status)
        })
        try await withServer(router: router) { server in
            let client = try await TestClient(port: server.port)
            await client.send("GET /nope?q=1 HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-404\r\n\r\n")
            #expect(try await client.readResponse().text == "404|/nope|req-404|Not Found")
            await client.send("DELETE /hello HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-405\r\n\r\n")
            let wrongMethod = try await client.readResponse()
            #expect(wrongMethod.text == "405|/hello|req-405|Method Not Allowed")
            #expect(wrongMethod.header("allow") == "GET, HEAD")
            await client.send("GET /fail HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-500\r\n\r\n")
            #expect(try await client.readResponse().text == "500|/fail|req-500|Internal Server Error")
            await client.send("GET /teapot HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-418\r\n\r\n")
            #expect(try await client.readResponse().text == "418|/teapot|req-418|short and stout")
            await client.send("POST /small HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-413\r\nContent-Length: 9\r\n\r\n")
            let tooLarge = try await client.readResponse()
            #expect(tooLarge.status == 413)
            #expect(tooLarge.text.hasPrefix("413|/small|req-413|"), "a body over the limit keeps its request's path and id")

            let malformed = try await TestClient(port: server.port)
            await malformed.send("GET /hello HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n")
            let rejected = try await malformed.readResponse()
            #expect(rejected.status == 400)
            #expect(rejected.text.hasPrefix("400|-|"), "no head was read, so no path")
        }
    }

    @Test func mapsHandlerErrorsWithoutLeakingDetails() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send("GET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
            let failure = try await client.readResponse()
            #expect(failure.status == 500)
            #expect(!failure.text.contains("Cancellation"))
            await client.send("GET /teapot HTTP/1.1\r\nHost: x\r\n\r\n")
            let teapot = try await client.readResponse()
            #expect(teapot.status == 418)
            #expect(teapot.text == "short and stout")
        }
    }

    @Test func streamsChunkedResponses() async throws {
        try await withServer(router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.header("transfer-encoding") == "chunked")
            #expect(response.text == "part 0\npart 1\npart 2\n")
            await client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().text == "hello")
        }
    }

    /// A long-lived stream (server-sent events) is quiet between writes for longer than any timeout;
    /// once the client has caught up after a stall, only the handler decides when it ends.
    @Test func aStreamThatStalledOnceIsNotCutOffWhileIdle() async throws {
        // The quiet pause is 2.5 progress timeouts; the timeout itself is long enough that a client
        // starved of CPU on a busy machine (tests run side by side) still reads the burst without a 2 s stall.
        let configuration = HTTPServer.Configuration(port: 0, progressTimeout: .milliseconds(2000), eventLoopCount: 1)
        let router = Router()
        router.get("/burst") { _ in
            Response(status: .ok, body: .stream { writer in
                // More than the socket buffers hold (a send buffer grows to 4 MiB; the client's window is
                // kept small), so the writer waits on a client that is not reading yet.
                for _ in 0..<96 { try await writer.write([UInt8](repeating: 0x61, count: 65_536)) }
                try await Task.sleep(for: .milliseconds(5000))
                try await writer.write("tail")
            })
        }
        try await withServer(configuration, router: router) { server in
            let client = try await TestClient(port: server.port, receiveBufferBytes: 4096)
            await client.send("GET /burst HTTP/1.1\r\nHost: x\r\n\r\n")
            try await Task.sleep(for: .milliseconds(100))
            let response = try await client.readResponse()
            #expect(response.body.count == 96 * 65_536 + 4)
            #expect(response.text.hasSuffix("tail"))
        }
    }

    /// A stream that begins once the drain has started would otherwise hold the server for the whole grace period.
    @Test func shutdownDoesNotWaitForStreams() async throws {
        try await TestSlots.run {
            let drainStarted = AsyncStream<Void>.makeStream()
            let lateArrived = TestGate()
            lateArrived.open()
            let router = Router()
            let endless: @Sendable (ResponseBodyWriter) async throws -> Void = { writer in
                while true {
                    try await writer.write(": beat\n")
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            router.get("/endless") { _ in Response(status: .ok, body: .stream(endless)) }
            router.get("/late-endless") { _ in
                await lateArrived.pass()
                for await _ in drainStarted.stream { break }
                return Response(status: .ok, body: .stream(endless))
            }
            var configuration = HTTPServer.Configuration(port: 0, eventLoopCount: 1)
            configuration.shutdownGracePeriod = .seconds(30)
            var logger = Logging.Logger(label: "test")
            logger.logLevel = .critical
            let server = try HTTPServer(configuration: configuration, router: router, logger: logger)
            try server.start()
            let running = try await TestClient(port: server.port)
            await running.send("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
            let late = try await TestClient(port: server.port)
            await late.send("GET /late-endless HTTP/1.1\r\nHost: x\r\n\r\n")
            // Both are in: the endless stream has begun, the late one's handler waits for the drain.
            #expect(try await !running.readSome().isEmpty)
            #expect(await lateArrived.waitForArrivals(1))
            let start = ContinuousClock.now
            let stopping = Task { await server.shutdown() }
            while !server.isShuttingDown {
                try await Task.sleep(for: .milliseconds(5))
            }
            drainStarted.continuation.yield()
            await stopping.value
            #expect(ContinuousClock.now - start < .seconds(15), "well within the 30 s grace period")
            #expect(server.openConnections == 0)
            _ = try await running.readToEnd()
            _ = try await late.readToEnd()
        }
    }

    @Test func cutsOffClientsThatDribbleTheirHead() async throws {
        var configuration = HTTPServer.Configuration(port: 0, headerTimeout: .milliseconds(200), eventLoopCount: 1)
        configuration.idleTimeout = .seconds(30)
        try await withServer(configuration, router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send("GET /hello HTTP/1.1\r\nHo")
            let response = try await client.readResponse()
            #expect(response.status == 408)
            #expect(await client.isClosedByServer())
        }
    }

    @Test func closesIdleKeepAliveConnections() async throws {
        let configuration = HTTPServer.Configuration(port: 0, idleTimeout: .milliseconds(200), eventLoopCount: 1)
        try await withServer(configuration, router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            let start = ContinuousClock.now
            #expect(await client.isClosedByServer())
            #expect(ContinuousClock.now - start < .seconds(9))
        }
    }

    @Test func cutsOffStalledBodies() async throws {
        let configuration = HTTPServer.Configuration(port: 0, progressTimeout: .milliseconds(200), eventLoopCount: 1)
        try await withServer(configuration, router: Self.echoRouter) { server in
            let client = try await TestClient(port: server.port)
            await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            #expect(try await client.readResponse().status == 408)
        }
    }

    @Test func holdsConnectionsBeyondTheLimitInTheBacklog() async throws {
        let configuration = HTTPServer.Configuration(port: 0, maxConnections: 1, eventLoopCount: 1)
        try await withServer(configuration, router: Self.echoRouter) { server in
            let first = try await TestClient(port: server.port)
            await first.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await first.readResponse().status == 200)
            let second = try await TestClient(port: server.port)
            await second.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            // Not a wait for nothing to happen: two round trips on the first connection are two turns of the
            // only event loop, which would have accepted and answered the second by then if it could.
            for _ in 0..<2 {
                await first.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await first.readResponse().status == 200)
            }
            #expect(await !second.waitForInput(timeout: .zero), "held in the backlog")
            #expect(server.openConnections == 1)
            await first.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            _ = try await first.readResponse()
            #expect(try await second.readResponse().status == 200)
        }
    }

    @Test func shutdownFinishesInFlightRequestsAndStopsAccepting() async throws {
        try await TestSlots.run {
            var logger = Logging.Logger(label: "test")
            logger.logLevel = .critical
            // The handler is held until the drain has begun, so the test does not depend on timing.
            let drainStarted = AsyncStream<Void>.makeStream()
            let router = Self.echoRouter
            router.get("/held") { _ in
                for await _ in drainStarted.stream { break }
                return .text("held")
            }
            let server = try HTTPServer(
                configuration: HTTPServer.Configuration(port: 0, eventLoopCount: 1), router: router, logger: logger
            )
            try server.start()
            let busy = try await TestClient(port: server.port)
            let idle = try await TestClient(port: server.port)
            await idle.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try await idle.readResponse()
            await busy.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
            let stopping = Task { await server.shutdown() }
            while !server.isShuttingDown {
                try await Task.sleep(for: .milliseconds(5))
            }
            drainStarted.continuation.yield()
            let response = try await busy.readResponse()
            #expect(response.text == "held")
            #expect(response.header("connection") == "close")
            #expect(await idle.isClosedByServer())
            await stopping.value
            #expect(server.openConnections == 0)
            await #expect(throws: TestClientError.self) { _ = try await TestClient(port: server.port) }
        }
    }
}
