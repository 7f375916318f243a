import HTTPTypes
import Server

/// The clinic account, its practitioners (the list a staff user picks from) and its staff.
struct ClinicRoutes: Sendable {
    let configuration: SandboxConfiguration
    let state: SandboxState
    let gate: APIGate

    func register(on router: Router) {
        router.get("/api/clinic", gate.authenticated { _, _ in try await clinic() })
        router.get("/api/clinic/practitioners", gate.authenticated { request, _ in
            .json(Pagination(request.queryParameters).body("practitioners", SandboxSeed.practitioners.map(\.practitionerJSON)))
        })
        router.get("/api/clinic/practitioners/:id", gate.authenticated { request, _ in
            guard let practitioner = SandboxSeed.practitioners.first(where: { $0.id == request.parameters["id"] }) else {
                return .jsonError("Record not found", status: .notFound)
            }
            return .json(.object([("practitioner", practitioner.practitionerJSON)]))
        })
        router.get("/api/clinic/staff/:id", gate.authenticated { request, _ in
            guard let staff = SandboxSeed.users.first(where: { !$0.isPractitioner && $0.id == request.parameters["id"] }) else {
                return .jsonError("Record not found", status: .notFound)
            }
            return .json(.object([("staff", staff.staffJSON)]))
        })
    }

    private func clinic() async throws -> Response {
        let patientCount = await state.records.patients.count
        return .json(.object([("clinic", .object([
            ("id", .string(SandboxSeed.clinicID)),
            ("name", .string(SandboxSeed.clinicName)),
            ("patient_count", .int(patientCount)),
            ("practitioner_count", .int(SandboxSeed.practitioners.count)),
            ("discount", .int(0)),
            ("dispensary_url", .string("\(configuration.publicBaseURL)/sandbox/dispensary")),
            ("integration_id", .null),
            ("integration_activated_at", .null),
            ("margin_type", .string("standard")),
        ]))]))
    }
}
