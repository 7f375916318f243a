import Glibc
import HTTPTypes
public import Reactor

/// Serves files below one directory. A request can reach only regular files inside it: `..` and
/// dotfile segments are refused before touching the disk, and the resolved real path (symlinks
/// followed) must still lie inside the root.
public struct StaticFiles: Sendable {
    public let root: String

    public init(root: String) throws(SystemError) {
        guard let resolved = realpath(root, nil) else { throw SystemError("realpath(\(root))") }
        defer { free(resolved) }
        self.root = String(cString: resolved)
    }

    public func respond(to request: Request) -> Response {
        guard let decoded = PercentDecoding.decode(request.path) else {
            return .text("Bad Request", status: .badRequest)
        }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: true)
        guard segments.allSatisfy({ !$0.hasPrefix(".") && !$0.contains("\\") }) else { return Self.notFound }
        var relative = segments.joined(separator: "/")
        if decoded.hasSuffix("/") || relative.isEmpty {
            relative += relative.isEmpty ? "index.html" : "/index.html"
        }
        guard let path = resolveInsideRoot(relative) else { return Self.notFound }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return Self.notFound }
        let file = OpenFile(descriptor: descriptor)
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return Self.notFound }
        switch status.st_mode & S_IFMT {
        case S_IFREG:
            return respond(to: request, file: file, status: status, path: path)
        case S_IFDIR:
            // Relative links in the directory's index.html only work under a trailing slash.
            // Rebuilt from the checked segments: the raw path may start with `//`, which a browser
            // would read as another host.
            return .redirect(to: "/" + relative + "/", status: .movedPermanently)
        default:
            return Self.notFound
        }
    }

    private static let revalidated = ["text/html", "text/css", "text/javascript", "application/javascript"]

    private func respond(to request: Request, file: OpenFile, status: stat, path: String) -> Response {
        let modified = Int(status.st_mtim.tv_sec)
        let tag = "\"\(String(status.st_size, radix: 16))-\(String(modified, radix: 16))\(String(status.st_mtim.tv_nsec, radix: 16))\""
        let mediaType = MediaType.forPath(path)
        var fields: HTTPFields = [
            .eTag: tag,
            .lastModified: HTTPDate.format(modified),
            // Pages and the scripts and styles they import change together at a deploy and have no
            // fingerprinted names, so they are always revalidated (cheaply, by ETag); other assets may be reused a while.
            .cacheControl: Self.revalidated.contains(where: mediaType.hasPrefix) ? "no-cache" : "public, max-age=3600",
        ]
        if isNotModified(request.head.headerFields, tag: tag, modified: modified) {
            return Response(status: .notModified, headerFields: fields)
        }
        fields[.contentType] = mediaType
        fields[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headerFields: fields, body: .file(file, length: Int(status.st_size)))
    }

    /// RFC 9110 §13.2.2: If-None-Match decides when present; If-Modified-Since only otherwise.
    private func isNotModified(_ fields: HTTPFields, tag: String, modified: Int) -> Bool {
        if let candidates = fields[.ifNoneMatch] {
            return candidates.split(separator: ",").contains { candidate in
                let trimmed = candidate.trimmingSpaces
                return trimmed == "*" || trimmed == tag || trimmed == "W/" + tag
            }
        }
        if let since = fields[.ifModifiedSince].flatMap(HTTPDate.parse) {
            return modified <= since
        }
        return false
    }

    private func resolveInsideRoot(_ relative: String) -> String? {
        guard let resolved = realpath(root + "/" + relative, nil) else { return nil }
        defer { free(resolved) }
        let path = String(cString: resolved)
        return path.hasPrefix(root + "/") ? path : nil
    }

    private static let notFound = Response.text("Not Found", status: .notFound)
}

extension Substring {
    var trimmingSpaces: Substring {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = lastIndex { $0 != " " && $0 != "\t" }.map { index(after: $0) } ?? start
        return self[start..<Swift.max(start, end)]
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
}
