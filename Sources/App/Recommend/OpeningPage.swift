import Foundation
import HTTPTypes
import Server

/// The pages `OpeningRoutes` shows in the new tab. Public/opening.js moves the opening page on to
/// the click once it has painted, says so after 3 s without an answer, and closes the tab on request;
/// without JavaScript, a refresh and a link do the moving on. Neither page holds a Fullscript link or
/// a token, and none is kept or passed on as a referrer.
enum OpeningPage {
    /// "Opening Fullscript for Jordan Rivera…", moving on to `click` (a path of ours) by itself.
    static func opening(for patient: PatientRecord, click: String) -> Response {
        let name = [patient.firstName, patient.lastName].compactMap { $0?.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        let heading = "Opening Fullscript for " + (name.isEmpty ? "this patient" : name) + "…"
        let href = HTMLEscaping.escape(click)
        let body = """
            <section class="opening" data-opening="\(href)">
            <h1>\(HTMLEscaping.escape(heading))</h1>
            <p class="loading" role="status">Fullscript is preparing the plan. This tab moves on by itself.</p>
            <div class="notice notice--warn opening__slow" id="opening-slow" role="alert" hidden><div class="notice__body">
            <h2>Fullscript is taking longer than usual</h2>
            <p>It has not answered yet. Keep waiting, try again, or close this tab: the chart is still open in its own tab.</p>
            \(actions(primary: #"<a class="btn-primary" id="try-again" href="\#(href)">Try again</a>"#))
            </div></div>
            <noscript><p><a class="btn-primary" href="\(href)">Continue</a></p></noscript>
            </section>
            """
        return respond(title: "Opening Fullscript…", body: body, head: #"<noscript><meta http-equiv="refresh" content="0;url=\#(href)"></noscript>"#)
    }

    /// The EHR sent an id we have never been told about: most likely a typo in the embedding EHR, so
    /// the practitioner decides whether a plan without a patient is what they want.
    static func unknownPatient(_ patientID: String, click: String) -> Response {
        let body = """
            <section class="opening">
            <h1>Continue without a patient?</h1>
            <p>The EHR has not sent us a patient with the id <code>\(HTMLEscaping.escape(patientID))</code>.
            If you continue, Fullscript opens a new plan with no patient, and you choose the patient there.</p>
            <p>A mistyped patient id in the EHR causes this. If this patient should be known, close this tab and check the chart.</p>
            \(actions(primary: #"<a class="btn-primary" id="continue" href="\#(HTMLEscaping.escape(click))">Continue without a patient</a>"#))
            </section>
            """
        return respond(title: "Continue without a patient?", body: body)
    }

    /// `primary`, and Close, which needs JavaScript (opening.js shows it) and says what to do when the
    /// browser keeps the tab open anyway.
    private static func actions(primary: String) -> String {
        """
        <p class="opening__actions">\(primary) <button type="button" class="btn" data-close-tab hidden>Close</button></p>
        <p class="opening__close-refused" data-close-refused hidden>This browser keeps the tab open: close it from the tab bar (Ctrl+W, or ⌘W on a Mac).</p>
        """
    }

    private static func respond(title: String, body: String, head: String = "") -> Response {
        var response = Response.html(HTMLPage.document(
            title: title, body: body,
            head: #"<script type="module" src="/opening.js"></script>"# + head
        ))
        response.headerFields[.cacheControl] = "no-store"
        response.headerFields[.referrerPolicy] = "no-referrer"
        return response
    }
}
