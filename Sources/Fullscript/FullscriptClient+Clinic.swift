import HTTPTypes
/// The bearer's clinic, its practitioners and its staff (scope `clinic:read`).
extension FullscriptClient {
    public func clinic(accessToken: String) async throws(FullscriptError) -> Clinic {
        try await fetch(APIRequest(.get, "clinic", endpoint: "get_clinic", accessToken: accessToken), member: "clinic").value
    }

    /// One page of practitioners; `pageSize` is clamped to Fullscript's maximum of 100.
    public func practitioners(accessToken: String, page: Int = 1, pageSize: Int = 100) async throws(FullscriptError) -> Page<Practitioner> {
        let listing = try await fetch(APIRequest(.get, "clinic", "practitioners", endpoint: "list_practitioners", query: PageMeta.query(page: page, size: pageSize),
                                                 accessToken: accessToken),
                                      member: "practitioners", as: [Practitioner].self)
        return Page(items: listing.value, meta: listing.meta)
    }

    /// Every practitioner of the clinic, page by page.
    public func allPractitioners(accessToken: String) async throws(FullscriptError) -> [Practitioner] {
        try await allPages(member: "practitioners") { page in
            APIRequest(.get, "clinic", "practitioners", endpoint: "list_practitioners", query: page, accessToken: accessToken)
        }
    }

    public func practitioner(accessToken: String, id: String) async throws(FullscriptError) -> Practitioner {
        try await fetch(APIRequest(.get, "clinic", "practitioners", id, endpoint: "get_practitioner", accessToken: accessToken), member: "practitioner").value
    }

    public func staffMember(accessToken: String, id: String) async throws(FullscriptError) -> StaffMember {
        try await fetch(APIRequest(.get, "clinic", "staff", id, endpoint: "get_staff", accessToken: accessToken), member: "staff").value
    }
}
