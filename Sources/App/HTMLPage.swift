import HTTPTypes
import Server

/// The small pages a practitioner sees in the new tab when something needs their attention.
/// Everything interpolated is escaped: these pages echo nothing raw from a request.
enum HTMLPage {
    static func render(title: String, message: String, link: (text: String, href: String)? = nil) -> String {
        let action = link.map { #"<p><a href="\#(HTMLEscaping.escape($0.href))">\#(HTMLEscaping.escape($0.text))</a></p>"# } ?? ""
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTMLEscaping.escape(title))</title>
            <style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1d2a30}</style>
            </head><body><h1>\(HTMLEscaping.escape(title))</h1><p>\(HTMLEscaping.escape(message))</p>\(action)</body></html>
            """
    }

    static func response(_ status: HTTPResponse.Status, title: String, message: String, link: (text: String, href: String)? = nil) -> Response {
        var response = Response.html(render(title: title, message: message, link: link), status: status)
        response.headerFields[.cacheControl] = "no-store"
        return response
    }
}
