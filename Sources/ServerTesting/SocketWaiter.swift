import Foundation
import Glibc
import Locking

/// Waits for test clients' sockets off Swift's cooperative pool: one thread of its own polls every
/// descriptor a client is waiting on and resumes that client's continuation when the socket is ready or
/// its deadline passes. A client never blocks a pool thread in `recv` or `send`, so tests can run side by
/// side with servers and simulators (actors) that need the pool too.
final class SocketWaiter: Sendable {
    static let shared = SocketWaiter()

    private struct Waiter {
        let descriptor: Int32
        let events: Int16
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 0
    }

    private let state = PThreadMutex(State())
    /// A pipe written to whenever a waiter is added, so the poll starts over with it.
    private let wakeDescriptor: Int32
    private let wakeWriter: Int32

    private init() {
        var ends: [Int32] = [0, 0]
        precondition(pipe(&ends) == 0, "pipe: \(errno)")
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        wakeDescriptor = ends[0]
        wakeWriter = ends[1]
        let thread = Thread { [self] in run() }
        thread.name = "ServerTesting.SocketWaiter"
        thread.start()
    }

    /// True when `descriptor` is ready for `events` (or has hung up or failed), false when `deadline`
    /// passed first.
    func wait(for descriptor: Int32, events: Int16, until deadline: ContinuousClock.Instant) async -> Bool {
        await withCheckedContinuation { continuation in
            state.withLock { state in
                state.nextID += 1
                state.waiters[state.nextID] = Waiter(
                    descriptor: descriptor, events: events, deadline: deadline, continuation: continuation
                )
            }
            var one: UInt8 = 1
            _ = write(wakeWriter, &one, 1)
        }
    }

    private func run() {
        while true {
            let waiters = state.withLock { $0.waiters }
            var descriptors = [pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)]
            var ids: [UInt64] = []
            let now = ContinuousClock.now
            var nearest: ContinuousClock.Instant?
            for (id, waiter) in waiters {
                descriptors.append(pollfd(fd: waiter.descriptor, events: waiter.events, revents: 0))
                ids.append(id)
                nearest = min(nearest ?? waiter.deadline, waiter.deadline)
            }
            var timeout: Int32 = -1
            if let nearest {
                let (seconds, attoseconds) = max(.zero, nearest - now).components
                timeout = Int32(min(seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000, 60_000))
            }
            let count = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if count < 0, errno != EINTR { fatalError("poll: \(errno)") }
            if descriptors[0].revents != 0 {
                var drained = [UInt8](repeating: 0, count: 256)
                while read(wakeDescriptor, &drained, drained.count) > 0 {}
            }
            let after = ContinuousClock.now
            var resumed: [(CheckedContinuation<Bool, Never>, Bool)] = []
            state.withLock { state in
                for (index, id) in ids.enumerated() {
                    guard let waiter = state.waiters[id] else { continue }
                    let ready = count > 0 && descriptors[index + 1].revents != 0
                    if ready || waiter.deadline <= after {
                        state.waiters[id] = nil
                        resumed.append((waiter.continuation, ready))
                    }
                }
            }
            for (continuation, ready) in resumed { continuation.resume(returning: ready) }
        }
    }
}
