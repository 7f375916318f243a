import HTTPTypes
import Server

/// The clinic account, its practitioners (the list a staff user picks from) and its staff: always the
/// clinic of the bearer's user, so another clinic's practitioner is a 404 (fullscript-api.md §6, §12).
struct ClinicRoutes: Sendable {
    let configuration: SandboxConfiguration
    let state: SandboxState
    let gate: APIGate

    func register(on router: Router) {
        router.get("/api/clinic", gate.authenticated { _, user in try await clinic(of: user) })
        router.get("/api/clinic/practitioners", gate.authenticated { request, user in
            let practitioners = await state.records(of: user.clinicID).clinic.practitioners
            return .json(Pagination(request.queryParameters).body("practitioners", practitioners.map(\.practitionerJSON)))
        })
        router.get("/api/clinic/practitioners/:id", gate.authenticated { request, user in
            guard let practitioner = await state.records(of: user.clinicID).clinic.practitioner(id: request.parameters["id"] ?? "") else {
                return .jsonError("Record not found", status: .notFound)
            }
            return .json(.object([("practitioner", practitioner.practitionerJSON)]))
        })
        router.get("/api/clinic/staff/:id", gate.authenticated { request, user in
            guard let staff = await state.records(of: user.clinicID).clinic.staffMember(id: request.parameters["id"] ?? "") else {
                return .jsonError("Record not found", status: .notFound)
            }
            return .json(.object([("staff", staff.staffJSON)]))
        })
    }

    /// §6's fields; `id` is what an app pins a tenant to and routes webhooks by.
    private func clinic(of user: SandboxUser) async throws -> Response {
        let records = await state.records(of: user.clinicID)
        return .json(.object([("clinic", .object([
            ("id", .string(records.clinic.id)),
            ("name", .string(records.clinic.name)),
            ("patient_count", .int(records.patients.count)),
            ("practitioner_count", .int(records.clinic.practitioners.count)),
            ("discount", .int(0)),
            ("dispensary_url", .string("\(configuration.publicBaseURL)/sandbox/dispensary/\(records.clinic.id)")),
            ("integration_id", .null),
            ("integration_activated_at", .null),
            ("margin_type", .string("standard")),
        ]))]))
    }
}
