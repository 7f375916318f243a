/// What a signed-in user makes Fullscript do, beyond reading what it sent: each needs a role that may
/// act (`EHRUser.mayActInFullscript`), so a viewer is refused it (`ActingRoleCheck`).
enum FullscriptAction: String, Sendable {
    /// `/recommend/…`, its opening page, and a staff user's choice of practitioner, which only a click makes.
    case recommend
    /// The `/oauth/fullscript/…` connect and disconnect routes.
    case connect
    /// `…/treatment-plans/refresh` calls Fullscript through the user's own connection; the stored plans
    /// and their live stream stay readable.
    case refreshPlans = "refresh_plans"
    /// `/patients/…/plans/…/open`: the plan's editor in Fullscript, as the user.
    case openPlan = "open_plan"
    /// `…/treatment-plans/…/cancel`: Fullscript cancels the plan for the patient.
    case cancelPlan = "cancel_plan"

    var phrase: String {
        switch self {
        case .recommend: "Recommending in Fullscript"
        case .connect: "Connecting or disconnecting a Fullscript account"
        case .refreshPlans: "Asking Fullscript for the latest plans"
        case .openPlan: "Opening a plan in Fullscript"
        case .cancelPlan: "Cancelling a plan in Fullscript"
        }
    }
}
