import Cryptography
import Foundation
import Fullscript
import HTTPTypes
import Logging
import Server
import Store

/// The OAuth connect flow: `GET /oauth/fullscript/connect` is a page of ours naming the signed-in
/// EHR user, whose button (a same-origin POST, so no other site can start the flow for them) sends
/// them to Fullscript's consent page with a single-use `state`, bound server-side to that user and
/// by a cookie to that browser; `/oauth/fullscript/callback` checks all of it before exchanging the
/// code and storing the tokens, then returns the user where they started.
struct OAuthConnectRoutes: Sendable {
    let vault: TokenVault
    let clients: FullscriptClients
    let database: any SQLDatabase
    let identity: any EHRIdentityProvider
    /// Told of each connection: the practice's patient changes that waited for one go out.
    let patientSync: PatientSync
    let secureCookies: Bool
    let chartURL: ChartURLTemplate?
    let pinning: TenantPinning
    /// Told when a first connection pins its tenant's clinic: that clinic's events held as ignored are pending now.
    let webhooks: WebhookProcessor
    let now: @Sendable () -> Date

    static let stateLifetime: TimeInterval = 600
    static let bindingCookieName = "fs_oauth_binding"

    private var bindingCookie: Cookie {
        Cookie(name: Self.bindingCookieName, sameSite: .lax, secure: secureCookies)
    }

    static let connectPath = "/oauth/fullscript/connect"

    /// `pages` takes Fullscript's redirect back (from another site, with no session cookie); `session`
    /// (origin-checked) everything a signed-in user does.
    func register(pages: RouterGroup, session: RouterGroup) {
        session.get(Self.connectPath) { try await connectPage($0) }
        session.post(Self.connectPath, body: .standard) { try await connect($0) }
        pages.get("/oauth/fullscript/callback") { try await callback($0) }
        session.post("/oauth/fullscript/disconnect") { try await disconnect($0, redirect: true) }
        session.delete("/oauth/fullscript/disconnect") { try await disconnect($0, redirect: false) }
    }

    /// Where a page sends someone who must connect first, to come back to `returnTo` afterwards.
    static func connectPage(returningTo returnTo: String) -> String {
        connectPath + "?return_to=" + FormURLEncoding.escape(returnTo)
    }

    private func signedInUser(_ request: Request) async throws -> EHRUser? {
        try await identity.user(for: request)
    }

    private static let signInFirst = HTMLPage.response(
        .unauthorized, title: "Sign in through your EHR",
        message: "Open this page from the EHR so we know who you are, then try again."
    )

    func connectPage(_ request: Request) async throws -> Response {
        guard let user = try await signedInUser(request) else { return Self.signInFirst }
        let returnTo = ReturnPath(request.queryParameters["return_to"]) ?? .home
        let name = HTMLEscaping.escape(user.name.map { "\($0) (\(user.id))" } ?? user.id)
        // Reconnecting is how a wrong account gets replaced, so say which one that is.
        let current = try await vault.account(of: user).map { account in
            """
            <p id="current-account">Now connected as <strong>Fullscript: \(HTMLEscaping.escape(account.label))</strong>. \
            Connecting again replaces it: on Fullscript's page, choose your own account.</p>
            """
        } ?? ""
        // A connection of another clinic is refused at the callback, and one found later is set aside:
        // say up front which clinic's account to choose.
        let practiceClinic = try await TenantStore(database: database, now: now).find(user.tenant).flatMap { tenant in
            tenant.fullscriptClinicID.map { _ in
                """
                <p id="practice-clinic">Your practice's Fullscript clinic is <strong>\(HTMLEscaping.escape(tenant.pinnedClinicDescription))</strong>: \
                sign in to Fullscript with your account at that clinic.</p>
                """
            }
        } ?? ""
        let body = """
            <h1>Connect your Fullscript account to continue</h1>
            <p>You are signed in to the EHR as <strong>\(name)</strong>. Fullscript will ask you to sign in and to allow this EHR \
            to start treatment plans for you. Your Fullscript account will be used for \(name)'s plans.</p>
            \(practiceClinic)
            \(current)
            <form method="post" action="\(Self.connectPath)">
            <input type="hidden" name="return_to" value="\(HTMLEscaping.escape(returnTo.path))">
            <button type="submit" id="connect">Connect Fullscript</button>
            </form>
            <p>Not \(name)? Close this tab and open Fullscript from your own EHR session.</p>
            """
        var response = Response.html(HTMLPage.document(title: "Connect your Fullscript account", body: body))
        response.headerFields[.cacheControl] = "no-store"
        response.headerFields[.referrerPolicy] = "no-referrer"
        return response
    }

