import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import YardCore

/// One yard server's base URL and the shared HTTP client, with the native API's error handling: every
/// failure becomes a YardError that says what went wrong and what to do.
struct ServerConnection: Sendable {
    let baseURL: String

    init(baseURL: String) throws(YardError) {
        var trimmed = baseURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard trimmed.hasPrefix("http://") || trimmed.hasPrefix("https://"), URL(string: trimmed)?.host != nil else {
            throw .invalid("'\(baseURL)' is not a server URL; use http://host:port.")
        }
        self.baseURL = trimmed
    }

    var client: HTTPClient { HTTPClient.shared }

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
