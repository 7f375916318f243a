import CLinux
import Glibc
import HTTP1
import HTTPTypes
import Logging
import Reactor
import Synchronization

/// One client connection: parse a request, run its handler, write the answer, repeat.
/// Requests on one connection are handled one at a time, so pipelined requests are answered in
/// order; bytes of the next request wait in the decoder meanwhile.
///
/// Confined to its event loop: not `Sendable`, every entry point asserts it is on the loop, and the tasks
/// that run handlers and streams reach it only through a `LoopBound`.
final class Connection: EventLoopSource {
    private static let lingerTime: UInt64 = 2_000_000_000
    private static let lingerBytes = 1 << 20
    private static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private let descriptor: Int32
    private let loop: EventLoop
    private let loopState: ServerLoopState
    private let context: ServerContext
    private let remoteAddress: String
    private var registration: Registration?
    private var decoder: HTTPRequestDecoder
    private var state: ConnectionState
    private var interest: UInt32 = 0
    /// The client shut its side. Outlives the request it came during: pipelined requests already buffered
    /// are still answered, but the connection closes after them.
    private var inputClosed = false
    private var output = OutputBuffer()
    /// `parse` is running. An answer given without a handler (a 404, a 405) is written, and may finish, within
    /// `parse` itself; `responseFinished` then leaves the next request to the running loop rather than nesting
    /// another `parse`, which for a read of pipelined requests would recurse once per request until the loop
    /// thread's stack ran out.
    private var parsing = false

    init(descriptor: Int32, loop: EventLoop, loopState: ServerLoopState, context: ServerContext, remoteAddress: String) {
        self.descriptor = descriptor
        self.loop = loop
        self.loopState = loopState
        self.context = context
        self.remoteAddress = remoteAddress
        decoder = HTTPRequestDecoder(limits: context.configuration.limits)
        state = .awaitingHead(deadline: MonotonicClock.now() + context.configuration.headerTimeout.nanoseconds, .connected)
    }

    func start() throws(SystemError) {
        loop.assertInEventLoop()
        interest = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        registration = try loop.register(descriptor, events: interest, source: self)
    }

    // MARK: Events

