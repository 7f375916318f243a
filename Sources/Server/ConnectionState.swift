/// Where a `Connection` is, with what only that place needs. One value rather than a phase and flags, so
/// what belongs to one place can't linger into another: a deadline lives in the case it times, a body
/// reservation only while a body is held, a file or a stream only while an answer is written.
enum ConnectionState {
    /// Waiting for the next request's head.
    case awaitingHead(deadline: UInt64, HeadWait)
    case readingBody(BodyRead)
    /// The handler runs; nothing is timed (a slow handler is not the client's fault). The body's
    /// reservation is held until the answer is sent.
    case handling(Exchange, reservedBodyBytes: Int)
    /// The head is written; the body goes out.
    case responding(Responding)
    /// The request was rejected: our answer is sent and our side shut, and what the client still
    /// sends is read and dropped for a moment so the kernel does not reset the connection before
    /// the client has read that answer.
    case lingering(until: UInt64, bytesRead: Int)
    case closed

    /// What the deadline of `awaitingHead` is and what its passing means.
    enum HeadWait {
        /// Just accepted, nothing received: the header timeout, timed from accept (a client that connects
        /// and sends nothing must not hold the connection for the much longer idle timeout).
        case connected
        /// Kept alive after an answer, nothing of the next request yet: the idle timeout.
        case idle
        /// A byte of the head is here: the header timeout, which later bytes never move (which bytes the
        /// parser has consumed doesn't matter, as whole field lines leave nothing buffered). A request that
        /// began is answered 408 when its time runs out; one that never began is just closed.
        case receiving
    }

    struct BodyRead {
        var request: PendingRequest
        /// This connection's share of the server-wide body budget: the body held or declared so far,
        /// given back when the request is answered or the connection closes.
        var reservedBodyBytes: Int
        /// When the body must be complete, however steadily it arrives.
        let bodyDeadline: UInt64
        /// The progress deadline, never past `bodyDeadline`.
        var deadline: UInt64
    }

    struct Responding {
        enum Body {
            /// All of it is in the output buffer (or was: an empty body, HEAD).
            case buffered
            case file(FileTransfer)
            case stream(ResponseStream)
        }

        /// What comes after the last byte.
        enum Ending {
            case keepAlive
            case close
            /// Shut our side and drain the client's for a moment, then close (see `lingering`).
            case linger
        }

        var body: Body
        var ending: Ending
        /// While the client is not taking what we write: the progress deadline. 0 when nothing waits on the
        /// client (a stream that caught up waits on its handler, at its own pace, as server-sent events do).
        var deadline: UInt64 = 0
    }

    /// Changes the body being read in place; nil when no body is being read. The payload is moved out
    /// of the enum first, so the body's bytes are uniquely referenced and appending doesn't copy them all.
    mutating func updateBodyRead<Result>(_ update: (inout BodyRead) -> Result) -> Result? {
        guard case .readingBody(var read) = self else { return nil }
        // For the moment only: nothing can observe it (`update` has no access to the state while it runs).
        self = .closed
        defer { self = .readingBody(read) }
        return update(&read)
    }
}
