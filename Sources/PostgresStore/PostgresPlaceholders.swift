/// The app's statements mark parameters with `?` or `?NNN`, as SQLite does; PostgreSQL numbers them (`$1`).
/// Only a `?` outside string literals, quoted identifiers, comments and dollar-quoted bodies is a
/// parameter.
enum PostgresPlaceholders {
    static func numbered(_ sql: String) -> String {
        let bytes = Array(sql.utf8)
        guard bytes.contains(UInt8(ascii: "?")) else { return sql }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 16)
        var count = 0
        var index = 0
        while index < bytes.count {
            let start = index
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "?"):
                // `?NNN` names its parameter, as in SQLite, and a bare `?` after it takes the next number.
                let digits = bytes[(index + 1)...].prefix(while: isDigit)
                if let number = Int(String(decoding: digits, as: UTF8.self)) {
                    count = max(count, number)
                    output += Array("$\(number)".utf8)
                } else {
                    count += 1
                    output += Array("$\(count)".utf8)
                }
                index += 1 + digits.count
                continue
            case UInt8(ascii: "'"):
                // E'…' strings escape with a backslash; standard ones only by doubling the quote.
                let escapes = index > 0 && (bytes[index - 1] == UInt8(ascii: "E") || bytes[index - 1] == UInt8(ascii: "e"))
                index = end(ofQuoted: bytes, from: index, backslashEscapes: escapes)
            case UInt8(ascii: "\""):
                index = end(ofQuoted: bytes, from: index, backslashEscapes: false)
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                index = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                index = end(ofBlockComment: bytes, from: index)
            case UInt8(ascii: "$"):
                index = end(ofDollarQuoted: bytes, from: index)
            default:
                index += 1
            }
            output += bytes[start..<index]
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Past the closing quote (a doubled quote is part of the text), or the end of an unclosed one.
    private static func end(ofQuoted bytes: [UInt8], from start: Int, backslashEscapes: Bool) -> Int {
        let quote = bytes[start]
        var index = start + 1
        while index < bytes.count {
            if backslashEscapes && bytes[index] == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if bytes[index] == quote {
                if index + 1 < bytes.count && bytes[index + 1] == quote {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        return bytes.count
    }

    /// Past `*/`, counting nested comments as PostgreSQL does.
    private static func end(ofBlockComment bytes: [UInt8], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "/") && bytes[index + 1] == UInt8(ascii: "*") {
                depth += 1
                index += 2
            } else if bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/") {
                depth -= 1
                index += 2
                if depth == 0 { return index }
            } else {
                index += 1
            }
        }
        return bytes.count
    }

    /// Past a `$tag$…$tag$` body; a `$` that opens none (`$1`) is one character.
    private static func end(ofDollarQuoted bytes: [UInt8], from start: Int) -> Int {
        var index = start + 1
        while index < bytes.count, isTagCharacter(bytes[index]) { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "$"),
              index == start + 1 || !isDigit(bytes[start + 1])
        else { return start + 1 }
        let tag = Array(bytes[start...index])
        var search = index + 1
        while search + tag.count <= bytes.count {
            if bytes[search] == UInt8(ascii: "$") && Array(bytes[search..<search + tag.count]) == tag {
                return search + tag.count
            }
            search += 1
        }
        return bytes.count
    }

    private static func isTagCharacter(_ byte: UInt8) -> Bool {
        isDigit(byte) || byte == UInt8(ascii: "_") || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) || byte >= 0x80
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
