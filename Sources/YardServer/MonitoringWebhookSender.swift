import AsyncHTTPClient
import Foundation
import NIOCore
import YardCore
import YardMonitoring

/// Posts alert payloads with the process's shared HTTP client. The answer's body is read (up to a small
/// cap) and dropped, so the connection can be reused; only the status matters.
public struct HTTPWebhookSender: WebhookSender {
    static let maxAnswerBytes = 64 << 10

    public init() {}

    public func post(url: String, body: [UInt8], timeout: Duration) async throws -> Int {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
              parsed.host != nil else {
            throw YardError.invalid("Webhook URL '\(url.prefix(200))' is not an http(s) URL.")
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "yard-monitor")
        request.body = .bytes(ByteBuffer(bytes: body))
        let seconds = timeout.components.seconds
        let milliseconds = seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(max(milliseconds, 1)))
        _ = try? await response.body.collect(upTo: Self.maxAnswerBytes)
        return Int(response.status.code)
    }
}
