import Locking

/// Tokens already opened, by everything their opening depends on: the sealed bytes, the key's id and the
/// associated data. AES-GCM opens the same bytes under the same key and data to the same token, or not at
/// all, so a hit answers exactly what opening again would, without an AES-GCM open on every click.
///
/// Bounded: past `capacity` entries it starts again empty. A re-sealed or refreshed token is other bytes,
/// so what it replaced is never asked for again and goes at the next reset.
final class OpenedTokens: Sendable {
    struct Key: Hashable, Sendable {
        let sealed: [UInt8]
        let keyID: String
        let context: [UInt8]
    }

    static let capacity = 4096

    private let tokens = PThreadMutex<[Key: String]>([:])

    func token(for key: Key, opening: () throws -> String) rethrows -> String {
        if let token = tokens.withLock({ $0[key] }) { return token }
        let token = try opening()
        tokens.withLock {
            if $0.count >= Self.capacity { $0.removeAll(keepingCapacity: true) }
            $0[key] = token
        }
        return token
    }

    var count: Int { tokens.withLock { $0.count } }
}
