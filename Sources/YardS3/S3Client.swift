import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import YardCore

/// A client for the S3 REST API on any S3-compatible endpoint, signed with Signature V4. Every payload is
/// hashed and the hash signed (`x-amz-content-sha256`), so the service checks the bytes it receives
/// against what the client meant to send. Idempotent calls are retried on connection failures and 5xx
/// answers; every failure reaches the caller as a `YardError` naming the endpoint and what went wrong.
public struct S3Client: Sendable {
    public let endpoint: S3Endpoint
    public let credentials: AWSCredentials
    public var retry: RetryPolicy
    let signer: SignatureV4
    let http: HTTPClient

    public init(endpoint: S3Endpoint, credentials: AWSCredentials, retry: RetryPolicy = RetryPolicy(),
                http: HTTPClient = S3Client.sharedHTTPClient) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.retry = retry
        self.signer = SignatureV4(credentials: credentials, region: endpoint.region, service: "s3")
        self.http = http
    }

    /// One HTTP client for every S3 client in the process (connections pooled per endpoint). It lives as
    /// long as the process, so it is never shut down. Redirects are not followed: a signed request
    /// re-sent elsewhere would not verify, and S3's redirects mean a wrong region or endpoint. The connect
    /// timeout is short because the pool keeps re-trying a refused connection until it expires, and `send`
    /// retries on top of that: an endpoint that is away is reported in seconds, not minutes.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(3), read: .seconds(120)))
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// How often and how patiently idempotent calls are retried.
    public struct RetryPolicy: Sendable {
        public var attempts: Int
        public var firstDelay: Duration

        public init(attempts: Int = 4, firstDelay: Duration = .milliseconds(100)) {
            self.attempts = max(1, attempts)
            self.firstDelay = firstDelay
        }
    }

    /// One S3 API call before signing.
    struct Operation: Sendable {
        var name: String
        var method: HTTPMethod
        var bucket: String?
        var key: String?
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body: ByteBuffer?
        /// Whether sending it twice is harmless (so a connection failure or 5xx may be retried).
        var idempotent: Bool
        /// How long to wait for the response head.
        var timeout: Duration = .seconds(60)

        /// `s3://bucket/key`, for messages.
        var target: String {
            guard let bucket else { return "the service" }
            return key.map { "s3://\(bucket)/\($0)" } ?? "bucket '\(bucket)'"
        }
    }

    /// Sends `operation` and returns the response when its status is 2xx, or 404 when `notFoundIsAnswer`
    /// (the caller reads the status). Anything else becomes a `YardError`; retryable failures are retried.
    func send(_ operation: Operation, notFoundIsAnswer: Bool = false) async throws -> HTTPClientResponse {
        var attempt = 0
        var delay = retry.firstDelay
        let payloadHash = operation.body.map(Self.payloadHash) ?? SignatureV4.emptyPayloadHash
        while true {
            attempt += 1
            try Task.checkCancellation()
            var failure: S3Failure
            do {
                let response = try await http.execute(signedRequest(operation, payloadHash: payloadHash), deadline: .now() + .init(operation.timeout))
                let status = Int(response.status.code)
                if (200..<300).contains(status) || (status == 404 && notFoundIsAnswer) { return response }
                let body = (try? await response.body.collect(upTo: 256 << 10)).map { Array($0.readableBytesView) } ?? []
                failure = .status(status, S3ErrorBody(xml: body))
            } catch let error as YardError {
                throw error
            } catch {
                if Task.isCancelled || error is CancellationError { throw CancellationError() }
                failure = .transport(error)
            }
            if case .status(403, let body) = failure, body.code == nil, operation.method == .HEAD {
                failure = .status(403, await explainForbiddenHead(operation, payloadHash: payloadHash) ?? body)
            }
            if operation.idempotent, failure.isRetryable, attempt < retry.attempts {
                try await Task.sleep(for: delay)
                delay *= 4
                continue
            }
            throw failure.error(operation: operation, endpoint: endpoint, credentials: credentials, attempts: attempt)
        }
    }

    /// A HEAD answer has no body, so a 403 to one cannot say whether the key id, the secret or a policy is
    /// at fault: the same request as a one-byte GET gets the error document that does.
    private func explainForbiddenHead(_ operation: Operation, payloadHash: String) async -> S3ErrorBody? {
        var probe = operation
        probe.method = .GET
        probe.headers.append(("range", "bytes=0-0"))
        guard let response = try? await http.execute(signedRequest(probe, payloadHash: payloadHash), deadline: .now() + .init(operation.timeout)),
              response.status.code == 403,
              let body = try? await response.body.collect(upTo: 256 << 10) else { return nil }
        let explained = S3ErrorBody(xml: Array(body.readableBytesView))
        return explained.code == nil ? nil : explained
    }

    /// The request as sent: URL, headers (host, payload hash, date, token, Authorization) and body.
    func signedRequest(_ operation: Operation, payloadHash: String, at date: Date = Date()) -> HTTPClientRequest {
        let path = endpoint.path(bucket: operation.bucket, key: operation.key)
        let host = endpoint.hostHeader(bucket: operation.bucket)
        var signable = SignatureV4.Request(
            method: operation.method.rawValue, path: path, query: operation.query,
            headers: [("host", host), ("x-amz-content-sha256", payloadHash)] + operation.headers,
            payloadHash: payloadHash)
        signer.sign(&signable, at: date)
        let query = SignatureV4.canonicalQuery(operation.query)
        var request = HTTPClientRequest(url: "\(endpoint.scheme)://\(host)\(path)\(query.isEmpty ? "" : "?" + query)")
        request.method = operation.method
        for (name, value) in signable.headers { request.headers.add(name: name, value: value) }
        if let body = operation.body {
            request.body = .bytes(body)
        } else if operation.method == .PUT || operation.method == .POST {
            request.headers.replaceOrAdd(name: "content-length", value: "0")
        }
        return request
    }

    static func payloadHash(_ body: ByteBuffer) -> String {
        var hasher = SHA256()
        body.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        return SignatureV4.hex(hasher.finalize())
    }
}

/// An error document S3 sends with a failed request: `<Error><Code>…</Code><Message>…</Message></Error>`.
struct S3ErrorBody: Sendable {
    var code: String?
    var message: String?

    init(xml: [UInt8]) {
        guard !xml.isEmpty, let root = try? XMLElement.parse(xml) else { return }
        let error = root.name == "Error" ? root : root.child("Error") ?? root
        code = error.value("Code")
        message = error.value("Message")
    }
}
