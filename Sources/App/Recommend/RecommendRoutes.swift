import Foundation
import Fullscript
import HTTPTypes
import Locking
import Logging
import Server
import Store

/// `GET /recommend/:patientId`: one click on "Recommend with Fullscript", opened in a new tab.
///
/// 1. Who is clicking: the session (`SameSite=Strict`, so another site cannot click for them).
/// 2. Which patient: our copy of the EHR's patient; a deleted one stops here. `PatientMatcher.naming`
///    says how Fullscript is told who they are (by id once mapped); an unknown one gets the generic new-plan link.
/// 3. A live Fullscript token, or the OAuth connect flow, which comes back to this same URL.
/// 4. Which practitioner: the token's owner, or for staff the one they act for (`PractitionerPicker`
///    asks; `?choose_practitioner=1` asks again).
/// 5. A fresh link from Fullscript, answered as a 302. Nothing is cached; nothing but the audit row
///    is written unless the link was made.
struct RecommendRoutes: Sendable {
    let identity: any EHRIdentityProvider
    let vault: TokenVault
    let clients: FullscriptClients
    /// For the calls the practitioner waits on (the link, a staff user's practitioner list): `fullscript.click_timeout_ms`.
    let clickClients: FullscriptClients
    /// Clicks under way, by user and the opening page's click id.
    let clicksInFlight: SingleFlight<Response>
    let patients: PatientStore
    /// The patient, the holders of its email and the connection, in one read.
    let clickRead: ClickRead
    let log: RecommendationLog
    let settings: FullscriptSettings
    /// Told when a click links the patient, so the open chart shows it (`PlanStream`).
    /// Told when a click links the patient (`PatientMatcher.wakeOutbox`).
    let wakeOutbox: @Sendable () -> Void
    /// A click without a session: the demo's sign-in page, else the refusal.
    let signIn: SignInFirst
    let logger: Logger
    let now: @Sendable () -> Date

    private var matcher: PatientMatcher { PatientMatcher(clients: clients, vault: vault, patients: patients, wakeOutbox: wakeOutbox, now: now) }

    /// The path parameter naming the patient in `/recommend/…` (`PatientBinding` holds a bound session to it).
    static let patientParameter = "patientId"

    func register(on router: RouterGroup) {
        router.get("/recommend/:\(Self.patientParameter)") { try await recommend($0) }
    }

    func recommend(_ request: Request) async throws -> Response {
        let format = ReplyFormat(request)
        guard let patientID = request.parameters[Self.patientParameter], PatientRecord.isValidID(patientID) else {
            return Refusal.badPatientID.response(format, to: request)
        }
        guard let entrypoint = Self.entrypoint(request.queryParameters["entrypoint"]) else {
            return Refusal.badEntrypoint.response(format, to: request)
        }
        let here = request.head.path ?? "/recommend/\(patientID)"
        guard let user = try await identity.user(for: request) else {
            return signIn.response(returningTo: here, format: format, to: request)
        }
        if entrypoint == .labs, let refusal = try await Self.labsRefusal(for: user, regions: clients.regions) {
            return refusal.response(format, to: request)
        }
        // The opening page's Try again repeats a click that may still be running (the browser dropped it,
        // the server did not): it joins that click and gets its answer, instead of making a second draft.
        // Only the very same request joins (patient, practitioner, entrypoint, click id), so no other
        // request, a session bound to another patient's among them, is ever handed this click's link.
        guard let nonce = request.queryParameters[Self.clickParameter], ASCII.isPlainIdentifier(nonce, maxLength: 64, marks: "-_") else {
            return try await click(request, user: user, patientID: patientID, entrypoint: entrypoint, format: format, here: here)
        }
        return try await clicksInFlight.run([user.tenant, user.id, here].joined(separator: "\n")) {
            try await click(request, user: user, patientID: patientID, entrypoint: entrypoint, format: format, here: here)
        }
    }

    /// The query parameter naming one click of a person's: the opening page makes it, so that its
    /// Try again and the click it repeats are one.
    static let clickParameter = "click"

