import Server
import ServerTesting
import Synchronization
import Testing

/// What a client sends while its request is answered: the listener reads nothing more until the answer is out
/// (and stops watching for input only once input comes), but still hears the client hang up.
extension HTTPServerTests {
    /// A handler held until the test lets it answer, telling when it started.
    private final class HeldHandler: Sendable {
        private let started = AsyncStream<Void>.makeStream()
        private let release = AsyncStream<Void>.makeStream()
        let answers = Mutex(0)

        func register(on router: Router) -> Router {
            router.get("/held") { _ in
                self.started.continuation.yield()
                for await _ in self.release.stream { break }
                self.answers.withLock { $0 += 1 }
                return .text("held")
            }
            return router
        }

        func waitUntilStarted() async { for await _ in started.stream { break } }
        func letAnswer() { release.continuation.yield() }
    }

    @Test func aRequestSentWhileTheOneBeforeIsAnsweredWaitsItsTurn() async throws {
        let held = HeldHandler()
        try await withServer(router: held.register(on: Self.echoRouter)) { server in
            let client = try await TestClient(port: server.port)
            await client.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
            await held.waitUntilStarted()
            await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nnext")
            await client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            held.letAnswer()
            #expect(try await client.readResponse().text == "held")
            #expect(try await client.readResponse().text == "next")
            #expect(try await client.readResponse().text == "hello")
        }
    }

    @Test func aClientThatSendsThenHangsUpWhileAnsweredGetsItsAnswerAndTheConnectionCloses() async throws {
        let held = HeldHandler()
        try await withServer(router: held.register(on: Self.echoRouter)) { server in
            let client = try await TestClient(port: server.port)
            await client.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
            await held.waitUntilStarted()
            await client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            client.shutdownWrite()
            held.letAnswer()
            let answer = try await client.readResponse()
            #expect(answer.text == "held")
            #expect(answer.header("connection") == "close")
            // Closed on the request it did not read: a reset is how that close may reach the client.
            #expect(await client.isClosedByServer(acceptingReset: true))
        }
    }
}
