import CLinux
import Glibc
import Locking
import Synchronization

/// Something with a file descriptor registered on an event loop.
public protocol EventLoopSource: AnyObject {
    func handle(events: UInt32)
    /// Called every tick with the monotonic time, so each source checks its one deadline.
    func tick(now: UInt64)
}

/// One thread, one epoll instance. It is also a `TaskExecutor`: tasks that prefer it run on the
/// loop's thread, so a request is parsed, handled and answered there without a hop, as in SwiftNIO.
/// Everything but `enqueue`, `execute`, `executeInLoop` and `stop` is confined to the loop's thread.
public final class EventLoop: TaskExecutor, @unchecked Sendable {
    private struct Pending {
        var jobs: [UnownedJob] = []
        var closures: [@Sendable () -> Void] = []
        var sleeping = false
        var stopped = false
    }

    static let tickInterval: UInt64 = 50_000_000

    private let pending = PThreadMutex(Pending())
    private let epollDescriptor: Int32
    private let wakeDescriptor: Int32
    private let threadID = Atomic<UInt>(0)
    private var sources: [(any EventLoopSource)?] = []
    private var nextTick: UInt64 = 0
    private var spareJobs: [UnownedJob] = []
    private var spareClosures: [@Sendable () -> Void] = []

    /// Shared by every read on this loop: reads happen one at a time, and parsers copy what they keep.
    public let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)

    public init() throws(SystemError) {
        epollDescriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollDescriptor >= 0 else { throw SystemError("epoll_create1") }
        wakeDescriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeDescriptor >= 0 else {
            let error = SystemError("eventfd")
            Glibc.close(epollDescriptor)
            throw error
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeDescriptor
        epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, wakeDescriptor, &event)
    }

    deinit {
        Glibc.close(wakeDescriptor)
        Glibc.close(epollDescriptor)
        readBuffer.deallocate()
    }

    public var inLoop: Bool {
        threadID.load(ordering: .relaxed) == UInt(bitPattern: Int(bitPattern: UInt(pthread_self())))
    }

    // MARK: Registration (loop thread)

    public func register(_ descriptor: Int32, events: UInt32, source: any EventLoopSource) throws(SystemError) {
        var event = epoll_event()
        event.events = events
        event.data.fd = descriptor
        guard epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, descriptor, &event) == 0 else { throw SystemError("epoll_ctl(ADD)") }
        let index = Int(descriptor)
        if index >= sources.count {
            sources.append(contentsOf: repeatElement(nil, count: index - sources.count + 1))
        }
        sources[index] = source
    }

    public func modify(_ descriptor: Int32, events: UInt32) {
        var event = epoll_event()
        event.events = events
        event.data.fd = descriptor
        epoll_ctl(epollDescriptor, EPOLL_CTL_MOD, descriptor, &event)
    }

    public func unregister(_ descriptor: Int32) {
        epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, descriptor, nil)
        if Int(descriptor) < sources.count {
            sources[Int(descriptor)] = nil
        }
    }

    public func forEachSource(_ body: (any EventLoopSource) -> Void) {
        for source in sources {
            if let source { body(source) }
        }
    }

    // MARK: Work from any thread

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        submit { $0.jobs.append(job) }
    }

    public func execute(_ body: @escaping @Sendable () -> Void) {
        submit { $0.closures.append(body) }
    }

    /// Queues work and wakes the loop only if it is asleep in epoll_wait: a busy loop picks the
    /// work up on its next turn without a system call.
    private func submit(_ add: (inout Pending) -> Void) {
        let wake = pending.withLock { pending in
            add(&pending)
            defer { pending.sleeping = false }
            return pending.sleeping
        }
        if wake { signal() }
    }

    /// Runs `body` now when already on the loop, otherwise as soon as the loop is free.
    public func executeInLoop(_ body: @escaping @Sendable () -> Void) {
        if inLoop { body() } else { execute(body) }
    }

    public func stop() {
        pending.withLock { $0.stopped = true }
        signal()
    }

    private func signal() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeDescriptor, &one, 8)
    }

    // MARK: The loop

    /// Blocks the calling thread until `stop()`.
    public func run() {
        threadID.store(UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))), ordering: .relaxed)
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        nextTick = MonotonicClock.now() + Self.tickInterval
        while true {
            let (timeout, stopped) = pending.withLock { pending -> (Int32, Bool) in
                if pending.stopped { return (0, true) }
                if pending.jobs.isEmpty && pending.closures.isEmpty {
                    pending.sleeping = true
                    let now = MonotonicClock.now()
                    return (nextTick > now ? Int32((nextTick - now) / 1_000_000) + 1 : 0, false)
                }
                return (0, false)
            }
            if stopped { break }
            let count = epoll_wait(epollDescriptor, events, Int32(capacity), timeout)
            pending.withLock { $0.sleeping = false }
            for index in 0..<max(0, Int(count)) {
                let event = events[index]
                let descriptor = Int(event.data.fd)
                if descriptor == Int(wakeDescriptor) {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeDescriptor, &value, 8)
                } else if descriptor < sources.count, let source = sources[descriptor] {
                    source.handle(events: event.events)
                }
            }
            runPending()
            let now = MonotonicClock.now()
            if now >= nextTick {
                nextTick = now + Self.tickInterval
                for source in sources {
                    source?.tick(now: now)
                }
            }
        }
    }

    /// Swaps the queues out under the lock and runs them outside it; the emptied arrays are kept
    /// for the next turn so a busy loop does not allocate queues per iteration.
    private func runPending() {
        var jobs = spareJobs
        var closures = spareClosures
        spareJobs = []
        spareClosures = []
        pending.withLock { pending in
            swap(&pending.jobs, &jobs)
            swap(&pending.closures, &closures)
        }
        for closure in closures {
            closure()
        }
        let executor = asUnownedTaskExecutor()
        for job in jobs {
            job.runSynchronously(on: executor)
        }
        jobs.removeAll(keepingCapacity: true)
        closures.removeAll(keepingCapacity: true)
        spareJobs = jobs
        spareClosures = closures
    }
}
