import Server

/// Who a group of routes answers, which decides the shape of its refusals: programs always get
/// the API's JSON error; people get a page, unless their client asks for JSON.
enum Audience: Sendable {
    case programs
    case people

    func format(of request: Request) -> ReplyFormat {
        switch self {
        case .programs: .json
        case .people: ReplyFormat(request)
        }
    }
}
