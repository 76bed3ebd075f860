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
