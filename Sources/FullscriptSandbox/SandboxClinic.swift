/// One Fullscript clinic: its account and the users who can authorize the app in it (fullscript-api.md §6).
/// A patient belongs to exactly one clinic (§4), so the clinic's patients live in its `ClinicRecords`.
struct SandboxClinic: Sendable, Equatable {
    var id: String
    var name: String
    var users: [SandboxUser]

    var practitioners: [SandboxUser] { users.filter(\.isPractitioner) }

    func practitioner(id: String) -> SandboxUser? {
        practitioners.first { $0.id == id }
    }

    func staffMember(id: String) -> SandboxUser? {
        users.first { !$0.isPractitioner && $0.id == id }
    }
}
