@testable import App
import Foundation
import Server
import ServerTesting

/// Another replica of a harness's application: a second `Application` on the same store (the same SQLite
/// file, or the same PostgreSQL database under TEST_DATABASE=postgres), the same simulator, clock and
/// settings, with its own process state (refresh flights, webhook processor, caches, rate limits). Its
/// requests go through its own route table, as nginx would send them to another process.
struct Replica: StoppableHarness {
    let application: Application
    let app: TestTransport

    init(of harness: ConnectedHarness) async throws {
        let clock = harness.clock
        application = try await Application(config: harness.config, logger: harness.logger, identity: harness.identity,
                                            now: { clock.now() })
        app = .router(application.server.routes, limits: harness.config.server.limits)
        application.webhooks.start()
        application.patientSync.start()
    }

    func stop() async {
        await application.shutdown()
    }
}

extension ConnectedHarness {
    /// `count` more replicas beside this harness's application, for `body`, stopped before this returns.
    func withReplicas(_ count: Int, _ body: ([Replica]) async throws -> Void) async throws {
        var replicas: [Replica] = []
        do {
            for _ in 0..<count {
                replicas.append(try await Replica(of: self))
            }
            try await body(replicas)
        } catch {
            for replica in replicas { await replica.stop() }
            throw error
        }
        for replica in replicas { await replica.stop() }
    }

    /// This harness's application and `replicas`, as nginx's upstreams: the routes of each.
    func upstreams(with replicas: [Replica]) -> [TestTransport] {
        [app] + replicas.map(\.app)
    }
}
