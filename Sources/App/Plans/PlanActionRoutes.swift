import Foundation
import Fullscript
import HTTPTypes
import Logging
import Server
import Store

/// What the chart's plan panel makes Fullscript do with one plan, as the signed-in user:
///
/// - `GET /patients/:patientId/plans/:planId/open`, opened in a new tab: a fresh edit link for a draft or
///   active plan (fullscript-api.md §3.4), answered as a 302 and never cached or logged.
/// - `POST /ehr/api/patients/:id/treatment-plans/:planId/cancel`, after the chart's own confirmation:
///   Fullscript cancels the active plan (§5), and its answer goes to the chart at once through the store.
///
/// Either acts only on a plan we hold for this practice and this patient, looked up before Fullscript is
/// asked, so another practice's or another patient's plan id gets nowhere. Both are audited.
struct PlanActionRoutes: Sendable {
    let identity: any EHRIdentityProvider
    let vault: TokenVault
    /// For the calls the practitioner waits on: `fullscript.click_timeout_ms`.
    let clickClients: FullscriptClients
    let patients: PatientStore
    let plans: TreatmentPlanStore
    let describer: PlanDescriber
    let signIn: SignInFirst
    let signInPath: String?
    let logger: Logger
    let now: @Sendable () -> Date

    /// The path parameter naming the plan (`PatientBinding` lets it through to a bound session: the routes check it).
    static let planParameter = "planId"
    static let openPath = "/patients/:\(RecommendRoutes.patientParameter)/plans/:\(planParameter)/open"
    /// Below the `/ehr/api` group.
    static let cancelPath = PlanRoutes.path + "/:\(planParameter)/cancel"

    /// `opens` is a group like the click's (navigations from other sites refused), `cancels` the chart's
    /// JSON group; both refuse viewers.
    func register(opens: RouterGroup, cancels: RouterGroup) {
        opens.get(Self.openPath) { try await open($0) }
        // No body is needed; a little room for clients that send `{}` anyway.
        cancels.post(Self.cancelPath, body: .bytes(1024)) { try await cancel($0) }
    }

    static func isValidPlanID(_ id: String) -> Bool {
        ASCII.isPlainIdentifier(id, maxLength: 128, marks: "._:-")
    }

    // MARK: Open in Fullscript

    private func open(_ request: Request) async throws -> Response {
        let format = ReplyFormat(request)
        guard let patientID = request.parameters[RecommendRoutes.patientParameter], PatientRecord.isValidID(patientID) else {
            return Refusal.badPatientID.response(format, to: request)
        }
        guard let planID = request.parameters[Self.planParameter], Self.isValidPlanID(planID) else {
            return Refusal.badPlanID.response(format, to: request)
        }
        let here = "/patients/\(patientID)/plans/\(planID)/open"
        guard let user = try await identity.user(for: request) else {
            return signIn.response(returningTo: here, format: format, to: request)
        }
        var audit = AuditEntry(tenant: user.tenant, actor: user.id, action: "plan.open", subject: planID, outcome: "started", requestID: request.id)
        func refuse(_ refusal: Refusal) async throws -> Response {
            audit.outcome = refusal.code
            audit.detail = refusal.auditDetail
            try await record(audit)
            return refusal.response(format, to: request, reconnect: OAuthConnectRoutes.connectPage(returningTo: here))
        }
        let plan: StoredPlan
        switch try await chartPlan(planID, of: patientID, in: user.tenant) {
        case .refused(let refusal): return try await refuse(refusal)
        case .found(let found): plan = found
        }
        guard ["draft", "active"].contains(plan.state) else {
            return try await refuse(.planNotEditable(state: plan.state, patientID: patientID))
        }
        let client = try await clickClients.client(for: user.tenant)
        let answer = try await asUser(user) { token in try await client.editTreatmentPlanLink(accessToken: token, planID: planID) }
        switch answer {
        case .connect:
            audit.outcome = "connect_required"
            try await record(audit)
            guard format == .html else { return Refusal.notConnected.response(format, to: request) }
            return .redirect(to: OAuthConnectRoutes.connectPage(returningTo: here), status: .seeOther)
        case .failed(let error):
            return try await refuse(.planAction(.openPlan, failedWith: error))
        case .done(let link):
            audit.detail = link.requestID.map { "fullscript request \($0)" }
            audit.outcome = "redirected"
            try await record(audit)
            return .toFullscript(link)
        }
    }

