import Locking

/// Who listens to which channel of a SQLite database: its notifications never leave the process.
final class NotificationListeners: Sendable {
    typealias Handler = @Sendable (DatabaseNotification) -> Void

    private let handlers = PThreadMutex<[String: [Handler]]>([:])

    func add(_ handler: @escaping Handler, to channel: String) {
        handlers.withLock { $0[channel, default: []].append(handler) }
    }

    func deliver(_ notifications: [SQLiteConnection.Notification]) {
        guard !notifications.isEmpty else { return }
        let handlers = handlers.withLock { $0 }
        for notification in notifications {
            for handler in handlers[notification.channel] ?? [] { handler(.payload(notification.payload)) }
        }
    }
}
