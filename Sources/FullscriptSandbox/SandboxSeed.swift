/// The clinics every sandbox starts with. Fixed ids keep tests and demos reproducible; ids are unique
/// across clinics, as Fullscript's are.
public enum SandboxSeed {
    /// The demo EHR's practice's clinic: its practitioners and front-desk staff have accounts here.
    public static let clinicID = "clinic-1"
    static let lakesideClinicID = "clinic-2"

    static let clinics = [
        SandboxClinic(id: clinicID, name: "Sandbox Integrative Clinic", users: [
            SandboxUser(id: "prac-1", type: SandboxUser.practitioner, firstName: "Avery", lastName: "Quinn",
                        email: "avery.quinn@sandbox.example", clinicID: clinicID),
            SandboxUser(id: "prac-2", type: SandboxUser.practitioner, firstName: "Morgan", lastName: "Lee",
                        email: "morgan.lee@sandbox.example", clinicID: clinicID),
            SandboxUser(id: "prac-3", type: SandboxUser.practitioner, firstName: "Riley", lastName: "Chen",
                        email: "riley.chen@sandbox.example", clinicID: clinicID),
            SandboxUser(id: "staff-1", type: SandboxUser.staff, firstName: "Sam", lastName: "Ortiz",
                        email: "sam.ortiz@sandbox.example", clinicID: clinicID),
        ]),
        // A second practice for multi-clinic deployments: the demo's second tenant connects here.
        SandboxClinic(id: lakesideClinicID, name: "Lakeside Family Wellness", users: [
            SandboxUser(id: "prac-4", type: SandboxUser.practitioner, firstName: "Harper", lastName: "Nakamura",
                        email: "harper.nakamura@lakeside.example", clinicID: lakesideClinicID),
            SandboxUser(id: "prac-5", type: SandboxUser.practitioner, firstName: "Emerson", lastName: "Adeyemi",
                        email: "emerson.adeyemi@lakeside.example", clinicID: lakesideClinicID),
            SandboxUser(id: "staff-2", type: SandboxUser.staff, firstName: "Rowan", lastName: "Castillo",
                        email: "rowan.castillo@lakeside.example", clinicID: lakesideClinicID),
        ]),
    ]

    static var users: [SandboxUser] { clinics.flatMap(\.users) }

    static func user(id: String) -> SandboxUser? {
        users.first { $0.id == id }
    }

    static func clinic(id: String) -> SandboxClinic? {
        clinics.first { $0.id == id }
    }

    /// Patients each clinic already has in Fullscript, none of them the demo EHR's: a click for an EHR
    /// patient creates that patient, and the plan page never offers two people of one name.
    static let patientsByClinic: [String: [Patient]] = [
        clinicID: [
            Patient(id: "pat-1", firstName: "Drew", lastName: "Okafor", email: "drew.okafor@patient.example", dateOfBirth: "1979-06-02", gender: "x"),
            Patient(id: "pat-2", firstName: "Jesse", lastName: "Lindqvist", email: "jesse.lindqvist@patient.example", gender: "female"),
        ],
        lakesideClinicID: [
            Patient(id: "pat-101", firstName: "Noor", lastName: "Haddad", email: "noor.haddad@patient.example", dateOfBirth: "1988-11-14", gender: "female"),
            Patient(id: "pat-102", firstName: "Tobias", lastName: "Whitfield", email: "tobias.whitfield@patient.example", gender: "male"),
        ],
    ]

    /// Every clinic's seeded patients.
    static var patients: [Patient] { clinics.flatMap { patientsByClinic[$0.id] ?? [] } }

    /// What the plan page puts on a plan when it is activated: three products of `SandboxCatalog`.
    static let recommendations = [
        Recommendation(
            variantID: "variant-1001", refill: true, unitsToPurchase: 1, takeWith: "food",
            amount: "1 capsule", frequency: "twice a day", duration: "30 days", format: "capsule",
            additionalInfo: "", timeOfDay: ["morning", "evening"]
        ),
        Recommendation(
            variantID: "variant-1002", refill: true, unitsToPurchase: 1, takeWith: "food",
            amount: "1 softgel", frequency: "once a day", duration: "60 days", format: "softgel",
            additionalInfo: "", timeOfDay: ["morning"]
        ),
        Recommendation(
            variantID: "variant-1003", refill: false, unitsToPurchase: 2, takeWith: "food",
            amount: "2 softgels", frequency: "once a day", duration: "60 days", format: "softgel",
            additionalInfo: "Keep refrigerated", timeOfDay: ["evening"]
        ),
    ]

    /// A product the practitioner picked, with the dosing the first seeded one has.
    static func recommendation(of variantID: String) -> Recommendation {
        var recommendation = recommendations[0]
        recommendation.variantID = variantID
        return recommendation
    }

    static let resources = [
        PlanResource(id: "resource-1", title: "Magnesium and sleep: a patient guide", url: "https://fullscript.com/learn/magnesium-and-sleep"),
    ]

    static let labRecommendations = [
        LabRecommendation(id: "lab-rec-1", labName: "Access Medical Laboratories", tests: [
            LabRecommendation.Test(id: "lab-test-1", name: "Comprehensive Metabolic Panel"),
            LabRecommendation.Test(id: "lab-test-2", name: "Vitamin D, 25-Hydroxy"),
        ]),
    ]
}
