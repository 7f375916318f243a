import HTTP1
import Reactor

/// What a `ResponseStream` needs from the connection it writes to. Called on the loop only.
protocol ResponseStreamOwner: AnyObject {
    /// Takes bytes the handler wrote: frames them, writes what the socket takes, and says whether the writer
    /// may go on.
    func stream(_ stream: ResponseStream, wrote bytes: [UInt8]) -> ResponseStream.Acceptance
    /// The handler's closure returned: the body is complete.
    func streamFinished(_ stream: ResponseStream)
    /// The handler's closure threw (the client went away, or the handler gave up).
    func streamFailed(_ stream: ResponseStream)
}

/// A streamed response body: the task running the handler's closure, the writer it writes through, and the
/// back-pressure between them. Confined to its connection's loop; the task reaches it only through a
/// `LoopBound`.
///
/// Back-pressure: a write returns once its bytes are framed and offered to the socket, unless more than
/// `OutputBuffer.highWater` is still unsent; then the writer waits until the connection catches up
/// (`caughtUp`), so a slow client holds at most that much of a stream in memory. Once the client is gone a
/// write throws `ConnectionClosed`, which ends the closure.
final class ResponseStream {
    enum Acceptance {
        /// Taken: the writer goes on.
        case accepted
        /// Taken, but the client is behind: the writer waits for `caughtUp`.
        case backlogged
        /// The connection is gone or answers something else now: the write throws.
        case closed
    }

    /// Chunked coding (HTTP/1.1), or raw bytes ended by closing (HTTP/1.0).
    let chunked: Bool
    private let loop: EventLoop
    private var task: Task<Void, Never>?
    /// The write waiting for the client to catch up.
    private var waiter: CheckedContinuation<Void, any Error>?

    init(chunked: Bool, loop: EventLoop) {
        self.chunked = chunked
        self.loop = loop
    }

    /// Runs `body` as a task on the loop. The task starts only after this loop turn, so the response head
    /// the owner has queued is flushed first.
    func start(_ body: @escaping @Sendable (ResponseBodyWriter) async throws -> Void, owner: any ResponseStreamOwner) {
        loop.assertInEventLoop()
        let parties = LoopBound((stream: self, owner: owner), loop: loop)
        let writer = ResponseBodyWriter { bytes in try await Self.write(bytes, through: parties) }
        task = Task(executorPreference: loop) {
            do {
                try await body(writer)
                parties.loop.executeInLoop { parties.value.owner.streamFinished(parties.value.stream) }
            } catch {
                parties.loop.executeInLoop { parties.value.owner.streamFailed(parties.value.stream) }
            }
        }
    }

    private static func write(
        _ bytes: [UInt8], through parties: LoopBound<(stream: ResponseStream, owner: any ResponseStreamOwner)>
    ) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            parties.loop.executeInLoop {
                let (stream, owner) = parties.value
                switch owner.stream(stream, wrote: bytes) {
                case .accepted: continuation.resume()
                case .backlogged: stream.waiter = continuation
                case .closed: continuation.resume(throwing: ConnectionClosed())
                }
            }
        }
    }

    /// The bytes as they go on the wire.
    func frame(_ bytes: [UInt8], into output: inout OutputBuffer) {
        if chunked {
            output.append(encoding: { HTTPResponseEncoder.writeChunk(bytes, into: &$0) })
        } else {
            output.append(bytes)
        }
    }

    /// Marks the end of the body; false when only closing the connection can (HTTP/1.0).
    func end(into output: inout OutputBuffer) -> Bool {
        guard chunked else { return false }
        output.append(encoding: { HTTPResponseEncoder.writeLastChunk(into: &$0) })
        return true
    }

    /// Everything written so far is in the kernel: a waiting writer goes on.
    func caughtUp() {
        loop.assertInEventLoop()
        waiter?.resume()
        waiter = nil
    }

    /// The connection closed: the closure is cancelled, and a waiting write throws.
    func cancel() {
        loop.assertInEventLoop()
        task?.cancel()
        task = nil
        waiter?.resume(throwing: ConnectionClosed())
        waiter = nil
    }
}
