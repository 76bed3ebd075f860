import Foundation
import HTTPTypes
import Hummingbird
import YardCore
import YardTracking
import YardWeb

/// Mounts the web UI (`YardWeb`) on the router: adapts requests to `WebRequest`, guards every POST with
/// the cross-site token, and puts the security headers on every page. Pages render their own errors.
struct WebUIRoutes {
    static let csrfCookie = "yard_csrf"
    /// Forms hold a few short fields; anything larger is not ours.
    static let maxFormBytes = 64 * 1024

    /// Scripts and styles only from this server, nothing inline, no plugins, no framing by other sites,
    /// forms posting only back here. Images may be `data:` for previews drawn by the page itself.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"

    let services: WebServices

    init(components: ServerComponents) {
        services = WebServices(
            tracking: components.tracking, loggedModels: components.loggedModels, registry: components.registry,
            promotion: components.promotion, lineage: components.lineage,
            datasets: DatasetService(store: components.datasets), artifacts: components.artifacts)
    }

    func register(on router: Router<YardRequestContext>) {
        router.get("/") { _, _ in
            Response(status: .found, headers: [.location: WebLinks.experiments()])
        }
        router.get(RouterPath(WebLinks.root)) { _, _ in
            Response(status: .found, headers: [.location: WebLinks.experiments()])
        }
        for route in WebUI.routes(services) {
            let names = route.pattern.split(separator: "/").filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
            let handler: @Sendable (Request, YardRequestContext) async throws -> Response = { request, context in
                await Self.respond(route: route, parameterNames: names, request: request, context: context)
            }
            switch route.method {
            case .get: router.get(RouterPath(route.pattern), use: handler)
            case .post: router.post(RouterPath(route.pattern), use: handler)
            }
        }
        // Anything else under /ui is the UI's own "not found" page, not the API's JSON error.
        router.get(RouterPath(WebLinks.root + "/**")) { request, _ in
            Self.response(PageLayout.errorPage(.notFound("There is no page at \(request.uri.path).")), newToken: nil)
        }
    }

    static func respond(route: WebRoute, parameterNames: [String], request: Request, context: YardRequestContext) async -> Response {
        let cookieToken = cookie(csrfCookie, in: request.headers[.cookie])
        let token = cookieToken ?? newToken()
        var webRequest = WebRequest(
            path: request.uri.path, query: QueryString.pairs(request.uri.query), csrfToken: token,
            actor: context.identity.actor)
        for name in parameterNames {
            if let raw = context.parameters.get(name) { webRequest.parameters[name] = raw.removingPercentEncoding ?? raw }
        }
        do {
            if route.method == .post {
                webRequest.form = try await checkedForm(request, cookieToken: cookieToken)
            }
            return response(try await route.handler(webRequest), newToken: cookieToken == nil ? token : nil)
        } catch {
            let refusal = WebError.from(error)
            if refusal.status >= 500 {
                context.logger.error("web page failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            return response(PageLayout.errorPage(refusal), newToken: cookieToken == nil ? token : nil)
        }
    }

    /// A state change must come from one of our own pages: the form's `_csrf` field must equal the cookie
    /// (a page on another site can make the browser send the cookie but cannot read it to fill the field;
    /// SameSite=Strict keeps it from being sent at all), and an Origin header, when sent, must be this host.
    static func checkedForm(_ request: Request, cookieToken: String?) async throws -> [(String, String)] {
        if let origin = request.headers[.origin], origin != "null" {
            let host = request.head.authority ?? request.headers[HostAllowListMiddleware.hostField] ?? ""
            let originHost = origin.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? ""
            if originHost.lowercased() != host.lowercased() {
                throw WebError(status: 403, "This form was sent from another site (\(origin.prefix(100))); Modelyard only accepts changes from its own pages.")
            }
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxFormBytes)
        } catch {
            throw WebError(status: 413, "The form is larger than \(maxFormBytes / 1024) KiB.")
        }
        let form = QueryString.pairs(String(buffer: buffer))
        guard let cookieToken, let sent = form.first(where: { $0.0 == "_csrf" })?.1, constantTimeEqual(sent, cookieToken) else {
            throw WebError(status: 403, "The form's security token is missing or out of date. Reload the page and try again.")
        }
        return form
    }

    static func response(_ page: WebResponse, newToken: String?) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = page.contentType
        headers[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        for (name, value) in page.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        if let newToken {
            headers[.setCookie] = "\(csrfCookie)=\(newToken); Path=/; HttpOnly; SameSite=Strict"
        }
        return Response(status: HTTPResponse.Status(code: page.status), headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: page.body)))
    }

    static func cookie(_ name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name {
                let value = pair[1].trimmingCharacters(in: .whitespaces)
                // Only a token we could have issued: 64 hex characters.
                if value.count == 64, value.allSatisfy(\.isHexDigit) { return value }
            }
        }
        return nil
    }

    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
