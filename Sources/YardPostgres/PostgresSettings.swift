import Foundation
import PostgresNIO
import YardCore

/// Where the store lives, read from a `postgresql://user:password@host:port/database?…` URL.
///
/// Query options: `sslmode` (`disable`, `prefer` the default, or `require`, as libpq), `schema` (a schema
/// of its own, created on first use: several installations can share one database), `pool_max`
/// (connections per server process, default 16) and `connect_timeout` (seconds, default 5). The password
/// may come from `PGPASSWORD` instead of the URL, so it stays out of process listings.
public struct PostgresSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var schema: String
    public var sslMode: String
    public var maximumConnections: Int
    public var connectTimeoutSeconds: Int

    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard Self.isPostgresURL(text), let components = URLComponents(string: text) else {
            throw YardError.invalid("'\(Self.redacted(text))' is not a PostgreSQL URL; expected postgresql://user:password@host:5432/database.")
        }
        guard let host = components.host, !host.isEmpty else {
            throw YardError.invalid("The PostgreSQL URL names no host; expected postgresql://user:password@host:5432/database.")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.user.flatMap { $0.removingPercentEncoding } ?? environment["PGUSER"] ?? "postgres"
        self.password = components.password.flatMap { $0.removingPercentEncoding } ?? environment["PGPASSWORD"]
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? username : (path.removingPercentEncoding ?? path)
        var options: [String: String] = [:]
        for item in components.queryItems ?? [] { options[item.name] = item.value ?? "" }
        self.schema = options.removeValue(forKey: "schema") ?? "public"
        self.sslMode = options.removeValue(forKey: "sslmode") ?? "prefer"
        self.maximumConnections = 16
        self.connectTimeoutSeconds = 5
        if let text = options.removeValue(forKey: "pool_max") {
            guard let value = Int(text), (1...1000).contains(value) else {
                throw YardError.invalid("pool_max in the PostgreSQL URL must be a whole number from 1 to 1000, not '\(text)'.")
            }
            maximumConnections = value
        }
        if let text = options.removeValue(forKey: "connect_timeout") {
            guard let value = Int(text), (1...600).contains(value) else {
                throw YardError.invalid("connect_timeout in the PostgreSQL URL must be seconds from 1 to 600, not '\(text)'.")
            }
            connectTimeoutSeconds = value
        }
        guard ["disable", "prefer", "require"].contains(sslMode) else {
            throw YardError.invalid("sslmode in the PostgreSQL URL must be disable, prefer or require, not '\(sslMode)'.")
        }
        guard schema.range(of: "^[A-Za-z_][A-Za-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw YardError.invalid("schema in the PostgreSQL URL must be a plain identifier (letters, digits, _), not '\(schema)'.")
        }
        if let unknown = options.keys.sorted().first {
            throw YardError.invalid("Unknown option '\(unknown)' in the PostgreSQL URL; known: sslmode, schema, pool_max, connect_timeout.")
        }
    }

    /// The URL as logs and banners show it: the password is never printed.
    public var displayName: String {
        "postgresql://\(username)@\(host):\(port)/\(database)" + (schema == "public" ? "" : "?schema=\(schema)")
    }

    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? "postgresql://…"
    }

    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "require": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username,
                                                         password: password, database: database, tls: tls)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(connectTimeoutSeconds)
        configuration.options.additionalStartupParameters = [("search_path", schema), ("application_name", "yard")]
        return configuration
    }
}
