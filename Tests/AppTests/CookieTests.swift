import HTTPTypes
import Testing
@testable import App

struct CookieTests {
    static let session = Cookie(name: "fsr_session", sameSite: .lax, secure: false)

    static func fields(_ headers: String...) -> HTTPFields {
        var fields = HTTPFields()
        for header in headers { fields.append(HTTPField(name: .cookie, value: header)) }
        return fields
    }

    @Test func findsItsPairAmongOthers() {
        #expect(Self.session.value(in: Self.fields("a=1; fsr_session=abc; b=2")) == "abc")
        #expect(Self.session.value(in: Self.fields("a=1", "\tfsr_session = abc=def ;b=2")) == "abc=def")
    }

    @Test func anEmptyValueIsNone() {
        #expect(Self.session.value(in: Self.fields("fsr_session=; a=1")) == nil)
        #expect(Self.session.value(in: Self.fields("fsr_session= ", "fsr_session=abc")) == "abc")
    }

    @Test func otherNamesDoNotMatch() {
        #expect(Self.session.value(in: Self.fields("xfsr_session=abc; fsr_sessionx=def; fsr_session")) == nil)
        #expect(Self.session.value(in: Self.fields("=abc;;")) == nil)
        #expect(Self.session.value(in: HTTPFields()) == nil)
    }

    @Test func aSecureCookieIsReadByItsPrefixedName() {
        let secure = Cookie(name: "fsr_session", sameSite: .lax, secure: true)
        #expect(secure.value(in: Self.fields("fsr_session=plain; __Host-fsr_session=prefixed")) == "prefixed")
    }
}