    private func click(
        _ request: Request, user: EHRUser, patientID: String, entrypoint: Entrypoint, format: ReplyFormat, here: String
    ) async throws -> Response {
        var click = RecommendationLog.Click(user: user, patientID: patientID, entrypoint: entrypoint, requestID: request.id)

        let read = try await clickRead.read(patientID: patientID, for: user, ahead: request.context[ClickRead.ReadAhead.self])
        let patient: PatientRecord?
        switch read.patient {
        case .deleted:
            return try await refuse(.patientDeleted, click, request, format)
        case .unknown:
            patient = nil
        case .found(let found):
            patient = found
        }
        let naming = read.naming
        if let email = patient?.email, !email.isEmpty, !settings.allowsPatientEmail(email) {
            return try await refuse(.emailNotAllowed(settings.emailDomainGuard ?? []), click, request, format)
        }

        let connection: FullscriptConnection
        do {
            connection = try await vault.accessToken(from: read.connection)
        } catch TokenVaultError.reconnectRequired {
            return try await connectFirst(here, click, request, format)
        } catch TokenVaultError.fullscript(let error) {
            return try await refuse(.fullscript(error), click, request, format)
        }

        click.linkKind = naming.linkKind
        do {
            let link: DynamicLink
            var staffChoice = RecommendationLog.StaffChoiceChange.keep
            if naming == .nobody {
                click.practitionerID = connection.resourceOwner.type == .practitioner ? connection.resourceOwner.id : nil
            } else {
                switch try await practitioner(for: connection, request, patientID: patientID, entrypoint: entrypoint) {
                case .chosen(let id, let change):
                    click.practitionerID = id
                    staffChoice = change
                case .ask(let picker):
                    click.outcome = "practitioner_required"
                    try await log.record(click, at: now())
                    return picker.response(format, requestID: request.id)
                }
            }
            let practitionerID = click.practitionerID
            let welcome = settings.sendWelcomeEmail
            let clickClient = try await clickClients.client(for: user.tenant)
            link = try await withFreshToken(connection) { token in
                switch naming {
                case .draft(let details):
                    try await clickClient.draftTreatmentPlanLink(accessToken: token, DraftTreatmentPlanLinkRequest(
                        practitionerID: practitionerID ?? "", patient: details, entrypoint: entrypoint, sendWelcomeEmail: welcome
                    ))
                case .gateway(let named):
                    try await clickClient.gatewayTreatmentPlanLink(accessToken: token, GatewayTreatmentPlanLinkRequest(
                        practitionerID: practitionerID, patient: named, entrypoint: entrypoint, sendWelcomeEmail: welcome
                    ))
                case .nobody:
                    try await clickClient.newTreatmentPlanLink(accessToken: token, entrypoint: entrypoint)
                }
            }
            click.fullscriptRequestID = link.requestID
            if try await opensOnAnotherPatient(link, patient: patient, connection: connection, click: click) {
                return try await refuse(.anotherPatientsRecord, click, request, format)
            }
            click.outcome = "redirected"
            try await log.record(click, staffChoice: connection.resourceOwner.type == .staff ? staffChoice : .keep, at: now())
            return .toFullscript(link)
        } catch TokenVaultError.reconnectRequired {
            return try await connectFirst(here, click, request, format)
        } catch TokenVaultError.fullscript(let error) {
            return try await refuse(.fullscript(error), click, request, format)
        } catch let error as FullscriptError {
            if error.kind == .unauthorized { return try await connectFirst(here, click, request, format) }
            if case .validation(let messages) = error.kind, connection.resourceOwner.type == .staff,
               messages.contains(where: { $0.localizedCaseInsensitiveContains("practitioner") }) {
                try await log.forgetStaffChoice(of: user)
            }
            click.fullscriptRequestID = error.requestID
            return try await refuse(.fullscript(error), click, request, format)
        }
    }

    private func withFreshToken<T: Sendable>(
        _ connection: FullscriptConnection, _ call: @Sendable (String) async throws -> T
    ) async throws -> T {
        try await vault.withFreshToken(connection, call)
    }

    private enum PractitionerChoice {
        /// The practitioner, and what the click does to the staff user's remembered choice.
        case chosen(String, RecommendationLog.StaffChoiceChange)
        /// Staff must pick.
        case ask(PractitionerPicker)
    }

