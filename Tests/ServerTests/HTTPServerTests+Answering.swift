import Server
import ServerTesting
import Synchronization
import Testing

/// What a client sends while its request is answered: the listener reads nothing more until the answer is out
/// (and stops watching for input only once input comes).
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

    /// A client whose `GET /held` is being answered, for `body` to send more meanwhile and then let it answer.
    private func whileAnswering(_ body: (TestClient, HeldHandler) async throws -> Void) async throws {
        let held = HeldHandler()
        try await withServer(router: held.register(on: Self.echoRouter)) { server in
            let client = try await TestClient(port: server.port)
            await client.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
            await held.waitUntilStarted()
            try await body(client, held)
        }
    }

    @Test func aRequestSentWhileTheOneBeforeIsAnsweredWaitsItsTurn() async throws {
        try await whileAnswering { client, held in
            await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nnext")
            await client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            held.letAnswer()
            var answers: [String] = []
            for _ in 0..<3 { answers.append(try await client.readResponse().text) }
            #expect(answers == ["held", "next", "hello"])
        }
    }
}
