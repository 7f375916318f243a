import Fullscript
import HTTPTypes
import Server

/// Every way a click can end without a link, with what the practitioner should do about it.
enum Refusal {
    case badPatientID
    case badEntrypoint
    /// `entrypoint=labs` for a practice whose Fullscript has no labs (Canada).
    case labsNotOffered(FullscriptRegion)
    case crossSite
    case notSignedIn
    case notConnected
    case patientDeleted
    case emailNotAllowed([String])
    /// Our own limit per user or service key, not Fullscript's.
    case tooManyRequests(retryAfterSeconds: Int)
    case fullscript(FullscriptError)
    /// Another process (a backup, an operator's sqlite3) held the database past the busy timeout.
    case databaseBusy
    /// The PostgreSQL server cannot be reached: down, restarting, or refusing connections.
    case databaseUnavailable
    /// The session is bound to one patient (the launch token's `patient`), and this is another.
    case otherPatient
    /// The session's roles only allow reading (a `viewer`).
    case viewOnly(FullscriptAction)
    /// Fullscript's link is for a patient who is another EHR patient to us (`PatientMatch.refused`).
    case anotherPatientsRecord
    /// A plan id that cannot be one (path characters, too long).
    case badPlanID
    /// This patient's chart has no such plan: another practice's, another patient's, or none.
    case planNotOnChart
    /// Fullscript edits only draft and active plans (fullscript-api.md §3.4).
    case planNotEditable(state: String, patientID: String)
    /// Fullscript cancels only active plans (§5).
    case planNotActive(state: String)
    /// Fullscript's 403, 404 or 422 to opening or cancelling a plan (`planAction(_:failedWith:)`).
    case fullscriptRefusedPlan(FullscriptAction, FullscriptError)

    /// One row of the table below: everything a refusal shows, to a person and to a program.
    struct Answer {
        let status: HTTPResponse.Status
        /// The JSON error's `code`, also the click's audit outcome.
        let code: String
        let title: String
        let message: String
        var retryAfterSeconds: Int? = nil
        /// The page offers to reconnect Fullscript.
        var offersReconnect = false
        /// The page offers **Try again**: the same address, once the cause has passed or been fixed.
        var offersRetry = true
        /// Another way on, for a person (a page's link).
        var nextStep: (text: String, href: String)? = nil
    }

    /// What a plan action's Fullscript failure tells the user: the plan's own refusals (403, 404, 422)
    /// in a plan's terms, anything else as for a click.
    static func planAction(_ action: FullscriptAction, failedWith error: FullscriptError) -> Refusal {
        switch error.kind {
        case .forbidden, .notFound, .validation: .fullscriptRefusedPlan(action, error)
        default: .fullscript(error)
        }
    }

