import Glibc

/// An event loop running on a thread of its own, until `stopAndJoin()`.
public final class EventLoopThread: Sendable {
    public let loop: EventLoop
    private let thread: pthread_t

    /// `setup` runs on the loop's thread before any event, where loop-confined registration is allowed.
    public init(setup: @escaping @Sendable (EventLoop) -> Void = { _ in }) throws(SystemError) {
        let loop = try EventLoop()
        self.loop = loop
        thread = try Self.spawn {
            loop.executeInLoop { setup(loop) }
            loop.run()
        }
    }

    /// Called on the loop's own thread, it cannot wait for itself: the loop stops once the caller returns to it, and
    /// the thread ends by itself.
    public func stopAndJoin() {
        loop.stop()
        if loop.inLoop {
            pthread_detach(thread)
        } else {
            pthread_join(thread, nil)
        }
    }

    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    private static func spawn(_ body: @escaping @Sendable () -> Void) throws(SystemError) -> pthread_t {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw SystemError("pthread_create", errno: status)
        }
        return thread
    }
}
