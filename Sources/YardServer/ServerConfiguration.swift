import Foundation
import YardCore

/// Everything `yard server` needs to start; tests build the same value.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Folder holding the SQLite database and the artifact root unless `storeURI` / `artifactsURI` say otherwise.
    public var dataDirectory: String
    /// `sqlite:///abs/path.db`, `sqlite:relative.db` or a plain path; nil = `<data-dir>/yard.db`.
    public var storeURI: String?
    /// A folder (`file:///…` or a path); nil = `<data-dir>/artifacts`.
    public var artifactsURI: String?

    public init(host: String = "127.0.0.1", port: Int = 5000, dataDirectory: String = "yard-data",
                storeURI: String? = nil, artifactsURI: String? = nil) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.storeURI = storeURI
        self.artifactsURI = artifactsURI
    }

    var absoluteDataDirectory: String {
        URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
    }

    /// The SQLite file to open, or a clear refusal for backends this build cannot reach yet.
    public func databasePath() throws(YardError) -> String {
        guard let uri = storeURI, !uri.isEmpty else { return absoluteDataDirectory + "/yard.db" }
        if uri.hasPrefix("postgresql:") || uri.hasPrefix("postgres:") {
            throw YardError(.notImplemented, "PostgreSQL stores are not available in this build yet; use a SQLite store (the default) for now.")
        }
        var path = uri
        if path.hasPrefix("sqlite:///") {
            path = "/" + path.dropFirst("sqlite:///".count)
        } else if path.hasPrefix("sqlite:") {
            path = String(path.dropFirst("sqlite:".count))
        } else if path.contains("://") {
            throw YardError.invalid("Unsupported --store URI '\(uri)'. Use sqlite:///path/to/file.db or a file path.")
        }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    public func artifactRootPath() throws(YardError) -> String {
        guard let uri = artifactsURI, !uri.isEmpty else { return absoluteDataDirectory + "/artifacts" }
        if uri.hasPrefix("s3://") || uri.hasPrefix("gs://") || uri.hasPrefix("wasbs://") {
            throw YardError(.notImplemented, "Object-store artifact roots (\(uri)) are not available in this build yet; use a local folder for now.")
        }
        if uri.hasPrefix("file://") {
            return URL(string: uri)?.path ?? String(uri.dropFirst("file://".count))
        }
        if uri.contains("://") {
            throw YardError.invalid("Unsupported --artifacts URI '\(uri)'. Use a folder path or file:///path.")
        }
        return URL(fileURLWithPath: uri).standardizedFileURL.path
    }
}