    /// A practitioner drafts as themselves. Staff act for `?practitioner_id=` when it is one of the
    /// clinic's practitioners, else for their remembered choice unless they asked to change it, else
    /// they are asked. Only the picker's own answer changes what is remembered: `remember=1` keeps the
    /// pick, `remember=0` (the form with its box unticked) forgets the old one; a bare `practitioner_id`
    /// (the drop-in button's attribute, a bookmarked link) leaves it as it was.
    private func practitioner(
        for connection: FullscriptConnection, _ request: Request, patientID: String, entrypoint: Entrypoint
    ) async throws -> PractitionerChoice {
        if connection.resourceOwner.type == .practitioner { return .chosen(connection.resourceOwner.id, .keep) }
        let query = request.queryParameters
        let requested = query["practitioner_id"]
        let remembered = try await log.staffChoice(of: connection.user)
        if requested == nil, query[PractitionerPicker.changeParameter] != "1", let remembered {
            return .chosen(remembered.practitionerID, .keep)
        }
        let clickClient = try await clickClients.client(for: connection.user.tenant)
        let practitioners = try await withFreshToken(connection) { try await clickClient.practitioners(accessToken: $0).items }
        func ask(_ problem: String?) -> PractitionerChoice {
            .ask(PractitionerPicker(practitioners: practitioners, current: remembered?.practitionerID, problem: problem,
                                    patientID: patientID, entrypoint: entrypoint))
        }
        guard let requested else { return ask(nil) }
        guard let chosen = practitioners.first(where: { $0.id == requested }) else {
            return ask("That practitioner is not in your Fullscript clinic. Pick one below.")
        }
        switch query[PractitionerPicker.rememberParameter] {
        case "1": return .chosen(requested, .remember(.init(practitionerID: requested, name: PractitionerPicker.displayName(of: chosen))))
        case "0": return .chosen(requested, .forget)
        default: return .chosen(requested, .keep)
        }
    }

    /// What a successful click teaches us: which Fullscript patient this is (from the answer, else a
    /// search by email; a new link tells the open charts, `PatientStore.recordMapping`). True when Fullscript matched a patient who is someone
    /// else to us: the link would open their plan, so it is not followed. A failed search only costs the mapping.
    private func opensOnAnotherPatient(_ link: DynamicLink, patient: PatientRecord?, connection: FullscriptConnection,
                                       click: RecommendationLog.Click) async throws -> Bool {
        guard let patient else { return false }
        do {
            return try await matcher.fullscriptPatient(of: patient, named: link.patientID, through: connection) == .refused
        } catch let error where error is FullscriptError || error is TokenVaultError {
            logger.warning("fullscript patient search failed; mapping left for later",
                           metadata: ["patient": "\(click.patientID)", "error": "\(error)"])
            return false
        }
    }

    private func connectFirst(
        _ here: String, _ click: RecommendationLog.Click, _ request: Request, _ format: ReplyFormat
    ) async throws -> Response {
        var click = click
        click.outcome = "connect_required"
        try await log.record(click, at: now())
        guard format == .html else { return Refusal.notConnected.response(format, to: request) }
        return .redirect(to: OAuthConnectRoutes.connectPage(returningTo: here), status: .seeOther)
    }

    private func refuse(
        _ refusal: Refusal, _ click: RecommendationLog.Click, _ request: Request, _ format: ReplyFormat
    ) async throws -> Response {
        var click = click
        click.outcome = refusal.code
        click.detail = refusal.auditDetail
        try await log.record(click, at: now())
        if case .fullscript(let error) = refusal {
            logger.warning("recommendation failed", metadata: ["patient": "\(click.patientID)", "error": "\(error)"])
        }
        return refusal.response(format, to: request, reconnect: OAuthConnectRoutes.connectPage(returningTo: "/recommend/\(click.patientID)"))
    }

    /// Labs only where the user's practice's Fullscript offers them.
    static func labsRefusal(for user: EHRUser, regions: TenantRegions) async throws -> Refusal? {
        guard let region = try await regions.region(of: user.tenant), !region.offersLabs else { return nil }
        return .labsNotOffered(region)
    }

    static func entrypoint(_ value: String?) -> Entrypoint? {
        guard let value, !value.isEmpty else { return .catalog }
        return Entrypoint(rawValue: value)
    }
}
