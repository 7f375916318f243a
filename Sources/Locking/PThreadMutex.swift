import Glibc

/// The package's one lock: a value behind a pthread mutex, with `Synchronization.Mutex`'s shape
/// (`withLock`, `sending` in and out) so it reads the same at a call site.
///
/// Why not `Mutex` itself: ThreadSanitizer cannot see `Mutex` (a futex on Linux) and reports every handoff
/// through one as a race, which buries a real race among false ones (scripts/sanitizers.sh fails on any
/// report). TSan intercepts pthread_mutex_lock/unlock, so a handoff through this lock is seen as ordered.
/// Why not `NSLock`: it is a pthread mutex too, but one lock type everywhere means one thing to audit.
public final class PThreadMutex<Value: ~Copyable>: @unchecked Sendable {
    // Unchecked: `value` is only touched between pthread_mutex_lock and pthread_mutex_unlock, and it comes in
    // and goes out as `sending`, so no reference to it stays outside the lock (the same contract as `Mutex`).
    private var value: Value
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init(_ value: consuming sending Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
