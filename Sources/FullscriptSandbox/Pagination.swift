/// `page[number]` and `page[size]` (at most 100) with Fullscript's `meta` block.
struct Pagination {
    /// Fullscript does not document its default page size.
    static let defaultSize = 20
    static let maxSize = 100

    let number: Int
    let size: Int

    init(_ query: [String: String]) {
        number = max(1, query["page[number]"].flatMap { Int($0) } ?? 1)
        size = min(Self.maxSize, max(1, query["page[size]"].flatMap { Int($0) } ?? Self.defaultSize))
    }

    /// `{"<key>": [...], "meta": {...}}` for this page of `items`.
    func body(_ key: String, _ items: [JSON]) -> JSON {
        let totalPages = max(1, (items.count + size - 1) / size)
        let page = Array(items.dropFirst((number - 1) * size).prefix(size))
        return .object([
            (key, .array(page)),
            ("meta", .object([
                ("current_page", .int(number)),
                ("next_page", number < totalPages ? .int(number + 1) : .null),
                ("prev_page", number > 1 ? .int(min(number - 1, totalPages)) : .null),
                ("total_pages", .int(totalPages)),
                ("total_count", .int(items.count)),
            ])),
        ])
    }
}
