/// One page of a paginated list, with Fullscript's `meta` (absent members stay `nil`; `nextPage` is
/// `nil` on the last page).
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var currentPage: Int?
    public var nextPage: Int?
    public var totalPages: Int?
    public var totalCount: Int?

    public init(items: [Item], currentPage: Int? = nil, nextPage: Int? = nil, totalPages: Int? = nil, totalCount: Int? = nil) {
        self.items = items
        self.currentPage = currentPage
        self.nextPage = nextPage
        self.totalPages = totalPages
        self.totalCount = totalCount
    }

    init(items: [Item], meta: PageMeta?) {
        self.init(items: items, currentPage: meta?.currentPage, nextPage: meta?.nextPage,
                  totalPages: meta?.totalPages, totalCount: meta?.totalCount)
    }
}

extension Page: Equatable where Item: Equatable {}

/// `{"current_page", "next_page", "prev_page", "total_pages", "total_count"}`.
struct PageMeta: Decodable {
    /// `page[number]` and `page[size]`, clamped to Fullscript's maximum of 100 per page.
    static func query(page: Int, size: Int) -> [(name: String, value: String)] {
        [("page[number]", String(max(page, 1))), ("page[size]", String(min(max(size, 1), 100)))]
    }

    var currentPage: Int?
    var nextPage: Int?
    var totalPages: Int?
    var totalCount: Int?

    private enum CodingKeys: String, CodingKey {
        case currentPage = "current_page", nextPage = "next_page", totalPages = "total_pages", totalCount = "total_count"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        currentPage = container.decodeLenient(Int.self, forKey: .currentPage)
        nextPage = container.decodeLenient(Int.self, forKey: .nextPage)
        totalPages = container.decodeLenient(Int.self, forKey: .totalPages)
        totalCount = container.decodeLenient(Int.self, forKey: .totalCount)
    }
}
