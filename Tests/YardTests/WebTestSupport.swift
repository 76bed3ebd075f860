import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import YardServer
import YardWeb

/// A server on a fresh data folder for web UI tests, driven through the real router and middleware.
struct WebTestServer {
    let directory = TemporaryDirectory()

    func run(_ body: @Sendable (ServerComponents, any TestClientProtocol) async throws -> Void) async throws {
        let configuration = ServerConfiguration(port: 0, dataDirectory: directory.path)
        let components = try await buildComponents(configuration)
        let app = try buildApplication(components: components, configuration: configuration)
        try await app.test(.router) { client in try await body(components, client) }
    }
}

struct WebPage {
    let status: Int
    let headers: HTTPFields
    let body: String

    func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
}

extension TestClientProtocol {
    /// GET a UI address; `cookie` sends the cross-site token cookie.
    func page(_ uri: String, cookie: String? = nil) async throws -> WebPage {
        var headers = HTTPFields()
        if let cookie { headers[.cookie] = cookie }
        return try await execute(uri: uri, method: .get, headers: headers) { response in
            WebPage(status: Int(response.status.code), headers: response.headers,
                    body: String(buffer: response.body))
        }
    }

    /// POST a form as a browser would: url-encoded fields, with the cookie and `_csrf` token given.
    func submit(_ uri: String, fields: [(String, String)], token: String?, origin: String? = nil) async throws -> WebPage {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let token { headers[.cookie] = "yard_csrf=\(token)" }
        if let origin { headers[.origin] = origin }
        var all = fields
        if let token { all.append(("_csrf", token)) }
        let body = all.map { WebLinks.component($0.0) + "=" + WebLinks.component($0.1) }.joined(separator: "&")
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            WebPage(status: Int(response.status.code), headers: response.headers, body: String(buffer: response.body))
        }
    }
}

/// A token the server accepts as its own (64 hex characters); tests send it as cookie and field.
let webTestToken = String(repeating: "ab", count: 32)
