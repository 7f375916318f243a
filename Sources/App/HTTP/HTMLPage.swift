import Foundation
import HTTPTypes
import Server

/// The small pages a practitioner sees in the new tab when something needs their attention, in the
/// demo EHR's look (`Public/styles.css`, which the CSP's `style-src 'self'` allows: no inline style).
/// Everything interpolated is escaped: these pages echo nothing raw from a request.
enum HTMLPage {
    typealias Link = (text: String, href: String)

    /// Where **Try again** on a page that stopped someone leads.
    enum TryAgain {
        /// The request's own path and query, when it was a GET: the same address works again.
        case sameRequest
        /// Another page of ours starts the attempt over (the request itself cannot be repeated).
        case at(String)
        /// Repeating would not help, or would undo a protection (a click from another site).
        case none
    }

    static func render(title: String, message: String, link: Link? = nil) -> String {
        let action = link.map { #"<p><a href="\#(HTMLEscaping.escape($0.href))">\#(HTMLEscaping.escape($0.text))</a></p>"# } ?? ""
        return document(title: title, body: "<h1>\(HTMLEscaping.escape(title))</h1><p>\(HTMLEscaping.escape(message))</p>\(action)")
    }

    /// `body` is trusted markup: callers escape what they put in it. `head` likewise.
    static func document(title: String, body: String, head: String = "") -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light">
        <title>\(HTMLEscaping.escape(title))</title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/styles.css">\(head)
        </head><body class="page-of-ours">
        <header class="app-header"><div class="app-header__inner"><span class="brand">\(brandMark)<span>Recommend with Fullscript</span></span></div></header>
        <main id="main"><div class="card page-card">\(body)</div></main></body></html>
        """
    }

    /// The demo EHR's mark (an SVG: attributes, no style), so the new tab reads as part of the EHR.
    private static let brandMark = """
        <svg class="brand__mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false"><rect width="32" height="32" rx="8" fill="#0a7f55"/>\
        <path d="M16 8v16M8 16h16" stroke="#fff" stroke-width="4" stroke-linecap="round"/></svg>
        """

    /// After a navigation that started on another site, a browser keeps withholding `SameSite=Strict`
    /// cookies through every redirect. A page of ours that moves on by itself makes the next request
    /// same-site, so it carries the session.
    static func continuing(to returnTo: ReturnPath, title: String) -> Response {
        let href = HTMLEscaping.escape(returnTo.path)
        var response = Response.html(document(
            title: title,
            body: #"<h1>\#(HTMLEscaping.escape(title))</h1><p>Continuing… If nothing happens, <a id="continue" href="\#(href)">continue here</a>.</p>"#,
            head: #"<meta http-equiv="refresh" content="0;url=\#(href)">"#
        ))
        response.headerFields[.cacheControl] = "no-store"
        response.headerFields[.referrerPolicy] = "no-referrer"
        return response
    }

    static func response(_ status: HTTPResponse.Status, title: String, message: String, link: Link? = nil) -> Response {
        var response = Response.html(render(title: title, message: message, link: link), status: status)
        response.headerFields[.cacheControl] = "no-store"
        return response
    }

    /// The one page for every way a request of a person's is refused. Its parts, always in this order:
    /// what happened, in a sentence; the fixes of its own (`links`, e.g. "Reconnect Fullscript") and
    /// **Try again**; **Close this tab** (the page lives in the tab the button opened, the chart in the
    /// one before; `Public/next-steps.js` closes it, and the text says what to do where a browser
    /// will not); the request id to quote to support.
    static func stopped(
        _ status: HTTPResponse.Status, title: String, message: String, request: Request, tryAgain: TryAgain = .sameRequest,
        links: [Link] = []
    ) -> Response {
        var actions = links.map { #"<a class="btn-primary" href="\#(HTMLEscaping.escape($0.href))">\#(HTMLEscaping.escape($0.text))</a>"# }
        if let retry = retryPath(tryAgain, of: request) {
            let style = actions.isEmpty ? "btn-primary" : "btn"
            actions.append(#"<a class="\#(style)" id="try-again" href="\#(HTMLEscaping.escape(retry))">Try again</a>"#)
        }
        actions.append(#"<button type="button" class="btn" id="close-tab" hidden>Close this tab</button>"#)
        let body = """
            <h1>\(HTMLEscaping.escape(title))</h1>
            <p class="what-happened">\(HTMLEscaping.escape(message))</p>
            <div class="next-steps">\(actions.joined())</div>
            <p class="close-note" id="close-note" role="status">The chart is still open in the tab you came from: close this tab to go back to it.</p>
            <p class="request-id">Request id, to quote to support: <code id="request-id">\(HTMLEscaping.escape(request.id))</code></p>
            """
        var response = Response.html(
            document(title: title, body: body, head: #"<script src="/next-steps.js" defer></script>"#), status: status
        )
        response.headerFields[.cacheControl] = "no-store"
        return response
    }

    /// Only a GET repeats by following a link, and only a same-origin path (`ReturnPath`) is offered:
    /// the page never links where the request's text alone points.
    private static func retryPath(_ tryAgain: TryAgain, of request: Request) -> String? {
        switch tryAgain {
        case .none:
            return nil
        case .at(let path):
            return ReturnPath(path)?.path
        case .sameRequest:
            guard request.method == .get || request.method == .head else { return nil }
            return ReturnPath(request.head.path)?.path
        }
    }
}
