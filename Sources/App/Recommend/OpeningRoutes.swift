import Cryptography
import Foundation
import Fullscript
import HTTPTypes
import Server

/// `GET /recommend/:patientId/opening`: what the button opens. The new tab shows this page of ours at
/// once, and the page moves on to `/recommend/:patientId`; the browser keeps it on screen until that
/// answer (a 302 to Fullscript, a refusal) arrives, so the tab is never blank however slow Fullscript is.
///
/// It asks Fullscript nothing and writes nothing: the click itself is `/recommend`, which keeps
/// answering programs exactly as before. Only what `/recommend` understands travels on, and only
/// in the forms it accepts, so the page never carries raw input into a link.
struct OpeningRoutes: Sendable {
    let identity: any EHRIdentityProvider
    let patients: PatientStore
    let signIn: SignInFirst
    let regions: TenantRegions

    func register(on router: RouterGroup) {
        router.get("/recommend/:\(RecommendRoutes.patientParameter)/opening") { try await opening($0) }
    }

    func opening(_ request: Request) async throws -> Response {
        let format = ReplyFormat(request)
        // "." and ".." are ids no browser can send in a path: they would resolve away.
        guard let patientID = request.parameters[RecommendRoutes.patientParameter], PatientRecord.isValidID(patientID), ![".", ".."].contains(patientID) else {
            return Refusal.badPatientID.response(format, to: request)
        }
        guard let entrypoint = RecommendRoutes.entrypoint(request.queryParameters["entrypoint"]) else {
            return Refusal.badEntrypoint.response(format, to: request)
        }
        guard let user = try await identity.user(for: request) else {
            return signIn.response(returningTo: request.head.path ?? "/recommend/\(patientID)/opening", format: format, to: request)
        }
        if entrypoint == .labs, let refusal = try await RecommendRoutes.labsRefusal(for: user, regions: regions) {
            return refusal.response(format, to: request)
        }
        let click = Self.click(patientID: patientID, entrypoint: entrypoint, query: request.queryParameters,
                               id: Base64URL.encode(SecureRandom.bytes(count: 12)))
        // The patient as `ClickReadAhead` read it with the session, where it did.
        let lookup: PatientLookup
        if let ahead = try request.context[ClickRead.ReadAhead.self]?.patient(patientID, for: user) {
            lookup = ahead
        } else {
            lookup = try await patients.find(patientID, in: user.tenant)
        }
        switch lookup {
        case .deleted:
            return Refusal.patientDeleted.response(format, to: request)
        case .unknown:
            return OpeningPage.unknownPatient(patientID, click: click)
        case .found(let patient):
            return OpeningPage.opening(for: patient, click: click)
        }
    }

    /// The click's address, named by `id` (see `RecommendRoutes.clickParameter`). Of the request's
    /// query only what the click understands travels on, in the forms it accepts: a practitioner id
    /// that is not a plain identifier stays behind (a staff user is then asked, as on a first click),
    /// and the picker's answers only as `1`/`0`.
    static func click(patientID: String, entrypoint: Entrypoint, query: [String: String], id: String) -> String {
        var forwarded: [(String, String)] = []
        if let practitionerID = query["practitioner_id"], ASCII.isPlainIdentifier(practitionerID, maxLength: 64, marks: "._:-") {
            forwarded.append(("practitioner_id", practitionerID))
        }
        if let remember = query[PractitionerPicker.rememberParameter], ["0", "1"].contains(remember) {
            forwarded.append((PractitionerPicker.rememberParameter, remember))
        }
        if query[PractitionerPicker.changeParameter] == "1" { forwarded.append((PractitionerPicker.changeParameter, "1")) }
        if entrypoint != .catalog { forwarded.append(("entrypoint", entrypoint.rawValue)) }
        forwarded.append((RecommendRoutes.clickParameter, id))
        return "/recommend/" + patientID + "?" + FormURLEncoding.encode(forwarded)
    }
}
