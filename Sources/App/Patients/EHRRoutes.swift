import Foundation
import Fullscript
import Server
import HTTPTypes

/// The JSON the demo EHR's pages (`Public/`) read with the session cookie: who is signed in, their
/// Fullscript connection, and the patients. Internal services use `/api/v1` with a service key instead.
struct EHRRoutes: Sendable {
    let identity: any EHRIdentityProvider
    let vault: TokenVault
    let patients: PatientStore
    /// For the practice's name in the header.
    let tenants: TenantStore
    let log: RecommendationLog
    /// `FullscriptSettings.emailDomainGuard`: the chart warns before a click the server would refuse.
    let patientEmailDomains: [String]?
    let signInPath: String?
    let regions: TenantRegions

    /// The path parameter naming the patient under `/ehr/api/patients/` (`PatientBinding` holds a bound session to it).
    static let patientParameter = "id"

    /// `chart` is the `/ehr/api` group.
    func register(on chart: RouterGroup) {
        chart.get("me") { try await me($0) }
        chart.get("patients") { try await list($0) }
        chart.get("patients/:\(Self.patientParameter)") { try await patient($0) }
    }

    private struct Me: Encodable {
        struct User: Encodable {
            let id: String
            let name: String?
            /// The practice the user signed in to, and its name as `tenants create` gave it.
            let tenant: String
            let tenantName: String?
            /// The launch token's claims, absent when it had none (`EHRUser`).
            let patient: String?
            let roles: [String]?
            /// Whether a click (and connecting Fullscript) is allowed: false for a viewer.
            let canRecommend: Bool

            init(_ user: EHRUser, practice: Tenant?) {
                id = user.id
                name = user.name
                tenant = user.tenant
                tenantName = practice?.name
                patient = user.patient
                roles = user.roles.map(EHRRole.names)
                canRecommend = user.mayActInFullscript
            }

            enum CodingKeys: String, CodingKey { case id, name, tenant, tenantName = "tenant_name", patient, roles, canRecommend = "can_recommend" }
        }

        struct Connection: Encodable {
            let connected: Bool
            let resourceOwnerType: String?
            /// The Fullscript user's name; nil when not connected or not yet known.
            let accountName: String?
            let connectedAt: String?
            let scope: [String]?
            /// Whether the account looks like the signed-in user (see `AccountCheck`); nil when not connected.
            let accountCheck: AccountCheck?

            init(_ account: ConnectedAccount?, user: EHRUser) {
                connected = account != nil
                resourceOwnerType = account?.type.rawValue
                accountName = account?.holder?.fullName
                connectedAt = account?.connectedAt
                scope = account?.scope
                accountCheck = account.map { AccountCheck(holder: $0.holder, ehrUserName: user.name) }
            }

            enum CodingKeys: String, CodingKey {
                case connected, resourceOwnerType = "resource_owner_type", accountName = "account_name"
                case connectedAt = "connected_at", scope, accountCheck = "account_check"
            }
        }

        /// The practitioner a staff user's clicks draft for, until they change it.
        struct ActingFor: Encodable {
            let practitionerID: String
            let name: String?

            enum CodingKeys: String, CodingKey { case practitionerID = "practitioner_id", name }
        }

        let user: User
        let fullscript: Connection
        let demo: Bool
        let signInURL: String?
        let actingFor: ActingFor?
        /// Outside production, the only patient email domains a click may send to Fullscript.
        let patientEmailDomains: [String]?
        /// Whether the practice's Fullscript sells labs: the chart offers "Order labs" only then.
        let labsOffered: Bool

        enum CodingKeys: String, CodingKey {
            case user, fullscript, demo, signInURL = "sign_in_url", actingFor = "acting_for", patientEmailDomains = "patient_email_domains"
            case labsOffered = "labs_offered"
        }
    }

    private func me(_ request: Request) async throws -> Response {
        guard let user = try await identity.user(for: request) else { return Self.notSignedIn(request, signInPath: signInPath) }
        let account = try await vault.account(of: user)
        let choice = account?.type == .staff ? try await log.staffChoice(of: user) : nil
        let practice = try await tenants.find(user.tenant)
        return json(Me(user: .init(user, practice: practice), fullscript: .init(account, user: user),
                       demo: signInPath != nil, signInURL: signInPath,
                       actingFor: choice.map { .init(practitionerID: $0.practitionerID, name: $0.name) },
                       patientEmailDomains: patientEmailDomains,
                       labsOffered: try await regions.offersLabs(in: user.tenant)))
    }

    private func list(_ request: Request) async throws -> Response {
        guard let user = try await identity.user(for: request) else { return Self.notSignedIn(request, signInPath: signInPath) }
        return try await PatientPage.response(request, in: patients, tenant: user.tenant, onlyPatient: user.patient)
    }

    private func patient(_ request: Request) async throws -> Response {
        guard let user = try await identity.user(for: request) else { return Self.notSignedIn(request, signInPath: signInPath) }
        switch try await Self.chartPatient(request, in: patients, tenant: user.tenant) {
        case .found(let patient): return json(PatientBody(patient))
        case .refused(let response): return response
        }
    }

    enum ChartPatient {
        case found(PatientRecord)
        case refused(Response)
    }

    /// The live patient named by the `:id` parameter, or the answer for a bad id (400), an unknown
    /// patient (404) or a deleted one (410).
    static func chartPatient(_ request: Request, in patients: PatientStore, tenant: String) async throws -> ChartPatient {
        let id = request.parameters[patientParameter] ?? ""
        guard PatientRecord.isValidID(id) else {
            return .refused(APIError.response(.badRequest, code: "bad_patient_id", message: Refusal.badPatientID.message, requestID: request.id))
        }
        return try await existing(id, in: patients, tenant: tenant, requestID: request.id)
    }

    /// `id`, already validated, as a live patient, or the 404 or 410 answer.
    static func existing(_ id: String, in patients: PatientStore, tenant: String, requestID: String) async throws -> ChartPatient {
        switch try await patients.find(id, in: tenant) {
        case .found(let patient): .found(patient)
        case .deleted: .refused(APIError.response(.gone, code: "patient_deleted", message: Refusal.patientDeleted.message, requestID: requestID))
        case .unknown: .refused(APIError.response(.notFound, code: "patient_not_found", message: "No patient with this id.", requestID: requestID))
        }
    }

    private struct NotSignedIn: Encodable {
        let error: [String: String]
        let signInURL: String?

        enum CodingKeys: String, CodingKey { case error, signInURL = "sign_in_url" }
    }

    /// 401 with where to sign in, so a page can offer the link.
    static func notSignedIn(_ request: Request, signInPath: String?) -> Response {
        var response = Response.json(JSONBody.encode(NotSignedIn(
            error: ["code": Refusal.notSignedIn.code, "message": Refusal.notSignedIn.message, "request_id": request.id],
            signInURL: signInPath
        )), status: .unauthorized)
        response.headerFields[.cacheControl] = "no-store"
        return response
    }

    private func json(_ value: some Encodable) -> Response {
        JSONBody.response(value)
    }
}
