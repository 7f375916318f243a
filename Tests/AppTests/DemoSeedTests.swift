@testable import App
import Foundation
import Fullscript
@testable import FullscriptSandbox
import ServerTesting
import Testing

/// The demo: the EHR's two practices and the simulator's two clinics, side by side.
struct DemoSeedTests {
    /// Seen: the plan page offered two Jordan Riveras, the simulator's seeded one and the one the
    /// first click created for the EHR's Jordan. A practice's patient whom its clinic already has is
    /// found there by email; no other clinic has anyone of a demo patient's name.
    @Test func theSimulatorHasADemoPatientOnlyInTheirOwnClinicUnderTheirEmail() {
        for practice in DemoSeed.practices {
            let ehrEmails = Dictionary(uniqueKeysWithValues: practice.patients.map {
                ("\($0.firstName ?? "") \($0.lastName ?? "")".lowercased(), $0.email)
            })
            for clinic in SandboxSeed.clinics {
                for patient in SandboxSeed.patientsByClinic[clinic.id] ?? [] {
                    guard let email = ehrEmails["\(patient.firstName) \(patient.lastName)".lowercased()] else { continue }
                    #expect(clinic.id == practice.clinic.id && email == patient.email,
                            "\(practice.tenant)'s patient is \(patient.id) of \(clinic.id) under another email or clinic")
                }
            }
        }
    }

    @Test func eachPracticeIsASimulatorClinicByIdAndName() {
        for practice in DemoSeed.practices {
            #expect(SandboxSeed.clinic(id: practice.clinic.id)?.name == practice.clinic.name, "\(practice.tenant)")
        }
        #expect(Set(DemoSeed.practices.map(\.clinic.id)).count == DemoSeed.practices.count, "one clinic per practice")
    }

    /// Each practice's people sign in to it: its name in the header's data, its patients and no other's.
    @Test func theSignInPageGroupsUsersByPracticeAndTheSessionCarriesIt() async throws {
        try await withHarness(identity: nil, environment: ["EHR_DEMO_SIGN_IN": "true"], pinnedDefaultClinic: false) { harness in
            _ = try await harness.application.seedDemoData()
            let page = try await harness.get("/demo/sign-in", user: nil)
            #expect(page.text.contains(#"<h2 id="practice-default">Sandbox Integrative Clinic</h2>"#), "\(page.text)")
            #expect(page.text.contains(#"<h2 id="practice-lakeside">Lakeside Family Wellness</h2>"#))
            #expect(page.text.contains(#"<input type="hidden" name="practice" value="lakeside">"#))

            func signIn(_ form: String) async throws -> String {
                let chosen = try await harness.post("/demo/sign-in", form: form + "&return_to=%2F", user: nil)
                #expect(chosen.status == 303)
                let launched = try await harness.get(try #require(chosen.header("location")), user: nil)
                #expect(launched.status == 303)
                return try #require(launched.header("set-cookie")?.split(separator: ";").first.map(String.init))
            }
            for (form, tenant, name, patients, other) in [
                ("practice=lakeside&user=dr-nakamura", "lakeside", "Lakeside Family Wellness", ["lk-2001", "lk-2002", "lk-2003"], "p-1001"),
                ("practice=default&user=dr-quinn", "default", "Sandbox Integrative Clinic", ["p-1001", "p-1002", "p-1003"], "lk-2001"),
                // A form without a practice is the default one's, as a launch token without `tenant` is.
                ("user=sam-ortiz", "default", "Sandbox Integrative Clinic", ["p-1001", "p-1002", "p-1003"], "lk-2001"),
            ] {
                let session = try await signIn(form)
                let user = try #require(try await harness.get("/ehr/api/me", user: nil, cookie: session).json["user"] as? [String: Any])
                #expect(user["tenant"] as? String == tenant && user["tenant_name"] as? String == name, "\(form): \(user)")
                let list = try #require(try await harness.get("/ehr/api/patients", user: nil, cookie: session).json["patients"] as? [[String: Any]])
                #expect(list.compactMap { $0["id"] as? String } == patients, "\(form)")
                #expect(try await harness.get("/ehr/api/patients/\(other)", user: nil, cookie: session).status == 404, "\(form): \(other)")
            }
            #expect(try await harness.post("/demo/sign-in", form: "practice=lakeside&user=dr-quinn", user: nil).status == 400,
                    "a user of another practice")
            #expect(try await harness.post("/demo/sign-in", form: "practice=elsewhere&user=dr-quinn", user: nil).status == 400)
        }
    }

    /// Pinned at seed time, so a practice's users connect with its clinic's accounts; a restart seeds nothing twice.
    @Test func seedingPinsEachPracticeToItsClinicOnce() async throws {
        try await withHarness(identity: nil, pinnedDefaultClinic: false) { harness in
            _ = try await harness.application.seedDemoData()
            let keys = try await harness.application.seedDemoData()
            #expect(keys.map(\.practice) == ["Sandbox Integrative Clinic", "Lakeside Family Wellness"])
            let tenants = try await TenantStore(database: harness.application.database).list()
            #expect(tenants.map { "\($0.id) \($0.name) \($0.fullscriptClinicID ?? "-")" }
                    == ["default Sandbox Integrative Clinic clinic-1", "lakeside Lakeside Family Wellness clinic-2"])
            let actions = try await harness.auditActions()
            #expect(actions.filter { $0 == "tenant.pin_clinic:pinned" }.count == 2)
            #expect(actions.filter { $0 == "tenant.rename:renamed" }.count == 1, "the migration's default, once")
            #expect(actions.filter { $0 == "patient.seed:ok" }.count == 6)

            let lakeside = try await harness.signIn("dr-nakamura", tenant: "lakeside")
            try await harness.connect(session: lakeside, as: "prac-4")
            let me = try await harness.get("/ehr/api/me", user: nil, cookie: lakeside).json
            #expect((me["fullscript"] as? [String: Any])?["connected"] as? Bool == true, "\(me)")
        }
    }

    /// A demo database whose practice an earlier run pinned to the other clinic says so at start.
    @Test func aPracticePinnedElsewhereStopsTheDemoNamingIt() async throws {
        try await withHarness(identity: nil, pinnedDefaultClinic: false) { harness in
            let clinic = try #require(DemoSeed.practice("lakeside")?.clinic)
            #expect(try await TenantStore(database: harness.application.database).pin("default", to: clinic, mayPin: true, actor: "t", requestID: nil) == .pinned)
            let error = await #expect(throws: StartupError.self) { _ = try await harness.application.seedDemoData() }
            #expect(error.map { "\($0)" }?.contains("practice 'default' or the simulator's clinic 'clinic-1'") == true, "\(String(describing: error))")
        }
    }
}
