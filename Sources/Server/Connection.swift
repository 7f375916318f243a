import CLinux
import Glibc
import HTTP1
import HTTPTypes
import Logging
import Reactor

/// One client connection: parse a request, run its handler, write the answer, repeat.
/// Requests on one connection are handled one at a time, so pipelined requests are answered in
/// order; bytes of the next request wait in the decoder meanwhile. Confined to its event loop.
final class Connection: EventLoopSource, @unchecked Sendable {
    private enum Phase {
        case awaitingHead
        case readingBody
        case responding
        /// The request was rejected: our answer is sent and our side shut, and what the client still
        /// sends is read and dropped for a moment so the kernel does not reset the connection before
        /// the client has read that answer.
        case lingering
        case closed
    }

    private struct PendingRequest {
        let head: HTTPRequestHead
        let resolution: RouteTable.Resolution
        let id: String
        let startedAt: UInt64
        var body: [UInt8] = []
    }

    /// How the answer to the current request is framed and logged.
    private struct Exchange {
        let id: String
        let method: HTTPRequest.Method?
        let path: Substring
        /// The metrics label: the matched route's pattern.
        let route: String
        let version: HTTPVersion
        let keepAlive: Bool
        let startedAt: UInt64
    }

    private static let writeHighWater = 65_536
    private static let lingerTime: UInt64 = 2_000_000_000
    private static let lingerBytes = 1 << 20
    private static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private let descriptor: Int32
    private let loop: EventLoop
    private let state: ServerLoopState
    private let context: ServerContext
    private let remoteAddress: String
    private var decoder: HTTPRequestDecoder
    private var phase = Phase.awaitingHead
    private var pending: PendingRequest?
    private var registration: Registration?
    private var interest: UInt32 = 0
    /// The one deadline of this connection, whatever it is waiting for; 0 when none.
    private var deadline: UInt64 = 0
    /// While awaiting a head: whether `deadline` is the header deadline rather than the idle one. It is set
    /// once per head, at accept or at the first byte after a response, and later bytes never move it;
    /// which bytes the parser has consumed doesn't matter, as whole field lines leave nothing buffered.
    private var headerClockRunning = false
    /// While awaiting a head: whether a byte of it has arrived. A request that began is answered 408 when
    /// its time runs out; a connection with none begun is just closed.
    private var requestBegun = false
    /// While reading a body: when it must be complete, however steadily it arrives.
    private var bodyDeadline: UInt64 = 0
    /// This connection's share of the server-wide body budget: the body held or declared so far. Given
    /// back when the request is answered or the connection closes.
    private var reservedBodyBytes = 0
    private var output: [UInt8] = []
    private var outputSent = 0
    private var file: (file: OpenFile, offset: off_t, end: off_t)?
    private var responseInFlight = false
    private var closeAfterResponse = false
    private var lingerAfterResponse = false
    private var lingered = 0
    private var inputClosed = false
    private var streamTask: Task<Void, Never>?
    private var streamChunked = false
    private var streamWaiter: CheckedContinuation<Void, any Error>?

    init(descriptor: Int32, loop: EventLoop, state: ServerLoopState, context: ServerContext, remoteAddress: String) {
        self.descriptor = descriptor
        self.loop = loop
        self.state = state
        self.context = context
        self.remoteAddress = remoteAddress
        self.decoder = HTTPRequestDecoder(limits: context.configuration.limits)
    }

