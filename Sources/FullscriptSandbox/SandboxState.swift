import Foundation

/// Everything the sandbox remembers, behind one actor so concurrent requests see a consistent clinic.
actor SandboxState {
    struct AuthorizationCode: Sendable {
        let userID: String
        let redirectURI: String
        let issuedAt: Date
    }

    /// Fullscript's authorization codes last ten minutes.
    static let codeLifetime: TimeInterval = 600

    private let configuration: SandboxConfiguration
    private let wallClock: @Sendable () -> Date
    /// Added to the injected clock so tests can expire tokens and codes without waiting.
    private var clockOffset = 0
    private var codes: [String: AuthorizationCode] = [:]
    private var tokens = TokenLedger()
    private var limiter = RateLimiter()
    private var faultPlan = FaultPlan()
    private(set) var records = ClinicRecords()
    private(set) var requests: [RecordedRequest] = []
    private(set) var emails: [RecordedEmail] = []
    private(set) var refreshCount = 0

    init(configuration: SandboxConfiguration, now: @escaping @Sendable () -> Date) {
        self.configuration = configuration
        wallClock = now
    }

    var now: Date { wallClock().addingTimeInterval(TimeInterval(clockOffset)) }

    func advanceClock(by seconds: Int) {
        clockOffset += seconds
    }

    // MARK: OAuth

    func issueCode(for userID: String, redirectURI: String) -> String {
        let code = TokenLedger.randomToken()
        codes[code] = AuthorizationCode(userID: userID, redirectURI: redirectURI, issuedAt: now)
        return code
    }

    enum CodeRedemption: Sendable {
        case granted(TokenLedger.Grant)
        case rejected(String)
    }

    /// Codes are single use: a redeemed one is gone, whatever happens to the tokens.
    func redeemCode(_ code: String, redirectURI: String?) -> CodeRedemption {
        guard let issued = codes[code] else { return .rejected("The authorization code is invalid or was already used.") }
        guard now.timeIntervalSince(issued.issuedAt) < Self.codeLifetime else {
            codes[code] = nil
            return .rejected("The authorization code has expired.")
        }
        guard redirectURI == issued.redirectURI else {
            return .rejected("The redirect_uri does not match the one used to authorize.")
        }
        codes[code] = nil
        return .granted(tokens.issue(userID: issued.userID, at: now))
    }

    func refresh(_ refreshToken: String) -> TokenLedger.Grant? {
        guard let grant = tokens.refresh(refreshToken, at: now) else { return nil }
        refreshCount += 1
        return grant
    }

    func revoke(_ token: String) {
        tokens.revoke(token)
    }

    func revokeAllTokens(ofUser userID: String) {
        tokens.revokeAll(ofUser: userID)
    }

    var hasUnrevokedToken: Bool { tokens.hasUnrevokedGrant }

    enum Admission: Sendable {
        case admitted(SandboxUser)
        case unauthorized
        case throttled(retryAfter: Int)
    }

    func admit(accessToken: String) -> Admission {
        guard let grant = tokens.authenticate(accessToken, at: now, lifetime: configuration.accessTokenLifetime),
              let user = SandboxSeed.user(id: grant.userID)
        else { return .unauthorized }
        if let retryAfter = limiter.admit(accessToken, at: now, limit: configuration.rateLimit) {
            return .throttled(retryAfter: retryAfter)
        }
        return .admitted(user)
    }

    // MARK: Clinic

    enum PatientResolution: Sendable {
        case patient(Patient)
        case invalid([String])
    }

    /// Matches on email or creates the patient, in one step so two links for a new email cannot create two patients.
    func findOrCreatePatient(_ input: PatientInput) -> PatientResolution {
        let matchErrors = input.matchErrors
        guard matchErrors.isEmpty, let email = input.email?.trimmed else { return .invalid(matchErrors) }
        if let existing = records.patient(email: email) { return .patient(existing) }
        let creationErrors = input.creationErrors
        guard creationErrors.isEmpty else { return .invalid(creationErrors) }
        return .patient(createPatient(input.newPatient, sendWelcomeEmail: input.wantsWelcomeEmail))
    }

    /// `POST /api/clinic/patients`: unlike a dynamic link, an existing email is an error, not a match.
    func createPatient(_ input: PatientInput) -> PatientResolution {
        var errors = input.creationErrors
        if let email = input.email?.trimmed, records.patient(email: email) != nil {
            errors.append("Email has already been taken")
        }
        guard errors.isEmpty else { return .invalid(errors) }
        return .patient(createPatient(input.newPatient, sendWelcomeEmail: input.wantsWelcomeEmail))
    }

    private func createPatient(_ fields: Patient, sendWelcomeEmail: Bool) -> Patient {
        let patient = records.addPatient(fields)
        if sendWelcomeEmail {
            emails.append(RecordedEmail(to: patient.email, patientID: patient.id))
        }
        return patient
    }

    func createDraftPlan(patientID: String?, practitionerID: String?, actingUserID: String, entrypoint: String) -> TreatmentPlan {
        let now = now
        return records.addPlan(TreatmentPlan(
            id: "", createdAt: now, updatedAt: now, patientID: patientID, practitionerID: practitionerID,
            actingUserID: actingUserID, entrypoint: entrypoint
        ))
    }

    /// What the plan page's Activate button does, with the `treatment_plan.created` event it causes
    /// (Fullscript's name for activation); nil when the plan is not a draft.
    func activatePlan(id: String, patientID: String, practitionerID: String,
                      personalMessage: String?) -> (plan: TreatmentPlan, event: ClinicEvent)? {
        guard var plan = records.plan(id: id), plan.state == .draft else { return nil }
        plan.state = .active
        plan.patientID = patientID
        plan.practitionerID = practitionerID
        plan.personalMessage = personalMessage
        plan.recommendations = [SandboxSeed.recommendation]
        plan.updatedAt = now
        records.updatePlan(plan)
        let event = ClinicEvent(
            id: UUID().uuidString.lowercased(), type: "treatment_plan.created", createdAt: now, clinicID: SandboxSeed.clinicID,
            data: .object([("treatment_plan", plan.json(publicBaseURL: configuration.publicBaseURL))])
        )
        records.addEvent(event)
        return (plan, event)
    }

    // MARK: Test hooks

    func record(_ request: RecordedRequest) {
        requests.append(request)
    }

    func setFaults(_ faults: [Fault], count: Int?, pathPrefix: String? = nil) {
        faultPlan = FaultPlan(faults: faults, count: count, pathPrefix: pathPrefix)
    }

    func nextFaults(path: String) -> [Fault] {
        faultPlan.next(path: path)
    }
}
