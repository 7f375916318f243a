/// A tenant's calls to Fullscript have no app to go through.
enum MissingFullscriptApp: Error, Equatable, CustomStringConvertible {
    /// The deployment holds no Fullscript app of the tenant's region (`fullscript.us.*` / `fullscript.ca.*`).
    case noAppForRegion(FullscriptRegion)
    case unknownTenant(String)

    var description: String {
        switch self {
        case .noAppForRegion(let region):
            "This practice uses Fullscript \(region.displayName), and this server has no Fullscript app for that region yet. "
                + "Ask the people who run this server to add one; nothing was sent to Fullscript."
        case .unknownTenant: "This practice is not served by this server."
        }
    }
}
