public import CoreMetrics
import Glibc
import Locking
public import Logging
public import Reactor
import Synchronization

/// A SwiftNIO-free HTTP/1.1 server: one epoll event loop per core, each with its own listening
/// socket on the shared port, handlers run as tasks on the loop that read their request.
public final class HTTPServer: Sendable {
    private let context: ServerContext
    private let listeningDescriptors: [Int32]
    private let threads = PThreadMutex<[EventLoopThread]>([])
    /// Set by the first `shutdown()`; its own, as a `Readiness` may be shared.
    private let stopping = Atomic<Bool>(false)
    /// The port actually bound; differs from the configuration's when that asked for port 0.
    public let port: Int

    /// Binds the listening sockets; connections are accepted from `start()` on. Request counts and
    /// latencies go to `metrics` (swift-metrics' global factory unless given one). `readiness` is withdrawn
    /// when `shutdown()` begins; give the one a readiness route reads.
    public init(
        configuration: Configuration, router: Router, readiness: Readiness = Readiness(), logger: Logger,
        metrics: (any MetricsFactory)? = nil
    ) throws(SystemError) {
        context = ServerContext(
            configuration: configuration, router: router.table(), readiness: readiness, logger: logger,
            metrics: ServerMetrics(factory: metrics ?? MetricsSystem.factory)
        )
        Self.raiseDescriptorLimit(toFit: configuration.maxConnections)
        var descriptors: [Int32] = []
        var port = configuration.port
        do {
            for _ in 0..<max(1, configuration.eventLoopCount) {
                let descriptor = try SocketAddress.listen(host: configuration.host, port: port, backlog: configuration.backlog)
                descriptors.append(descriptor)
                port = SocketAddress.boundPort(of: descriptor)
            }
        } catch {
            for descriptor in descriptors { close(descriptor) }
            throw error
        }
        listeningDescriptors = descriptors
        self.port = port
    }

    /// Starts one event loop thread per listening socket; returns at once.
    public func start() throws(SystemError) {
        let context = context
        for descriptor in listeningDescriptors {
            let thread = try EventLoopThread { loop in
                let listener = Listener(descriptor: descriptor, loop: loop, state: ServerLoopState(), context: context)
                do {
                    try listener.start()
                } catch {
                    context.logger.critical("cannot listen", metadata: ["error": "\(error)"])
                }
            }
            threads.withLock { $0.append(thread) }
        }
        context.logger.info("listening", metadata: [
            "host": "\(context.configuration.host)", "port": "\(port)", "event_loops": "\(listeningDescriptors.count)",
        ])
    }

    /// What the server answers with, for tests that run requests through it without a socket
    /// (`RouteTable.respond(to:body:)`).
    public var routes: RouteTable { context.router }

    public var configuration: Configuration { context.configuration }

    public var openConnections: Int { context.openConnections.load(ordering: .relaxed) }

    /// True from the moment `shutdown()` begins.
    public var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// True from the moment `shutdown()` drains, after its delay: new connections are no longer accepted.
    public var isShuttingDown: Bool { context.draining.load(ordering: .relaxed) }

    /// Graceful stop. First the readiness is withdrawn and, for `shutdownDelay`, requests are still served, each
    /// answer closing its connection. Then the drain: no new connections, idle ones closed, streams ended,
    /// in-flight requests answered (with `Connection: close`) within the grace period, then everything closed
    /// and the threads joined. Cancelling the calling task cuts the delay short, not the drain.
    public func shutdown() async {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        context.readiness.withdraw()
        let threads = threads.withLock { $0 }
        let delay = context.configuration.shutdownDelay
        if delay > .zero, !threads.isEmpty {
            context.logger.info("not ready; draining after the shutdown delay", metadata: ["delay": "\(delay)"])
            try? await Task.sleep(for: delay)
        }
        context.draining.store(true, ordering: .relaxed)
        context.logger.info("draining", metadata: ["open_connections": "\(openConnections)"])
        if threads.isEmpty {
            for descriptor in listeningDescriptors { close(descriptor) }
        }
        for thread in threads {
            thread.loop.execute {
                thread.loop.forEachSource { source in
                    (source as? Listener)?.close()
                    (source as? Connection)?.drain()
                }
            }
        }
        let deadline = MonotonicClock.now() + context.configuration.shutdownGracePeriod.nanoseconds
        while openConnections > 0, MonotonicClock.now() < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let abandoned = openConnections
        for thread in threads {
            thread.loop.execute { thread.loop.forEachSource { ($0 as? Connection)?.close() } }
            thread.stopAndJoin()
        }
        context.logger.info("stopped", metadata: ["abandoned_connections": "\(abandoned)"])
    }

    /// Each connection is a descriptor: lift the soft limit toward the hard one so `maxConnections`
    /// is reachable, leaving room for files and the database.
    private static func raiseDescriptorLimit(toFit connections: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = rlim_t(connections + 1024)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = min(wanted, limit.rlim_max)
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
