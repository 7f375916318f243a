import Testing
@testable import Fullscript

struct PageTests {
    @Test func takesItsCountersFromMeta() throws {
        let envelope = try Envelope<[Int]>.decode(Array(#"""
            {"numbers": [1, 2], "meta": {"current_page": 2, "next_page": null, "prev_page": 1, "total_pages": 2, "total_count": 102}}
            """#.utf8), member: "numbers")
        #expect(Page(items: envelope.value, meta: envelope.meta) == Page(items: [1, 2], currentPage: 2, nextPage: nil, totalPages: 2, totalCount: 102))
    }

    @Test func missingMetaLeavesCountersUnknown() throws {
        let envelope = try Envelope<[Int]>.decode(Array(#"{"numbers": [], "meta": "odd"}"#.utf8), member: "numbers")
        #expect(Page(items: envelope.value, meta: envelope.meta) == Page(items: []))
    }
}
