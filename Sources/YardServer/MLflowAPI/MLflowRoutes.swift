import Foundation
import Hummingbird
import YardCore
import YardJSON

/// The MLflow REST surface as one route collection, mounted by the application under both prefixes the
/// protocol uses (`/api` for clients, `/ajax-api` for the web UI). Each RPC's request becomes
/// `RequestFields` the same way MLflow's server reads it.
struct MLflowRoutes {
    typealias Handler = @Sendable (RequestFields) async throws -> JSONValue
    typealias CallHandler = @Sendable (MLflowCall) async throws -> JSONValue

    static let prefixes = ["/api", "/ajax-api"]

    let routes = RouteCollection(context: YardRequestContext.self)
    /// The body limit of this surface (`BodyLimits.mlflowJSONBytes`).
    let maxJSONBodyBytes: Int

    init(maxJSONBodyBytes: Int) {
        self.maxJSONBodyBytes = maxJSONBodyBytes
    }

    func add(_ method: HTTPRequest.Method, _ path: String, version: Int = 2, _ handler: @escaping Handler) {
        addCall(method, path, version: version) { call in try await handler(call.fields) }
    }

    /// For handlers that also need path parameters (`{model_id}`) or who is calling.
    func addCall(_ method: HTTPRequest.Method, _ path: String, version: Int = 2, _ handler: @escaping CallHandler) {
        let limit = maxJSONBodyBytes
        routes.on(RouterPath("/\(version).0/mlflow\(path)"), method: method) { request, context in
            let call = MLflowCall(fields: try await Self.fields(of: request, limit: limit), parameters: context.parameters,
                                  actor: context.identity.actor)
            return Response.json(try await handler(call))
        }
    }

    /// Like `add`, for a handler that writes its JSON body itself (a page of up to 1,000 whole runs).
    func addEncoded(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping @Sendable (RequestFields) async throws -> [UInt8]) {
        let limit = maxJSONBodyBytes
        routes.on(RouterPath("/2.0/mlflow\(path)"), method: method) { request, _ in
            let body = try await handler(try await Self.fields(of: request, limit: limit))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    static func fields(of request: Request, limit: Int) async throws -> RequestFields {
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
        let buffer = try await request.collectBody(upTo: limit)
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

extension JSONValue {
    static let empty = JSONValue.object([])
}
