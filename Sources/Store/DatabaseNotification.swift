/// What a listener of a channel (`SQLDatabase.listen`) hears.
public enum DatabaseNotification: Sendable, Equatable {
    /// The payload of one committed `SQLConnection.notify`.
    case payload(String)
    /// Notifications may have been lost: the listening connection broke and is listening again. A
    /// listener that keeps anything in step with the database re-reads all of it.
    case missedSome
}
