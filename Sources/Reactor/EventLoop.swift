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
/// Everything but `enqueue`, `execute`, `executeInLoop`, `stop` and `inLoop` is confined to the loop's
/// thread, and asserts so in a debug build.
public final class EventLoop: TaskExecutor, @unchecked Sendable {
    // Unchecked: `pending` is behind its lock, `threadID` is atomic, and the rest is touched only on the
    // loop's thread (asserted where it is reached from outside).
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
    /// Indexed by descriptor number: the source registered there and its registration.
    private var sources: [(registration: Registration, source: any EventLoopSource)?] = []
    /// The next registration's number; 0 (`Registration.wakeID`) is skipped when it wraps.
    private var nextRegistrationID: UInt32 = 1
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
        event.data.u64 = Registration(descriptor: wakeDescriptor, id: Registration.wakeID).userData
        epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, wakeDescriptor, &event)
    }

    deinit {
        Glibc.close(wakeDescriptor)
        Glibc.close(epollDescriptor)
        readBuffer.deallocate()
    }

    /// Whether the caller runs on this loop's thread (false before `run` and after it returns).
    public var inLoop: Bool {
        threadID.load(ordering: .relaxed) == Self.currentThreadID
    }

    private static var currentThreadID: UInt {
        UInt(bitPattern: Int(bitPattern: UInt(pthread_self())))
    }

    /// The loop whose thread the caller runs on, if any: work that waits on sockets of its own (a database's) registers
    /// them there, and the task that waits resumes where it was, without a hop to another thread.
    public static var current: EventLoop? {
        pthread_getspecific(currentKey).map { Unmanaged<EventLoop>.fromOpaque($0).takeUnretainedValue() }
    }

    private static let currentKey: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key, nil)
        precondition(status == 0, "pthread_key_create failed: \(status)")
        return key
    }()

    /// Traps in a debug build when called off this loop's thread; compiles to nothing in a release build
    /// (it is inlined into the caller, whose `assert` is then dropped). Loop-confined code calls it at its
    /// entry points, so a caller that reached it from another thread is caught where it happens, not as
    /// corrupted state later.
    @inlinable
    public func assertInEventLoop(file: StaticString = #fileID, line: UInt = #line) {
        assert(inLoop, "called off its event loop's thread", file: file, line: line)
    }

    // MARK: Registration (loop thread)

    /// Watches `descriptor` for `events` and hands them to `source` until `unregister`.
    public func register(_ descriptor: Int32, events: UInt32, source: any EventLoopSource) throws(SystemError) -> Registration {
        assertInEventLoop()
        let registration = Registration(descriptor: descriptor, id: nextRegistrationID)
        nextRegistrationID &+= 1
        if nextRegistrationID == Registration.wakeID { nextRegistrationID = 1 }
        var event = epoll_event()
        event.events = events
        event.data.u64 = registration.userData
        guard epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, descriptor, &event) == 0 else { throw SystemError("epoll_ctl(ADD)") }
        let index = Int(descriptor)
        if index >= sources.count {
            sources.append(contentsOf: repeatElement(nil, count: index - sources.count + 1))
        }
        sources[index] = (registration, source)
        return registration
    }

    /// Does nothing for a registration that is no longer current, so a stale one can't retarget a newer
    /// socket that reuses its descriptor number.
    public func modify(_ registration: Registration, events: UInt32) {
        assertInEventLoop()
        guard isCurrent(registration) else { return }
        var event = epoll_event()
        event.events = events
        event.data.u64 = registration.userData
        epoll_ctl(epollDescriptor, EPOLL_CTL_MOD, registration.descriptor, &event)
    }

    /// Call before closing the descriptor. Events for it still in the batch being handled are dropped.
    public func unregister(_ registration: Registration) {
        assertInEventLoop()
        guard isCurrent(registration) else { return }
        epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, registration.descriptor, nil)
        sources[Int(registration.descriptor)] = nil
    }

    private func isCurrent(_ registration: Registration) -> Bool {
        let index = Int(registration.descriptor)
        return index >= 0 && index < sources.count && sources[index]?.registration == registration
    }

    /// Each source registered now; one that an earlier call closes may still be passed (a snapshot is walked).
    public func forEachSource(_ body: (any EventLoopSource) -> Void) {
        assertInEventLoop()
        for slot in sources {
            if let slot { body(slot.source) }
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
        threadID.store(Self.currentThreadID, ordering: .relaxed)
        pthread_setspecific(Self.currentKey, Unmanaged.passUnretained(self).toOpaque())
        // A later thread may get this one's pthread_t: the loop must not look like it runs there.
        defer {
            threadID.store(0, ordering: .relaxed)
            pthread_setspecific(Self.currentKey, nil)
        }
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
                dispatch(events[index])
            }
            runPending()
            let now = MonotonicClock.now()
            if now >= nextTick {
                nextTick = now + Self.tickInterval
                for slot in sources {
                    slot?.source.tick(now: now)
                }
            }
        }
    }

    /// Hands one event to its source, unless the registration it was reported for has since ended: its
    /// descriptor number may already belong to a new socket (see `Registration`).
    private func dispatch(_ event: epoll_event) {
        let registration = Registration(userData: event.data.u64)
        if registration.id == Registration.wakeID {
            var value: UInt64 = 0
            _ = Glibc.read(wakeDescriptor, &value, 8)
            return
        }
        let index = Int(registration.descriptor)
        guard index < sources.count, let slot = sources[index], slot.registration == registration else { return }
        slot.source.handle(events: event.events)
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
