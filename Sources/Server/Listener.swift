import CLinux
import Glibc
import Reactor
import Logging
import Synchronization

/// Accepts connections for one event loop, confined to it. Each loop has its own listening socket on the same
/// port (SO_REUSEPORT), so the kernel spreads new connections evenly across loops.
final class Listener: EventLoopSource {
    private let descriptor: Int32
    private let loop: EventLoop
    private let state: ServerLoopState
    private let context: ServerContext
    private var registration: Registration?
    private var listening = false
    private var closed = false
    private var resumeAt: UInt64 = 0

    /// After EMFILE and friends, accepting again at once would spin; this long is enough for
    /// connections to close.
    private static let backoff: UInt64 = 100_000_000

    init(descriptor: Int32, loop: EventLoop, state: ServerLoopState, context: ServerContext) {
        self.descriptor = descriptor
        self.loop = loop
        self.state = state
        self.context = context
    }

    func start() throws(SystemError) {
        loop.assertInEventLoop()
        registration = try loop.register(descriptor, events: EPOLLIN.rawValue, source: self)
        listening = true
    }

    func close() {
        loop.assertInEventLoop()
        guard !closed else { return }
        closed = true
        listening = false
        if let registration { loop.unregister(registration) }
        Glibc.close(descriptor)
    }

    func handle(events: UInt32) {
        loop.assertInEventLoop()
        for _ in 0..<64 {
            guard context.openConnections.load(ordering: .relaxed) < context.configuration.maxConnections else {
                pause(until: 0)
                return
            }
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = clinux_accept(descriptor, &address, &length)
            if client < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK:
                    return
                case EINTR, ECONNABORTED, EPROTO:
                    continue
                default:
                    context.logger.error("accept failed, pausing", metadata: ["error": "\(SystemError("accept"))"])
                    pause(until: MonotonicClock.now() + Self.backoff)
                    return
                }
            }
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            context.connectionOpened()
            let connection = Connection(
                descriptor: client, loop: loop, loopState: state, context: context, remoteAddress: SocketAddress.describe(address)
            )
            do {
                try connection.start()
            } catch {
                connection.close()
            }
        }
    }

    /// Stays registered with no events, so the loop keeps ticking it and it can resume itself.
    private func pause(until time: UInt64) {
        guard listening, let registration else { return }
        loop.modify(registration, events: 0)
        listening = false
        resumeAt = time
    }

    func tick(now: UInt64) {
        loop.assertInEventLoop()
        guard !listening, !closed, let registration, now >= resumeAt,
              context.openConnections.load(ordering: .relaxed) < context.configuration.maxConnections else { return }
        loop.modify(registration, events: EPOLLIN.rawValue)
        listening = true
    }
}
