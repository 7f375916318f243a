/// Where a dynamic link lands: the catalog (Fullscript's default) or labs (US only; creates a plan).
public enum Entrypoint: String, Sendable, Equatable, CaseIterable {
    case catalog
    case labs
}
