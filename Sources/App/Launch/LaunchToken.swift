import Cryptography
import Foundation

/// The short-lived token an EHR's backend mints for its signed-in user: a JWT signed HS256 with
/// `EHR_LAUNCH_SECRET`, claims `sub` and `exp` required, `jti` required (single use), `name`,
/// `iat` and `tenant` (the practice; `default` when absent) optional. Two optional claims narrow what
/// the session may do: `patient` (one EHR patient id) binds it to that patient, `roles` (`practitioner`,
/// `staff`, `viewer`) says whether it may act in Fullscript. Without them a session may do what every
/// session could before they existed.
struct LaunchToken: Sendable, Equatable {
    let user: EHRUser
    let id: String
    let expiresAt: Int64

    /// A token may live at most this long: it travels in a URL, so it must be useless soon after.
    static let maximumLifetime: TimeInterval = 600
    /// Clocks of the EHR and this server may disagree by this much.
    static let clockSkew: TimeInterval = 30

    /// Tokens whose `exp` is at or before this instant are refused. The single-use record of a
    /// token's jti is kept until the same instant passes its `exp` (`SessionStore.create`): one
    /// definition for both, so a used jti is remembered for as long as its token could be accepted.
    static func acceptedExpiryFloor(at now: Date) -> TimeInterval {
        now.timeIntervalSince1970 - clockSkew
    }

    enum Problem: Error, Equatable, CustomStringConvertible {
        case malformed
        case unsupportedAlgorithm(String)
        case badSignature
        case missingClaim(String)
        case invalidClaim(String)
        case expired
        case tooLongLived
        case issuedInTheFuture
        case reused
        case unknownRole(String)
        case unknownTenant(String)

        var description: String {
            switch self {
            case .malformed: "The sign-in link's token is not a JWT."
            case .unsupportedAlgorithm(let name): "The sign-in link's token is signed with \(name.isEmpty ? "no algorithm" : name); only HS256 is accepted."
            case .badSignature: "The sign-in link's token is not signed with this server's launch secret."
            case .missingClaim(let name): "The sign-in link's token has no \(name) claim."
            case .invalidClaim(let name): "The sign-in link's token has an unusable \(name) claim."
            case .expired: "The sign-in link has expired."
            case .tooLongLived: "The sign-in link's token lives longer than 10 minutes."
            case .issuedInTheFuture: "The sign-in link's token was issued in the future (check the EHR server's clock)."
            case .reused: "The sign-in link was already used."
            case .unknownRole(let name):
                // Shown only when plainly a name: the page must not echo arbitrary text from a link.
                "The sign-in link's token names a role this server does not know"
                    + (ASCII.isPlainIdentifier(name, maxLength: 32, marks: "_-") ? ": \(name)" : "")
                    + ". Known roles: " + EHRRole.allCases.map(\.rawValue).joined(separator: ", ") + "."
            case .unknownTenant(let tenant): "The sign-in link names the practice '\(tenant)', which this server does not serve."
            }
        }
    }

    init(verifying token: String, secret: [UInt8], now: Date) throws(Problem) {
        let payload: [UInt8]
        do {
            payload = try JWT.verifyHS256(token, key: secret)
        } catch {
            switch error {
            case .malformed: throw .malformed
            case .unsupportedAlgorithm(let name): throw .unsupportedAlgorithm(name)
            case .badSignature: throw .badSignature
            }
        }
        guard let claims = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { throw .malformed }
        let subject = try Self.text(claims, "sub", maxLength: 128)
        id = try Self.text(claims, "jti", maxLength: 128)
        let name = claims["name"] == nil ? nil : try Self.text(claims, "name", maxLength: 200)
        let tenant = claims["tenant"] == nil ? Tenant.defaultID : try Self.text(claims, "tenant", maxLength: Tenant.maxIDLength)
        guard Tenant.isValidID(tenant) else { throw .invalidClaim("tenant") }
        guard let exp = claims["exp"] else { throw .missingClaim("exp") }
        guard let expiry = (exp as? NSNumber)?.doubleValue, expiry.isFinite else { throw .invalidClaim("exp") }
        let seconds = now.timeIntervalSince1970
        guard expiry > Self.acceptedExpiryFloor(at: now) else { throw .expired }
        guard expiry <= seconds + Self.maximumLifetime + Self.clockSkew else { throw .tooLongLived }
        if let iat = claims["iat"] {
            guard let issued = (iat as? NSNumber)?.doubleValue, issued.isFinite else { throw .invalidClaim("iat") }
            guard issued <= seconds + Self.clockSkew else { throw .issuedInTheFuture }
        }
        let patient = claims["patient"] == nil ? nil : try Self.patient(claims)
        let roles = claims["roles"] == nil ? nil : try Self.roles(claims)
        user = EHRUser(id: subject, name: name, tenant: tenant, patient: patient, roles: roles)
        expiresAt = Int64(expiry.rounded(.up))
    }

    private static func text(_ claims: [String: Any], _ name: String, maxLength: Int) throws(Problem) -> String {
        guard let value = claims[name] else { throw .missingClaim(name) }
        guard let text = value as? String, !text.isEmpty, text.count <= maxLength,
              text.unicodeScalars.allSatisfy({ !CharacterSet.controlCharacters.contains($0) }) else { throw .invalidClaim(name) }
        return text
    }

    private static func patient(_ claims: [String: Any]) throws(Problem) -> String {
        guard let id = claims["patient"] as? String, PatientRecord.isValidID(id) else { throw .invalidClaim("patient") }
        return id
    }

    /// A non-empty array of known role names. An unknown one refuses the whole token rather than
    /// being dropped: dropping `admin` from `["admin"]` would leave a session the EHR did not mean.
    private static func roles(_ claims: [String: Any]) throws(Problem) -> Set<EHRRole> {
        guard let names = claims["roles"] as? [Any], !names.isEmpty, names.count <= 16 else { throw .invalidClaim("roles") }
        var roles = Set<EHRRole>()
        for name in names {
            guard let text = name as? String else { throw .invalidClaim("roles") }
            guard let role = EHRRole(rawValue: text) else { throw .unknownRole(text) }
            roles.insert(role)
        }
        return roles
    }

    /// What the EHR's backend does, here for the demo's sign-in page and for tests.
    static func mint(for user: EHRUser, secret: [UInt8], now: Date, lifetime: TimeInterval = 120) -> String {
        var claims: [String: Any] = [
            "sub": user.id, "jti": Base64URL.encode(SecureRandom.bytes(count: 16)),
            "iat": Int(now.timeIntervalSince1970), "exp": Int(now.timeIntervalSince1970 + lifetime),
        ]
        claims["name"] = user.name
        if user.tenant != Tenant.defaultID { claims["tenant"] = user.tenant }
        claims["patient"] = user.patient
        claims["roles"] = user.roles.map(EHRRole.names)
        let json = (try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])) ?? Data()
        return JWT.signHS256(claims: Array(json), key: secret)
    }
}
