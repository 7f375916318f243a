import Cryptography
import Foundation
import HTTPTypes
import Server

/// The small pages a practitioner sees in the new tab when something needs their attention.
/// Everything interpolated is escaped: these pages echo nothing raw from a request.
enum HTMLPage {
    static func render(title: String, message: String, link: (text: String, href: String)? = nil) -> String {
        let action = link.map { #"<p><a href="\#(HTMLEscaping.escape($0.href))">\#(HTMLEscaping.escape($0.text))</a></p>"# } ?? ""
        return document(title: title, body: "<h1>\(HTMLEscaping.escape(title))</h1><p>\(HTMLEscaping.escape(message))</p>\(action)")
    }

    /// `body` is trusted markup: callers escape what they put in it.
    static func document(title: String, body: String, head: String = "") -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTMLEscaping.escape(title))</title>\(head)
        <style>\(style)</style>
        </head><body><main>\(body)</main></body></html>
        """
    }

    /// The pages' only inline style; `SecurityHeaders` allows exactly this text by its hash.
    static let style = """
        body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1d2a30}
        ul.choices{list-style:none;padding:0}ul.choices li{margin:.5rem 0}
        button{font:inherit;padding:.4rem .9rem;border-radius:6px;border:1px solid #0a6b48;background:#0a6b48;color:#fff;cursor:pointer}
        button:focus-visible,a:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}
        .messages{color:#8a1c1c}
        """

    /// `style` as a CSP source expression.
    static let styleSource = "'sha256-" + Data(SHA256.hash(Array(style.utf8))).base64EncodedString() + "'"

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

    static func response(_ status: HTTPResponse.Status, title: String, message: String, link: (text: String, href: String)? = nil) -> Response {
        var response = Response.html(render(title: title, message: message, link: link), status: status)
        response.headerFields[.cacheControl] = "no-store"
        return response
    }
}
