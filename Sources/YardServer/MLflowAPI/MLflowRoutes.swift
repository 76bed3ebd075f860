import Foundation
import Hummingbird
import YardCore

/// Registers an MLflow RPC under both prefixes the protocol uses (`/api` for clients, `/ajax-api` for the
/// web UI) and turns the request into `RequestFields` the same way MLflow's server does.
struct MLflowRoutes<Context: RequestContext> {
    typealias Handler = @Sendable (RequestFields) async throws -> JSONValue
    typealias CallHandler = @Sendable (MLflowCall) async throws -> JSONValue

    let router: Router<Context>
    static var maxJSONBodyBytes: Int { 64 * 1024 * 1024 }

    func add(_ method: HTTPRequest.Method, _ path: String, version: Int = 2, _ handler: @escaping Handler) {
        addCall(method, path, version: version) { call in try await handler(call.fields) }
    }

    /// For handlers that also need path parameters (`{model_id}`) or who is calling.
    func addCall(_ method: HTTPRequest.Method, _ path: String, version: Int = 2, _ handler: @escaping CallHandler) {
        for prefix in ["/api", "/ajax-api"] {
            router.on(RouterPath("\(prefix)/\(version).0/mlflow\(path)"), method: method) { request, context in
                let call = MLflowCall(fields: try await Self.fields(of: request), parameters: context.parameters,
                                      actor: Actor.name(of: request))
                return Response.json(try await handler(call))
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

struct MLflowCall: Sendable {
    let fields: RequestFields
    let parameters: Parameters
    let actor: String

    func path(_ name: String) throws -> String {
        guard let value = parameters.get(name), let decoded = value.removingPercentEncoding else {
            throw YardError.missingParameter(name)
        }
        return decoded
    }
}

/// Who made a request, for the history and audit trail: the basic-auth user the MLflow client sends,
/// or the `X-Yard-Actor` header the yard CLI sets.
enum Actor {
    static func name(of request: Request) -> String {
        if let actor = request.headers[.init("X-Yard-Actor")!], !actor.isEmpty { return actor }
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("basic "),
           let data = Data(base64Encoded: String(authorization.dropFirst(6))),
           let user = String(data: data, encoding: .utf8)?.split(separator: ":").first {
            return String(user)
        }
        return "anonymous"
    }
}

extension JSONValue {
    static let empty = JSONValue.object([])
}
