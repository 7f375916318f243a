public import Foundation
public import Server

/// A local stand-in for Fullscript's sandbox API: OAuth, dynamic links, the plan page behind them,
/// patients, plans and webhooks, with hooks for tests to inspect requests and inject failures.
///
/// Point the app's API base at `<publicBaseURL>/api` and its authorize URL at `<publicBaseURL>/api/oauth/authorize`.
/// - OAuth: `GET /api/oauth/authorize` (consent page; `&auto_approve=<user id>` skips it), `POST /api/oauth/token`, `POST /api/oauth/revoke`
/// Several clinics (`SandboxSeed.clinics`), each with its own users and patients; a token acts in its user's
/// clinic only, and another clinic's records are 404s.
/// - Clinic: `GET /api/clinic`, `/api/clinic/practitioners[/:id]`, `/api/clinic/staff/:id`
/// - Links: `POST|GET /api/clinic/dynamic_links/treatment_plans`, `GET /api/clinic/dynamic_links/treatment_plans/:id`,
///   `POST /api/clinic/dynamic_links/gateway/treatment_plans` (matches by id, external_id, email, else a matching page)
/// - Patients: `GET|POST /api/clinic/patients`, `GET|PATCH /api/clinic/patients/:id`, `GET /api/clinic/search/patients?query=`
/// - Plans: `GET /api/clinic/patients/:id/treatment_plans`, `GET /api/clinic/treatment_plans/:id`
/// - Orders: `GET /api/clinic/patients/:id/orders`, `GET /api/clinic/labs/orders?patient_id=`, `GET /api/clinic/labs/orders/:id`
/// - Catalog: `GET /api/catalog/variants/:id` (`SandboxCatalog`, the same for every clinic)
/// - Events: `GET /api/events/treatment_plans|patients|orders|lab_orders?created_at=>date&event_type=`, `GET /api/events/:id` (30 days)
/// - Pages: `GET /sandbox/plans/:id` (behind every redirect_url; Activate fires `treatment_plan.created`),
///   `GET|POST /sandbox/patients/:id` (editing a patient in Fullscript fires `patient.updated`),
///   `GET /sandbox/plans/:id/invitation` (the patient's checkout; its Order button fires `order.placed`),
///   `GET /sandbox/lab_orders/:id`, `POST /sandbox/lab_orders/:id/advance` (`state=partial_results|results_ready|results_amended`
///   fires `lab_order.updated`)
/// - Loopback only: `GET /_sandbox/requests|emails|stats|patients/:id`, `POST|DELETE /_sandbox/faults[?path_prefix=]`, `POST /_sandbox/clock?advance=`,
///   `POST /_sandbox/users/:id/revoke_tokens`
public final class FullscriptSandbox: Sendable {
    private let configuration: SandboxConfiguration
    private let state: SandboxState
    private let webhook: WebhookDelivery?

    public init(
        configuration: SandboxConfiguration, webhookSender: WebhookSender? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.configuration = configuration
        state = SandboxState(configuration: configuration, now: now)
        if let url = configuration.webhookURL, let webhookSender {
            webhook = WebhookDelivery(
                url: url, challenge: configuration.webhookChallenge,
                signer: WebhookSigner(secret: configuration.webhookSecret), send: webhookSender
            )
        } else {
            webhook = nil
        }
    }

    /// Every clinic's practitioners and staff, any of whom can authorize the app.
    public var seededUsers: [SandboxUser] { SandboxSeed.users }

    /// The first clinic's id, where the single-clinic demo and tests connect.
    public var clinicID: String { SandboxSeed.clinicID }

    /// Adds every sandbox route to `router`: the API under `/api`, the pages under `/sandbox`, the test hooks under `/_sandbox`.
    public func register(on router: Router) {
        let gate = APIGate(state: state)
        OAuthRoutes(configuration: configuration, state: state, gate: gate).register(on: router)
        ClinicRoutes(configuration: configuration, state: state, gate: gate).register(on: router)
        DynamicLinkRoutes(configuration: configuration, state: state, gate: gate).register(on: router)
        PatientRoutes(state: state, gate: gate).register(on: router)
        TreatmentPlanRoutes(configuration: configuration, state: state, gate: gate).register(on: router)
        EventRoutes(state: state, gate: gate).register(on: router)
        CatalogRoutes(gate: gate).register(on: router)
        PlanPageRoutes(configuration: configuration, state: state, webhook: webhook).register(on: router)
        PatientPageRoutes(state: state, webhook: webhook).register(on: router)
        OrderRoutes(state: state, gate: gate).register(on: router)
        OrderPageRoutes(state: state, webhook: webhook).register(on: router)
        AdminRoutes(state: state).register(on: router)
    }

    public func recordedRequests() async -> [RecordedRequest] {
        await state.requests
    }

    public func recordedEmails() async -> [RecordedEmail] {
        await state.emails
    }

    /// Applies to the next `count` `/api` requests (only those under `pathPrefix`, when given), or
    /// until cleared when `count` is nil.
    public func setFaults(_ faults: [Fault], count: Int? = nil, pathPrefix: String? = nil) async {
        await state.setFaults(faults, count: count, pathPrefix: pathPrefix)
    }

    public func clearFaults() async {
        await state.setFaults([], count: nil)
    }

    /// Moves the sandbox's clock, to expire tokens and codes without waiting.
    public func advanceClock(by seconds: Int) async {
        await state.advanceClock(by: seconds)
    }

    /// As when a user revokes the app in Fullscript: their access and refresh tokens stop working.
    public func revokeAllTokens(ofUser userID: String) async {
        await state.revokeAllTokens(ofUser: userID)
    }

    /// What the authorize page does on Approve, for scripted tests.
    public func issueCode(for userID: String, redirectURI: String) async -> String {
        precondition(SandboxSeed.user(id: userID) != nil, "no sandbox user \(userID)")
        return await state.issueCode(for: userID, redirectURI: redirectURI)
    }

    /// The ids of a clinic's patients, oldest first: what tests compare to see no patient made twice.
    public func patientIDs(inClinic clinicID: String) async -> [String] {
        await state.records(of: clinicID).patients.map(\.id)
    }

    public func tokenRefreshCount() async -> Int {
        await state.refreshCount
    }
}
