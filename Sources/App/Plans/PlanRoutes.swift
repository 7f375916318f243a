import Foundation
import Fullscript
import Logging
import Server
import HTTPTypes

/// A patient's treatment plans for the chart (session) and for internal services (service key):
///
/// - `GET /ehr/api/patients/:id/treatment-plans`: the stored plans, newest first, with the patient's orders and lab
///   orders (`PlanList`), and the id to resume a stream from.
/// - `GET /ehr/api/patients/:id/treatment-plans/events`: server-sent events as plans, orders and lab orders change (see `PlanStream`).
/// - `POST /ehr/api/patients/:id/treatment-plans/refresh`: the REST fallback through the user's own connection; when
///   only its orders call fails, the plans are answered with `orders_not_refreshed`.
/// - `GET /api/v1/patients/:ehrPatientId/treatment-plans`: the same refresh for services, through the
///   first-connected practitioner's connection in the key's tenant (services have no Fullscript account of their own).
struct PlanRoutes: Sendable {
    let identity: any EHRIdentityProvider
    let vault: TokenVault
    let patients: PatientStore
    let plans: TreatmentPlanStore
    let updates: PlanUpdates
    let refresher: PlanRefresh
    let describer: PlanDescriber
    let serviceKeys: ServiceKeyStore
    let signInPath: String?
    let heartbeat: Duration
    let logger: Logger

    private var reader: PlanReader { PlanReader(database: plans.database, describer: describer) }

    /// Below the `/ehr/api` group.
    static let path = "patients/:\(EHRRoutes.patientParameter)/treatment-plans"

    /// `chart` is the `/ehr/api` group, `refreshes` the same for what calls Fullscript (no viewers),
    /// `services` the `/api/v1` one.
    func register(chart: RouterGroup, refreshes: RouterGroup, services: RouterGroup) {
        chart.get(Self.path) { try await list($0) }
        chart.get(Self.path + "/events") { try await events($0) }
        // The refresh takes no body; a little room for clients that send `{}` anyway.
        refreshes.post(Self.path + "/refresh", body: .bytes(1024)) { try await refresh($0) }
        services.get(PatientRoutes.path + "/treatment-plans") { request in
            try await serviceKeys.authorizedPatientRequest(request, serviceRefresh)
        }
    }

    /// Runs `body` for a signed-in user and a live patient; otherwise answers 401, 400, 404 or 410.
    private func forChart(_ request: Request, _ body: (EHRUser, PatientRecord) async throws -> Response) async throws -> Response {
        guard let user = try await identity.user(for: request) else { return EHRRoutes.notSignedIn(request, signInPath: signInPath) }
        switch try await EHRRoutes.chartPatient(request, in: patients, tenant: user.tenant) {
        case .found(let patient): return try await body(user, patient)
        case .refused(let response): return response
        }
    }

    private func list(_ request: Request) async throws -> Response {
        try await forChart(request) { user, patient in
            JSONBody.response(try await reader.described(for: patient.ehrPatientID, in: user.tenant))
        }
    }

    private func events(_ request: Request) async throws -> Response {
        try await forChart(request) { user, patient in
            guard let subscription = updates.subscribe(user: user, ehrPatientID: patient.ehrPatientID) else {
                return APIError.response(
                    .tooManyRequests, code: "too_many_streams",
                    message: "You have \(updates.perUserLimit) live charts open already; close one, or use Refresh.", requestID: request.id
                )
            }
            return PlanStream(
                request: request, user: user, patientID: patient.ehrPatientID, subscription: subscription,
                resumeAfter: PlanStream.resumePoint(of: request), identity: identity, reader: reader, patients: patients,
                updates: updates, heartbeat: heartbeat
            ).response
        }
    }

    private func refresh(_ request: Request) async throws -> Response {
        try await forChart(request) { user, patient in
            try await refreshed(patient, in: user.tenant, request, notConnected: Refusal.notConnected.message) {
                try await vault.accessToken(for: user)
            }
        }
    }

    private func serviceRefresh(_ request: Request, caller: ServiceCaller, id: String) async throws -> Response {
        switch try await EHRRoutes.existing(id, in: patients, tenant: caller.tenant, requestID: request.id) {
        case .refused(let response):
            return response
        case .found(let patient):
            return try await refreshed(
                patient, in: caller.tenant, request, notConnected: "No practitioner has connected Fullscript yet; one must connect from the EHR first."
            ) { try await vault.serviceConnection(in: caller.tenant) }
        }
    }

    /// Refreshes through the connection `connect` gives, answering the stored plans, or the same
    /// statuses a click on the button gets when Fullscript fails (JSON).
    private func refreshed(
        _ patient: PatientRecord, in tenant: String, _ request: Request, notConnected: String,
        connect: () async throws -> FullscriptConnection
    ) async throws -> Response {
        let refusal: Refusal
        do {
            let ordersFailure = try await refresher.refresh(patient, through: try await connect())
            var list = try await reader.described(for: patient.ehrPatientID, in: tenant)
            if let ordersFailure {
                logger.warning("orders refresh failed", metadata: ["patient": "\(patient.ehrPatientID)", "error": "\(ordersFailure)"])
                list.ordersNotRefreshed = "The plans are up to date, but Fullscript did not answer for orders and lab orders: "
                    + "these are the ones we already had. Try Refresh again later."
            }
            return JSONBody.response(list)
        } catch TokenVaultError.reconnectRequired {
            refusal = .notConnected
        } catch TokenVaultError.fullscript(let error) {
            refusal = .fullscript(error)
        } catch let error as FullscriptError {
            // Still refused after one refresh of the token: as good as not connected.
            refusal = error.kind == .unauthorized ? .notConnected : .fullscript(error)
        }
        if case .notConnected = refusal {
            return APIError.response(refusal.status, code: refusal.code, message: notConnected, requestID: request.id)
        }
        logger.warning("treatment plan refresh failed", metadata: ["patient": "\(patient.ehrPatientID)", "error": "\(refusal.auditDetail ?? "")"])
        return refusal.response(.json, to: request)
    }
}