    var answer: Answer {
        switch self {
        case .badPatientID:
            Answer(status: .badRequest, code: "bad_patient_id", title: "This is not a patient link",
                   message: "Patient ids are 1 to 64 letters, digits, dots, dashes, colons or underscores.")
        case .badEntrypoint:
            Answer(status: .badRequest, code: "bad_entrypoint", title: "Unknown starting point",
                   message: "The entrypoint must be catalog or labs.")
        case .labsNotOffered(let region):
            Answer(status: .unprocessableContent, code: "labs_not_offered", title: "Labs are not offered here",
                   message: "Fullscript offers lab ordering in the US only, and this practice uses Fullscript \(region.displayName). "
                       + "Recommend products instead. Nothing was sent to Fullscript.",
                   offersRetry: false)
        case .crossSite:
            // Try again from our page would be a same-site request: the other site's click would pass.
            Answer(status: .forbidden, code: "cross_site_request", title: "Open this from the EHR",
                   message: "This link only works when opened from the EHR's own pages. Nothing was sent to Fullscript.",
                   offersRetry: false)
        case .notSignedIn:
            // No Try again: the request came without the session, maybe from another site in a browser that
            // does not say so (no Sec-Fetch-Site); our link would make its repeat same-site, with the session.
            Answer(status: .unauthorized, code: "not_signed_in", title: "Sign in through your EHR",
                   message: "Open this patient from the EHR so we know who you are, then click the button again.",
                   offersRetry: false)
        case .notConnected:
            Answer(status: .conflict, code: "fullscript_not_connected", title: "Connect Fullscript first",
                   message: "Connect your Fullscript account from the EHR, then click the button again.")
        case .patientDeleted:
            Answer(status: .gone, code: "patient_deleted", title: "This patient was removed from the EHR",
                   message: "The chart you clicked from is out of date. Reload the EHR and pick the patient again.")
        case .emailNotAllowed(let domains):
            Answer(status: .unprocessableContent, code: "patient_email_not_allowed", title: "This patient's email is not allowed here",
                   message: "This is not a production Fullscript account, so only patients with an email address at "
                       + domains.joined(separator: ", ") + " can be sent there (Fullscript would email them). Nothing was sent.")
        case .tooManyRequests(let seconds):
            Answer(status: .tooManyRequests, code: "rate_limited", title: "Too many requests",
                   message: "You are sending requests faster than this server allows. Try again in \(seconds) second\(seconds == 1 ? "" : "s").",
                   retryAfterSeconds: seconds)
        case .databaseBusy:
            Answer(status: .serviceUnavailable, code: "database_busy", title: "This server is busy",
                   message: "Its database is held by another program for a moment. Try again in a few seconds.", retryAfterSeconds: 5)
        case .databaseUnavailable:
            Answer(status: .serviceUnavailable, code: "database_unavailable", title: "This server cannot reach its database",
                   message: "Its database is not answering, usually for the moment it restarts. Nothing was sent to Fullscript. "
                       + "Try again in a few seconds.", retryAfterSeconds: 5)
        case .otherPatient:
            Answer(status: .forbidden, code: "patient_not_in_session", title: "This sign-in is for another patient",
                   message: "The EHR opened this session for one patient's chart, and this is a different patient. "
                       + "Open this patient from the EHR to work on them. Nothing was sent to Fullscript.",
                   offersRetry: false)
        case .viewOnly(let action):
            Answer(status: .forbidden, code: "role_not_permitted", title: "Your EHR role lets you view, not act",
                   message: "\(action.phrase) needs the practitioner or staff role, and the EHR signed you in as a viewer. "
                       + "Ask a practitioner or staff member to do it. Nothing was sent to Fullscript.",
                   offersRetry: false)
        case .anotherPatientsRecord:
            Answer(status: .conflict, code: "fullscript_patient_conflict", title: "Fullscript matched a different patient",
                   message: "Fullscript matched this patient to a record the EHR links to another patient (a shared email, perhaps), "
                       + "so the plan was not opened and nothing was linked. Check the patient's details in the EHR, then try again.")
        case .badPlanID:
            Answer(status: .badRequest, code: "bad_plan_id", title: "This is not a plan link",
                   message: "Plan ids are 1 to 128 letters, digits, dots, dashes, colons or underscores. Nothing was sent to Fullscript.",
                   offersRetry: false)
        case .planNotOnChart:
            Answer(status: .notFound, code: "plan_not_found", title: "This plan is not on this patient's chart",
                   message: "The chart has no plan with this id, so nothing was sent to Fullscript. Reload the chart and pick the plan again.",
                   offersRetry: false)
        case .planNotEditable(let state, let patientID):
            Answer(status: .conflict, code: "plan_not_editable", title: "This plan is \(state)",
                   message: "Fullscript opens only draft and active plans, and this one is \(state), so it can no longer be changed. "
                       + "Recommend a new plan instead. Nothing was sent to Fullscript.",
                   offersRetry: false, nextStep: PatientRecord.isValidID(patientID) ? ("Recommend a new plan", "/recommend/\(patientID)") : nil)
        case .planNotActive(let state):
            Answer(status: .conflict, code: "plan_not_active", title: "Only active plans can be cancelled",
                   message: "This plan is \(state), and Fullscript cancels active plans only. Nothing was sent to Fullscript.",
                   offersRetry: false)
        case .fullscriptRefusedPlan(let action, let error):
            switch error.kind {
            case .notFound:
                Answer(status: .notFound, code: "fullscript_plan_not_found", title: "Fullscript does not find this plan",
                       message: "Fullscript has no such plan open in your clinic: it may have been cancelled or belong to another clinic. "
                           + "Refresh the plans to see its state.", offersRetry: false)
            case .validation(let messages):
                Answer(status: .unprocessableContent, code: "fullscript_rejected", title: "Fullscript refused",
                       message: "Fullscript said: " + (messages.isEmpty ? "the plan cannot be changed" : messages.joined(separator: "; "))
                           + ". Refresh the plans to see its state.", offersRetry: false)
            default:
                Answer(status: .forbidden, code: "fullscript_permission_missing", title: "Fullscript does not let your account do this",
                       message: "\(action.phrase) was refused for your Fullscript account: the plan may be another practitioner's, "
                           + "or your connection lacks a permission. Reconnect and accept every permission asked for, or ask the plan's practitioner.",
                       offersReconnect: true, offersRetry: false)
            }
        case .fullscript(let error):
            switch error.kind {
            case .validation(let messages):
                Answer(status: .unprocessableContent, code: "fullscript_rejected", title: "Fullscript could not start the plan",
                       message: "Fullscript said: " + (messages.isEmpty ? "the request was not valid" : messages.joined(separator: "; "))
                           + ". Fix the patient's details in the EHR and try again.")
            case .forbidden, .unauthorized, .invalidGrant:
                Answer(status: .forbidden, code: "fullscript_permission_missing", title: "Fullscript needs you to reconnect",
                       message: "Your Fullscript connection is missing a permission this needs. Reconnect and accept every permission asked for.",
                       offersReconnect: true)
            case .rateLimited(let seconds):
                Answer(status: .tooManyRequests, code: "fullscript_rate_limited", title: "Fullscript is busy",
                       message: "Fullscript asked us to slow down. Try again in " + (seconds.map { "\($0) seconds" } ?? "a minute") + ".",
                       retryAfterSeconds: seconds ?? 60)
            case .timedOut:
                Answer(status: .gatewayTimeout, code: "fullscript_timed_out", title: "Fullscript is slow to answer",
                       message: "Fullscript did not answer in time. Nothing was created; try again in a moment.")
            case .unavailable, .notFound, .malformedResponse:
                Answer(status: .badGateway, code: "fullscript_unavailable", title: "Fullscript is unavailable",
                       message: "We could not reach Fullscript just now. Try again in a moment.")
            }
        }
    }

