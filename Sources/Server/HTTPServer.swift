import Glibc
import Logging
import Synchronization

/// A SwiftNIO-free HTTP/1.1 server: one epoll event loop per core, each with its own listening
/// socket on the shared port, handlers run as tasks on the loop that read their request.
public final class HTTPServer: Sendable {
    private let context: ServerContext
    private let loops: [EventLoop]
    private let listeners: [Listener]
    private let threads = Mutex<[pthread_t]>([])
    private let stopped = Atomic<Bool>(false)
    /// The port actually bound; differs from the configuration's when that asked for port 0.
    public let port: Int

    public init(configuration: Configuration, router: Router, logger: Logger) throws(SystemError) {
        context = ServerContext(configuration: configuration, router: router, logger: logger)
        Self.raiseDescriptorLimit(toFit: configuration.maxConnections)
        var loops: [EventLoop] = []
        var listeners: [Listener] = []
        var port = configuration.port
        do {
            for _ in 0..<max(1, configuration.eventLoopCount) {
                let loop = try EventLoop()
                let descriptor = try SocketAddress.listen(host: configuration.host, port: port, backlog: configuration.backlog)
                port = SocketAddress.boundPort(of: descriptor)
                loops.append(loop)
                listeners.append(Listener(descriptor: descriptor, loop: loop, context: context))
            }
        } catch {
            for listener in listeners { listener.close() }
            throw error
        }
        self.loops = loops
        self.listeners = listeners
        self.port = port
    }

    /// Starts the event loop threads; returns at once.
    public func start() throws(SystemError) {
        for (loop, listener) in zip(loops, listeners) {
            let thread = try Self.spawn {
                // Registration must happen on the loop thread: sources are confined to it.
                loop.executeInLoop {
                    do {
                        try listener.start()
                    } catch {
                        self.context.logger.critical("cannot listen", metadata: ["error": "\(error)"])
                    }
                }
                loop.run()
            }
            threads.withLock { $0.append(thread) }
        }
        context.logger.info("listening", metadata: [
            "host": "\(context.configuration.host)", "port": "\(port)", "event_loops": "\(loops.count)",
        ])
    }

    public var openConnections: Int { context.openConnections.load(ordering: .relaxed) }

    /// Graceful stop: no new connections, idle ones closed, in-flight requests answered (with
    /// `Connection: close`) within the grace period, then everything closed and the threads joined.
    public func shutdown() async {
        guard !context.draining.exchange(true, ordering: .relaxed) else { return }
        context.logger.info("draining", metadata: ["open_connections": "\(openConnections)"])
        for (loop, listener) in zip(loops, listeners) {
            loop.execute {
                listener.close()
                loop.forEachSource { ($0 as? Connection)?.drain() }
            }
        }
        let deadline = MonotonicClock.now() + context.configuration.shutdownGracePeriod.nanoseconds
        while openConnections > 0, MonotonicClock.now() < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let abandoned = openConnections
        for loop in loops {
            loop.execute { loop.forEachSource { ($0 as? Connection)?.close() } }
        }
        await stop()
        context.logger.info("stopped", metadata: ["abandoned_connections": "\(abandoned)"])
    }

    private func stop() async {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        for loop in loops { loop.stop() }
        let threads = threads.withLock { $0 }
        for thread in threads {
            pthread_join(thread, nil)
        }
    }

    private final class ThreadBody {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    private static func spawn(_ body: @escaping @Sendable () -> Void) throws(SystemError) -> pthread_t {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            throw SystemError("pthread_create", errno: status)
        }
        return thread
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