    func start() throws(SystemError) {
        loop.assertInEventLoop()
        interest = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        registration = try loop.register(descriptor, events: interest, source: self)
        // From accept, not from the first byte: a client that connects and sends nothing must not hold the
        // connection for the (much longer) idle timeout.
        deadline = MonotonicClock.now() + context.configuration.headerTimeout.nanoseconds
        headerClockRunning = true
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
            if phase == .closed { return }
        }
        if events & EPOLLIN.rawValue != 0, interest & EPOLLIN.rawValue != 0 {
            readInput()
        } else if events & EPOLLRDHUP.rawValue != 0 {
            inputEnded()
        }
    }

    func tick(now: UInt64) {
        loop.assertInEventLoop()
        guard deadline != 0, now >= deadline else { return }
        switch phase {
        case .awaitingHead where requestBegun, .readingBody:
            context.logger.debug("request timed out", metadata: ["remote": "\(remoteAddress)"])
            // Not lingering: the point is to free the connection now, and a client this slow has
            // nothing unread in flight that could reset it before the 408 is read.
            answerAndClose(route: routeLabel(of: pending), lingering: false) { renderError, path, id in
                renderError(HTTPError(.requestTimeout), path, id)
            }
        default:
            close()
        }
    }

    private func readInput() {
        let count = Glibc.read(descriptor, loop.readBuffer.baseAddress, loop.readBuffer.count)
        if count > 0 {
            if phase == .lingering {
                lingered += count
                if lingered > Self.lingerBytes { close() }
                return
            }
            if phase == .awaitingHead { requestStarted() }
            decoder.append(UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<count]))
            parse()
        } else if count == 0 {
            inputEnded()
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            close()
        }
    }

    /// The client shut its side. A request being answered is still answered, then the connection closes;
    /// a stream has no one left to read it.
    private func inputEnded() {
        inputClosed = true
        setInterest(reading: false, watchingHangup: false)
        switch phase {
        case .responding where streamTask == nil:
            closeAfterResponse = true
        case .closed:
            break
        default:
            close()
        }
    }

    // MARK: Requests

    private func parse() {
        while phase == .awaitingHead || phase == .readingBody {
            let event: HTTPRequestDecoder.Event?
            do {
                event = try decoder.next()
            } catch {
                reject(error)
                return
            }
            guard let event else { return }
            switch event {
            case .head(let head):
                begin(head)
            case .body(let bytes):
                // A chunked body is counted as it arrives (a declared length was reserved whole in `begin`).
                guard reserveBody(upTo: (pending?.body.count ?? 0) + bytes.count) else { return refuseOverBudget() }
                pending?.body.append(contentsOf: bytes)
                // Each piece buys another progress timeout, but never past the body deadline: otherwise a
                // byte a second would hold the connection for as long as the client liked.
                deadline = min(MonotonicClock.now() + context.configuration.progressTimeout.nanoseconds, bodyDeadline)
            case .end:
                guard let request = pending else { return }
                pending = nil
                dispatch(request)
            }
        }
    }

    /// A byte of the next head is here: on a kept-alive connection the idle deadline gives way to the
    /// header deadline, which then holds until the head is complete.
    private func requestStarted() {
        requestBegun = true
        guard !headerClockRunning else { return }
        headerClockRunning = true
        deadline = MonotonicClock.now() + context.configuration.headerTimeout.nanoseconds
    }

    private func begin(_ head: HTTPRequestHead) {
        let offered = head.request.headerFields[.xRequestID]
        let id = offered.flatMap { RequestIDGenerator.isAcceptable($0) ? $0 : nil } ?? state.requestIDs.next()
        let path = Request.path(of: head.request.path)
        let now = MonotonicClock.now()
        phase = .readingBody
        requestBegun = false
        headerClockRunning = false
        // An origin server does not tunnel, so CONNECT is a method not implemented here (RFC 9110 §9.1: 501),
        // not a path to route. The connection closes: a client may send tunnel bytes right behind the head,
        // and they must not be read as the next request.
        if head.request.method == .connect {
            pending = PendingRequest(head: head, resolution: .notFound(renderError: context.router.renderError), id: id, startedAt: now)
            return answerAndClose(route: RouteTable.unmatchedLabel, lingering: true) { renderError, path, id in
                renderError(HTTPError(.notImplemented), path, id)
            }
        }
        let resolution = context.router.resolve(method: head.request.method, path: path)
        if case .route(_, _, let maxBodySize?, _, _) = resolution {
            decoder.bodyLimit = maxBodySize
        }
        pending = PendingRequest(head: head, resolution: resolution, id: id, startedAt: now)
        // No route takes this body, so the answer is known from the head: give it now instead of reading
        // (and holding) a body only to drop it. The unread body makes the connection unusable, so it closes.
        if Self.hasBody(head.framing),
            let response = Self.unroutedResponse(to: resolution, path: path, id: id)
        {
            return answerAndClose(route: RouteTable.unmatchedLabel, lingering: true) { _, _, _ in response }
        }
        // A declared length is reserved whole before any of it is read, so a 503 comes before the body is sent.
        // One over the limit is left to the decoder, whose 413 says more.
        if case .contentLength(let length) = head.framing, length <= decoder.bodyLimit, !reserveBody(upTo: length) {
            return refuseOverBudget()
        }
        bodyDeadline = now + context.configuration.bodyTimeout.nanoseconds
        deadline = min(now + context.configuration.progressTimeout.nanoseconds, bodyDeadline)
        if head.expectsContinue, head.framing != .none, Self.fits(head.framing, within: decoder.bodyLimit) {
            output.append(contentsOf: Self.continueLine)
            flush()
        }
    }

    private static func fits(_ framing: HTTPBodyFraming, within limit: Int) -> Bool {
        if case .contentLength(let length) = framing { return length <= limit }
        return true
    }

    private static func hasBody(_ framing: HTTPBodyFraming) -> Bool {
        switch framing {
        case .none: false
        case .contentLength(let length): length > 0
        case .chunked: true
        }
    }

    /// How a request no route takes is answered; nil when a route takes it.
    private static func unroutedResponse(
        to resolution: RouteTable.Resolution, path: Substring, id: String
    ) -> Response? {
        switch resolution {
        case .route:
            return nil
        case .notFound(let renderError):
            return renderError(HTTPError(.notFound), path, id)
        case .methodNotAllowed(let allowed, let renderError):
            var response = renderError(HTTPError(.methodNotAllowed), path, id)
            response.headerFields[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
            return response
        }
    }

    /// Grows this request's reservation to `total` body bytes; false when the server-wide budget can't
    /// spare them.
    private func reserveBody(upTo total: Int) -> Bool {
        guard total > reservedBodyBytes else { return true }
        guard context.reserveBodyBytes(total - reservedBodyBytes) else { return false }
        reservedBodyBytes = total
        return true
    }

    private func releaseBody() {
        context.releaseBodyBytes(reservedBodyBytes)
        reservedBodyBytes = 0
    }

    /// Every connection together holds as much body as the server allows: this one waits its turn (the
    /// body is not read, so it lingers before closing).
    private func refuseOverBudget() {
        context.logger.debug("request body budget exhausted", metadata: ["remote": "\(remoteAddress)"])
        answerAndClose(route: routeLabel(of: pending), lingering: true) { renderError, path, id in
            var response = renderError(HTTPError(.serviceUnavailable), path, id)
            response.headerFields[.retryAfter] = "1"
            return response
        }
    }

    private func dispatch(_ request: PendingRequest) {
        phase = .responding
        deadline = 0
        setInterest(reading: false, watchingHangup: !inputClosed)
        let head = request.head
        let path = Request.path(of: head.request.path)
        let exchange = Exchange(
            id: request.id, method: head.request.method, path: path, route: routeLabel(of: request),
            version: head.version, keepAlive: head.keepAlive, startedAt: request.startedAt
        )
        if let response = Self.unroutedResponse(to: request.resolution, path: path, id: request.id) {
            return send(response, exchange)
        }
        guard case .route(let handler, let parameters, _, _, let renderError) = request.resolution else { return }
        let input = Request(
            head: head.request, body: request.body, parameters: parameters, id: request.id, remoteAddress: remoteAddress
        )
        let logger = context.logger
        Task(executorPreference: loop) {
            let response = await Self.respond(to: input, with: handler, renderError: renderError, logger: logger)
            self.loop.executeInLoop { self.send(response, exchange) }
        }
    }

    private static func respond(to request: Request, with handler: Handler, renderError: ErrorRenderer, logger: Logger) async -> Response {
        do {
            return try await RequestScope.$id.withValue(request.id) { try await handler(request) }
        } catch let error as HTTPError {
            return renderError(error, request.path, request.id)
        } catch {
            logger.error("handler failed", metadata: ["request_id": "\(request.id)", "error": "\(error)"])
            return renderError(HTTPError(.internalServerError), request.path, request.id)
        }
    }

    private func reject(_ error: HTTPParseError) {
        answerAndClose(route: RouteTable.malformedLabel, lingering: true) { renderError, path, id in
            renderError(HTTPError(error.status, error.reason), path, id)
        }
    }

    /// Answers the request being read, or the connection when no head was read, then closes: for what is
    /// refused before any handler runs. A request whose head was read (a body over its route's limit, bad
    /// chunking, a late body) keeps its path and id, so the answer is rendered as that route's clients
    /// expect. `lingering` keeps reading (and dropping) for a moment after our side is shut, for when the
    /// client may still be sending a body we won't read: closing on unread bytes resets the connection,
    /// and the reset can destroy our answer before the client reads it.
    private func answerAndClose(
        route: String, lingering: Bool, _ render: (_ renderError: ErrorRenderer, _ path: Substring, _ id: String) -> Response
    ) {
        phase = .responding
        let request = pending
        pending = nil
        setInterest(reading: false, watchingHangup: false)
        lingerAfterResponse = lingering
        closeAfterResponse = true
        let exchange = Exchange(
            id: request?.id ?? state.requestIDs.next(), method: request?.head.request.method,
            path: request.map { Self.target(of: $0.head) } ?? "-", route: route,
            version: .http1_1, keepAlive: false, startedAt: request?.startedAt ?? MonotonicClock.now()
        )
        // A request whose route is known is answered in that route's group's format.
        let renderError = request.map { Self.renderer(of: $0.resolution) } ?? context.router.renderError
        send(render(renderError, exchange.path, exchange.id), exchange)
    }

    /// The path, or for CONNECT the authority it asked for, rather than a "/" it never sent.
    private static func target(of head: HTTPRequestHead) -> Substring {
        guard let path = head.request.path else { return Substring(head.request.authority ?? "-") }
        return Request.path(of: path)
    }

    private func routeLabel(of request: PendingRequest?) -> String {
        switch request?.resolution {
        case .route(_, _, _, let label, _)?: label
        case .notFound?, .methodNotAllowed?: RouteTable.unmatchedLabel
        case nil: RouteTable.malformedLabel
        }
    }

    private static func renderer(of resolution: RouteTable.Resolution) -> ErrorRenderer {
        switch resolution {
        case .route(_, _, _, _, let renderError), .methodNotAllowed(_, let renderError), .notFound(let renderError): renderError
        }
    }

    // MARK: Responses

    private func send(_ response: Response, _ exchange: Exchange) {
        // Answered: the body has done its work (a handler that still holds it is about to let go).
        releaseBody()
        guard phase == .responding else { return }
        let isHead = exchange.method == .head
        var keepAlive = exchange.keepAlive && !closeAfterResponse && !inputClosed
            && !context.draining.load(ordering: .relaxed)
        var fields = response.headerFields
        fields[.date] = state.dateHeader.current()
        fields[.xRequestID] = exchange.id
        var length = 0
        var isStream = false
        switch response.body {
        case .empty:
            break
        case .bytes(let bytes):
            length = bytes.count
        case .file(_, let fileLength):
            length = fileLength
        case .stream:
            isStream = true
            if exchange.version == .http1_0 { keepAlive = false }
        }
        let status = response.status.code
        let bodyAllowed = status >= 200 && status != 204 && status != 304
        if isStream && bodyAllowed && exchange.version == .http1_1 {
            fields[.transferEncoding] = "chunked"
        } else if bodyAllowed && !isStream {
            fields[.contentLength] = String(length)
        }
        if !keepAlive {
            fields[.connection] = "close"
        } else if exchange.version == .http1_0 {
            fields[.connection] = "keep-alive"
        }
        closeAfterResponse = !keepAlive
        responseInFlight = true
        HTTPResponseEncoder.writeHead(HTTPResponse(status: response.status, headerFields: fields), into: &output)
        log(exchange, status: status)
        context.metrics.record(
            method: exchange.method, route: exchange.route, status: status, nanoseconds: MonotonicClock.now() - exchange.startedAt
        )
        guard !isHead && bodyAllowed else {
            flush()
            return
        }
        switch response.body {
        case .empty:
            flush()
        case .bytes(let bytes):
            output.append(contentsOf: bytes)
            flush()
        case .file(let openFile, let fileLength):
            file = (openFile, 0, off_t(fileLength))
            flush()
        case .stream(let body):
            startStream(body, chunked: exchange.version == .http1_1)
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

    /// Writes as much as the socket takes; the rest waits for EPOLLOUT.
    private func flush() {
        while outputSent < output.count {
            let flags = Int32(MSG_NOSIGNAL) | (file != nil ? Int32(MSG_MORE) : 0)
            let sent = output.withUnsafeBytes { bytes in
                Glibc.send(descriptor, bytes.baseAddress! + outputSent, bytes.count - outputSent, flags)
            }
            if sent < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return waitForWritable() }
                return close()
            }
            outputSent += sent
        }
        output.removeAll(keepingCapacity: output.capacity <= Self.writeHighWater)
        outputSent = 0
        if var pendingFile = file {
            while pendingFile.offset < pendingFile.end {
                let sent = sendfile(descriptor, pendingFile.file.descriptor, &pendingFile.offset, Int(pendingFile.end - pendingFile.offset))
                if sent < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK {
                        file = pendingFile
                        return waitForWritable()
                    }
                    return close()
                }
                // The file shrank under us: the promised Content-Length can no longer be kept.
                if sent == 0 { return close() }
            }
            file = nil
        }
        if interest & EPOLLOUT.rawValue != 0 {
            setInterest(writing: false)
        }
        if streamTask != nil {
            // Caught up: the stream now waits on its handler, not on the client, so no timeout applies
            // until the next stall (a long-lived stream such as server-sent events keeps its own pace).
            deadline = 0
            streamWaiter?.resume()
            streamWaiter = nil
            return
        }
        if responseInFlight {
            responseFinished()
        }
    }

    private func waitForWritable() {
        deadline = MonotonicClock.now() + context.configuration.progressTimeout.nanoseconds
        setInterest(writing: true)
    }

    private func responseFinished() {
        responseInFlight = false
        if lingerAfterResponse { return linger() }
        if closeAfterResponse { return close() }
        if output.capacity > Self.writeHighWater { output = [] }
        phase = .awaitingHead
        // Pipelined bytes already here are the next request begun: its head is timed from now. Otherwise
        // the connection is idle until a byte arrives.
        if decoder.bufferedByteCount > 0 {
            requestBegun = true
            headerClockRunning = true
            deadline = MonotonicClock.now() + context.configuration.headerTimeout.nanoseconds
        } else {
            requestBegun = false
            headerClockRunning = false
            deadline = MonotonicClock.now() + context.configuration.idleTimeout.nanoseconds
        }
        if inputClosed {
            if decoder.bufferedByteCount == 0 { return close() }
        } else {
            setInterest(reading: true, watchingHangup: true)
        }
        parse()
    }

    private func linger() {
        phase = .lingering
        shutdown(descriptor, Int32(SHUT_WR))
        deadline = MonotonicClock.now() + Self.lingerTime
        setInterest(reading: true, watchingHangup: true)
    }

    // MARK: Streams

    private func startStream(_ body: @escaping @Sendable (ResponseBodyWriter) async throws -> Void, chunked: Bool) {
        streamChunked = chunked
        let writer = ResponseBodyWriter { [self] bytes in try await self.write(streamed: bytes) }
        // The task starts only after this loop turn, so the head below is flushed first.
        streamTask = Task(executorPreference: loop) {
            do {
                try await body(writer)
                self.loop.executeInLoop { self.finishStream() }
            } catch {
                self.loop.executeInLoop { self.close() }
            }
        }
        flush()
        // A stream that starts after the drain began is cut like those already running (see `drain`),
        // else it would hold shutdown for the whole grace period.
        if context.draining.load(ordering: .relaxed) { close() }
    }

    private func write(streamed bytes: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            loop.executeInLoop {
                guard self.phase == .responding else { return continuation.resume(throwing: ConnectionClosed()) }
                if self.streamChunked {
                    HTTPResponseEncoder.writeChunk(bytes, into: &self.output)
                } else {
                    self.output.append(contentsOf: bytes)
                }
                self.flush()
                if self.phase != .responding {
                    continuation.resume(throwing: ConnectionClosed())
                } else if self.output.count - self.outputSent > Self.writeHighWater {
                    self.streamWaiter = continuation
                } else {
                    continuation.resume()
                }
            }
        }
    }

    private func finishStream() {
        guard phase == .responding else { return }
        streamTask = nil
        if streamChunked {
            HTTPResponseEncoder.writeLastChunk(into: &output)
        } else {
            closeAfterResponse = true
        }
        flush()
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
        guard events != interest, phase != .closed, let registration else { return }
        interest = events
        loop.modify(registration, events: events)
    }

    /// Called when the server drains: idle connections go now, busy ones after their answer.
    func drain() {
        loop.assertInEventLoop()
        switch phase {
        case .awaitingHead where !requestBegun, .lingering:
            close()
        case .responding where streamTask != nil:
            close()
        default:
            closeAfterResponse = true
        }
    }

    func close() {
        loop.assertInEventLoop()
        guard phase != .closed else { return }
        phase = .closed
        if let registration { loop.unregister(registration) }
        Glibc.close(descriptor)
        file = nil
        pending = nil
        releaseBody()
        streamTask?.cancel()
        streamTask = nil
        streamWaiter?.resume(throwing: ConnectionClosed())
        streamWaiter = nil
        context.connectionClosed()
    }
}

extension HTTPField.Name {
    static let xRequestID = HTTPField.Name("X-Request-Id")!
}
