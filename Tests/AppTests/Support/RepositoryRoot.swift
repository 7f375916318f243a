/// The checkout this test target was built from: its config, Migrations and Public folders.
let repositoryRoot: String = {
    var path = #filePath
    for _ in 0..<4 {
        path = String(path[..<path.lastIndex(of: "/")!])
    }
    return path
}()
