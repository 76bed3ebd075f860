import Foundation
import YardCore

/// Where an S3-compatible service answers and how buckets are addressed there.
public struct S3Endpoint: Sendable, Equatable {
    public enum Addressing: String, Sendable {
        /// `http://host/bucket/key`: what MinIO, moto and most self-hosted services expect.
        case path
        /// `http://bucket.host/key`: AWS's default.
        case virtualHost = "virtual"
    }

    public let scheme: String
    public let host: String
    public let port: Int?
    public let region: String
    public let addressing: Addressing

    /// Parses `http(s)://host[:port]`; a path, query or credentials in the URL are refused, so what is
    /// signed is exactly what is sent.
    public init(url: String, region: String, addressing: Addressing = .path) throws(YardError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else {
            throw .invalid("S3 endpoint '\(url)' is not an http:// or https:// URL with a host (e.g. http://127.0.0.1:9000).")
        }
        if !(components.path.isEmpty || components.path == "/") || components.query != nil || components.fragment != nil {
            throw .invalid("S3 endpoint '\(url)' must be scheme, host and port only, without a path or query.")
        }
        if components.user != nil || components.password != nil {
            throw .invalid("S3 endpoint '\(url)' must not carry credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")
        }
        let trimmedRegion = region.trimmingCharacters(in: .whitespaces)
        guard !trimmedRegion.isEmpty, trimmedRegion.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw .invalid("S3 region '\(region)' must be a region name such as us-east-1.")
        }
        self.scheme = scheme
        self.host = host
        self.port = components.port
        self.region = trimmedRegion
        self.addressing = addressing
    }

    /// AWS's own endpoint for a region, for when no endpoint URL is given.
    public static func aws(region: String, addressing: Addressing = .virtualHost) throws(YardError) -> S3Endpoint {
        try S3Endpoint(url: "https://s3.\(region).amazonaws.com", region: region, addressing: addressing)
    }

    /// `scheme://host[:port]`, for messages.
    public var url: String {
        "\(scheme)://\(authority(host))"
    }

    /// The Host header value and URL authority for one bucket.
    func hostHeader(bucket: String?) -> String {
        if addressing == .virtualHost, let bucket { return authority("\(bucket).\(host)") }
        return authority(host)
    }

    /// The encoded request path of a bucket or an object in it.
    func path(bucket: String?, key: String?) -> String {
        let encodedKey = key.map { "/" + SignatureV4.encodePath($0) } ?? ""
        guard let bucket else { return "/" }
        if addressing == .virtualHost { return encodedKey.isEmpty ? "/" : encodedKey }
        return "/" + SignatureV4.encode(bucket, keepSlash: false) + encodedKey
    }

    private func authority(_ name: String) -> String {
        let bracketed = name.contains(":") ? "[\(name)]" : name
        guard let port, port != (scheme == "https" ? 443 : 80) else { return bracketed }
        return "\(bracketed):\(port)"
    }
}

/// `s3://bucket/prefix`: a bucket and the key prefix (no leading or trailing `/`) everything lives under.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public let bucket: String
    public let prefix: String

    public init(bucket: String, prefix: String) throws(YardError) {
        try Self.validateBucket(bucket)
        let segments = prefix.split(separator: "/", omittingEmptySubsequences: true)
        if segments.contains(where: { $0 == ".." || $0 == "." }) || prefix.contains("\\") || prefix.contains("\0") {
            throw .invalid("S3 prefix '\(prefix)' must not contain '.', '..', backslashes or NUL.")
        }
        self.bucket = bucket
        self.prefix = segments.joined(separator: "/")
    }

    public init(uri: String) throws(YardError) {
        guard uri.hasPrefix("s3://") else {
            throw .invalid("'\(uri)' is not an s3:// URI (expected s3://bucket/prefix).")
        }
        let rest = uri.dropFirst("s3://".count)
        if rest.contains("?") || rest.contains("#") {
            throw .invalid("S3 URI '\(uri)' must not contain a query ('?') or a fragment ('#').")
        }
        let bucket = rest.prefix { $0 != "/" }
        try self.init(bucket: String(bucket), prefix: String(rest.dropFirst(bucket.count)))
    }

    public var description: String { prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)" }

    /// S3's bucket naming rules: 3-63 characters of lower-case letters, digits, `.` and `-`, starting and
    /// ending with a letter or digit.
    static func validateBucket(_ bucket: String) throws(YardError) {
        let allowed = bucket.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
        }
        guard (3...63).contains(bucket.count), allowed, let first = bucket.first, let last = bucket.last,
              first.isLetter || first.isNumber, last.isLetter || last.isNumber else {
            throw .invalid("S3 bucket name '\(bucket)' is invalid: use 3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit.")
        }
    }
}
