import Foundation
import Fullscript
import HTTPTypes
import Logging
import Server
import Store

/// `GET /recommend/:patientId`: one click on "Recommend with Fullscript", opened in a new tab.
///
/// 1. Who is clicking: the session (`SameSite=Strict`, so another site cannot click for them).
/// 2. Which patient: our copy of the EHR's patient; a deleted one stops here, an unknown one or one
///    without an email gets the generic new-plan link.
/// 3. A live Fullscript token, or the OAuth connect flow, which comes back to this same URL.
/// 4. Which practitioner: the token's owner, or for staff the one they act for (asked once, remembered).
/// 5. A fresh link from Fullscript, answered as a 302. Nothing is cached; nothing but the audit row
///    is written unless the link was made.
struct RecommendRoutes: Sendable {
    let identity: any EHRIdentityProvider
    let vault: TokenVault
    let client: FullscriptClient
    /// For the calls the practitioner waits on (the link, a staff user's practitioner list): `fullscript.click_timeout_ms`.
    let clickClient: FullscriptClient
    let patients: PatientStore
    let log: RecommendationLog
    let settings: FullscriptSettings
    /// The demo's sign-in page, where a click without a session is sent; nil in production.
    let signInPath: String?
    let logger: Logger
    let now: @Sendable () -> Date

    private var matcher: PatientMatcher { PatientMatcher(client: client, vault: vault, patients: patients, now: now) }

    func register(on router: RouterGroup) {
        router.get("/recommend/:patientId") { try await recommend($0) }
    }

    func recommend(_ request: Request) async throws -> Response {
        let format = ReplyFormat(request)
        guard let patientID = request.parameters["patientId"], PatientRecord.isValidID(patientID) else {
            return Refusal.badPatientID.response(format, requestID: request.id)
        }
        guard let entrypoint = Self.entrypoint(request.queryParameters["entrypoint"]) else {
            return Refusal.badEntrypoint.response(format, requestID: request.id)
        }
        let here = request.head.path ?? "/recommend/\(patientID)"
        guard let user = try await identity.user(for: request) else {
            return SignInFirst(signInPath: signInPath).response(returningTo: here, format: format, requestID: request.id)
        }
        var click = RecommendationLog.Click(user: user.id, patientID: patientID, entrypoint: entrypoint, requestID: request.id)

        let patient: PatientRecord?
        switch try await patients.find(patientID) {
        case .deleted:
            return try await refuse(.patientDeleted, click, format)
        case .unknown:
            patient = nil
        case .found(let found):
            patient = found
        }
        let details = patient.flatMap(Self.details)
        if let email = details?.email, let domains = settings.emailDomainGuard, !Self.isAllowed(email, domains: domains) {
            return try await refuse(.emailNotAllowed(domains), click, format)
        }

        let connection: FullscriptConnection
        do {
            connection = try await vault.accessToken(for: user.id)
        } catch TokenVaultError.reconnectRequired {
            return try await connectFirst(here, click, format)
        } catch TokenVaultError.fullscript(let error) {
            return try await refuse(.fullscript(error), click, format)
        }

        do {
            let link: DynamicLink
            if let details {
                let practitionerID: String
                switch try await practitioner(for: connection, requested: request.queryParameters["practitioner_id"]) {
                case .chosen(let id):
                    practitionerID = id
                case .ask(let practitioners, let problem):
                    click.outcome = "practitioner_required"
                    try await log.record(click, at: now())
                    return Self.picker(practitioners, problem: problem, patientID: patientID, entrypoint: entrypoint, format: format,
                                       requestID: request.id)
                }
                click.practitionerID = practitionerID
                click.linkKind = "draft"
                let draft = DraftTreatmentPlanLinkRequest(
                    practitionerID: practitionerID, patient: details, entrypoint: entrypoint, sendWelcomeEmail: settings.sendWelcomeEmail
                )
                link = try await withFreshToken(connection) { try await clickClient.draftTreatmentPlanLink(accessToken: $0, draft) }
            } else {
                click.practitionerID = connection.resourceOwner.type == .practitioner ? connection.resourceOwner.id : nil
                click.linkKind = "new"
                link = try await withFreshToken(connection) { try await clickClient.newTreatmentPlanLink(accessToken: $0, entrypoint: entrypoint) }
            }
            guard let destination = URL(string: link.redirectURL), ["https", "http"].contains(destination.scheme ?? ""),
                  destination.host != nil else {
                throw FullscriptError(.malformedResponse("redirect_url is not an absolute http(s) URL"), requestID: link.requestID)
            }
            click.fullscriptRequestID = link.requestID
            click.outcome = "redirected"
            try await remember(link, patient: patient, connection: connection, staffChoice: click.practitionerID, click: click)
            var response = Response.redirect(to: link.redirectURL)
            response.headerFields[.cacheControl] = "no-store"
            response.headerFields[.referrerPolicy] = "no-referrer"
            return response
        } catch TokenVaultError.reconnectRequired {
            return try await connectFirst(here, click, format)
        } catch TokenVaultError.fullscript(let error) {
            return try await refuse(.fullscript(error), click, format)
        } catch let error as FullscriptError {
            if error.kind == .unauthorized { return try await connectFirst(here, click, format) }
            if case .validation(let messages) = error.kind, connection.resourceOwner.type == .staff,
               messages.contains(where: { $0.localizedCaseInsensitiveContains("practitioner") }) {
                try await log.forgetStaffChoice(of: user.id)
            }
            click.fullscriptRequestID = error.requestID
            return try await refuse(.fullscript(error), click, format)
        }
    }

