import HTTPTypes
import Server

/// The HTML a practitioner sees in the sandbox: the consent screen and the plan page behind redirect_url.
enum Pages {
    static var notFound: Response {
        .html(document("Not Found", "<h1>Not Found</h1>"), status: .notFound)
    }

    static func message(_ title: String, _ text: String, status: HTTPResponse.Status) -> Response {
        .html(document(title, "<h1>\(HTMLEscaping.escape(title))</h1><p>\(HTMLEscaping.escape(text))</p>"), status: status)
    }

    /// Nothing is selected: the user picks the account to grant, so a hurried Approve cannot grant
    /// someone else's (as a preselected first account did). `error` re-renders after an Approve without a pick.
    static func authorize(users: [SandboxUser], clientID: String, redirectURI: String, state: String?, error: String? = nil) -> String {
        let choices = users.map { user in
            "<label><input type=\"radio\" name=\"user_id\" value=\"\(HTMLEscaping.escape(user.id))\" required> "
                + "\(HTMLEscaping.escape(user.fullName)) (\(HTMLEscaping.escape(user.type)))</label><br>"
        }.joined()
        return document("Authorize application", """
            <h1>Fullscript sandbox: authorize application</h1>
            <p>The application <code>\(HTMLEscaping.escape(clientID))</code> asks to act for you in this clinic.</p>
            \(error.map { "<p role=\"alert\" id=\"consent-error\">\(HTMLEscaping.escape($0))</p>" } ?? "")
            <form method="post" action="/api/oauth/authorize/decision">
            <input type="hidden" name="client_id" value="\(HTMLEscaping.escape(clientID))">
            <input type="hidden" name="redirect_uri" value="\(HTMLEscaping.escape(redirectURI))">
            \(state.map { "<input type=\"hidden\" name=\"state\" value=\"\(HTMLEscaping.escape($0))\">" } ?? "")
            <fieldset><legend>Sign in as</legend>\(choices)</fieldset>
            <button name="decision" value="approve">Approve</button>
            <button name="decision" value="deny" formnovalidate>Deny</button>
            </form>
            """)
    }

    static func plan(_ plan: TreatmentPlan, actingUser: SandboxUser?, patients: [Patient]) -> String {
        let acting = actingUser.map { "\(HTMLEscaping.escape($0.fullName)) (\(HTMLEscaping.escape($0.type)))" } ?? HTMLEscaping.escape(plan.actingUserID)
        let practitioner = plan.practitionerID.flatMap(SandboxSeed.user(id:))
        let patient = plan.patientID.flatMap { id in patients.first { $0.id == id } }
        var body = """
            <h1>Treatment plan \(HTMLEscaping.escape(plan.id))</h1>
            <p>Acting as: \(acting)</p>
            <p>State: <strong>\(plan.state.rawValue)</strong></p>
            """
        guard plan.state == .draft else {
            body += "<p>Practitioner: \(HTMLEscaping.escape(practitioner?.fullName ?? "-"))</p><p>Patient: \(HTMLEscaping.escape(patient.map(patientLabel) ?? "-"))</p>"
            body += "<ul>" + plan.recommendations.map { "<li>\(HTMLEscaping.escape($0.variantID)): \(HTMLEscaping.escape($0.amount)), \(HTMLEscaping.escape($0.frequency))</li>" }.joined() + "</ul>"
            return document("Treatment plan \(plan.id)", body)
        }
        let practitionerField = practitioner.map {
            "<p>Practitioner: \(HTMLEscaping.escape($0.fullName))</p>"
        } ?? "<p><label>Practitioner <select name=\"practitioner_id\">" + SandboxSeed.practitioners.map {
            "<option value=\"\(HTMLEscaping.escape($0.id))\">\(HTMLEscaping.escape($0.fullName))</option>"
        }.joined() + "</select></label></p>"
        let patientOptions = patients.map {
            "<option value=\"\(HTMLEscaping.escape($0.id))\"\($0.id == plan.patientID ? " selected" : "")>\(HTMLEscaping.escape(patientLabel($0)))</option>"
        }.joined()
        body += """
            <form method="post" action="/sandbox/plans/\(HTMLEscaping.escape(plan.id))/activate">
            \(practitionerField)
            <p><label>Patient <select name="patient_id"><option value=""\(patient == nil ? " selected" : "")>New patient (below)</option>\(patientOptions)</select></label></p>
            <fieldset><legend>New patient</legend>
            <label>Email <input name="email" type="email"></label>
            <label>First name <input name="first_name"></label>
            <label>Last name <input name="last_name"></label>
            </fieldset>
            <p><label>Message to the patient<br><textarea name="personal_message"></textarea></label></p>
            <button>Activate</button>
            </form>
            """
        return document("Treatment plan \(plan.id)", body)
    }

    static func invitation(_ plan: TreatmentPlan) -> String {
        document("Your treatment plan", """
            <h1>Your treatment plan</h1>
            <p>This is where the patient would check out plan \(HTMLEscaping.escape(plan.id)) in Fullscript.</p>
            """)
    }

    private static func patientLabel(_ patient: Patient) -> String {
        "\(patient.firstName) \(patient.lastName) <\(patient.email)>"
    }

    private static func document(_ title: String, _ body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTMLEscaping.escape(title)) · Fullscript sandbox</title></head>
        <body><main>
        \(body)
        </main></body></html>
        """
    }
}
