import Foundation
import YardCore

/// Where the bytes behind an artifact URI live. `mlflow-artifacts:` URIs (all three forms the client
/// produces) point into the server's proxied artifact root; `file:` URIs and plain paths are folders
/// the client writes to directly.
public enum ArtifactLocation: Sendable, Equatable {
    case proxied(relativePath: String)
    case localFolder(path: String)

    public init(uri: String) throws(YardError) {
        if uri.hasPrefix("mlflow-artifacts:") {
            var rest = String(uri.dropFirst("mlflow-artifacts:".count))
            if rest.hasPrefix("//") {
                // mlflow-artifacts://host:port/path: drop the authority.
                rest = String(rest.dropFirst(2))
                rest = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? ""
            }
            self = .proxied(relativePath: rest.trimmingCharacters(in: CharacterSet(charactersIn: "/")))
        } else if uri.hasPrefix("http://") || uri.hasPrefix("https://") {
            guard let range = uri.range(of: "/api/2.0/mlflow-artifacts/artifacts") else {
                throw .invalid("Artifact URI '\(uri)' does not point into a Modelyard artifact proxy")
            }
            self = .proxied(relativePath: String(uri[range.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "/")))
        } else if uri.hasPrefix("file://") {
            self = .localFolder(path: URL(string: uri)?.path ?? String(uri.dropFirst("file://".count)))
        } else if uri.hasPrefix("/") {
            self = .localFolder(path: uri)
        } else if let scheme = uri.range(of: "^[a-zA-Z][a-zA-Z0-9+.-]*:", options: .regularExpression) {
            throw YardError(.notImplemented, "Artifact URI scheme '\(uri[scheme])' is not supported yet")
        } else {
            self = .localFolder(path: URL(fileURLWithPath: uri).standardizedFileURL.path)
        }
    }

    /// The store and the path inside it for `subpath` below this location.
    public func resolve(_ subpath: String, proxyRoot: LocalArtifactStore) throws -> (store: LocalArtifactStore, path: String) {
        try LocalArtifactStore.validate(subpath)
        switch self {
        case .proxied(let relative):
            return (proxyRoot, Self.join(relative, subpath))
        case .localFolder(let path):
            return (LocalArtifactStore(readingFrom: path), subpath)
        }
    }

    public static func join(_ a: String, _ b: String) -> String {
        let parts = [a, b].map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "/")) }.filter { !$0.isEmpty }
        return parts.joined(separator: "/")
    }
}
