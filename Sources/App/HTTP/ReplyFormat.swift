import Foundation
import Fullscript
import HTTPTypes
import Logging
import Server
import Store

/// HTML for the new tab, JSON for a client that asks for it.
enum ReplyFormat: Equatable {
    case html
    case json

    init(_ request: Request) {
        let accept = request.head.headerFields[.accept] ?? ""
        self = accept.contains("application/json") && !accept.contains("text/html") ? .json : .html
    }
}
