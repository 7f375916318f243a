import CLinux
import Dispatch
import Glibc
import HTTP1
import HTTPTypes
import Reactor

/// One outbound connection: resolve, connect, handshake, then one exchange at a time, idling in
/// the pool in between. Confined to the client's event loop, like the server's `Connection`: not
/// `Sendable` (the resolver's answer comes back through a `LoopBound`), and each entry point asserts it
/// is on the loop.
final class ClientConnection: EventLoopSource {
    private enum Phase {
        case resolving
        case connecting
        case handshaking
        case exchanging
        case idle
        case closed
    }

    let origin: Origin
    private let loop: EventLoop
    private unowned let pool: ConnectionPool
    private var phase = Phase.resolving
    private var descriptor: Int32 = -1
    private var registration: Registration?
    private var tls: TLSSession?
    private var addresses: [ResolvedAddress] = []
    private var lastConnectError = ""
    private var interest: UInt32 = 0
    /// The one deadline of this connection, whatever it is waiting for; 0 when none.
    private var deadline: UInt64 = 0
    private var exchange: Exchange?
    /// Whether this connection already carried a response: if it then dies before the next
    /// response begins, the server most likely closed it while idle, not over our request.
    private var reused = false
    private var output: [UInt8] = []
    private var outputSent = 0
    private var decoder: HTTPResponseDecoder
    private var responseHead: HTTPResponse?
    private var keepAlive = false
    private var body: [UInt8] = []
    private var receivedAny = false

    init(origin: Origin, loop: EventLoop, pool: ConnectionPool) {
        self.origin = origin
        self.loop = loop
        self.pool = pool
        self.decoder = HTTPResponseDecoder(requestMethod: .get)
    }

    /// Ticked by the pool until a descriptor exists, since the loop only ticks registered ones.
    var isRegistered: Bool { registration != nil }

    // MARK: Connecting

    func start(_ exchange: Exchange) {
        loop.assertInEventLoop()
        self.exchange = exchange
        deadline = min(MonotonicClock.now() + pool.configuration.connectTimeout.nanoseconds, exchange.deadline)
        let origin = origin
        let connection = LoopBound(self, loop: loop)
        pool.resolverQueue.async {
            let result = ResolvedAddress.resolve(host: origin.host, port: origin.port)
            connection.loop.execute { connection.value.resolved(result) }
        }
    }

    private func resolved(_ result: Result<[ResolvedAddress], HTTPClientError>) {
        guard phase == .resolving else { return }
        switch result {
        case .success(let found):
            // A hosts file could point "localhost" anywhere; plain HTTP must really stay on this machine.
            addresses = origin.isSecure ? found : found.filter(\.isLoopback)
            guard !addresses.isEmpty else { return fail(.insecureURL("http://\(origin.host)"), retryable: false) }
            addresses.reverse()
            connectNext()
        case .failure(let error):
            fail(error, retryable: true)
        }
    }

