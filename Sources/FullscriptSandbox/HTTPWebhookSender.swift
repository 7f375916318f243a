import Foundation
public import HTTPClient
import HTTPTypes

extension FullscriptSandbox {
    /// Posts deliveries through an `HTTPClient` (which never repeats a POST), as Fullscript's servers
    /// would reach the application.
    public static func webhookSender(over client: HTTPClient, deadline: Duration = .seconds(10)) -> WebhookSender {
        { url, headers, body in
            guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else {
                throw HTTPClientError.invalidURL(url)
            }
            var fields = HTTPFields()
            for (name, value) in headers {
                if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
            }
            let path = (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath)
                + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
            let request = HTTPRequest(method: .post, scheme: scheme, authority: components.port.map { "\(host):\($0)" } ?? host,
                                      path: path, headerFields: fields)
            let response = try await client.execute(request, body: body, deadline: deadline)
            return (response.head.status.code, response.body)
        }
    }
}
