import Hummingbird
import YardCore

/// Registers an MLflow RPC under both prefixes the protocol uses (`/api` for clients, `/ajax-api` for the
/// web UI) and turns the request into `RequestFields` the same way MLflow's server does.
struct MLflowRoutes<Context: RequestContext> {
    typealias Handler = @Sendable (RequestFields) async throws -> JSONValue

    let router: Router<Context>
    static var maxJSONBodyBytes: Int { 64 * 1024 * 1024 }

    func add(_ method: HTTPRequest.Method, _ path: String, version: Int = 2, _ handler: @escaping Handler) {
        for prefix in ["/api", "/ajax-api"] {
            router.on(RouterPath("\(prefix)/\(version).0/mlflow\(path)"), method: method) { request, _ in
                let fields = try await Self.fields(of: request)
                return Response.json(try await handler(fields))
            }
        }
    }

    static func fields(of request: Request) async throws -> RequestFields {
        if request.method == .get {
            return RequestFields(query: QueryString.pairs(request.uri.query))
        }
        if request.method == .post || request.method == .put {
            guard let contentType = request.headers[.contentType] else {
                throw YardError.invalid("Bad Request. Content-Type header is missing.")
            }
            let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard mediaType == "application/json" else {
                throw YardError.invalid("Bad Request. Content-Type must be one of ['application/json'].")
            }
        }
        var request = request
        let buffer = try await request.collectBody(upTo: maxJSONBodyBytes)
        let bytes = buffer.readableBytesView
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return RequestFields(json: [])
        }
        var document: JSONValue
        do {
            document = try JSONParser.parse(Array(bytes))
            // Legacy clients send the JSON message as a JSON string.
            if case .string(let inner) = document {
                document = try JSONParser.parse(Array(inner.utf8))
            }
        } catch let failure as JSONParser.Failure {
            throw YardError(.badRequest, "Malformed JSON request body: \(failure)")
        }
        guard case .object(let members) = document else {
            throw YardError(.badRequest, "Malformed JSON request body: expected a JSON object")
        }
        return RequestFields(json: members)
    }
}

extension JSONValue {
    static let empty = JSONValue.object([])
}
