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
    /// Each clinic's records, by clinic id: a route reads only the records of its token's clinic.
    private var clinics: [String: ClinicRecords] = Dictionary(uniqueKeysWithValues: SandboxSeed.clinics.map {
        ($0.id, ClinicRecords(clinic: $0, patients: SandboxSeed.patientsByClinic[$0.id] ?? []))
    })
    /// Sequential across clinics so runs are reproducible and no two clinics share an id.
    private var nextPatientNumber = 3
    private var nextPlanNumber = 1
    private var nextOrderNumber = 1
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

    /// Fullscript sends a clinic's webhooks only while a user of that clinic has an unrevoked token (§7.5).
    func hasUnrevokedToken(inClinic clinicID: String) -> Bool {
        tokens.hasUnrevokedGrant { SandboxSeed.user(id: $0)?.clinicID == clinicID }
    }

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

    /// The records of `clinicID`; every seeded user's clinic has them.
    func records(of clinicID: String) -> ClinicRecords {
        guard let records = clinics[clinicID] else { preconditionFailure("no sandbox clinic \(clinicID)") }
        return records
    }

    /// The clinic, and the patient a gateway link names: by Fullscript id, else by `metadata.id`, else by email (§3.2).
    /// Looked up here, not on a copy of the records the caller holds: a copy alive while this actor adds the link's
    /// plan makes the actor copy every plan the clinic has, and the simulator slowed with each click it had served.
    func gatewayMatch(in clinicID: String, patientID: String?, externalID: String?, email: String?) -> (SandboxClinic, Patient?) {
        let records = records(of: clinicID)
        let patient = patientID.flatMap(records.patient(id:)) ?? externalID.flatMap(records.patient(externalID:))
            ?? email.flatMap { $0.isEmpty ? nil : records.patient(email: $0) }
        return (records.clinic, patient)
    }

    /// The records of the clinic that holds plan `planID`: the plan pages are reached by URL, not by token.
    func records(holdingPlan planID: String) -> ClinicRecords? {
        clinics.values.first { $0.plan(id: planID) != nil }
    }

    /// The records of the clinic that holds patient `patientID`, for the sandbox's patient page.
    func records(holdingPatient patientID: String) -> ClinicRecords? {
        clinics.values.first { $0.patient(id: patientID) != nil }
    }

    /// The records of the clinic that holds lab order `labOrderID`, for the lab's page.
    func records(holdingLabOrder labOrderID: String) -> ClinicRecords? {
        clinics.values.first { $0.labOrder(id: labOrderID) != nil }
    }

    enum PatientResolution: Sendable {
        case patient(Patient)
        case invalid([String])
    }

    /// Matches on email or creates the patient, in one step so two links for a new email cannot create two patients.
    func findOrCreatePatient(_ input: PatientInput, in clinicID: String) -> PatientResolution {
        let matchErrors = input.matchErrors
        guard matchErrors.isEmpty, let email = input.email?.trimmed else { return .invalid(matchErrors) }
        if let existing = records(of: clinicID).patient(email: email) { return .patient(existing) }
        let creationErrors = input.creationErrors
        guard creationErrors.isEmpty else { return .invalid(creationErrors) }
        return .patient(addPatient(input.newPatient, to: clinicID, sendWelcomeEmail: input.wantsWelcomeEmail))
    }

    /// `POST /api/clinic/patients`: unlike a dynamic link, an existing email is an error, not a match.
    func createPatient(_ input: PatientInput, in clinicID: String) -> PatientResolution {
        var errors = input.creationErrors
        if let email = input.email?.trimmed, records(of: clinicID).patient(email: email) != nil {
            errors.append("Email has already been taken")
        }
        guard errors.isEmpty else { return .invalid(errors) }
        return .patient(addPatient(input.newPatient, to: clinicID, sendWelcomeEmail: input.wantsWelcomeEmail))
    }


    private func addPatient(_ fields: Patient, to clinicID: String, sendWelcomeEmail: Bool) -> Patient {
        var patient = fields
        repeat {
            patient.id = "pat-\(nextPatientNumber)"
            nextPatientNumber += 1
        } while clinics.values.contains { $0.patient(id: patient.id) != nil }
        clinics[clinicID]?.addPatient(patient)
        if sendWelcomeEmail, let email = patient.email {
            emails.append(RecordedEmail(to: email, patientID: patient.id))
        }
        return patient
    }

    enum PatientUpdateResult: Sendable {
        case updated(Patient)
        case notFound
        case invalid([String])
    }

    /// `PATCH /api/clinic/patients/{id}` (§4): 404 for a patient of another clinic, as for an unknown one.
    func updatePatient(id: String, with update: PatientUpdate, in clinicID: String) -> PatientUpdateResult {
        let records = records(of: clinicID)
        guard let patient = records.patient(id: id) else { return .notFound }
        var errors = update.errors
        if case .set(let email)? = update.email, records.patients.contains(where: {
            $0.id != id && $0.email?.caseInsensitiveCompare(email) == .orderedSame
        }) {
            errors.append("Email has already been taken")
        }
        guard errors.isEmpty else { return .invalid(errors) }
        let updated = update.applied(to: patient)
        clinics[clinicID]?.updatePatient(updated)
        return .updated(updated)
    }

    func createDraftPlan(in clinicID: String, patientID: String?, practitionerID: String?, actingUserID: String, entrypoint: String,
                         unmatchedPatient: PatientInput? = nil) -> TreatmentPlan {
        let now = now
        let plan = TreatmentPlan(
            id: "plan-\(nextPlanNumber)", createdAt: now, updatedAt: now, patientID: patientID, practitionerID: practitionerID,
            actingUserID: actingUserID, entrypoint: entrypoint, unmatchedPatient: unmatchedPatient
        )
        nextPlanNumber += 1
        clinics[clinicID]?.addPlan(plan)
        return plan
    }

    /// What the gateway link's matching page does, in one step so a second submit cannot create a second
    /// patient: the plan gets `patientID`, or else the patient the link named, created with the names, the email
    /// if any (a dependent has none) and `metadata.id` = the link's `external_id` (§3.2); and its practitioner,
    /// when the link named none. The plan stays a draft. Nil when the plan is gone or already matched.
    func matchPlan(id: String, patientID: String?, practitionerID: String) -> PatientResolution? {
        guard let clinicID = records(holdingPlan: id)?.clinic.id, var plan = clinics[clinicID]?.plan(id: id),
              plan.state == .draft, plan.patientID == nil, let named = plan.unmatchedPatient else { return nil }
        let patient: Patient
        if let patientID, let existing = records(of: clinicID).patient(id: patientID) {
            patient = existing
        } else {
            var errors = named.dependentCreationErrors
            if let email = named.email?.trimmed, !email.isEmpty, records(of: clinicID).patient(email: email) != nil {
                errors.append("Email has already been taken")
            }
            guard errors.isEmpty else { return .invalid(errors) }
            patient = addPatient(named.newPatient, to: clinicID, sendWelcomeEmail: named.wantsWelcomeEmail)
        }
        plan.patientID = patient.id
        plan.practitionerID = practitionerID
        plan.unmatchedPatient = nil
        plan.updatedAt = now
        clinics[clinicID]?.updatePlan(plan)
        return .patient(patient)
    }

    /// What the plan page's Activate button does, with the `treatment_plan.created` event it causes
    /// (Fullscript's name for activation); nil when the plan is not a draft.
    func activatePlan(id: String, patientID: String, practitionerID: String, personalMessage: String?,
                      variantIDs: [String]? = nil, dosages: [String: WrittenDosage] = [:]) -> (plan: TreatmentPlan, event: ClinicEvent)? {
        guard let clinicID = records(holdingPlan: id)?.clinic.id, var plan = clinics[clinicID]?.plan(id: id),
              plan.state == .draft else { return nil }
        plan.state = .active
        plan.patientID = patientID
        plan.practitionerID = practitionerID
        plan.personalMessage = personalMessage
        plan.recommendations = (variantIDs.map { ids in ids.map(SandboxSeed.recommendation(of:)) } ?? SandboxSeed.recommendations)
            .map { dosages[$0.variantID]?.applied(to: $0) ?? $0 }
        plan.resources = SandboxSeed.resources
        // Only a plan started at the labs entrypoint (US only in Fullscript) recommends labs.
        plan.labRecommendations = plan.entrypoint == "labs" ? SandboxSeed.labRecommendations : []
        plan.updatedAt = now
        plan.unmatchedPatient = nil
        clinics[clinicID]?.updatePlan(plan)
        let event = addEvent("treatment_plan.created", in: clinicID,
                             data: .object([("treatment_plan", plan.json(publicBaseURL: configuration.publicBaseURL))]))
        return (plan, event)
    }

    /// What the patient's Order button does: buys the active plan's products (and its labs, which also
    /// starts a lab order awaiting results), with the `order.placed` event it causes. Nil when the plan
    /// is not active. A plan may be ordered any number of times.
    func placeOrder(planID: String) -> (order: Order, event: ClinicEvent)? {
        guard let clinicID = records(holdingPlan: planID)?.clinic.id, let plan = clinics[clinicID]?.plan(id: planID),
              plan.state == .active, let patientID = plan.patientID else { return nil }
        let number = nextOrderNumber
        nextOrderNumber += 1
        let order = Order(
            id: "order-\(number)", orderNumber: String(100_000 + number), completedAt: now, treatmentPlanIDs: [plan.id], patientID: patientID,
            practitionerIDs: plan.practitionerID.map { [$0] } ?? [],
            lineItems: plan.recommendations.map { Order.LineItem(variantID: $0.variantID, quantity: $0.unitsToPurchase) }
                + plan.labRecommendations.map { Order.LineItem(quantity: 1, labName: $0.labName) }
        )
        clinics[clinicID]?.addOrder(order)
        for (index, lab) in plan.labRecommendations.enumerated() {
            clinics[clinicID]?.putLabOrder(LabOrder(
                id: "lab-order-\(number)-\(index + 1)", orderID: order.id, patientID: patientID, state: LabOrder.initialState, updatedAt: now,
                tests: lab.tests
            ))
        }
        return (order, addEvent("order.placed", in: clinicID, data: .object([("order", order.json)])))
    }

    /// The lab reports results: the lab order moves to `state` (one of `LabOrder.notifiedStates`), with
    /// the `lab_order.updated` event it causes. Nil when there is no such lab order.
    func advanceLabOrder(id: String, to state: String) -> (labOrder: LabOrder, event: ClinicEvent)? {
        guard let clinicID = records(holdingLabOrder: id)?.clinic.id,
              var labOrder = clinics[clinicID]?.labOrder(id: id) else { return nil }
        labOrder.state = state
        labOrder.updatedAt = now
        clinics[clinicID]?.putLabOrder(labOrder)
        return (labOrder, addEvent("lab_order.updated", in: clinicID, data: .object([("lab_order", labOrder.json)])))
    }

    enum Cancellation: Sendable {
        case cancelled(TreatmentPlan, ClinicEvent)
        case notFound
        /// Only an active plan can be cancelled (§5); the plan's state now.
        case notActive(TreatmentPlan.State)
    }

    /// Cancels an active plan of `clinicID` (another clinic's is not found), with the `treatment_plan.updated`
    /// event Fullscript records for it (§7.5, §12): whether it is also sent depends on who cancelled.
    func cancelPlan(id: String, in clinicID: String) -> Cancellation {
        guard var plan = clinics[clinicID]?.plan(id: id) else { return .notFound }
        guard plan.state == .active else { return .notActive(plan.state) }
        plan.state = .cancelled
        plan.updatedAt = now
        clinics[clinicID]?.updatePlan(plan)
        let event = addEvent("treatment_plan.updated", in: clinicID,
                             data: .object([("treatment_plan", plan.json(publicBaseURL: configuration.publicBaseURL))]))
        return .cancelled(plan, event)
    }

    /// A change a practitioner makes in Fullscript itself (the sandbox's patient page). Unlike the app's
    /// own REST update it fires `patient.updated` (§7.5), when something other than `metadata` changed (§12).
    func editPatientInFullscript(id: String, with update: PatientUpdate) -> (result: PatientUpdateResult, event: ClinicEvent?) {
        guard let clinicID = records(holdingPatient: id)?.clinic.id, let before = clinics[clinicID]?.patient(id: id) else {
            return (.notFound, nil)
        }
        let result = updatePatient(id: id, with: update, in: clinicID)
        guard case .updated(let patient) = result, patient.withMetadataID(nil) != before.withMetadataID(nil) else { return (result, nil) }
        return (result, addEvent("patient.updated", in: clinicID, data: .object([("patient", patient.json)])))
    }

    @discardableResult
    func addEvent(_ type: String, in clinicID: String, data: JSON) -> ClinicEvent {
        let event = ClinicEvent(id: UUID().uuidString.lowercased(), type: type, createdAt: now, clinicID: clinicID, data: data)
        clinics[clinicID]?.addEvent(event)
        return event
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
