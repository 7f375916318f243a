import Glibc

/// A value behind a pthread mutex. Where a lock hands work from one thread to another, ThreadSanitizer
/// must see it: it cannot see `Synchronization.Mutex` (a futex on Linux) and reports every handoff
/// through one as a race, which would bury a real race among false ones.
final class PThreadMutex<Value>: @unchecked Sendable {
    // Unchecked: `value` is only touched between pthread_mutex_lock and pthread_mutex_unlock.
    private var value: Value
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
