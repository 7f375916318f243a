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
    /// The accounts are grouped by clinic: a token acts in its user's clinic only.
    static func authorize(clinics: [SandboxClinic], clientID: String, redirectURI: String, state: String?, error: String? = nil) -> String {
        let groups = clinics.map { clinic in
            "<fieldset><legend>\(HTMLEscaping.escape(clinic.name))</legend>" + clinic.users.map { user in
                "<label><input type=\"radio\" name=\"user_id\" value=\"\(HTMLEscaping.escape(user.id))\" required> "
                    + "\(HTMLEscaping.escape(user.fullName)) (\(HTMLEscaping.escape(user.type)))</label><br>"
            }.joined() + "</fieldset>"
        }.joined()
        return document("Authorize application", """
            <h1>Fullscript sandbox: authorize application</h1>
            <p>The application <code>\(HTMLEscaping.escape(clientID))</code> asks to act for you in your clinic.</p>
            \(error.map { "<p role=\"alert\" id=\"consent-error\">\(HTMLEscaping.escape($0))</p>" } ?? "")
            <form method="post" action="/api/oauth/authorize/decision">
            <input type="hidden" name="client_id" value="\(HTMLEscaping.escape(clientID))">
            <input type="hidden" name="redirect_uri" value="\(HTMLEscaping.escape(redirectURI))">
            \(state.map { "<input type=\"hidden\" name=\"state\" value=\"\(HTMLEscaping.escape($0))\">" } ?? "")
            <fieldset><legend>Sign in as</legend>\(groups)</fieldset>
            <button name="decision" value="approve">Approve</button>
            <button name="decision" value="deny" formnovalidate>Deny</button>
            </form>
            """)
    }

    static func plan(_ plan: TreatmentPlan, actingUser: SandboxUser?, records: ClinicRecords) -> String {
        let practitioner = plan.practitionerID.flatMap(records.clinic.practitioner(id:))
        let patient = plan.patientID.flatMap(records.patient(id:))
        var body = planHeading(plan, actingUser: actingUser, clinic: records.clinic) + """
            <p>State: <strong>\(plan.state.rawValue)</strong></p>
            """
        guard plan.state == .draft else {
            body += "<p>Practitioner: \(HTMLEscaping.escape(practitioner?.fullName ?? "-"))</p><p>Patient: \(HTMLEscaping.escape(patient.map(patientLabel) ?? "-"))</p>"
            body += "<ul>" + plan.recommendations.map { "<li>\(HTMLEscaping.escape(SandboxCatalog.variant(id: $0.variantID)?.productName ?? $0.variantID)): \(HTMLEscaping.escape($0.amount)), \(HTMLEscaping.escape($0.frequency))</li>" }.joined() + "</ul>"
            if plan.state == .active {
                body += "<form method=\"post\" action=\"/sandbox/plans/\(HTMLEscaping.escape(plan.id))/cancel\"><button>Cancel plan</button></form>"
            }
            return document("Treatment plan \(plan.id)", body)
        }
        let practitionerField = practitionerField(practitioner, clinic: records.clinic)
        let patientOptions = records.patients.map {
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

    /// The gateway link's manual matching (§3.2): the practitioner picks one of the clinic's patients or
    /// creates the one the link named (with no email, for a dependent), and the practitioner when the link named none.
    static func matching(_ plan: TreatmentPlan, named: PatientInput, actingUser: SandboxUser?, records: ClinicRecords) -> String {
        let practitioner = plan.practitionerID.flatMap(records.clinic.practitioner(id:))
        let newPatient = named.newPatient
        let options = records.patients.map {
            "<option value=\"\(HTMLEscaping.escape($0.id))\">\(HTMLEscaping.escape(patientLabel($0)))</option>"
        }.joined()
        let body = planHeading(plan, actingUser: actingUser, clinic: records.clinic) + """
            <h2>Match the patient</h2>
            <p>No patient of this clinic matched the one the EHR sent:</p>
            <dl id="named-patient">
            <dt>Name</dt><dd>\(HTMLEscaping.escape("\(newPatient.firstName) \(newPatient.lastName)"))</dd>
            <dt>Email</dt><dd>\(HTMLEscaping.escape(newPatient.email ?? "none"))</dd>
            <dt>Date of birth</dt><dd>\(HTMLEscaping.escape(newPatient.dateOfBirth ?? "-"))</dd>
            <dt>EHR id</dt><dd>\(HTMLEscaping.escape(newPatient.metadataID ?? "-"))</dd>
            </dl>
            <form method="post" action="/sandbox/plans/\(HTMLEscaping.escape(plan.id))/match">
            \(practitionerField(practitioner, clinic: records.clinic))
            <p><label>Patient <select name="patient_id"><option value="" selected>Create this patient</option>\(options)</select></label></p>
            <button>Continue</button>
            </form>
            """
        return document("Match the patient", body)
    }

    /// A patient as a practitioner edits them in Fullscript; saving fires `patient.updated`.
    static func patient(_ patient: Patient) -> String {
        func field(_ label: String, _ name: String, _ value: String?, type: String = "text") -> String {
            "<p><label>\(label) <input name=\"\(name)\" type=\"\(type)\" value=\"\(HTMLEscaping.escape(value ?? ""))\"></label></p>"
        }
        return document("Patient \(patient.id)", """
            <h1>Patient \(HTMLEscaping.escape(patient.id))</h1>
            <form method="post" action="/sandbox/patients/\(HTMLEscaping.escape(patient.id))">
            \(field("First name", "first_name", patient.firstName))
            \(field("Last name", "last_name", patient.lastName))
            \(field("Email", "email", patient.email, type: "email"))
            \(field("Date of birth", "date_of_birth", patient.dateOfBirth))
            \(field("Gender", "gender", patient.gender))
            \(field("Mobile number", "mobile_number", patient.mobileNumber))
            <button>Save</button>
            </form>
            """)
    }

    private static func planHeading(_ plan: TreatmentPlan, actingUser: SandboxUser?, clinic: SandboxClinic) -> String {
        let acting = actingUser.map { "\(HTMLEscaping.escape($0.fullName)) (\(HTMLEscaping.escape($0.type)))" } ?? HTMLEscaping.escape(plan.actingUserID)
        return """
            <h1>Treatment plan \(HTMLEscaping.escape(plan.id))</h1>
            <p>Clinic: \(HTMLEscaping.escape(clinic.name))</p>
            <p>Acting as: \(acting)</p>
            """
    }

    /// The plan's practitioner, or a choice among the clinic's when the link named none (a staff user).
    private static func practitionerField(_ practitioner: SandboxUser?, clinic: SandboxClinic) -> String {
        practitioner.map {
            "<p>Practitioner: \(HTMLEscaping.escape($0.fullName))</p>"
        } ?? "<p><label>Practitioner <select name=\"practitioner_id\">" + clinic.practitioners.map {
            "<option value=\"\(HTMLEscaping.escape($0.id))\">\(HTMLEscaping.escape($0.fullName))</option>"
        }.joined() + "</select></label></p>"
    }

    private static func patientLabel(_ patient: Patient) -> String {
        "\(patient.firstName) \(patient.lastName)" + (patient.email.map { " <\($0)>" } ?? " (no email)")
    }

    static func document(_ title: String, _ body: String) -> String {
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
