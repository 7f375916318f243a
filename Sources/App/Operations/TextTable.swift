import Foundation

/// Rows as a terminal shows them: columns padded to their widest cell, two spaces apart.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        let rows = rows.map { $0.map(printable) }
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces) + "\n"
        }.joined()
    }

    /// `text` safe to print to an operator's terminal: data from elsewhere (a clinic's name at Fullscript)
    /// could otherwise carry escape sequences that retitle, clear or rewrite the terminal.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { CharacterSet.controlCharacters.contains($0) ? "\u{FFFD}" : $0 }))
    }
}
