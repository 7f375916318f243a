internal import CLinux
import Foundation

/// How many commits changed each table of a SQLite file, counted in a small file beside it (`<database>-changes`)
/// that every process with the database open maps. What a process read from some tables stays true while their
/// `version` stands still, whichever process writes: each `Database` adds its commits to the counts
/// (`SQLiteConnection`'s update hook names the tables a commit changed).
///
/// A commit is counted after it lands, so a reader that reads the version before its rows sees a version
/// that has moved whenever its rows may be old. Tables share one of `slotCount` counts by a hash of their name:
/// a collision only makes a reader read again. Not counted, so what is kept must also grow old by the clock: a
/// process that writes the file without this store (the `sqlite3` shell), one killed between its commit and its
/// count, a schema change, and every write after the counts' file was removed while a process kept it mapped.
public final class TableChanges: @unchecked Sendable {
    // @unchecked: `counts` is only touched through the atomic operations below, and mapped for the object's life.

    public static let slotCount = 64
    /// The file beside the database that holds the counts.
    public static let suffix = "-changes"

    private let counts: UnsafeMutablePointer<UInt64>
    private static let byteCount = slotCount * MemoryLayout<UInt64>.stride

    /// Maps the counts of the database at `databasePath` (resolved: its real path), creating their file if it is
    /// missing. The file must be a plain file of this user's with one name (no hard link into another file), and its
    /// space is reserved before it is mapped: a mapping past the end of a file, or of a full disk, kills the process.
    public init(databasePath: String) throws {
        let path = databasePath + Self.suffix
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw SQLiteError.changeCounts(path, errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw SQLiteError.changeCounts(path, errno) }
        guard status.st_mode & S_IFMT == S_IFREG, status.st_nlink == 1 else {
            throw SQLiteError.changeCounts(path, "not a plain file with one name: remove it, the store makes it again")
        }
        if geteuid() == 0 {
            // Root (a `migrate` run with sudo) makes the file the database's owner's, as SQLite does its `-wal` and `-shm`.
            var database = stat()
            if stat(databasePath, &database) == 0, status.st_uid != database.st_uid, fchown(descriptor, database.st_uid, database.st_gid) != 0 {
                throw SQLiteError.changeCounts(path, errno)
            }
        } else if status.st_uid != geteuid() {
            throw SQLiteError.changeCounts(path, "owned by another user (uid \(status.st_uid)): remove it, or give it to the server's user")
        }
        // Exactly 0600, whatever the umask took off `open`'s mode: the server's user must read and write it.
        guard status.st_mode & 0o777 == 0o600 || fchmod(descriptor, 0o600) == 0 else { throw SQLiteError.changeCounts(path, errno) }
        // Two processes may both make a new file: reserving the same bytes twice is harmless, and new bytes are 0.
        let reserved = posix_fallocate(descriptor, 0, off_t(Self.byteCount))
        guard reserved == 0 else { throw SQLiteError.changeCounts(path, reserved) }
        let mapped = mmap(nil, Self.byteCount, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        guard let mapped, mapped != MAP_FAILED else { throw SQLiteError.changeCounts(path, errno) }
        counts = mapped.bindMemory(to: UInt64.self, capacity: Self.slotCount)
    }

    deinit {
        munmap(counts, Self.byteCount)
    }

    /// Some tables, picked once: `version(of:)` is then a few loads, for a request's path.
    public struct Tables: Sendable {
        fileprivate let slots: [Int]
    }

    public func tables(_ names: [String]) -> Tables {
        Tables(slots: Array(Set(names.map { name in name.utf8CString.withUnsafeBufferPointer { Self.slot(of: $0.baseAddress!) } })).sorted())
    }

    /// Moves whenever a commit that changed one of `tables` lands, never back.
    public func version(of tables: Tables) -> UInt64 {
        tables.slots.reduce(0) { $0 &+ clinux_shared_load(counts + $1) }
    }

    /// Counts one commit in each slot of `slots` (bit `i` for slot `i`).
    func add(slots: UInt64) {
        for slot in 0..<Self.slotCount where slots & (1 << UInt64(slot)) != 0 {
            clinux_shared_add(counts + slot, 1)
        }
    }

    /// FNV-1a of the name, ASCII letters folded to lower case as SQLite folds table names: the same in every process.
    static func slot(of name: UnsafePointer<CChar>) -> Int {
        var hash: UInt32 = 2_166_136_261
        var cursor = name
        while cursor.pointee != 0 {
            var byte = UInt8(bitPattern: cursor.pointee)
            if byte >= 65, byte <= 90 { byte += 32 }
            hash = (hash ^ UInt32(byte)) &* 16_777_619
            cursor += 1
        }
        return Int(hash % UInt32(slotCount))
    }
}