    // MARK: Cancel

    private func cancel(_ request: Request) async throws -> Response {
        guard let user = try await identity.user(for: request) else { return EHRRoutes.notSignedIn(request, signInPath: signInPath) }
        let patient: PatientRecord
        switch try await EHRRoutes.chartPatient(request, in: patients, tenant: user.tenant) {
        case .found(let found): patient = found
        case .refused(let response): return response
        }
        guard let planID = request.parameters[Self.planParameter], Self.isValidPlanID(planID) else {
            return Refusal.badPlanID.response(.json, to: request)
        }
        var audit = AuditEntry(tenant: user.tenant, actor: user.id, action: "plan.cancel", subject: planID, outcome: "started",
                               requestID: request.id, detail: "patient \(patient.ehrPatientID)")
        func refuse(_ refusal: Refusal) async throws -> Response {
            audit.outcome = refusal.code
            audit.detail = ["patient \(patient.ehrPatientID)", refusal.auditDetail].compactMap(\.self).joined(separator: "; ")
            try await record(audit)
            if case .fullscript = refusal {
                logger.warning("plan cancel failed", metadata: ["plan": "\(planID)", "error": "\(refusal.auditDetail ?? "")"])
            }
            return refusal.response(.json, to: request)
        }
        guard let stored = try await plans.plan(planID, ofEHRPatient: patient.ehrPatientID, in: user.tenant) else {
            return try await refuse(.planNotOnChart)
        }
        guard stored.state == "active" else { return try await refuse(.planNotActive(state: stored.state)) }
        let client = try await clickClients.client(for: user.tenant)
        let cancelled: TreatmentPlan
        let answer = try await asUser(user) { token in try await client.cancelTreatmentPlan(accessToken: token, id: planID) }
        switch answer {
        case .connect:
            return try await refuse(.notConnected)
        case .failed(let error):
            return try await refuse(.planAction(.cancelPlan, failedWith: error))
        case .done(let plan):
            cancelled = plan
        }
        // The answer is merged as the plan itself: one naming another plan or patient would move what is shown.
        guard cancelled.id == planID, cancelled.patientID.map({ $0 == stored.fullscriptPatientID }) ?? true else {
            return try await refuse(.fullscript(FullscriptError(.malformedResponse("the cancel answer names another plan or patient"))))
        }
        try await plans.merge(cancelled, in: user.tenant, source: .refresh)
        audit.outcome = "cancelled"
        try await record(audit)
        guard let current = try await plans.plan(planID, ofEHRPatient: patient.ehrPatientID, in: user.tenant),
              let shown = await describer.describe([current], in: user.tenant).first else { return try await refuse(.planNotOnChart) }
        return JSONBody.response(shown)
    }

    // MARK: Shared

    private enum ChartPlan {
        case found(StoredPlan)
        case refused(Refusal)
    }

    /// The plan as this practice holds it on this live patient's chart; nothing else is acted on.
    private func chartPlan(_ planID: String, of patientID: String, in tenant: String) async throws -> ChartPlan {
        switch try await patients.find(patientID, in: tenant) {
        case .deleted: return .refused(.patientDeleted)
        case .unknown: return .refused(.planNotOnChart)
        case .found: break
        }
        guard let plan = try await plans.plan(planID, ofEHRPatient: patientID, in: tenant) else { return .refused(.planNotOnChart) }
        return .found(plan)
    }

    private enum Outcome<Value> {
        case done(Value)
        /// No usable connection: the user must connect Fullscript (again).
        case connect
        case failed(FullscriptError)
    }

    /// `call` with the user's own token, refreshed once if Fullscript refuses it, as a click does.
    private func asUser<Value: Sendable>(_ user: EHRUser, _ call: @Sendable (String) async throws -> Value) async throws -> Outcome<Value> {
        do {
            let connection = try await vault.accessToken(for: user)
            return .done(try await vault.withFreshToken(connection, call))
        } catch TokenVaultError.reconnectRequired {
            return .connect
        } catch TokenVaultError.fullscript(let error) {
            return .failed(error)
        } catch let error as FullscriptError {
            return error.kind == .unauthorized ? .connect : .failed(error)
        }
    }

    private func record(_ entry: AuditEntry) async throws {
        try await patients.record(entry, at: now())
    }
}
