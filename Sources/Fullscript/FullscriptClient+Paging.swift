/// Lists Fullscript splits into pages (`meta.next_page`, fullscript-api.md §4).
extension FullscriptClient {
    /// Pages of this size are Fullscript's largest, so a patient's plans rarely take more than one call.
    static let pageSize = 100
    /// A bound on pages followed, in case `next_page` never ends: 5,000 items of one list is far beyond real use.
    static let maxPages = 50

    /// Every item of a list, page by page at the largest size. A next page that does not move forward
    /// would loop forever: the reading stops there rather than trust it.
    func allPages<Item: Decodable>(member: String, request: ([(name: String, value: String)]) -> APIRequest)
        async throws(FullscriptError) -> [Item] {
        var items: [Item] = []
        var page = 1
        while true {
            let listing = try await fetch(request(PageMeta.query(page: page, size: Self.pageSize)), member: member, as: [Item].self)
            items += listing.value
            guard let next = listing.meta?.nextPage, next > page, page < Self.maxPages else { return items }
            page = next
        }
    }
}
