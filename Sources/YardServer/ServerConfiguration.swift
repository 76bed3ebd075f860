import Foundation
import YardCore
import YardPostgres
import YardS3

/// Everything `yard server` needs to start; tests build the same value.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Folder holding the SQLite database and the artifact root unless `storeURI` / `artifactsURI` say otherwise.
    public var dataDirectory: String
    /// `sqlite:///abs/path.db`, `sqlite:relative.db`, a plain path, or `postgresql://user@host:5432/db`;
    /// nil = `<data-dir>/yard.db`.
    public var storeURI: String?
    /// A folder (`file:///…` or a path) or a bucket (`s3://bucket/prefix`); nil = `<data-dir>/artifacts`.
    public var artifactsURI: String?
    /// Where the content-addressed objects of `yard data` are shared between replicas (`s3://bucket/prefix`);
    /// nil keeps them in `<data-dir>/objects` only.
    public var objectsURI: String?
    /// How an `s3://` artifact root is reached: endpoint, region, addressing, credentials.
    public var s3: S3Settings
    /// How large a body each surface accepts, and how much free disk an upload must leave.
    public var limits: BodyLimits
    /// A connection that sends nothing for this long (idle between requests, or stalled part-way through a
    /// request's headers or body) is closed, so slow or abandoned clients cannot hold connections open.
    public var idleTimeoutSeconds: Int
    /// Host header values the server answers (DNS-rebinding protection); nil = the bound address and the
    /// loopback names. `*` in the list accepts any host.
    public var allowedHosts: [String]?
    /// Deployments: how often model URIs are re-resolved, the scoring body limit, the prediction log.
    public var serving: ServingSettings
    /// Monitors: the scheduler, and the yard binary their pipeline actions run.
    public var monitoring: MonitoringSettings

    public init(host: String = "127.0.0.1", port: Int = 5000, dataDirectory: String = "yard-data",
                storeURI: String? = nil, artifactsURI: String? = nil, limits: BodyLimits = BodyLimits(),
                idleTimeoutSeconds: Int = 60, allowedHosts: [String]? = nil, serving: ServingSettings = ServingSettings(),
                monitoring: MonitoringSettings = MonitoringSettings(), s3: S3Settings = S3Settings(),
                objectsURI: String? = nil) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.storeURI = storeURI
        self.artifactsURI = artifactsURI
        self.limits = limits
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.allowedHosts = allowedHosts
        self.serving = serving
        self.monitoring = monitoring
        self.s3 = s3
        self.objectsURI = objectsURI
    }

    var absoluteDataDirectory: String {
        URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
    }

    /// Where the metadata lives: an embedded SQLite file, or a PostgreSQL database shared by replicas.
    public enum StoreLocation: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(PostgresSettings)
    }

    public func storeLocation() throws -> StoreLocation {
        if let uri = storeURI, PostgresSettings.isPostgresURL(uri) {
            return .postgres(try PostgresSettings(url: uri))
        }
        return .sqlite(path: try databasePath())
    }

    /// The SQLite file to open; a PostgreSQL URL is answered by `storeLocation()` instead.
    public func databasePath() throws(YardError) -> String {
        guard let uri = storeURI, !uri.isEmpty else { return absoluteDataDirectory + "/yard.db" }
        if PostgresSettings.isPostgresURL(uri) {
            throw .invalid("--store \(uri.prefix { $0 != ":" })://… is a PostgreSQL database, not a SQLite file.")
        }
        var path = uri
        if path.hasPrefix("sqlite:///") {
            path = "/" + path.dropFirst("sqlite:///".count)
        } else if path.hasPrefix("sqlite:") {
            path = String(path.dropFirst("sqlite:".count))
        } else if path.contains("://") {
            throw YardError.invalid("Unsupported --store URI '\(uri)'. Use sqlite:///path/to/file.db, a file path, or postgresql://user@host:5432/database.")
        }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// Where proxied artifacts live: a local folder or an S3 bucket.
    public enum ArtifactRoot: Sendable, Equatable {
        case folder(String)
        case s3(S3Location)
    }

    public func artifactRoot() throws(YardError) -> ArtifactRoot {
        if let uri = artifactsURI, uri.hasPrefix("s3://") { return .s3(try S3Location(uri: uri)) }
        return .folder(try artifactRootPath())
    }

    /// The bucket objects are shared in, if any.
    public func sharedObjectsLocation() throws(YardError) -> S3Location? {
        guard let uri = objectsURI, !uri.isEmpty else { return nil }
        guard uri.hasPrefix("s3://") else {
            throw .invalid("--objects \(uri): only an S3-compatible bucket (s3://bucket/prefix) can be shared; leave it out to keep objects in <data-dir>/objects.")
        }
        return try S3Location(uri: uri)
    }

    /// Where models whose artifacts are in a bucket are copied to be served.
    public var servingModelCache: String { absoluteDataDirectory + "/serving-models" }

    /// A model copy in `servingModelCache` unused this long (seconds) is removed at start-up; a version
    /// still deployed is copied again from the bucket when it next loads.
    public var servingModelRetention: TimeInterval = 14 * 24 * 3600

    /// The artifact folder; an `s3://` root is answered by `artifactRoot()` instead.
    public func artifactRootPath() throws(YardError) -> String {
        guard let uri = artifactsURI, !uri.isEmpty else { return absoluteDataDirectory + "/artifacts" }
        if uri.hasPrefix("s3://") {
            throw .invalid("--artifacts \(uri) is a bucket, not a folder.")
        }
        if uri.hasPrefix("gs://") || uri.hasPrefix("wasbs://") {
            throw YardError(.notImplemented, "Artifact roots on \(uri.prefix { $0 != ":" }):// are not supported; use a folder or an S3-compatible bucket (s3://bucket/prefix).")
        }
        if uri.hasPrefix("file://") {
            return URL(string: uri)?.path ?? String(uri.dropFirst("file://".count))
        }
        if uri.contains("://") {
            throw YardError.invalid("Unsupported --artifacts URI '\(uri)'. Use a folder path, file:///path or s3://bucket/prefix.")
        }
        return URL(fileURLWithPath: uri).standardizedFileURL.path
    }
}

