import Fullscript
import HTTPTypes
import Server

/// "Which practitioner is this plan for?": what a staff user's click asks when it does not know,
/// or when they asked to change (`?choose_practitioner=1`). A GET form back to the same click, so
/// its answer is the address `/recommend/:patientId?practitioner_id=…` a program may also use;
/// `remember=1` keeps the choice for the next clicks; the form's hidden `remember=0`, which the ticked
/// box's value follows and so overrides, forgets it: the choice serves this plan only.
struct PractitionerPicker {
    let practitioners: [Practitioner]
    /// The practitioner chosen last time (or asked for), preselected and marked.
    let current: String?
    /// Why the last answer did not work.
    let problem: String?
    let patientID: String
    let entrypoint: Entrypoint

    static let rememberParameter = "remember"
    static let changeParameter = "choose_practitioner"

    static func displayName(of practitioner: Practitioner) -> String {
        "\(practitioner.firstName) \(practitioner.lastName)"
    }

    func response(_ format: ReplyFormat, requestID: String) -> Response {
        guard format == .html else {
            return APIError.response(.conflict, code: "practitioner_required",
                                     message: "Staff must choose a practitioner: add ?practitioner_id= with one of "
                                         + practitioners.map(\.id).joined(separator: ", "), requestID: requestID)
        }
        var response = Response.html(HTMLPage.document(title: "Choose a practitioner", body: body))
        response.headerFields[.cacheControl] = "no-store"
        return response
    }

    private var body: String {
        let notice = problem.map { #"<p class="notice notice--error" role="alert" id="picker-problem">\#(HTMLEscaping.escape($0))</p>"# } ?? ""
        let keep = entrypoint == .catalog ? ""
            : #"<input type="hidden" name="entrypoint" value="\#(HTMLEscaping.escape(entrypoint.rawValue))">"#
        guard !practitioners.isEmpty else {
            return """
                <h1>Which practitioner is this plan for?</h1>\(notice)
                <p>Your clinic has no practitioners in Fullscript yet. Ask a practitioner to join the clinic in Fullscript, then try again.</p>
                """
        }
        return """
            <h1 id="picker-heading">Which practitioner is this plan for?</h1>\(notice)
            <p>You are signed in to Fullscript as staff, so each plan is made for one of your clinic's practitioners.</p>
            <form method="get" action="/recommend/\(HTMLEscaping.escape(patientID))" class="picker" aria-labelledby="picker-heading">
            \(keep)<fieldset class="choices"><legend>Practitioner</legend>\(practitioners.map(choice).joined())</fieldset>
            <input type="hidden" name="\(Self.rememberParameter)" value="0">\
            <p class="remember"><label><input type="checkbox" name="\(Self.rememberParameter)" value="1" id="remember" checked \
            aria-describedby="remember-note"> Remember my choice</label></p>
            <p class="note" id="remember-note">Remembered, it is used for your next plans too, and the chart says who you act for \
            (with a way to change it). Not remembered, it is used for this plan only, and your next click asks again.</p>
            <p><button type="submit" id="choose-practitioner">Continue to Fullscript</button></p>
            </form>
            """
    }

    private func choice(_ practitioner: Practitioner) -> String {
        let id = HTMLEscaping.escape(practitioner.id)
        let isCurrent = practitioner.id == current
        let mark = isCurrent ? #" <span class="choice__current">(current choice)</span>"# : ""
        return """
            <label class="choice\(isCurrent ? " choice--current" : "")"><input type="radio" name="practitioner_id" value="\(id)" \
            required\(isCurrent ? " checked" : "")> <span class="practitioner">\(HTMLEscaping.escape(Self.displayName(of: practitioner)))\
            </span>\(mark)</label>
            """
    }
}
