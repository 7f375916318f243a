import CLinux
import Dispatch
import Glibc
import Reactor
import Synchronization

/// Keep-alive connections per origin, at most `maxConnectionsPerOrigin` each, and the requests
/// waiting for one. Confined to the client's event loop, where every connection lives: not `Sendable`,
/// reached from other threads only through a `LoopBound` (see `HTTPClient`), and each entry point
/// asserts it is on the loop.
final class ConnectionPool: EventLoopSource {
    private struct OriginState {
        /// Most recently used last: reusing the warmest connection lets the others idle out.
        var idle: [ClientConnection] = []
        var open = 0
        var waiting: [Exchange] = []
    }

    /// Requests queued per origin beyond the open connections; more fail at once rather than
    /// pile up behind a server that is not answering.
    static let maxWaitingPerOrigin = 1024

    let configuration: HTTPClientConfiguration
    let tlsContext: TLSContext
    /// getaddrinfo blocks, so it runs here: a queue of its own gets threads of its own, where a
    /// task would hold one of the few threads of Swift's cooperative pool for the whole lookup.
    let resolverQueue = DispatchQueue(label: "http-client.resolver", attributes: .concurrent)
    private let loop: EventLoop
    private let counters: ClientCounters
    private var origins: [Origin: OriginState] = [:]
    private var connections: [ObjectIdentifier: ClientConnection] = [:]
    private var isShutDown = false
    /// An eventfd that never fires, registered only so the loop ticks the pool: waiting requests
    /// and connections still resolving have deadlines but no socket of their own.
    private let tickDescriptor: Int32
    private var tickRegistration: Registration?

    init(configuration: HTTPClientConfiguration, tlsContext: TLSContext, loop: EventLoop, counters: ClientCounters) throws(SystemError) {
        self.configuration = configuration
        self.tlsContext = tlsContext
        self.loop = loop
        self.counters = counters
        tickDescriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard tickDescriptor >= 0 else { throw SystemError("eventfd") }
    }

    func start() throws(SystemError) {
        loop.assertInEventLoop()
        tickRegistration = try loop.register(tickDescriptor, events: 0, source: self)
    }

    func submit(_ exchange: Exchange) {
        loop.assertInEventLoop()
        guard !isShutDown else { return exchange.complete(.failure(.shutdown, retryable: false)) }
        let origin = exchange.origin
        // Closing a stale connection calls back into the pool, so the state is re-read each time
        // rather than held in a local copy.
        while let connection = origins[origin]?.idle.popLast() {
            if connection.isReusable {
                connection.reuse(for: exchange)
                return
            }
            connection.close()
        }
        let state = origins[origin, default: OriginState()]
        if state.open < max(1, configuration.maxConnectionsPerOrigin) {
            origins[origin, default: OriginState()].open += 1
            open(for: exchange)
        } else if state.waiting.count < Self.maxWaitingPerOrigin {
            origins[origin, default: OriginState()].waiting.append(exchange)
        } else {
            exchange.complete(.failure(.connectFailed("too many requests waiting for \(origin)"), retryable: false))
        }
    }

    private func open(for exchange: Exchange) {
        let connection = ClientConnection(origin: exchange.origin, loop: loop, pool: self)
        connections[ObjectIdentifier(connection)] = connection
        connection.start(exchange)
    }

    /// A connection finished its response and may be reused.
    func release(_ connection: ClientConnection) {
        loop.assertInEventLoop()
        guard !isShutDown else { return connection.close() }
        if let next = popWaiting(connection.origin) {
            connection.reuse(for: next)
        } else {
            origins[connection.origin, default: OriginState()].idle.append(connection)
        }
    }

    func connectionClosed(_ connection: ClientConnection) {
        loop.assertInEventLoop()
        guard connections.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return }
        let origin = connection.origin
        origins[origin]?.idle.removeAll { $0 === connection }
        origins[origin]?.open -= 1
        if !isShutDown, let next = popWaiting(origin) {
            origins[origin]?.open += 1
            open(for: next)
        }
        if let state = origins[origin], state.open == 0, state.waiting.isEmpty {
            origins[origin] = nil
        }
    }

    private func popWaiting(_ origin: Origin) -> Exchange? {
        guard origins[origin]?.waiting.isEmpty == false else { return nil }
        return origins[origin]?.waiting.removeFirst()
    }

    func connectionOpened() {
        counters.connectionsOpened.add(1, ordering: .relaxed)
    }

    func handshakeCompleted() {
        counters.handshakes.add(1, ordering: .relaxed)
    }

    // MARK: EventLoopSource

    func handle(events: UInt32) {}

    func tick(now: UInt64) {
        loop.assertInEventLoop()
        for (origin, state) in origins where state.waiting.contains(where: { now >= $0.deadline }) {
            let expired = state.waiting.filter { now >= $0.deadline }
            origins[origin]?.waiting.removeAll { now >= $0.deadline }
            for exchange in expired { exchange.complete(.failure(.deadlineExceeded, retryable: false)) }
        }
        for connection in connections.values where !connection.isRegistered {
            connection.tick(now: now)
        }
    }

    /// Fails everything waiting or in flight with `.shutdown` and closes every connection.
    func shutdown() {
        loop.assertInEventLoop()
        isShutDown = true
        let waiting = origins.values.flatMap(\.waiting)
        origins = origins.mapValues { state in
            var state = state
            state.waiting = []
            return state
        }
        for exchange in waiting { exchange.complete(.failure(.shutdown, retryable: false)) }
        for connection in Array(connections.values) { connection.abandon() }
        if let tickRegistration { loop.unregister(tickRegistration) }
        Glibc.close(tickDescriptor)
    }
}

/// What the client reports about its connections, updated on the loop and read from anywhere.
final class ClientCounters: Sendable {
    let connectionsOpened = Atomic<Int>(0)
    let handshakes = Atomic<Int>(0)
}
