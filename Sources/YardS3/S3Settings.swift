import Foundation
import YardCore

/// How the server reaches S3: endpoint, region, addressing and credentials, each from a flag when one is
/// given, else from the variables the AWS tools and MLflow read.
public struct S3Settings: Sendable, Equatable {
    /// `http(s)://host[:port]`; nil = AWS's endpoint for the region.
    public var endpointURL: String?
    public var region: String
    public var addressing: S3Endpoint.Addressing
    /// Nil when the environment holds none (an error only once an s3:// root is used).
    public var credentials: AWSCredentials?
    /// Where each value came from, so errors name the variable or flag to fix.
    public var missingCredentials: [String]

    public init(endpointURL: String? = nil, region: String = "us-east-1", addressing: S3Endpoint.Addressing = .path,
                credentials: AWSCredentials? = nil, missingCredentials: [String] = []) {
        self.endpointURL = endpointURL
        self.region = region
        self.addressing = addressing
        self.credentials = credentials
        self.missingCredentials = missingCredentials
    }

    /// Flags win over the environment: `--s3-endpoint-url`, else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or
    /// MLFLOW_S3_ENDPOINT_URL; `--s3-region`, else AWS_REGION or AWS_DEFAULT_REGION, else us-east-1;
    /// credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional) AWS_SESSION_TOKEN.
    /// Path-style addressing unless `virtual` is asked for (custom endpoints rarely serve bucket subdomains).
    public static func resolve(endpointURL: String?, region: String?, addressing: String?,
                               environment: [String: String]) throws(YardError) -> S3Settings {
        func variable(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        var settings = S3Settings()
        settings.endpointURL = endpointURL ?? variable("AWS_ENDPOINT_URL_S3") ?? variable("AWS_ENDPOINT_URL") ?? variable("MLFLOW_S3_ENDPOINT_URL")
        settings.region = region ?? variable("AWS_REGION") ?? variable("AWS_DEFAULT_REGION") ?? "us-east-1"
        switch addressing?.lowercased() {
        case nil: settings.addressing = settings.endpointURL == nil ? .virtualHost : .path
        case "path": settings.addressing = .path
        case "virtual": settings.addressing = .virtualHost
        case let other?: throw .invalid("--s3-addressing must be 'path' or 'virtual', got '\(other)'.")
        }
        let keyId = variable("AWS_ACCESS_KEY_ID")
        let secret = variable("AWS_SECRET_ACCESS_KEY")
        if let keyId, let secret {
            settings.credentials = AWSCredentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: variable("AWS_SESSION_TOKEN"))
        } else {
            settings.missingCredentials = [keyId == nil ? "AWS_ACCESS_KEY_ID" : nil, secret == nil ? "AWS_SECRET_ACCESS_KEY" : nil].compactMap { $0 }
        }
        return settings
    }

    public func endpoint() throws(YardError) -> S3Endpoint {
        if let endpointURL { return try S3Endpoint(url: endpointURL, region: region, addressing: addressing) }
        return try S3Endpoint.aws(region: region, addressing: addressing)
    }

    public func requireCredentials(for location: S3Location) throws(YardError) -> AWSCredentials {
        guard let credentials else {
            let missing = missingCredentials.isEmpty ? ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] : missingCredentials
            throw .invalid("The artifact root \(location) needs S3 credentials: set \(missing.joined(separator: " and ")) in the server's environment.")
        }
        return credentials
    }
}
