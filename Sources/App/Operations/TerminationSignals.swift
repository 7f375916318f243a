import Dispatch
import Glibc
import Locking

/// Turns SIGTERM and SIGINT into an awaitable event instead of the default immediate death,
/// so the server can drain. Created before the server starts so no signal slips through.
public final class TerminationSignals {
    private final class Received: Sendable {
        let state = PThreadMutex<(signal: Int32?, waiter: CheckedContinuation<Int32, Never>?)>((nil, nil))

        func deliver(_ number: Int32) {
            let waiter = state.withLock { state -> CheckedContinuation<Int32, Never>? in
                guard state.signal == nil else { return nil }
                state.signal = number
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: number)
        }
    }

    private let sources: [any DispatchSourceSignal]
    private let received = Received()

    public init() {
        let queue = DispatchQueue(label: "termination-signals")
        let received = received
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { received.deliver(number) }
            source.resume()
            return source
        }
    }

    public func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let signal = received.state.withLock { state -> Int32? in
                if state.signal == nil { state.waiter = continuation }
                return state.signal
            }
            if let signal { continuation.resume(returning: signal) }
        }
    }
}
