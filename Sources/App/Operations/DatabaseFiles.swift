import Foundation
import Store

/// The database holds patients' names and emails and sealed Fullscript tokens, so no other local
/// user may read it, whatever the umask: its folder is 0700, and the database and the `-wal` and
/// `-shm` files SQLite keeps beside it are 0600.
///
/// The database file is created 0600 here before SQLite opens it: SQLite gives the `-wal` and `-shm`
/// files it creates the main file's permission bits (it fchmods them to match, umask or not), so that
/// covers new ones. Files and a folder an earlier version left readable are tightened here too.
enum DatabaseFiles {
    static let folderMode: mode_t = 0o700
    static let fileMode: mode_t = 0o600
    /// The database file, its WAL-mode companions as SQLite names them, and the store's counts of changes
    /// (`TableChanges`, which creates its file 0600).
    static let suffixes = ["", "-wal", "-shm", TableChanges.suffix]

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Before SQLite opens `databasePath`: creates its folder 0700 and the file 0600, or tightens
    /// existing ones. A folder that is not the server's own (see `notOwnReason`) keeps its mode.
    static func secure(_ databasePath: String) throws {
        try secureFolder(folder(of: databasePath))
        // The main file follows a symbolic link, as SQLite does; its companions must be plain files.
        try secureFile(databasePath, create: true)
        for suffix in suffixes.dropFirst() { try secureFile(databasePath + suffix, create: false) }
    }

    static func folder(of databasePath: String) -> String {
        let folder = (databasePath as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    private static func secureFolder(_ folder: String) throws {
        if !FileManager.default.fileExists(atPath: folder) {
            let parent = (folder as NSString).deletingLastPathComponent
            if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            // Created by us, so ours: exactly 0700 whatever the umask took off mkdir's mode.
            if mkdir(folder, folderMode) == 0 {
                guard chmod(folder, folderMode) == 0 else { throw failure(errno, "cannot make \(folder) \(text(folderMode))") }
                return
            }
            guard errno == EEXIST else { throw failure(errno, "cannot create the database folder \(folder)") }
        }
        guard let status = Self.status(of: folder) else { throw failure(errno, "cannot read the database folder \(folder)") }
        guard isLoose(status.st_mode, than: folderMode), notOwnReason(folder, status) == nil else { return }
        guard chmod(folder, folderMode) == 0 else { throw failure(errno, "cannot make the database folder \(folder) \(text(folderMode))") }
    }

    private static func secureFile(_ path: String, create: Bool) throws {
        var descriptor: Int32 = -1
        var created = false
        if create {
            // O_EXCL: a file we create is 0600 from its first byte, never readable in between.
            descriptor = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
            created = descriptor >= 0
            if descriptor < 0, errno == EEXIST { descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
        } else {
            descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
            if descriptor < 0, errno == ENOENT { return }
        }
        guard descriptor >= 0 else { throw failure(errno, "cannot open \(path) to check its permissions") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure(errno, "cannot read the permissions of \(path)") }
        // A umask can also take bits the owner needs (0277 would leave 0400): a file we created is set to exactly 0600.
        guard isLoose(status.st_mode, than: fileMode) || (created && status.st_mode & 0o777 != fileMode) else { return }
        // fchmod on what we opened: the name cannot be swapped for another file in between.
        guard fchmod(descriptor, fileMode) == 0 else {
            throw failure(errno, "cannot make \(path) \(text(fileMode)) (it belongs to uid \(status.st_uid)); "
                          + "give it to the user running the server, or chmod 600 it")
        }
    }

    /// Why `folder` is not the server's to chmod, or nil when it is: the working directory (the
    /// path names no folder of its own), a shared folder (sticky bit, as /tmp), another user's, or
    /// one holding other folders (/, /var/lib, a home or a checkout: a place with other uses).
    static func notOwnReason(_ folder: String, _ status: stat) -> String? {
        if let here = Self.status(of: "."), here.st_dev == status.st_dev, here.st_ino == status.st_ino {
            return "it is the working directory"
        }
        if status.st_mode & S_ISVTX != 0 { return "it is shared, with the sticky bit set" }
        if status.st_uid != geteuid() { return "it belongs to uid \(status.st_uid)" }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return "it cannot be listed" }
        if entries.contains(where: { Self.status(of: folder + "/" + $0, following: false).map { $0.st_mode & S_IFMT == S_IFDIR } ?? false }) {
            return "it holds other folders"
        }
        return nil
    }

    /// For `doctor`, which changes nothing: the modes of the folder and each existing file, a failure
    /// when any lets group or others in (but for a folder not the server's own, only a warning).
    static func inspect(_ databasePath: String) -> Doctor.Finding {
        let folder = folder(of: databasePath)
        guard let folderStatus = Self.status(of: folder) else {
            return .bad("database files: cannot read \(folder)", fix: "check the folder's permissions")
        }
        let folderLoose = isLoose(folderStatus.st_mode, than: folderMode)
        let notOwn = notOwnReason(folder, folderStatus)
        var modes = ["folder \(text(folderStatus.st_mode))"]
        var looseFiles: [String] = []
        for suffix in suffixes {
            guard let status = Self.status(of: databasePath + suffix) else { continue }
            modes.append("\(suffix.isEmpty ? "database" : suffix) \(text(status.st_mode))")
            if isLoose(status.st_mode, than: fileMode) { looseFiles.append(databasePath + suffix) }
        }
        var what = "database files: " + modes.joined(separator: ", ") + " (\(folder))"
        if folderLoose, let notOwn { what += "; the folder is not the server's own (\(notOwn)), so it is left as it is" }
        var fixes: [String] = []
        if folderLoose, notOwn == nil { fixes.append("chmod 700 \(folder)") }
        if !looseFiles.isEmpty { fixes.append("chmod 600 " + looseFiles.joined(separator: " ")) }
        if !fixes.isEmpty {
            let own = notOwn != nil && folderLoose ? "; and keep the database in a folder of its own, mode 0700 (database.path, DATABASE_PATH)" : ""
            return .bad(what + ": group or others can read patient data",
                        fix: fixes.joined(separator: " && ") + " (starting the server also tightens them)" + own)
        }
        if folderLoose {
            return .warning(what, fix: "keep the database in a folder of its own, mode 0700 (database.path, DATABASE_PATH)")
        }
        return .good(what)
    }

    /// Whether `mode` grants anything `wanted` does not (group or others, mostly).
    static func isLoose(_ mode: mode_t, than wanted: mode_t) -> Bool {
        mode & 0o777 & ~wanted != 0
    }

    static func status(of path: String, following: Bool = true) -> stat? {
        var status = stat()
        return (following ? stat(path, &status) : lstat(path, &status)) == 0 ? status : nil
    }

    /// `0755`, as chmod takes it.
    static func text(_ mode: mode_t) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// `code` is errno as the failed call left it, passed before anything else can change it.
    private static func failure(_ code: Int32, _ what: String) -> Failure {
        Failure(description: "\(what): \(String(cString: strerror(code)))")
    }
}