/// One body-size limit per surface of the server. JSON surfaces are read whole into memory, so their caps
/// are small; uploads stream to disk, so theirs are large but finite. Over a cap the server answers 413
/// with CONTENT_TOO_LARGE naming the limit and the option that raises it.
public struct BodyLimits: Sendable, Equatable {
    public static let defaultJSONBytes = 64 << 20

    /// MLflow RPC bodies (`/api/2.0/mlflow/...`): a log-batch of 1,000 metrics is well under 1 MiB.
    public var mlflowJSONBytes: Int
    /// Native API bodies (`/api/v1/...`, JSON): policies, promotions, dataset registrations.
    public var nativeJSONBytes: Int
    /// One artifact uploaded through the `mlflow-artifacts` proxy (`--max-artifact-size`).
    public var artifactBytes: Int64
    /// One content-addressed data object pushed by `yard data push` (`--max-object-size`).
    public var objectBytes: Int64
    /// Free space an upload must leave on the disk it writes to (`--min-free-disk`); refused with 507 otherwise.
    public var minimumFreeDiskBytes: Int64

    public init(mlflowJSONBytes: Int = BodyLimits.defaultJSONBytes, nativeJSONBytes: Int = 16 << 20,
                artifactBytes: Int64 = 10 << 30, objectBytes: Int64 = 100 << 30,
                minimumFreeDiskBytes: Int64 = 1 << 30) {
        self.mlflowJSONBytes = mlflowJSONBytes
        self.nativeJSONBytes = nativeJSONBytes
        self.artifactBytes = artifactBytes
        self.objectBytes = objectBytes
        self.minimumFreeDiskBytes = minimumFreeDiskBytes
    }

    /// Parses `500MB`, `10GiB`, `1.5G`, `0` or a plain byte count (decimal and binary units both accepted).
    public static func parseSize(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        guard !digits.isEmpty, let number = Double(digits), number >= 0 else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let scale: Double
        switch unit {
        case "", "b": scale = 1
        case "k", "kb": scale = 1e3
        case "kib": scale = 1024
        case "m", "mb": scale = 1e6
        case "mib": scale = 1_048_576
        case "g", "gb": scale = 1e9
        case "gib": scale = 1_073_741_824
        case "t", "tb": scale = 1e12
        case "tib": scale = 1_099_511_627_776
        default: return nil
        }
        let bytes = number * scale
        guard bytes < 9e18 else { return nil }
        return Int64(bytes)
    }
}
