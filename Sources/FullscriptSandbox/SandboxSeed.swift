/// The one clinic every sandbox starts with. Fixed ids keep tests and demos reproducible.
enum SandboxSeed {
    static let clinicID = "clinic-1"
    static let clinicName = "Sandbox Integrative Clinic"

    static let users = [
        SandboxUser(id: "prac-1", type: SandboxUser.practitioner, firstName: "Avery", lastName: "Quinn", email: "avery.quinn@sandbox.example"),
        SandboxUser(id: "prac-2", type: SandboxUser.practitioner, firstName: "Morgan", lastName: "Lee", email: "morgan.lee@sandbox.example"),
        SandboxUser(id: "prac-3", type: SandboxUser.practitioner, firstName: "Riley", lastName: "Chen", email: "riley.chen@sandbox.example"),
        SandboxUser(id: "staff-1", type: SandboxUser.staff, firstName: "Sam", lastName: "Ortiz", email: "sam.ortiz@sandbox.example"),
    ]

    static var practitioners: [SandboxUser] { users.filter(\.isPractitioner) }

    static func user(id: String) -> SandboxUser? {
        users.first { $0.id == id }
    }

    /// Patients the clinic already has in Fullscript, none of them the demo EHR's: a click for an EHR
    /// patient creates that patient, and the plan page never offers two people of one name.
    static let patients = [
        Patient(id: "pat-1", firstName: "Drew", lastName: "Okafor", email: "drew.okafor@patient.example", dateOfBirth: "1979-06-02", gender: "x"),
        Patient(id: "pat-2", firstName: "Jesse", lastName: "Lindqvist", email: "jesse.lindqvist@patient.example", gender: "female"),
    ]

    /// What the plan page puts on a plan when it is activated: the sandbox has no catalog to pick from.
    static let recommendation = Recommendation(
        variantID: "variant-1001", refill: true, unitsToPurchase: 1, takeWith: "food",
        amount: "1 capsule", frequency: "twice a day", duration: "30 days", format: "capsule",
        additionalInfo: "", timeOfDay: ["morning", "evening"]
    )
}