    func handle(events: UInt32) {
        loop.assertInEventLoop()
        if events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
            close()
            return
        }
        if events & EPOLLOUT.rawValue != 0 {
            flush()
            if case .closed = state { return }
        }
        let input = events & EPOLLIN.rawValue != 0 && interest & EPOLLIN.rawValue != 0
        if input, !isAnswering {
            readInput()
        } else {
            // Nothing is read while a request is answered: the next one waits its turn. Interest in input goes
            // only once the client sends something meanwhile, so a request after which it sends nothing (the
            // usual case) costs no epoll_ctl.
            if input { setInterest(reading: false) }
            if events & EPOLLRDHUP.rawValue != 0 { inputEnded() }
        }
    }

    private var isAnswering: Bool {
        switch state {
        case .handling, .responding: true
        case .awaitingHead, .readingBody, .lingering, .closed: false
        }
    }

    func tick(now: UInt64) {
        loop.assertInEventLoop()
        switch state {
        case .awaitingHead(let deadline, .receiving) where now >= deadline:
            timedOut()
        case .readingBody(let read) where now >= read.deadline:
            timedOut()
        case .awaitingHead(let deadline, .connected), .awaitingHead(let deadline, .idle):
            if now >= deadline { close() }
        case .responding(let responding) where responding.deadline != 0 && now >= responding.deadline:
            close()
        case .lingering(let until, _) where now >= until:
            close()
        case .awaitingHead, .readingBody, .handling, .responding, .lingering, .closed:
            break
        }
    }

    private func timedOut() {
        context.logger.debug("request timed out", metadata: ["remote": "\(remoteAddress)"])
        // Not lingering: the point is to free the connection now, and a client this slow has
        // nothing unread in flight that could reset it before the 408 is read.
        let request = requestBeingRead
        answerAndClose(request, route: PendingRequest.routeLabel(of: request), lingering: false) { renderError, path, id in
            renderError(HTTPError(.requestTimeout), path, id)
        }
    }

    private func readInput() {
        let count = Glibc.read(descriptor, loop.readBuffer.baseAddress, loop.readBuffer.count)
        if count > 0 {
            switch state {
            case .lingering(let until, let bytesRead):
                if bytesRead + count > Self.lingerBytes { return close() }
                state = .lingering(until: until, bytesRead: bytesRead + count)
                return
            case .awaitingHead(let deadline, let wait):
                headStarted(deadline: deadline, wait)
            case .readingBody, .handling, .responding, .closed:
                break
            }
            decoder.append(UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<count]))
            parse()
        } else if count == 0 {
            inputEnded()
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            close()
        }
    }

    /// A byte of the next head is here: on a kept-alive connection the idle deadline gives way to the
    /// header deadline, which then holds until the head is complete.
    private func headStarted(deadline: UInt64, _ wait: ConnectionState.HeadWait) {
        switch wait {
        case .idle:
            state = .awaitingHead(deadline: MonotonicClock.now() + context.configuration.headerTimeout.nanoseconds, .receiving)
        case .connected:
            state = .awaitingHead(deadline: deadline, .receiving)
        case .receiving:
            break
        }
    }

    /// The client shut its side. A request being answered is still answered, then the connection closes;
    /// a stream has no one left to read it.
    private func inputEnded() {
        inputClosed = true
        setInterest(reading: false, watchingHangup: false)
        switch state {
        case .handling, .closed:
            // `inputClosed` keeps the coming answer from keeping the connection alive.
            break
        case .responding(var responding):
            if case .stream = responding.body { return close() }
            if case .keepAlive = responding.ending { responding.ending = .close }
            state = .responding(responding)
        case .awaitingHead, .readingBody, .lingering:
            close()
        }
    }

    // MARK: Requests

    private func parse() {
        guard !parsing else { return }
        parsing = true
        defer { parsing = false }
        while true {
            switch state {
            case .awaitingHead, .readingBody: break
            case .handling, .responding, .lingering, .closed: return
            }
            let event: HTTPRequestDecoder.Event?
            do {
                event = try decoder.next()
            } catch {
                return reject(error)
            }
            guard let event else { return }
            switch event {
            case .head(let head):
                begin(head)
            case .body(let bytes):
                received(bytes)
            case .end:
                guard case .readingBody(let read) = state else { return }
                dispatch(read)
            }
        }
    }

    private func begin(_ head: HTTPRequestHead) {
        guard case .awaitingHead = state else { return }
        let offered = head.request.headerFields[.xRequestID]
        let id = offered.flatMap { RequestIDGenerator.isAcceptable($0) ? $0 : nil } ?? loopState.requestIDs.next()
        let path = Request.path(of: head.request.path)
        let now = MonotonicClock.now()
        // An origin server does not tunnel, so CONNECT is a method not implemented here (RFC 9110 §9.1: 501),
        // not a path to route. The connection closes: a client may send tunnel bytes right behind the head,
        // and they must not be read as the next request.
        if head.request.method == .connect {
            let request = PendingRequest(head: head, resolution: .notFound(renderError: context.router.renderError), id: id, startedAt: now)
            return answerAndClose(request, route: RouteTable.unmatchedLabel, lingering: true) { renderError, path, id in
                renderError(HTTPError(.notImplemented), path, id)
            }
        }
        let resolution = context.router.resolve(method: head.request.method, path: path)
        if case .route(_, _, let maxBodySize?, _, _) = resolution {
            decoder.bodyLimit = maxBodySize
        }
        let request = PendingRequest(head: head, resolution: resolution, id: id, startedAt: now)
        // No route takes this body, so the answer is known from the head: give it now instead of reading
        // (and holding) a body only to drop it. The unread body makes the connection unusable, so it closes.
        if head.framing.carriesBody, let response = resolution.unroutedResponse(path: path, id: id) {
            return answerAndClose(request, route: RouteTable.unmatchedLabel, lingering: true) { _, _, _ in response }
        }
        // A declared length is reserved whole before any of it is read, so a 503 comes before the body is sent.
        // One over the limit is left to the decoder, whose 413 says more.
        var reserved = 0
        if case .contentLength(let length) = head.framing, length <= decoder.bodyLimit, !reserveBody(&reserved, upTo: length) {
            return refuseOverBudget(request)
        }
        let bodyDeadline = now + context.configuration.bodyTimeout.nanoseconds
        state = .readingBody(.init(
            request: request, reservedBodyBytes: reserved, bodyDeadline: bodyDeadline,
            deadline: min(now + context.configuration.progressTimeout.nanoseconds, bodyDeadline)
        ))
        if head.expectsContinue, head.framing != .none, Self.fits(head.framing, within: decoder.bodyLimit) {
            output.append(Self.continueLine)
            flush()
        }
    }

    private func received(_ bytes: [UInt8]) {
        let progressTimeout = context.configuration.progressTimeout.nanoseconds
        let accepted = state.updateBodyRead { read in
            // A chunked body is counted as it arrives (a declared length was reserved whole in `begin`).
            guard reserveBody(&read.reservedBodyBytes, upTo: read.request.body.count + bytes.count) else { return false }
            read.request.body.append(contentsOf: bytes)
            // Each piece buys another progress timeout, but never past the body deadline: otherwise a
            // byte a second would hold the connection for as long as the client liked.
            read.deadline = min(MonotonicClock.now() + progressTimeout, read.bodyDeadline)
            return true
        }
        if accepted == false { refuseOverBudget(requestBeingRead) }
    }

    private static func fits(_ framing: HTTPBodyFraming, within limit: Int) -> Bool {
        if case .contentLength(let length) = framing { return length <= limit }
        return true
    }

    /// Grows a reservation to `total` body bytes; false, leaving it as it was, when the server-wide budget
    /// can't spare them.
    private func reserveBody(_ reserved: inout Int, upTo total: Int) -> Bool {
        guard total > reserved else { return true }
        guard context.reserveBodyBytes(total - reserved) else { return false }
        reserved = total
        return true
    }

    /// Every connection together holds as much body as the server allows: this one waits its turn (the
    /// body is not read, so it lingers before closing).
    private func refuseOverBudget(_ request: PendingRequest?) {
        context.logger.debug("request body budget exhausted", metadata: ["remote": "\(remoteAddress)"])
        answerAndClose(request, route: PendingRequest.routeLabel(of: request), lingering: true) { renderError, path, id in
            var response = renderError(HTTPError(.serviceUnavailable), path, id)
            response.headerFields[.retryAfter] = "1"
            return response
        }
    }

    private func dispatch(_ read: ConnectionState.BodyRead) {
        let request = read.request
        let head = request.head
        let path = Request.path(of: head.request.path)
        let exchange = Exchange(
            id: request.id, method: head.request.method, path: path, route: PendingRequest.routeLabel(of: request),
            version: head.version, keepAlive: head.keepAlive, startedAt: request.startedAt
        )
        // Interest in input stays until the client sends more (`handle(events:)`); nothing is read meanwhile, and a
        // hangup is still heard.
        state = .handling(exchange, reservedBodyBytes: read.reservedBodyBytes)
        if let response = request.resolution.unroutedResponse(path: path, id: request.id) {
            return respond(with: response, to: exchange, lingering: false)
        }
        guard case .route(let handler, let parameters, _, _, let renderError) = request.resolution else { return }
        let input = Request(
            head: head.request, body: request.body, parameters: parameters, id: request.id, remoteAddress: remoteAddress
        )
        Self.run(handler, for: input, renderError: renderError, logger: context.logger, replyingTo: LoopBound(self, loop: loop), exchange)
    }

    /// The handler runs as a task on this loop, so it needs no hop unless it awaits elsewhere; its answer is
    /// handed back to the connection on the loop.
    private static func run(
        _ handler: @escaping Handler, for input: Request, renderError: @escaping ErrorRenderer, logger: Logger,
        replyingTo connection: LoopBound<Connection>, _ exchange: Exchange
    ) {
        Task(executorPreference: connection.loop) {
            let response = await RouteTable.answer(input, with: handler, renderError: renderError, logger: logger)
            connection.loop.executeInLoop { connection.value.handlerReturned(response, exchange) }
        }
    }

    /// The handler's answer; dropped when the connection closed meanwhile.
    private func handlerReturned(_ response: Response, _ exchange: Exchange) {
        guard case .handling = state else { return }
        respond(with: response, to: exchange, lingering: false)
    }

    private func reject(_ error: HTTPParseError) {
        answerAndClose(requestBeingRead, route: RouteTable.malformedLabel, lingering: true) { renderError, path, id in
            renderError(HTTPError(error.status, error.reason), path, id)
        }
    }

    /// Answers `request`, or the connection when no head was read, then closes: for what is refused before
    /// any handler runs. A request whose head was read (a body over its route's limit, bad chunking, a late
    /// body) keeps its path and id, so the answer is rendered as that route's clients expect. `lingering`
    /// keeps reading (and dropping) for a moment after our side is shut, for when the client may still be
    /// sending a body we won't read: closing on unread bytes resets the connection, and the reset can
    /// destroy our answer before the client reads it.
    private func answerAndClose(
        _ request: PendingRequest?, route: String, lingering: Bool,
        _ render: (_ renderError: ErrorRenderer, _ path: Substring, _ id: String) -> Response
    ) {
        setInterest(reading: false, watchingHangup: false)
        let exchange = Exchange(
            id: request?.id ?? loopState.requestIDs.next(), method: request?.head.request.method,
            path: request?.target ?? "-", route: route,
            version: .http1_1, keepAlive: false, startedAt: request?.startedAt ?? MonotonicClock.now()
        )
        // A request whose route is known is answered in that route's group's format.
        let renderError = request?.renderError ?? context.router.renderError
        respond(with: render(renderError, exchange.path, exchange.id), to: exchange, lingering: lingering)
    }

    /// The request whose head was read and whose body is coming, if any.
    private var requestBeingRead: PendingRequest? {
        if case .readingBody(let read) = state { return read.request }
        return nil
    }

    // MARK: Responses

    private func respond(with response: Response, to exchange: Exchange, lingering: Bool) {
        // Answered: the body has done its work (a handler that still holds it is about to let go).
        switch state {
        case .readingBody(let read):
            context.releaseBodyBytes(read.reservedBodyBytes)
        case .handling(_, let reservedBodyBytes):
            context.releaseBodyBytes(reservedBodyBytes)
        case .awaitingHead:
            break
        case .responding, .lingering, .closed:
            return
        }
        // From the moment shutdown begins, not only once the drain does: a client (a load balancer's pool) then
        // holds no idle connection here when the listener closes, so none is closed under a request it is writing.
        let framing = ResponseFraming(
            response, answering: exchange, mayKeepAlive: !inputClosed && !context.readiness.isWithdrawn,
            date: loopState.dateHeader.current()
        )
        output.append(encoding: { HTTPResponseEncoder.writeHead(framing.head, into: &$0) })
        log(exchange, status: response.status.code)
        context.metrics.record(
            method: exchange.method, route: exchange.route, status: response.status.code,
            nanoseconds: MonotonicClock.now() - exchange.startedAt
        )
        let ending: ConnectionState.Responding.Ending = lingering ? .linger : framing.keepAlive ? .keepAlive : .close
        switch framing.body {
        case .none:
            state = .responding(.init(body: .buffered, ending: ending))
            flush()
        case .bytes(let bytes):
            output.append(bytes)
            state = .responding(.init(body: .buffered, ending: ending))
            flush()
        case .file(let file, let length):
            state = .responding(.init(body: .file(FileTransfer(file, length: length)), ending: ending))
            flush()
        case .stream(let body, let chunked):
            let stream = ResponseStream(chunked: chunked, loop: loop)
            state = .responding(.init(body: .stream(stream), ending: ending))
            stream.start(body, owner: self)
            flush()
            // A stream that starts after the drain began is cut like those already running (see `drain`),
            // else it would hold shutdown for the whole grace period.
            if context.draining.load(ordering: .relaxed) { close() }
        }
    }

    private func log(_ exchange: Exchange, status: Int) {
        guard context.logger.logLevel <= .info else { return }
        let elapsed = Double(MonotonicClock.now() - exchange.startedAt) / 1_000_000
        context.logger.info("\(exchange.method?.rawValue ?? "-") \(exchange.path) \(status)", metadata: [
            "request_id": "\(exchange.id)",
            "duration_ms": "\((elapsed * 100).rounded() / 100)",
        ])
    }

    /// Writes as much as the socket takes; the rest waits for EPOLLOUT. Once all of an answer is out, the
    /// connection moves on (`responseFinished`), or a stream's writer does.
    private func flush() {
        var fileFollows = false
        if case .responding(let responding) = state, case .file = responding.body { fileFollows = true }
        switch output.write(to: descriptor, more: fileFollows) {
        case .done: break
        case .wouldBlock: return waitForWritable()
        case .failed: return close()
        }
        if case .responding(var responding) = state, case .file(var transfer) = responding.body {
            switch transfer.send(to: descriptor) {
            case .done:
                responding.body = .buffered
                state = .responding(responding)
            case .wouldBlock:
                responding.body = .file(transfer)
                state = .responding(responding)
                return waitForWritable()
            case .failed:
                return close()
            }
        }
        if interest & EPOLLOUT.rawValue != 0 {
            setInterest(writing: false)
        }
        // Else a 100 Continue went out while the body is read or handled.
        guard case .responding(var responding) = state else { return }
        if case .stream(let stream) = responding.body {
            // Caught up: the stream now waits on its handler, not on the client, so no timeout applies
            // until the next stall (a long-lived stream such as server-sent events keeps its own pace).
            responding.deadline = 0
            state = .responding(responding)
            stream.caughtUp()
            return
        }
        responseFinished(responding.ending)
    }

    private func waitForWritable() {
        let deadline = MonotonicClock.now() + context.configuration.progressTimeout.nanoseconds
        switch state {
        case .readingBody:
            _ = state.updateBodyRead { $0.deadline = deadline }
        case .responding(var responding):
            responding.deadline = deadline
            state = .responding(responding)
        case .awaitingHead, .handling, .lingering, .closed:
            // Handling: a 100 Continue the client has not taken; the answer's own write times the client.
            break
        }
        setInterest(writing: true)
    }

    private func responseFinished(_ ending: ConnectionState.Responding.Ending) {
        switch ending {
        case .linger: return linger()
        case .close: return close()
        case .keepAlive: break
        }
        output.shrinkIfLarge()
        // Pipelined bytes already here are the next request begun: its head is timed from now. Otherwise
        // the connection is idle until a byte arrives.
        let now = MonotonicClock.now()
        if decoder.bufferedByteCount > 0 {
            state = .awaitingHead(deadline: now + context.configuration.headerTimeout.nanoseconds, .receiving)
        } else {
            state = .awaitingHead(deadline: now + context.configuration.idleTimeout.nanoseconds, .idle)
        }
        if inputClosed {
            if decoder.bufferedByteCount == 0 { return close() }
        } else {
            setInterest(reading: true, watchingHangup: true)
        }
        // Within a running `parse` (the answer needed no handler) this returns at once, and that loop goes on.
        parse()
    }

    private func linger() {
        shutdown(descriptor, Int32(SHUT_WR))
        state = .lingering(until: MonotonicClock.now() + Self.lingerTime, bytesRead: 0)
        setInterest(reading: true, watchingHangup: true)
    }

    // MARK: Lifecycle

    private func setInterest(reading: Bool? = nil, watchingHangup: Bool? = nil, writing: Bool? = nil) {
        var events = interest
        func update(_ flag: UInt32, _ on: Bool?) {
            guard let on else { return }
            events = on ? events | flag : events & ~flag
        }
        update(EPOLLIN.rawValue, reading)
        update(EPOLLRDHUP.rawValue, watchingHangup)
        update(EPOLLOUT.rawValue, writing)
        guard events != interest, let registration else { return }
        if case .closed = state { return }
        interest = events
        loop.modify(registration, events: events)
    }

    /// Called when the server drains: idle connections go now, busy ones after their answer.
    func drain() {
        loop.assertInEventLoop()
        switch state {
        case .awaitingHead(_, .connected), .awaitingHead(_, .idle), .lingering:
            close()
        case .responding(var responding):
            if case .stream = responding.body { return close() }
            if case .keepAlive = responding.ending { responding.ending = .close }
            state = .responding(responding)
        case .awaitingHead(_, .receiving), .readingBody, .handling, .closed:
            // The answer to come says `Connection: close`: the server is draining.
            break
        }
    }

    func close() {
        loop.assertInEventLoop()
        let previous = state
        if case .closed = previous { return }
        state = .closed
        if let registration { loop.unregister(registration) }
        Glibc.close(descriptor)
        // Whatever the state held goes with it (a file being sent is closed when its last reference goes);
        // what it holds elsewhere is given back.
        switch previous {
        case .readingBody(let read):
            context.releaseBodyBytes(read.reservedBodyBytes)
        case .handling(_, let reservedBodyBytes):
            context.releaseBodyBytes(reservedBodyBytes)
        case .responding(let responding):
            if case .stream(let stream) = responding.body { stream.cancel() }
        case .awaitingHead, .lingering, .closed:
            break
        }
        context.connectionClosed()
    }
}

// MARK: Streams

extension Connection: ResponseStreamOwner {
    func stream(_ stream: ResponseStream, wrote bytes: [UInt8]) -> ResponseStream.Acceptance {
        loop.assertInEventLoop()
        guard isCurrent(stream) else { return .closed }
        stream.frame(bytes, into: &output)
        flush()
        guard isCurrent(stream) else { return .closed }
        return output.unsentCount > OutputBuffer.highWater ? .backlogged : .accepted
    }

    func streamFinished(_ stream: ResponseStream) {
        loop.assertInEventLoop()
        guard isCurrent(stream), case .responding(var responding) = state else { return }
        responding.body = .buffered
        if !stream.end(into: &output) { responding.ending = .close }
        state = .responding(responding)
        flush()
    }

    func streamFailed(_ stream: ResponseStream) {
        loop.assertInEventLoop()
        if isCurrent(stream) { close() }
    }

    private func isCurrent(_ stream: ResponseStream) -> Bool {
        guard case .responding(let responding) = state, case .stream(let current) = responding.body else { return false }
        return current === stream
    }
}
