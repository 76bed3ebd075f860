import YardCore

/// What a page sees of an HTTP request, with no HTTP library in sight: the route's path parameters
/// (already percent-decoded), the query pairs in order, the form pairs of a POST (only after the server has
/// checked its cross-site token), and the token to embed in the page's own forms.
public struct WebRequest: Sendable {
    public var path: String
    public var parameters: [String: String]
    public var query: [(String, String)]
    public var form: [(String, String)]
    /// Goes in every form as the hidden `_csrf` field (`PageLayout.csrfField`).
    public var csrfToken: String
    /// Who is asking, as the server's identity middleware recorded it (for the history's actor).
    public var actor: String

    public init(path: String, parameters: [String: String] = [:], query: [(String, String)] = [],
                form: [(String, String)] = [], csrfToken: String = "", actor: String = "anonymous") {
        self.path = path
        self.parameters = parameters
        self.query = query
        self.form = form
        self.csrfToken = csrfToken
        self.actor = actor
    }

    /// A path parameter the route pattern guarantees; a missing one is a 404, never a crash.
    public func parameter(_ name: String) throws(WebError) -> String {
        guard let value = parameters[name], !value.isEmpty else { throw .notFound("Missing '\(name)' in the address.") }
        return value
    }

    /// The first value of a query key, nil when absent.
    public func query(_ key: String) -> String? {
        query.first(where: { $0.0 == key })?.1
    }

    /// Every value of a repeated query key (`runs=a&runs=b`), comma-separated values split too.
    public func queryList(_ key: String) -> [String] {
        query.filter { $0.0 == key }
            .flatMap { $0.1.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
    }

    public func queryFlag(_ key: String) -> Bool {
        guard let value = query(key)?.lowercased() else { return false }
        return value == "1" || value == "true" || value == "on" || value == "yes"
    }

    public func formValue(_ key: String) -> String? {
        form.first(where: { $0.0 == key })?.1
    }
}

/// What a page answers. HTML pages go through `PageLayout`; fragments (a table refreshed in place, a chart
/// loaded on demand) and JSON for the little script go out as they are.
public struct WebResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    public var headers: [(String, String)]

    public init(status: Int = 200, contentType: String, body: [UInt8], headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    public static func html(_ html: HTML, status: Int = 200) -> WebResponse {
        WebResponse(status: status, contentType: "text/html; charset=utf-8", body: Array(html.rendered.utf8))
    }

    public static func json(_ text: String, status: Int = 200) -> WebResponse {
        WebResponse(status: status, contentType: "application/json", body: Array(text.utf8))
    }

    /// After a successful form POST: 303 so that reload and back never resubmit it.
    public static func redirect(to location: String) -> WebResponse {
        WebResponse(status: 303, contentType: "text/plain; charset=utf-8", body: Array("See \(location)".utf8),
                    headers: [("Location", location)])
    }
}

/// A page's refusal, shown to the user as an error page with this message and status.
public struct WebError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String

    public init(status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public static func notFound(_ message: String) -> WebError { WebError(status: 404, message) }
    public static func badRequest(_ message: String) -> WebError { WebError(status: 400, message) }

    /// The page's view of a domain error: the domain's own words, with its status.
    public static func from(_ error: any Error) -> WebError {
        if let error = error as? WebError { return error }
        if let error = error as? YardError { return WebError(status: error.code.httpStatus, error.message) }
        // Internal detail (SQL, file paths) goes to the server log, not to the page.
        return WebError(status: 500, "Something went wrong on the server; its log has the details. Try again, or report it if it persists.")
    }
}

public enum WebMethod: String, Sendable {
    case get = "GET"
    case post = "POST"
}

/// One page or endpoint of the UI. `pattern` uses the router's syntax (`/ui/runs/:run`); the server mounts
/// every route of `WebUI.routes` and turns thrown errors into the error page.
public struct WebRoute: Sendable {
    public var method: WebMethod
    public var pattern: String
    public var handler: @Sendable (WebRequest) async throws -> WebResponse

    public init(_ method: WebMethod, _ pattern: String, _ handler: @escaping @Sendable (WebRequest) async throws -> WebResponse) {
        self.method = method
        self.pattern = pattern
        self.handler = handler
    }
}