    private func withFreshToken<T: Sendable>(
        _ connection: FullscriptConnection, _ call: @Sendable (String) async throws -> T
    ) async throws -> T {
        try await vault.withFreshToken(connection, call)
    }

    private enum PractitionerChoice {
        case chosen(String)
        /// Staff must pick: the clinic's practitioners, and why the last pick did not work.
        case ask([Practitioner], problem: String?)
    }

    /// A practitioner drafts as themselves. Staff act for `?practitioner_id=` when it is one of the
    /// clinic's practitioners, else for their last choice, else they are asked.
    private func practitioner(for connection: FullscriptConnection, requested: String?) async throws -> PractitionerChoice {
        if connection.resourceOwner.type == .practitioner { return .chosen(connection.resourceOwner.id) }
        if requested == nil, let remembered = try await log.staffChoice(of: connection.user) { return .chosen(remembered) }
        let practitioners = try await withFreshToken(connection) { try await clickClient.practitioners(accessToken: $0).items }
        guard let requested else { return .ask(practitioners, problem: nil) }
        guard practitioners.contains(where: { $0.id == requested }) else {
            return .ask(practitioners, problem: "That practitioner is not in your Fullscript clinic. Pick one below.")
        }
        return .chosen(requested)
    }

    /// What a successful click teaches us: which Fullscript patient this is (from the answer, else a
    /// search by email), and the practitioner a staff user acts for. A failed search only costs the mapping.
    private func remember(_ link: DynamicLink, patient: PatientRecord?, connection: FullscriptConnection, staffChoice: String?,
                          click: RecommendationLog.Click) async throws {
        if let patient {
            do {
                _ = try await matcher.fullscriptPatientID(of: patient, known: link.patientID, through: connection)
            } catch let error where error is FullscriptError || error is TokenVaultError {
                logger.warning("fullscript patient search failed; mapping left for later",
                               metadata: ["patient": "\(click.patientID)", "error": "\(error)"])
            }
        }
        let date = now()
        let staffChoice = connection.resourceOwner.type == .staff ? staffChoice : nil
        try await log.record(click, staffChoice: staffChoice, at: date)
    }

    private func connectFirst(_ here: String, _ click: RecommendationLog.Click, _ format: ReplyFormat) async throws -> Response {
        var click = click
        click.outcome = "connect_required"
        try await log.record(click, at: now())
        guard format == .html else { return Refusal.notConnected.response(format, requestID: click.requestID) }
        return .redirect(to: OAuthConnectRoutes.connectPage(returningTo: here), status: .seeOther)
    }

    private func refuse(_ refusal: Refusal, _ click: RecommendationLog.Click, _ format: ReplyFormat) async throws -> Response {
        var click = click
        click.outcome = refusal.code
        click.detail = refusal.auditDetail
        try await log.record(click, at: now())
        if case .fullscript(let error) = refusal {
            logger.warning("recommendation failed", metadata: ["patient": "\(click.patientID)", "error": "\(error)"])
        }
        return refusal.response(format, requestID: click.requestID,
                                reconnect: OAuthConnectRoutes.connectPage(returningTo: "/recommend/\(click.patientID)"))
    }

    /// Only details Fullscript accepts travel: no email means no patient block (the new-plan link).
    private static func details(_ patient: PatientRecord) -> PatientDetails? {
        guard let email = patient.email, !email.isEmpty else { return nil }
        return PatientDetails(email: email, firstName: patient.firstName, lastName: patient.lastName, dateOfBirth: patient.dateOfBirth,
                              gender: patient.gender, mobileNumber: patient.mobileNumber)
    }

    static func isAllowed(_ email: String, domains: [String]) -> Bool {
        guard let at = email.lastIndex(of: "@") else { return false }
        let domain = email[email.index(after: at)...].lowercased()
        return domains.contains { domain == $0 || domain.hasSuffix("." + $0) }
    }

    static func entrypoint(_ value: String?) -> Entrypoint? {
        guard let value, !value.isEmpty else { return .catalog }
        return Entrypoint(rawValue: value)
    }

    private static func picker(_ practitioners: [Practitioner], problem: String?, patientID: String, entrypoint: Entrypoint,
                               format: ReplyFormat, requestID: String) -> Response {
        guard format == .html else {
            return APIError.response(.conflict, code: "practitioner_required",
                                     message: "Staff must choose a practitioner: add ?practitioner_id= with one of "
                                         + practitioners.map(\.id).joined(separator: ", "), requestID: requestID)
        }
        let items = practitioners.map { practitioner in
            var query = [("practitioner_id", practitioner.id)]
            if entrypoint != .catalog { query.append(("entrypoint", entrypoint.rawValue)) }
            let href = "/recommend/\(patientID)?" + FormURLEncoding.encode(query)
            let name = HTMLEscaping.escape("\(practitioner.firstName) \(practitioner.lastName)")
            return #"<li><a class="practitioner" href="\#(HTMLEscaping.escape(href))">\#(name)</a></li>"#
        }.joined()
        let notice = problem.map { #"<p class="messages" role="alert">\#(HTMLEscaping.escape($0))</p>"# } ?? ""
        let body = """
            <h1>Which practitioner is this plan for?</h1>\(notice)
            <p>You are signed in to Fullscript as staff, so the plan needs a practitioner. We will remember your choice.</p>
            <ul class="choices">\(items.isEmpty ? "<li>Your clinic has no practitioners in Fullscript yet.</li>" : items)</ul>
            """
        var response = Response.html(HTMLPage.document(title: "Choose a practitioner", body: body))
        response.headerFields[.cacheControl] = "no-store"
        return response
    }
}
