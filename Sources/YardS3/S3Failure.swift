import AsyncHTTPClient
import NIOCore
import YardCore

/// Why an S3 call failed, before it is worded for the caller.
enum S3Failure: Error {
    /// No HTTP answer: connection refused, reset, timed out, name not resolved.
    case transport(any Error)
    /// An HTTP answer with a non-success status and S3's error document (if it sent one).
    case status(Int, S3ErrorBody)

    var isRetryable: Bool {
        switch self {
        case .transport: return true
        case .status(let status, let body):
            return [500, 502, 503, 504].contains(status) || body.code == "SlowDown" || body.code == "RequestTimeout"
                || body.code == "InternalError"
        }
    }

    /// The error as the caller sees it: which credential is wrong, which bucket is missing, or that the
    /// endpoint is away (503, after the retries).
    func error(operation: S3Client.Operation, endpoint: S3Endpoint, credentials: AWSCredentials, attempts: Int) -> YardError {
        let at = "S3 endpoint \(endpoint.url)"
        let tries = attempts > 1 ? " (\(attempts) attempts)" : ""
        switch self {
        case .transport(let error):
            return YardError(.temporarilyUnavailable,
                             "\(at) is unreachable: \(Self.describe(error))\(tries). Check that the endpoint URL is right and the service is running.")
        case .status(let status, let body):
            let code = body.code ?? "HTTP \(status)"
            let detail = body.message.map { ": \($0)" } ?? ""
            switch (status, body.code) {
            case (_, "InvalidAccessKeyId"):
                return YardError(.permissionDenied,
                                 "\(at) does not know the access key id '\(credentials.accessKeyId)' (InvalidAccessKeyId). Check AWS_ACCESS_KEY_ID.")
            case (_, "SignatureDoesNotMatch"):
                return YardError(.permissionDenied,
                                 "\(at) rejected the request signature (SignatureDoesNotMatch): the secret access key is not the one for access key id '\(credentials.accessKeyId)'. Check AWS_SECRET_ACCESS_KEY.")
            case (_, "InvalidToken"), (_, "ExpiredToken"), (_, "TokenRefreshRequired"):
                return YardError(.permissionDenied,
                                 "\(at) refused the session token (\(code)) sent with access key id '\(credentials.accessKeyId)'. Check AWS_SESSION_TOKEN (unset it for long-term keys).")
            case (_, "RequestTimeTooSkewed"):
                return YardError(.permissionDenied, "\(at) refused the request because this machine's clock is too far from the service's (RequestTimeTooSkewed).")
            case (_, "NoSuchBucket"):
                return YardError(.invalidState, "S3 bucket '\(operation.bucket ?? "")' does not exist at \(endpoint.url) (NoSuchBucket). Create it or fix the bucket in the s3:// URI.")
            case (_, "AccessDenied"), (403, nil):
                return YardError(.permissionDenied,
                                 "\(at) denied \(operation.name) on \(operation.target) to access key id '\(credentials.accessKeyId)' (\(code)\(detail)).")
            case (_, "PermanentRedirect"), (301, _), (307, _):
                return YardError(.invalidState,
                                 "\(at) says \(operation.target) is served elsewhere (\(code)\(detail)). Check the region (AWS_REGION) and the endpoint URL.")
            case (404, "NoSuchKey"), (404, nil):
                return YardError.notFound("No such object: \(operation.target)")
            case (500..., _):
                return YardError(.temporarilyUnavailable, "\(at) failed \(operation.name) on \(operation.target) with \(status) \(code)\(detail)\(tries). Try again later.")
            default:
                return YardError(.internalError, "\(at) refused \(operation.name) on \(operation.target) with \(status) \(code)\(detail).")
            }
        }
    }

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout: return "connecting timed out"
            case .deadlineExceeded: return "no answer in time"
            case .readTimeout: return "the answer stalled"
            case .remoteConnectionClosed: return "the connection was closed"
            default: return "\(client)"
            }
        }
        if let io = error as? IOError { return "\(io)" }
        // NIOPosix's NIOConnectionError (not linked here) holds one failure per address tried; its own
        // description is a dump of every field, so the first underlying error is read out by reflection.
        let fields = Mirror(reflecting: error).children
        if let attempts = fields.first(where: { $0.label == "connectionErrors" })?.value as? [Any], let first = attempts.first,
           let cause = Mirror(reflecting: first).children.first(where: { $0.label == "error" })?.value {
            return "cannot connect (\(cause))"
        }
        if fields.contains(where: { ($0.label == "dnsAError" || $0.label == "dnsAAAAError") && "\($0.value)" != "nil" }) {
            return "cannot resolve the host name"
        }
        return "\(error)"
    }
}