    var code: String { answer.code }
    var status: HTTPResponse.Status { answer.status }
    var message: String { answer.message }

    /// Fullscript's own messages go to the audit row; never tokens or patient details.
    var auditDetail: String? {
        switch self {
        case .fullscript(let error), .fullscriptRefusedPlan(_, let error): error.description
        default: nil
        }
    }

    /// JSON for programs; for people, the page with every next step (`HTMLPage.stopped`), whose
    /// **Try again** repeats `request` itself.
    func response(_ format: ReplyFormat, to request: Request, reconnect: String? = nil) -> Response {
        let answer = answer
        var response: Response
        switch format {
        case .json:
            response = APIError.response(answer.status, code: answer.code, message: answer.title + ". " + answer.message, requestID: request.id)
        case .html:
            let links = (answer.offersReconnect ? reconnect.map { [(text: "Reconnect Fullscript", href: $0)] } ?? [] : [])
                + (answer.nextStep.map { [$0] } ?? [])
            response = HTMLPage.stopped(answer.status, title: answer.title, message: answer.message, request: request,
                                        tryAgain: answer.offersRetry ? .sameRequest : .none, links: links)
        }
        if let seconds = answer.retryAfterSeconds { response.headerFields[.retryAfter] = String(seconds) }
        return response
    }
}
