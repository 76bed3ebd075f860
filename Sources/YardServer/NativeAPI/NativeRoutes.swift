import Foundation
import Hummingbird
import YardCore

/// Modelyard's own API, one route collection mounted under `/api/v1`: JSON with snake_case keys, errors as
/// `{"error_code","message"}`. Paths registered here are relative to the mount point.
struct NativeRoutes {
    static let mountPath = "/api/v1"

    let router = RouteCollection(context: YardRequestContext.self)
    /// The body limit of this surface's JSON requests (`BodyLimits.nativeJSONBytes`).
    let maxJSONBodyBytes: Int

    init(maxJSONBodyBytes: Int) {
        self.maxJSONBodyBytes = maxJSONBodyBytes
        // Every POST here must be JSON: see JSONPostMiddleware for why.
        router.add(middleware: JSONPostMiddleware())
    }

    static func encode<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Reads a JSON object body into a `Decodable`, naming the offending field when it does not fit.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let DecodingError.keyNotFound(key, _) {
            throw YardError.missingParameter(key.stringValue.snakeCased)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map { $0.stringValue.snakeCased }.joined(separator: ".")
            throw YardError.invalid("Invalid value for field '\(field)': \(context.debugDescription)")
        } catch {
            throw YardError(.badRequest, "Malformed JSON request body: expected a JSON object.")
        }
    }

    static func pathParameter(_ context: YardRequestContext, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name), let value = raw.removingPercentEncoding, !value.isEmpty else {
            throw YardError.missingParameter(name)
        }
        return value
    }
}

extension String {
    var snakeCased: String {
        var result = ""
        for character in self {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
