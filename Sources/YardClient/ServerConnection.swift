import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import YardCore
#if canImport(Glibc)
import Glibc
#endif

/// A connection to a running `yard server`, for the CLI and Swift users. Errors come back as `YardError`
/// with the server's code and message, or a message saying how to reach the server.
public struct ServerConnection: Sendable {
    public let baseURL: String
    /// Recorded by the server in model history and audit entries.
    public let actor: String

    public init(baseURL: String, actor: String) {
        var trimmed = baseURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.baseURL = trimmed
        self.actor = actor
    }

    /// A connection to an explicit URL, refused at once when it is not an http(s) URL.
    public init(baseURL: String) throws(YardError) {
        var trimmed = baseURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard trimmed.hasPrefix("http://") || trimmed.hasPrefix("https://"), URL(string: trimmed)?.host != nil else {
            throw .invalid("'\(baseURL)' is not a server URL; use http://host:port.")
        }
        self.init(baseURL: trimmed, actor: Self.defaultActor)
    }

    static var defaultActor: String {
        let environment = ProcessInfo.processInfo.environment
        return environment["YARD_ACTOR"] ?? environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
    }

    /// `--server`, else `YARD_SERVER`, else `MLFLOW_TRACKING_URI` (when it is http), else the default port.
    public static func resolve(server explicit: String?) -> ServerConnection {
        let environment = ProcessInfo.processInfo.environment
        let candidates = [explicit, environment["YARD_SERVER"], environment["MLFLOW_TRACKING_URI"]]
        let url = candidates.compactMap { $0 }.first { $0.hasPrefix("http://") || $0.hasPrefix("https://") } ?? "http://127.0.0.1:5000"
        return ServerConnection(baseURL: url, actor: defaultActor)
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

// MARK: Streaming transfers and raw calls (object API)

extension ServerConnection {
    var client: HTTPClient { HTTPClient.shared }

    /// Fails fast when nothing listens at the URL. The HTTP client keeps retrying a refused connection
    /// until the request's deadline (minutes for a big upload), so a stopped server would look like a hang.
    func ensureReachable() throws(YardError) {
        guard let url = URL(string: baseURL), let host = url.host else { return }
        let port = url.port ?? (url.scheme == "https" ? 443 : 80)
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            throw YardError(.temporarilyUnavailable, "Cannot resolve the yard server host '\(host)' in \(baseURL); check the URL.")
        }
        defer { freeaddrinfo(results) }
        var reason = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            let socket = Glibc.socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            if socket >= 0 {
                var limit = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                let connected = connect(socket, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0
                reason = String(cString: strerror(errno))
                close(socket)
                if connected { return }
            }
            candidate = address.pointee.ai_next
        }
        throw YardError(.temporarilyUnavailable, "Cannot reach the yard server at \(baseURL) (\(reason)). Check that `yard server` is running there and the URL is right.")
    }

    /// Sends a request and returns the response, mapping connection failures to a clear message.
    func execute(_ request: HTTPClientRequest, timeout: TimeAmount = .seconds(300)) async throws -> HTTPClientResponse {
        do {
            return try await client.execute(request, timeout: timeout)
        } catch {
            throw YardError(.temporarilyUnavailable, "Cannot reach the yard server at \(baseURL) (\(error)). Check that `yard server` is running there and the URL is right.")
        }
    }

    /// A JSON call to the native API; non-2xx answers are turned into the server's `{error_code, message}`.
    func json(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await execute(request, timeout: .seconds(120))
        let bytes = Array(buffer: try await response.body.collect(upTo: 256 << 20))
        try Self.check(response.status, bytes, context: "\(method) \(path)")
        return bytes
    }

    static func check(_ status: HTTPResponseStatus, _ bytes: [UInt8], context: String) throws {
        guard !(200..<300).contains(status.code) else { return }
        struct ErrorBody: Decodable {
            var error_code: String?
            var message: String?
        }
        let decoded = try? JSONDecoder().decode(ErrorBody.self, from: Data(bytes))
        let code = decoded?.error_code.flatMap(YardError.Code.init(rawValue:))
            ?? (status.code == 404 ? .resourceDoesNotExist : status.code >= 500 ? .internalError : .badRequest)
        let message = decoded?.message ?? String(decoding: bytes.prefix(300), as: UTF8.self)
        if status.code == 404 && decoded?.error_code == "ENDPOINT_NOT_FOUND" {
            throw YardError(code, "The server does not offer \(context); is it a yard server of this version? (\(message))")
        }
        throw YardError(code, "Server: \(message)")
    }
}
