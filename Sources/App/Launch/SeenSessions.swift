import Locking

/// Who each session this process read lately named, by its hash: on a store where every request reads its
/// session (PostgreSQL: another replica may end it), what tells a click which of its own reads to send in the
/// session's round trip (`SessionStore.identify(_:readingAlong:)`). Never a session: nothing here signs anyone
/// in, and a read sent for a user it names is used only when the session read with it names that user too.
final class SeenSessions: Sendable {
    static let capacity = 10_000

    private let named = PThreadMutex([String: EHRUser]())

    subscript(hash: String) -> EHRUser? {
        named.withLock { $0[hash] }
    }

    /// The session read names `user`, or nil: no live session has the hash. Past `capacity` it starts again empty.
    func saw(_ hash: String, naming user: EHRUser?) {
        named.withLock { named in
            guard let user else {
                named[hash] = nil
                return
            }
            if named[hash] == nil, named.count >= Self.capacity { named.removeAll(keepingCapacity: true) }
            named[hash] = user
        }
    }
}
