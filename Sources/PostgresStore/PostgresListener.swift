internal import CLibPQ
import Dispatch
import Foundation
import Glibc
import Locking
import Store

/// `LISTEN` on one channel over a connection of its own, outside the pool: a pooled connection sits
/// in transactions and hands its notifications to no one. A thread of its own sleeps in poll(2) on the
/// connection's socket and on a pipe that `stop` writes to, so it costs nothing while nothing happens,
/// and hands each notification to the handler as libpq reads it (`PQconsumeInput`, `PQnotifies`).
///
/// When the connection breaks (the server restarted, an operator ended the session), what was sent
/// meanwhile is lost: the listener connects again after pauses that grow from `firstPause` to
/// `longestPause`, and once it listens again the handler hears `.missedSome`.
final class PostgresListener: @unchecked Sendable {
    // Unchecked: `connection` is set by init, before the thread starts, and then only the thread touches it.
    static let firstPause: Duration = .milliseconds(100)
    static let longestPause: Duration = .seconds(5)

    private let connectionString: PostgresConnectionString
    private let channel: String
    private let handler: @Sendable (DatabaseNotification) -> Void
    private var connection: OpaquePointer?
    private let wakeReader: Int32
    private let wakeWriter: Int32
    private let isStopped = PThreadMutex(false)
    private let threadEnded = DispatchSemaphore(value: 0)

    /// Listens before it returns, so a wrong URL or an unreachable server fails here, as the pool does.
    init(connectionString: PostgresConnectionString, channel: String, handler: @escaping @Sendable (DatabaseNotification) -> Void) throws {
        // Sent as an identifier, which no placeholder can carry.
        precondition(!channel.isEmpty && channel.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) },
                     "a channel name is lowercase letters, digits and underscores")
        self.connectionString = connectionString
        self.channel = channel
        self.handler = handler
        var descriptors: [Int32] = [-1, -1]
        // Not inherited by the processes the app starts; `stop` writes one byte, so it never blocks.
        guard pipe(&descriptors) == 0 else {
            throw PostgresError(kind: .other, sqlState: nil, message: "cannot make the listener's wake-up pipe (errno \(errno))", sql: nil)
        }
        (wakeReader, wakeWriter) = (descriptors[0], descriptors[1])
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        do {
            connection = try Self.connect(connectionString, listeningTo: channel)
        } catch {
            close(wakeReader)
            close(wakeWriter)
            throw error
        }
        let thread = Thread { [self] in
            run()
            threadEnded.signal()
        }
        thread.name = "store.postgres.listener"
        thread.start()
    }

    /// Ends the thread and the connection; the handler is not called once this returns.
    func stop() {
        guard !isStopped.withLock({ stopped in defer { stopped = true }; return stopped }) else { return }
        var byte: UInt8 = 1
        _ = write(wakeWriter, &byte, 1)
        threadEnded.wait()
        close(wakeReader)
        close(wakeWriter)
    }

    private enum Ending {
        case broke
        case stopped
    }

    private func run() {
        var pause = Self.firstPause
        while true {
            if let connection {
                let ending = receive(on: connection)
                PQfinish(connection)
                self.connection = nil
                if ending == .stopped { return }
            }
            if stopRequested(within: pause) { return }
            do {
                connection = try Self.connect(connectionString, listeningTo: channel)
                pause = Self.firstPause
                handler(.missedSome)
            } catch {
                pause = min(pause * 2, Self.longestPause)
            }
        }
    }

    /// Hands over notifications until the connection breaks or `stop` is called.
    private func receive(on connection: OpaquePointer) -> Ending {
        while true {
            while let notification = PQnotifies(connection) {
                let payload = String(cString: notification.pointee.extra)
                PQfreemem(notification)
                handler(.payload(payload))
            }
            var descriptors = [
                pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeReader, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&descriptors, 2, -1) >= 0 else {
                if errno == EINTR { continue }
                return .broke
            }
            if descriptors[1].revents != 0 { return .stopped }
            // At the end of the socket (the server went away) libpq marks the connection bad.
            guard PQconsumeInput(connection) == 1, PQstatus(connection) == CONNECTION_OK else { return .broke }
        }
    }

    private func stopRequested(within pause: Duration) -> Bool {
        var descriptor = pollfd(fd: wakeReader, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(pause.components.seconds * 1000 + pause.components.attoseconds / 1_000_000_000_000_000)
        return poll(&descriptor, 1, milliseconds) > 0
    }

    private static func connect(_ connectionString: PostgresConnectionString, listeningTo channel: String) throws -> OpaquePointer {
        guard let connection = connectionString.connect() else {
            throw PostgresError(kind: .cannotConnect, sqlState: nil, message: "libpq could not allocate a connection", sql: nil)
        }
        clibpq_silence_notices(connection)
        let result = PQstatus(connection) == CONNECTION_OK ? PQexec(connection, "LISTEN \(channel)") : nil
        defer { PQclear(result) }
        guard let result, PQresultStatus(result) == PGRES_COMMAND_OK else {
            let detail = String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(connection)
            throw PostgresError(
                kind: .cannotConnect, sqlState: nil,
                message: connectionString.redacting("cannot listen on \(connectionString): \(detail)"), sql: nil
            )
        }
        return connection
    }
}
