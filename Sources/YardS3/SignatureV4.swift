import Crypto
import Foundation

/// The keys a request is signed with. `sessionToken` is set for temporary credentials (an assumed role);
/// it travels as `x-amz-security-token` and is signed with the other headers.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// AWS Signature Version 4 for header-based authentication: the canonical request, the string to sign,
/// the HMAC-SHA256 key derived from the secret, date, region and service, and the Authorization header.
/// S3's rules apply to paths: each segment is percent-encoded once and never normalised.
public struct SignatureV4: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// SHA-256 of no bytes: the payload hash of a request without a body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// A request as it will be sent, before signing. `path` is already encoded (see `encodePath`), so the
    /// bytes signed are the bytes sent; `query` holds decoded names and values.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(name: String, value: String)]
        public var headers: [(name: String, value: String)]
        public var payloadHash: String

        public init(method: String, path: String, query: [(name: String, value: String)] = [],
                    headers: [(name: String, value: String)], payloadHash: String) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    /// Adds `x-amz-date`, the session token when there is one, and `Authorization` to `request.headers`.
    /// The caller puts `host` (and, for S3, `x-amz-content-sha256`) among the headers first.
    public func sign(_ request: inout Request, at date: Date) {
        let stamp = AmzDate(date)
        request.headers.append((name: "x-amz-date", value: stamp.dateTime))
        if let token = credentials.sessionToken {
            request.headers.append((name: "x-amz-security-token", value: token))
        }
        request.headers.append((name: "Authorization", value: authorization(for: request, stamp: stamp)))
    }

    /// The Authorization header value for a request whose headers already carry `x-amz-date`.
    func authorization(for request: Request, stamp: AmzDate) -> String {
        let (canonical, signedHeaders) = Self.canonicalRequest(request)
        let scope = "\(stamp.date)/\(region)/\(service)/aws4_request"
        let toSign = Self.stringToSign(canonicalRequest: canonical, dateTime: stamp.dateTime, scope: scope)
        let signature = signature(of: toSign, date: stamp.date)
        return "\(Self.algorithm) Credential=\(credentials.accessKeyId)/\(scope),SignedHeaders=\(signedHeaders),Signature=\(signature)"
    }

    /// The hex HMAC of `stringToSign` under the key derived for `date` (yyyyMMdd).
    public func signature(of stringToSign: String, date: String) -> String {
        let key = Self.signingKey(secret: credentials.secretAccessKey, date: date, region: region, service: service)
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
    }

    // MARK: The steps, public so tests can check each against the published examples

    /// The canonical request and its signed-header list (lower-case names joined by `;`).
    public static func canonicalRequest(_ request: Request) -> (text: String, signedHeaders: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in request.headers where name.lowercased() != "authorization" {
            merged[name.lowercased(), default: []].append(trimmedHeaderValue(value))
        }
        let names = merged.keys.sorted()
        let headerLines = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let text = [
            request.method,
            request.path.isEmpty ? "/" : request.path,
            canonicalQuery(request.query),
            headerLines,
            signedHeaders,
            request.payloadHash,
        ].joined(separator: "\n")
        return (text, signedHeaders)
    }

    public static func stringToSign(canonicalRequest: String, dateTime: String, scope: String) -> String {
        [algorithm, dateTime, scope, sha256Hex(Data(canonicalRequest.utf8))].joined(separator: "\n")
    }

    public static func signingKey(secret: String, date: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data(("AWS4" + secret).utf8))
        for part in [date, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// Names and values encoded, then sorted by name and by value for repeated names; `name=` for an
    /// empty value (`?lifecycle` signs as `lifecycle=`).
    public static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { pair in
            (encode(pair.name, keepSlash: false), encode(pair.value, keepSlash: false))
        }
        let sorted = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
    }

    /// An object key as a URL path: `/` kept between segments, every other byte outside the unreserved
    /// set percent-encoded once.
    public static func encodePath(_ path: String) -> String {
        encode(path, keepSlash: true)
    }

    /// RFC 3986 percent-encoding as SigV4 specifies it: A-Z a-z 0-9 `-` `.` `_` `~` stay, everything else
    /// (UTF-8 bytes) becomes `%XX` in upper case; `/` stays only in paths.
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if unreserved[Int(byte)] || (keepSlash && byte == UInt8(ascii: "/")) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out.append("%")
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return out
    }

    public static func sha256Hex<D: DataProtocol>(_ data: D) -> String {
        hex(SHA256.hash(data: data))
    }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out = ""
        for byte in bytes {
            out.append(lowerHexDigits[Int(byte >> 4)])
            out.append(lowerHexDigits[Int(byte & 0x0F)])
        }
        return out
    }

    /// Leading and trailing spaces removed, inner runs of spaces folded to one.
    static func trimmedHeaderValue(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
    }

    private static let hexDigits: [Character] = Array("0123456789ABCDEF")
    private static let unreserved: [Bool] = (0...255).map { byte in
        let scalar = Unicode.Scalar(UInt8(byte))
        return ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || "-._~".unicodeScalars.contains(scalar)
    }
    private static let lowerHexDigits: [Character] = Array("0123456789abcdef")
}

/// A signing time in the two forms SigV4 uses: `20130524T000000Z` and `20130524`.
public struct AmzDate: Sendable, Equatable {
    public let dateTime: String
    public var date: String { String(dateTime.prefix(8)) }

    public init(_ date: Date) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        dateTime = "\(year)\(two(month))\(two(day))T\(two(secondOfDay / 3600))\(two(secondOfDay % 3600 / 60))\(two(secondOfDay % 60))Z"
    }

    /// Proleptic Gregorian year, month and day of a day count since 1970-01-01 (Howard Hinnant's
    /// days-to-civil algorithm), so signing needs no locale-dependent formatter.
    static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
