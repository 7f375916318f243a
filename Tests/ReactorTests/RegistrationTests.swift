import CLinux
import Glibc
import Reactor
import Testing

/// A descriptor number is reused by the next socket opened, while epoll hands events over in batches: an event
/// for a socket closed earlier in the same batch must not reach the new socket that took its number.
@Suite struct RegistrationTests {
    /// Two readable sockets are registered in one loop turn, so the next epoll_wait returns an event for each.
    /// Whichever is handled first unregisters and closes both and puts a new socket under the other's number
    /// (dup2, so no other thread can take the number in between), registered to `replacement`. The other
    /// event of the batch is still to be handled, reported for the old registration: it must be dropped.
    @Test func anEventForAClosedSocketNeverReachesTheSocketThatReusedItsNumber() async throws {
        let outcome = try await runOnLoop { (loop, finish: @escaping @Sendable (Outcome) -> Void) in
            let scenario = Scenario(loop: loop, finish: finish)
            try scenario.registerOriginals()
        }
        #expect(outcome.originalEvents == 1, "only the first event of the batch was for a live registration")
        #expect(outcome.replacementReusedNumber)
        #expect(outcome.replacementEvents == [], "the stale event went to the new socket")
        #expect(outcome.replacementStillRegistered, "a stale registration modified or removed the new one")
    }

    @Test func aDescriptorRegisteredAgainGetsANewRegistration() async throws {
        let differ = try await runOnLoop { (loop, finish: @escaping @Sendable (Bool) -> Void) in
            let (watched, peer) = try socketPair()
            let source = Recorder()
            let first = try loop.register(watched, events: EPOLLIN.rawValue, source: source)
            loop.unregister(first)
            let second = try loop.register(watched, events: EPOLLIN.rawValue, source: source)
            loop.unregister(second)
            Glibc.close(watched)
            Glibc.close(peer)
            finish(first.descriptor == second.descriptor && first != second)
        }
        #expect(differ)
    }

    #if DEBUG
    /// Loop-confined code asserts where it is entered; a debug build traps on a call from another thread.
    @Test func aLoopConfinedCallFromAnotherThreadTrapsInADebugBuild() async {
        await #expect(processExitsWith: .failure) {
            let loop = try EventLoop()
            _ = try loop.register(0, events: 0, source: Recorder())
        }
        await #expect(processExitsWith: .failure) {
            let thread = try EventLoopThread()
            let bound = LoopBound(transferring: Recorder(), to: thread.loop)
            _ = bound.value
        }
    }
    #endif

    @Test func inLoopIsTrueOnlyOnTheLoopsThread() async throws {
        let thread = try EventLoopThread()
        defer { thread.stopAndJoin() }
        #expect(!thread.loop.inLoop)
        let onLoop = await withCheckedContinuation { continuation in
            thread.loop.execute { continuation.resume(returning: thread.loop.inLoop) }
        }
        #expect(onLoop)
    }
}

/// What the replacement socket saw.
private struct Outcome: Sendable {
    var originalEvents: Int
    var replacementReusedNumber: Bool
    var replacementEvents: [UInt32]
    var replacementStillRegistered: Bool
}

/// Runs `body` on a fresh loop's thread and waits for what it reports through `finish`.
private func runOnLoop<Output: Sendable>(
    _ body: @escaping @Sendable (EventLoop, @escaping @Sendable (Output) -> Void) throws -> Void
) async throws -> Output {
    let thread = try EventLoopThread()
    defer { thread.stopAndJoin() }
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Output, any Error>, Never>) in
        thread.loop.execute {
            do {
                try body(thread.loop) { continuation.resume(returning: .success($0)) }
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
    }
    return try result.get()
}

/// Two connected sockets, non-blocking; the first is watched, the second is the far end.
private func socketPair() throws -> (Int32, Int32) {
    var pair: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
        throw SystemError("socketpair")
    }
    return (pair[0], pair[1])
}

/// Records the events the loop hands it.
private final class Recorder: EventLoopSource {
    var events: [UInt32] = []
    func handle(events: UInt32) { self.events.append(events) }
    func tick(now: UInt64) {}
}

/// One of the two sockets registered first.
private final class Original: EventLoopSource {
    let scenario: Scenario
    let index: Int

    init(scenario: Scenario, index: Int) {
        self.scenario = scenario
        self.index = index
    }

    func handle(events: UInt32) { scenario.handled(index) }
    func tick(now: UInt64) {}
}

/// The hazard, confined to the loop like any source.
private final class Scenario {
    let loop: EventLoop
    let finish: @Sendable (Outcome) -> Void
    var originals: [(registration: Registration, peer: Int32)] = []
    let replacement = Recorder()
    var replacementRegistration: Registration?
    var replacementPeer: Int32 = -1
    var replacedNumber: Int32 = -1
    var originalEvents = 0

    init(loop: EventLoop, finish: @escaping @Sendable (Outcome) -> Void) {
        self.loop = loop
        self.finish = finish
    }

    /// Both readable from the moment they are registered, in this one loop turn.
    func registerOriginals() throws {
        for index in 0..<2 {
            let (watched, peer) = try socketPair()
            var byte: UInt8 = 1
            guard Glibc.write(peer, &byte, 1) == 1 else { throw SystemError("write") }
            let registration = try loop.register(watched, events: EPOLLIN.rawValue, source: Original(scenario: self, index: index))
            originals.append((registration, peer))
        }
    }

    func handled(_ index: Int) {
        originalEvents += 1
        guard replacementRegistration == nil else { return }
        let other = originals[1 - index].registration
        for (registration, peer) in originals {
            loop.unregister(registration)
            Glibc.close(peer)
        }
        Glibc.close(originals[index].registration.descriptor)
        // The new socket takes the other's number: dup2 closes the old socket and reuses its number at once.
        guard let (fresh, peer) = try? socketPair(), dup2(fresh, other.descriptor) == other.descriptor else {
            return finish(Outcome(originalEvents: -1, replacementReusedNumber: false, replacementEvents: [], replacementStillRegistered: false))
        }
        Glibc.close(fresh)
        replacementPeer = peer
        replacedNumber = other.descriptor
        replacementRegistration = try? loop.register(other.descriptor, events: EPOLLIN.rawValue, source: replacement)
        // Runs once the rest of this batch, with the stale event, has been handled.
        let scenario = LoopBound(self, loop: loop)
        loop.execute { scenario.value.report(stale: other) }
    }

    private func report(stale: Registration) {
        // A stale registration can't retarget or remove the new socket's either.
        loop.modify(stale, events: 0)
        loop.unregister(stale)
        var stillRegistered = false
        loop.forEachSource { if $0 === replacement { stillRegistered = true } }
        let outcome = Outcome(
            originalEvents: originalEvents, replacementReusedNumber: replacementRegistration?.descriptor == replacedNumber,
            replacementEvents: replacement.events, replacementStillRegistered: stillRegistered
        )
        if let replacementRegistration {
            loop.unregister(replacementRegistration)
            Glibc.close(replacementRegistration.descriptor)
        }
        Glibc.close(replacementPeer)
        finish(outcome)
    }
}
