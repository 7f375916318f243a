@testable import PostgresStore
import Testing

struct PostgresPlaceholdersTests {
    @Test(arguments: [
        ("SELECT 1", "SELECT 1"),
        ("a = ? AND b = ?", "a = $1 AND b = $2"),
        ("a = ?2 AND b = ?1 AND c = ?", "a = $2 AND b = $1 AND c = $3"),
        ("s = '?' AND t = 'it''s ?' AND u = ?", "s = '?' AND t = 'it''s ?' AND u = $1"),
        (#"s = E'\'?' AND u = ?"#, #"s = E'\'?' AND u = $1"#),
        (#""col?" = ?"#, #""col?" = $1"#),
        ("x = ? -- why?\n AND y = ?", "x = $1 -- why?\n AND y = $2"),
        ("x = ? /* a? /* b? */ c? */ AND y = ?", "x = $1 /* a? /* b? */ c? */ AND y = $2"),
        ("$tag$ ? $tag$ || ?", "$tag$ ? $tag$ || $1"),
        ("already $1", "already $1"),
    ])
    func numbersOnlyRealPlaceholders(_ sql: String, _ expected: String) {
        #expect(PostgresPlaceholders.numbered(sql) == expected)
    }
}
