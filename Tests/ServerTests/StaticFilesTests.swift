import Foundation
import HTTPTypes
@testable import Server
import Testing

struct StaticFilesTests {
    let root: URL
    let files: StaticFiles

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("static-\(UUID().uuidString)")
        root = base.appendingPathComponent("public")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("css"), withIntermediateDirectories: true)
        try Data("<h1>hi</h1>".utf8).write(to: root.appendingPathComponent("index.html"))
        try Data("body{}".utf8).write(to: root.appendingPathComponent("css/app.css"))
        try Data("<svg/>".utf8).write(to: root.appendingPathComponent("logo.svg"))
        try Data("secret".utf8).write(to: root.appendingPathComponent(".env"))
        try Data("outside".utf8).write(to: base.appendingPathComponent("outside.txt"))
        try FileManager.default.createSymbolicLink(
            at: root.appendingPathComponent("escape.txt"), withDestinationURL: base.appendingPathComponent("outside.txt")
        )
        files = try StaticFiles(root: root.path)
    }

    func get(_ path: String, _ fields: HTTPFields = [:]) -> Response {
        files.respond(to: Request(head: HTTPRequest(method: .get, scheme: nil, authority: "x", path: path, headerFields: fields)))
    }

    func bodyLength(_ response: Response) -> Int? {
        if case .file(_, let length) = response.body { return length }
        return nil
    }

    @Test func servesFilesWithTypeValidatorsAndCaching() {
        let response = get("/css/app.css")
        #expect(response.status == .ok)
        #expect(response.headerFields[.contentType] == "text/css; charset=utf-8")
        #expect(response.headerFields[.eTag]?.hasPrefix("\"") == true)
        #expect(response.headerFields[.lastModified]?.hasSuffix("GMT") == true)
        #expect(response.headerFields[.cacheControl] == "no-cache", "styles change with the pages that link them")
        #expect(get("/logo.svg").headerFields[.cacheControl] == "public, max-age=3600")
        #expect(bodyLength(response) == 6)
    }

    @Test func servesIndexForDirectoriesAndRevalidatesHTML() {
        let response = get("/")
        #expect(response.status == .ok)
        #expect(response.headerFields[.contentType] == "text/html; charset=utf-8")
        #expect(response.headerFields[.cacheControl] == "no-cache")
        let redirect = get("/css")
        #expect(redirect.status == .movedPermanently)
        #expect(redirect.headerFields[.location] == "/css/")
    }

    @Test func answersNotModifiedForAMatchingETagOrDate() throws {
        let first = get("/css/app.css")
        let tag = try #require(first.headerFields[.eTag])
        #expect(get("/css/app.css", [.ifNoneMatch: "\"other\", \(tag)"]).status == .notModified)
        #expect(get("/css/app.css", [.ifNoneMatch: "\"other\""]).status == .ok)
        let modified = try #require(first.headerFields[.lastModified])
        #expect(get("/css/app.css", [.ifModifiedSince: modified]).status == .notModified)
        #expect(get("/css/app.css", [.ifModifiedSince: "Thu, 01 Jan 1970 00:00:00 GMT"]).status == .ok)
    }

    @Test(arguments: [
        "/../outside.txt", "/%2e%2e/outside.txt", "/css/..%2f..%2foutside.txt", "/.env", "/css/../.env",
        "/escape.txt", "/missing.js", "/%00.html",
    ])
    func neverServesAnythingOutsideTheRootOrHidden(path: String) {
        let response = get(path)
        #expect(response.status == .notFound || response.status == .badRequest)
    }
}
