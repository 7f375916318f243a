import PostgresStore
import PostgresTesting
import Testing

@Suite struct PostgresConnectionStringTests {
    @Test func aURLsPasswordIsRedactedInEveryTextualForm() throws {
        let url = try PostgresConnectionString("postgres://alice:s3cr%40t@db.example:5433/app?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        var dumped = ""
        dump(url, to: &dumped)
        for text in [url.description, "\(url)", String(reflecting: url), dumped] {
            #expect(!text.contains("s3cr"), "\(text)")
            #expect(text.contains("password=[redacted]"), "\(text)")
        }
        #expect(url.description.contains("user=alice"))
        #expect(url.description.contains("host=db.example"))
        #expect(url.description.contains("sslmode=verify-full"))
    }

    @Test func keywordFormAndSSLKeyPasswordAreRedactedToo() throws {
        let conninfo = try PostgresConnectionString("host=db.example password='pa ss' sslpassword=keypass dbname=app")
        #expect(!conninfo.description.contains("pa ss"))
        #expect(!conninfo.description.contains("keypass"))
        #expect(conninfo.description.contains("dbname=app"))
    }

    @Test func aMalformedStringIsRefusedWithoutQuotingIt() throws {
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnectionString("postgres://alice:s3cret@db.example/app?bogus%zz=1")
        }
        #expect(error.kind == .invalidConnectionString)
        #expect(!error.description.contains("s3cret"))
    }

    @Test func aFailedConnectionNamesTheServerButNotThePassword() throws {
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnection(url: "postgresql://alice:s3cret@/app?host=/nonexistent-socket-dir&connect_timeout=2")
        }
        #expect(error.kind == .cannotConnect)
        #expect(error.isUnavailable)
        #expect(error.description.contains("nonexistent-socket-dir"))
        #expect(!error.description.contains("s3cret"))
    }
}