    /// Tries the addresses in getaddrinfo's order (kept reversed so popLast takes the next).
    private func connectNext() {
        closeSocket()
        while let address = addresses.popLast() {
            let socketType = Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
            let candidate = socket(address.family, socketType, 0)
            guard candidate >= 0 else {
                lastConnectError = "socket: \(String(cString: strerror(errno)))"
                continue
            }
            var one: Int32 = 1
            setsockopt(candidate, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var storage = address.storage
            let status = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(candidate, $0, address.length) }
            }
            guard status == 0 || errno == EINPROGRESS else {
                lastConnectError = String(cString: strerror(errno))
                Glibc.close(candidate)
                continue
            }
            descriptor = candidate
            interest = EPOLLOUT.rawValue
            do {
                registration = try loop.register(descriptor, events: interest, source: self)
            } catch {
                lastConnectError = String(describing: error)
                closeSocket()
                continue
            }
            phase = .connecting
            return
        }
        fail(.connectFailed("\(origin): \(lastConnectError)"), retryable: true)
    }

    private func connected() {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
        guard error == 0 else {
            lastConnectError = String(cString: strerror(error))
            return connectNext()
        }
        pool.connectionOpened()
        guard origin.isSecure else { return beginExchange() }
        do {
            tls = try TLSSession(context: pool.tlsContext, descriptor: descriptor, origin: origin)
        } catch {
            return fail(error, retryable: false)
        }
        phase = .handshaking
        handshake()
    }

    private func handshake() {
        guard let tls else { return }
        switch tls.handshake() {
        case .done:
            pool.handshakeCompleted()
            beginExchange()
        case .wantRead:
            setInterest(EPOLLIN.rawValue)
        case .wantWrite:
            setInterest(EPOLLOUT.rawValue)
        case .closed:
            fail(.tlsFailed("connection closed during the handshake"), retryable: true)
        case .failed(let reason):
            fail(.tlsFailed(reason), retryable: false)
        }
    }

    // MARK: Exchanges

    /// True when an idle connection can take a request: nothing, not even EOF, has arrived
    /// since its last response. Catches a close the loop has not processed yet.
    var isReusable: Bool {
        loop.assertInEventLoop()
        return phase == .idle && idleInputIsHarmless()
    }

    /// Between responses only TLS housekeeping may arrive (TLS 1.3 session tickets, key
    /// updates), which SSL_read consumes without returning data; anything else, EOF included,
    /// means the connection is of no further use.
    private func idleInputIsHarmless() -> Bool {
        if let tls {
            if case .wantRead = tls.read(into: loop.readBuffer) { return true }
            return false
        }
        var byte: UInt8 = 0
        let peeked = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }

    func reuse(for exchange: Exchange) {
        loop.assertInEventLoop()
        self.exchange = exchange
        beginExchange()
    }

    private func beginExchange() {
        guard let exchange else { return }
        phase = .exchanging
        decoder = HTTPResponseDecoder(requestMethod: exchange.method)
        decoder.bodyLimit = pool.configuration.maxResponseBodySize
        responseHead = nil
        body = []
        receivedAny = false
        output = exchange.requestBytes
        outputSent = 0
        madeProgress()
        flush()
    }

    private func madeProgress() {
        guard let exchange else { return }
        deadline = min(MonotonicClock.now() + pool.configuration.readTimeout.nanoseconds, exchange.deadline)
    }

    /// Writes as much of the request as the socket takes, then waits for the response.
    private func flush() {
        while outputSent < output.count {
            let progress = output.withUnsafeBytes { bytes in
                send(UnsafeRawBufferPointer(rebasing: bytes[outputSent...]))
            }
            switch progress {
            case .done(let count):
                outputSent += count
                madeProgress()
            case .wantWrite:
                return setInterest(EPOLLOUT.rawValue | EPOLLIN.rawValue)
            case .wantRead:
                return setInterest(EPOLLIN.rawValue)
            case .closed, .failed:
                return fail(.connectionClosed, retryable: reused)
            }
        }
        output = []
        outputSent = 0
        setInterest(EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
    }

    private func send(_ bytes: UnsafeRawBufferPointer) -> TLSSession.Progress {
        if let tls { return tls.write(bytes) }
        while true {
            let sent = Glibc.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if sent >= 0 { return .done(sent) }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .wantWrite : .failed(String(describing: SystemError("send")))
        }
    }

    private func receive() -> TLSSession.Progress {
        if let tls { return tls.read(into: loop.readBuffer) }
        while true {
            let count = Glibc.read(descriptor, loop.readBuffer.baseAddress, loop.readBuffer.count)
            if count > 0 { return .done(count) }
            if count == 0 { return .closed }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .wantRead : .failed(String(describing: SystemError("read")))
        }
    }

    /// Reads until the socket is drained: TLS may hold decrypted bytes that epoll can't announce.
    private func readResponse() {
        while phase == .exchanging {
            switch receive() {
            case .done(let count):
                receivedAny = true
                decoder.append(UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<count]))
                madeProgress()
                decode()
            case .wantRead:
                return
            case .wantWrite:
                return setInterest(EPOLLOUT.rawValue | EPOLLIN.rawValue)
            case .closed:
                decoder.inputEnded()
                keepAlive = false
                decode()
                return
            case .failed(let reason):
                return receivedAny ? fail(.malformedResponse(reason), retryable: false) : fail(.connectionClosed, retryable: reused)
            }
        }
    }

    private func decode() {
        do {
            while phase == .exchanging, let event = try decoder.next() {
                switch event {
                case .head(let head, let keepAlive):
                    responseHead = head
                    self.keepAlive = keepAlive
                case .body(let bytes):
                    body.append(contentsOf: bytes)
                case .end:
                    finishExchange()
                }
            }
        } catch .message(.bodyTooLarge) {
            fail(.responseTooLarge, retryable: false)
        } catch .truncated {
            fail(.connectionClosed, retryable: reused && !receivedAny)
        } catch {
            fail(.malformedResponse(error.reason), retryable: false)
        }
    }

    private func finishExchange() {
        guard let exchange, let responseHead else { return }
        self.exchange = nil
        let response = HTTPClientResponse(head: responseHead, body: body)
        body = []
        // Bytes beyond the response mean the server and we disagree on framing; start afresh.
        if keepAlive, decoder.bufferedByteCount == 0 {
            phase = .idle
            reused = true
            deadline = MonotonicClock.now() + pool.configuration.idleConnectionTimeout.nanoseconds
            setInterest(EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
            pool.release(self)
        } else {
            close()
        }
        exchange.complete(.response(response))
    }

    // MARK: Events

    func handle(events: UInt32) {
        loop.assertInEventLoop()
        switch phase {
        case .connecting:
            connected()
        case .handshaking:
            handshake()
        case .exchanging:
            if events & EPOLLOUT.rawValue != 0, outputSent < output.count {
                flush()
            }
            if phase == .exchanging, events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
                readResponse()
            }
        case .idle:
            if !idleInputIsHarmless() { close() }
        case .resolving, .closed:
            break
        }
    }

    func tick(now: UInt64) {
        loop.assertInEventLoop()
        guard deadline != 0, now >= deadline else { return }
        switch phase {
        case .idle:
            close()
        case .resolving, .connecting, .handshaking:
            if let exchange, now >= exchange.deadline {
                fail(.deadlineExceeded, retryable: false)
            } else {
                fail(.connectFailed("timed out connecting to \(origin)"), retryable: true)
            }
        case .exchanging:
            if let exchange, now >= exchange.deadline {
                fail(.deadlineExceeded, retryable: false)
            } else {
                fail(.timedOut, retryable: false)
            }
        case .closed:
            break
        }
    }

    // MARK: Closing

    private func setInterest(_ events: UInt32) {
        guard events != interest, let registration else { return }
        interest = events
        loop.modify(registration, events: events)
    }

    private func fail(_ error: HTTPClientError, retryable: Bool) {
        let exchange = exchange
        self.exchange = nil
        close()
        exchange?.complete(.failure(error, retryable: retryable))
    }

    /// Idempotent; tells the pool once, so the slot goes to whoever waits.
    func close() {
        loop.assertInEventLoop()
        guard phase != .closed else { return }
        phase = .closed
        deadline = 0
        tls?.close()
        closeSocket()
        tls = nil
        pool.connectionClosed(self)
    }

    private func closeSocket() {
        guard descriptor >= 0 else { return }
        if let registration { loop.unregister(registration) }
        Glibc.close(descriptor)
        descriptor = -1
        registration = nil
        interest = 0
    }

    /// The client is shutting down: whoever waits on this connection hears so.
    func abandon() {
        loop.assertInEventLoop()
        fail(.shutdown, retryable: false)
    }
}
