import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import YardCore

/// A connection to a running `yard server`, for the CLI and Swift users. Errors come back as `YardError`
/// with the server's code and message, or a message saying how to reach the server.
public struct ServerConnection: Sendable {
    public let baseURL: String
    /// Recorded by the server in model history and audit entries.
    public let actor: String

    public init(baseURL: String, actor: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.actor = actor
    }

    /// `--server`, else `YARD_SERVER`, else `MLFLOW_TRACKING_URI` (when it is http), else the default port.
    public static func resolve(server explicit: String?) -> ServerConnection {
        let environment = ProcessInfo.processInfo.environment
        let candidates = [explicit, environment["YARD_SERVER"], environment["MLFLOW_TRACKING_URI"]]
        let url = candidates.compactMap { $0 }.first { $0.hasPrefix("http://") || $0.hasPrefix("https://") } ?? "http://127.0.0.1:5000"
        let actor = environment["YARD_ACTOR"] ?? environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
        return ServerConnection(baseURL: url, actor: actor)
    }

    public struct Reply: Sendable {
        public let status: Int
        public let body: Data
    }

    public func send(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Data? = nil,
                     contentType: String = "application/json") async throws -> Reply {
        var url = baseURL + path
        if !query.isEmpty {
            var components = URLComponents()
            components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
            url += "?" + (components.percentEncodedQuery ?? "")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "X-Yard-Actor", value: actor)
        request.headers.add(name: "User-Agent", value: "yard-cli")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
            let buffer = try await response.body.collect(upTo: 256 * 1024 * 1024)
            return Reply(status: Int(response.status.code), body: Data(buffer.readableBytesView))
        } catch {
            throw YardError(.temporarilyUnavailable, "Could not reach the Modelyard server at \(baseURL): \(error). Start one with `yard server`, or pass --server / set YARD_SERVER to its URL.")
        }
    }

    /// Sends a request and decodes a successful JSON reply; an error reply becomes a `YardError`.
    public func call<T: Decodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
                                   body: Data? = nil, contentType: String = "application/json",
                                   accepting accepted: Set<Int> = [200]) async throws -> T {
        let reply = try await send(method, path, query: query, body: body, contentType: contentType)
        guard accepted.contains(reply.status) else { throw Self.error(from: reply) }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(T.self, from: reply.body)
    }

    public static func error(from reply: Reply) -> YardError {
        if let object = try? JSONSerialization.jsonObject(with: reply.body) as? [String: Any],
           let message = object["message"] as? String {
            let code = (object["error_code"] as? String).flatMap(YardError.Code.init(rawValue:)) ?? .badRequest
            return YardError(code, message)
        }
        let text = String(decoding: reply.body.prefix(500), as: UTF8.self)
        return YardError(reply.status >= 500 ? .internalError : .badRequest, "The server answered HTTP \(reply.status): \(text)")
    }

    public static func pathComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }
}