    func connect(_ request: Request) async throws -> Response {
        guard let user = try await signedInUser(request) else { return Self.signInFirst }
        let client: FullscriptClient
        do {
            client = try await clients.client(for: user.tenant)
        } catch let missing as MissingFullscriptApp {
            return Self.unavailable(missing)
        }
        let returnTo = ReturnPath(request.formParameters["return_to"]) ?? .home
        let state = Base64URL.encode(SecureRandom.bytes(count: 32))
        let binding = Base64URL.encode(SecureRandom.bytes(count: 32))
        let date = now()
        try await database.write { connection in
            try connection.execute("DELETE FROM oauth_states WHERE expires_at < ?", [.integer(Int64(date.timeIntervalSince1970))])
            try connection.execute(
                """
                INSERT INTO oauth_states (state_hash, tenant_id, ehr_user_id, browser_hash, return_to, expires_at, may_pin)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(Self.hash(state)), .text(user.tenant), .text(user.id), .text(Self.hash(binding)), .text(returnTo.path),
                 .integer(Int64(date.timeIntervalSince1970 + Self.stateLifetime)), .integer(Self.mayPin(user) ? 1 : 0)]
            )
        }
        var response = Response.redirect(to: client.authorizeURL(state: state))
        response.headerFields[.setCookie] = bindingCookie.setCookie(binding, maxAge: Int(Self.stateLifetime))
        response.headerFields[.referrerPolicy] = "no-referrer"
        return response
    }

    private enum StateProblem: String, Error {
        case missing = "The link back from Fullscript is missing its security code."
        case unknown = "This sign-in attempt is not one we started."
        case reused = "This sign-in attempt was already used."
        case expired = "This sign-in attempt took longer than 10 minutes."
        case otherBrowser = "This sign-in attempt was started in a different browser."
    }

    private struct PendingFlow: Sendable {
        /// Who started the flow, in which tenant: the tenant decides where the tokens belong.
        let user: EHRUser
        let returnTo: ReturnPath
        /// Whether the session that started it may make its tenant's first connection (`mayPin`).
        let mayPin: Bool
    }

    /// A session bound to one patient, or a viewer's, acts within a practice whose clinic someone else
    /// decided: it never decides it.
    private static func mayPin(_ user: EHRUser) -> Bool {
        user.patient == nil && !(user.roles?.contains(.viewer) ?? false)
    }

    func callback(_ request: Request) async throws -> Response {
        let query = request.queryParameters
        let flow: PendingFlow
        switch try await consumeState(query["state"], binding: bindingCookie.value(in: request.head.headerFields)) {
        case .failure(let problem):
            // The callback's own address cannot work twice: Try again starts the connection over.
            return HTMLPage.stopped(.badRequest, title: "Connection not completed", message: problem.rawValue + " Nothing was saved.",
                                    request: request, tryAgain: .at(Self.connectPath))
        case .success(let pending):
            flow = pending
        }
        if let error = query["error"] {
            let denied = error == "access_denied"
            return withClearedCookie(notConnected(
                denied ? .ok : .badRequest, title: denied ? "Fullscript was not connected" : "Connection not completed",
                message: denied ? "You chose not to allow access. Nothing was saved." : "Fullscript did not grant access. Nothing was saved.",
                returnTo: flow.returnTo
            ))
        }
        let again = HTMLPage.TryAgain.at(Self.connectPage(returningTo: flow.returnTo.path))
        guard let code = query["code"], !code.isEmpty else {
            return HTMLPage.stopped(.badRequest, title: "Connection not completed",
                                    message: "Fullscript sent no authorization code. Nothing was saved.", request: request, tryAgain: again)
        }
        let client: FullscriptClient
        do {
            client = try await clients.client(for: flow.user.tenant)
        } catch let missing as MissingFullscriptApp {
            return withClearedCookie(Self.unavailable(missing))
        }
        let token: OAuthToken
        do {
            token = try await client.exchange(code: code)
        } catch {
            return HTMLPage.stopped(error.kind == .invalidGrant ? .badRequest : .badGateway, title: "Connection not completed",
                                    message: error.kind == .invalidGrant
                                        ? "Fullscript did not accept the sign-in (it may have expired). Please connect again."
                                        : "Fullscript could not be reached. Please try again in a moment.",
                                    request: request, tryAgain: again)
        }
        // A tenant is one Fullscript clinic, fixed by its first connection (fullscript-api.md §12: OAuth
        // is per user, so any account of any clinic can come back here). Nothing is stored before this.
        let clinic: Clinic
        do {
            clinic = try await client.clinic(accessToken: token.accessToken)
        } catch {
            await Self.revoke(token, with: client)
            return HTMLPage.stopped(.badGateway, title: "Connection not completed",
                                    message: "Fullscript could not tell which clinic your account belongs to. Nothing was saved. "
                                        + "Please try again in a moment.",
                                    request: request, tryAgain: again)
        }
        // Only a practitioner of the practice decides its clinic: a staff account may also work for
        // other clinics, and the operator may keep the decision to themselves.
        let mayPin = flow.mayPin && token.resourceOwner.type == .practitioner && pinning == .firstPractitioner
        let pin = try await TenantStore(database: database, now: now).pin(flow.user.tenant, to: clinic, mayPin: mayPin, actor: flow.user.id,
                                                                           requestID: request.id)
        guard pin.accepted else {
            await Self.revoke(token, with: client)
            try await auditRefusal(of: token, clinic: clinic, pin: pin, user: flow.user, requestID: request.id)
            return withClearedCookie(refused(pin, offered: clinic, request: request, again: again))
        }
        if pin == .pinned { webhooks.signal() }
        // No /me at Fullscript: the name comes from the account's own record. Without it the
        // connection still stands, shown by type until a later refresh finds the name.
        let holder = await vault.lookUpHolder(of: token.resourceOwner, accessToken: token.accessToken, for: flow.user)
        try await vault.store(token, holder: holder, clinicID: clinic.id, for: flow.user, requestID: request.id, connecting: true)
        await patientSync.connected(in: flow.user.tenant)
        // The browser arrives from Fullscript's site: a redirect would not carry the session cookie.
        return withClearedCookie(HTMLPage.continuing(to: flow.returnTo, title: "Fullscript connected"))
    }

    /// Best effort, as a disconnect is: a token nobody stored is useless to us, and Fullscript
    /// forgets it once revoked.
    private static func revoke(_ token: OAuthToken, with client: FullscriptClient) async {
        try? await client.revoke(token: token.refreshToken)
    }

    private func auditRefusal(of token: OAuthToken, clinic: Clinic, pin: ClinicPin, user: EHRUser, requestID: String) async throws {
        let date = now()
        let (outcome, detail) = switch pin {
        case .otherClinic(let expected):
            ("refused_other_clinic", "account's clinic \(clinic.id), practice's clinic \(expected.fullscriptClinicID ?? "")")
        case .notPinnedYet:
            ("refused_not_pinned", "account's clinic \(clinic.id), \(token.resourceOwner.type.rawValue) account; practice not pinned, pinning \(pinning.rawValue)")
        default:
            ("refused_other_clinic", "account's clinic \(clinic.id), pinned by another tenant")
        }
        try await database.write { connection in
            try AuditEntry(tenant: user.tenant, actor: user.id, action: "fullscript.connect", subject: token.resourceOwner.id,
                           outcome: outcome, requestID: requestID, detail: detail).insert(into: connection, at: date)
        }
    }

    /// The page for an account of the wrong clinic (which clinic to sign in to instead, and how), or for one
    /// that may not decide a practice's clinic (who does).
    private func refused(_ pin: ClinicPin, offered: Clinic, request: Request, again: HTMLPage.TryAgain) -> Response {
        if case .notPinnedYet(let tenant) = pin {
            let who = pinning == .firstPractitioner
                ? "A practitioner of your practice connects first, with their own Fullscript practitioner account (not a staff, "
                    + "patient-bound or viewer session), or your administrator pins the clinic"
                : "Your administrator pins it first"
            return HTMLPage.stopped(
                .forbidden, title: "Your practice is not linked to a Fullscript clinic yet",
                message: "Nothing was saved: this connection cannot decide which Fullscript clinic your practice uses. \(who) with "
                    + "`fullscript-redirect tenants pin \(tenant.id) CLINIC_ID`. Then connect again.",
                request: request, tryAgain: again)
        }
        let message = switch pin {
        case .otherClinic(let expected):
            "Your practice uses the Fullscript clinic \(expected.fullscriptClinicName ?? expected.fullscriptClinicID ?? ""), but the account "
                + "you signed in with belongs to \(offered.name). Nothing was saved. Try again and sign in with your account at "
                + "\(expected.fullscriptClinicName ?? "your practice's clinic") (on Fullscript's page, sign out of \(offered.name) first). "
                + "If your practice has moved to another Fullscript clinic, ask your administrator."
        default:
            "The Fullscript clinic \(offered.name) belongs to another practice on this EHR. Nothing was saved. Try again and sign in "
                + "with your account at your own practice's Fullscript clinic, or ask your administrator."
        }
        return HTMLPage.stopped(.forbidden, title: "This Fullscript account belongs to another clinic", message: message,
                                request: request, tryAgain: again)
    }

    /// Where to go after consent was not given. Going back to where a click started would start it
    /// again, straight to the consent page, so such a tab offers the chart (when `ehr.chart_url`
    /// says where it is) or to close itself; connecting again is a deliberate choice on our connect page.
    private func notConnected(_ status: HTTPResponse.Status, title: String, message: String, returnTo: ReturnPath) -> Response {
        let segments = returnTo.segments
        var actions: [String] = []
        if segments.first == "recommend" {
            if segments.count > 1, PatientRecord.isValidID(String(segments[1])), let chartURL {
                actions.append(#"<a id="back-to-chart" href="\#(HTMLEscaping.escape(chartURL.url(patientID: String(segments[1]))))">Back to the chart</a>"#)
            }
            actions.append(#"<button type="button" class="btn" id="close-tab" hidden>Close this tab</button> "#
                + #"<span class="close-note" id="close-note" role="status">You can close this tab to go back to the EHR.</span>"#)
        } else {
            let back = segments == [Self.accountPage] ? "Back to your Fullscript account settings" : "Back to the EHR"
            actions.append(#"<a id="back" href="\#(HTMLEscaping.escape(returnTo.path))">\#(back)</a>"#)
        }
        actions.append(#"<a id="connect-again" href="\#(HTMLEscaping.escape(Self.connectPage(returningTo: returnTo.path)))">Connect Fullscript</a>"#)
        let body = "<h1>\(HTMLEscaping.escape(title))</h1><p>\(HTMLEscaping.escape(message))</p>"
            + actions.map { "<p>\($0)</p>" }.joined()
        var response = Response.html(HTMLPage.document(title: title, body: body, head: #"<script src="/next-steps.js" defer></script>"#),
                                     status: status)
        response.headerFields[.cacheControl] = "no-store"
        response.headerFields[.referrerPolicy] = "no-referrer"
        return response
    }

    /// The demo EHR's settings page for the connection (Public/account.html), named on the way back to it.
    static let accountPage: Substring = "account.html"

    /// Marks the state used in the same statement that checks it, so two callbacks racing with the
    /// same state cannot both pass.
    private func consumeState(_ state: String?, binding: String?) async throws -> Result<PendingFlow, StateProblem> {
        guard let state, !state.isEmpty else { return .failure(.missing) }
        let stateHash = Self.hash(state)
        let bindingHash = binding.map(Self.hash)
        let date = Int64(now().timeIntervalSince1970)
        return try await database.write { connection in
            guard let row = try connection.queryFirst("SELECT * FROM oauth_states WHERE state_hash = ?", [.text(stateHash)]) else {
                return .failure(.unknown)
            }
            if try row.optionalInt64("used_at") != nil { return .failure(.reused) }
            if try row.int64("expires_at") < date { return .failure(.expired) }
            guard let bindingHash, ConstantTime.equals(Array(bindingHash.utf8), Array(try row.string("browser_hash").utf8)) else {
                return .failure(.otherBrowser)
            }
            let changed = try connection.execute(
                "UPDATE oauth_states SET used_at = ? WHERE state_hash = ? AND used_at IS NULL", [.integer(date), .text(stateHash)]
            )
            guard changed == 1 else { return .failure(.reused) }
            let user = EHRUser(id: try row.string("ehr_user_id"), tenant: try row.string("tenant_id"))
            return .success(PendingFlow(user: user, returnTo: ReturnPath(try row.string("return_to")) ?? .home,
                                        mayPin: try row.int64("may_pin") == 1))
        }
    }

    func disconnect(_ request: Request, redirect: Bool) async throws -> Response {
        guard let user = try await signedInUser(request) else { return Self.signInFirst }
        try await vault.disconnect(user, requestID: request.id)
        return redirect ? .redirect(to: (ReturnPath(request.queryParameters["return_to"]) ?? .home).path, status: .seeOther)
            : Response(status: .noContent)
    }

    private func withClearedCookie(_ response: Response) -> Response {
        var response = response
        response.headerFields[.setCookie] = bindingCookie.cleared
        return response
    }

    /// The tenant's region has no Fullscript app here: connecting could only reach the wrong Fullscript.
    private static func unavailable(_ missing: MissingFullscriptApp) -> Response {
        var response = HTMLPage.response(.conflict, title: "Fullscript is not available for this practice", message: missing.description)
        response.headerFields[.cacheControl] = "no-store"
        return response
    }

    static func hash(_ text: String) -> String {
        SHA256.hexDigest(Array(text.utf8))
    }
}
