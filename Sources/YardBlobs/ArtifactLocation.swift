import Foundation
import YardCore

/// Where the bytes behind an artifact URI live. `mlflow-artifacts:` URIs (all three forms the client
/// produces) point into the server's proxied artifact root; `file:` URIs and plain paths are folders
/// the client writes to directly.
public enum ArtifactLocation: Sendable, Equatable {
    case proxied(relativePath: String)
    case localFolder(path: String)

    public init(uri: String) throws(YardError) {
        // A query or fragment means nothing to a folder and only serves to confuse parsers
        // (`file:///etc?` lists /etc on some of them): refuse it outright.
        if uri.contains("?") || uri.contains("#") || uri.contains("\0") {
            throw .invalid("Artifact location '\(uri)' must not contain a query ('?'), a fragment ('#') or NUL.")
        }
        let lowered = uri.lowercased()
        if lowered.hasPrefix("mlflow-artifacts:") || lowered.hasPrefix("file:") {
            // Schemes are case-insensitive (RFC 3986); normalise so `FILE:///` takes the same checks.
            let colon = uri.firstIndex(of: ":")!
            let normalised = uri[..<colon].lowercased() + uri[colon...]
            if normalised != uri { try self.init(uri: normalised); return }
        }
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

    /// The store and the path inside it for `subpath` below this location. A local folder is served only
    /// when it lies inside one of `localRoots` (the server's artifact root and any configured extra roots),
    /// compared by path components: an experiment whose stored location points elsewhere (`file:///etc`)
    /// cannot make the server read or list that folder.
    public func resolve(_ subpath: String, proxyRoot: any ArtifactStore,
                        localRoots: [String]) throws(YardError) -> (store: any ArtifactStore, path: String) {
        try LocalArtifactStore.validate(subpath)
        switch self {
        case .proxied(let relative):
            try LocalArtifactStore.validate(relative)
            return (proxyRoot, Self.join(relative, subpath))
        case .localFolder(let path):
            guard localRoots.contains(where: { Self.isInside(path, root: $0) }) else {
                throw YardError(.permissionDenied,
                                "Artifact location '\(path)' is outside the server's artifact roots; the server does not read it.")
            }
            return (LocalArtifactStore(readingFrom: path), subpath)
        }
    }

    /// True when `path` is `root` or below it, by path components after standardising both (so `/a/runs`
    /// does not contain `/a/runs2`, and `..` cannot climb out).
    public static func isInside(_ path: String, root: String) -> Bool {
        let candidate = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        let base = URL(fileURLWithPath: root).standardizedFileURL.pathComponents
        guard candidate.count >= base.count, !candidate.contains("..") else { return false }
        return Array(candidate.prefix(base.count)) == base
    }

    public static func join(_ a: String, _ b: String) -> String {
        let parts = [a, b].map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "/")) }.filter { !$0.isEmpty }
        return parts.joined(separator: "/")
    }
}

/// The artifact stores a server can reach: the proxied root (`mlflow-artifacts:`) and the local folders a
/// run's or model's `file:` location may point into. Routes resolve every stored location through this.
public struct ArtifactRoots: Sendable {
    public let proxy: any ArtifactStore
    public let localRoots: [String]

    public init(proxy: any ArtifactStore, localRoots: [String]) {
        self.proxy = proxy
        self.localRoots = localRoots
    }

    /// The store and path for `subpath` below the artifact location `uri`.
    public func locate(_ uri: String, _ subpath: String) throws(YardError) -> (store: any ArtifactStore, path: String) {
        try ArtifactLocation(uri: uri).resolve(subpath, proxyRoot: proxy, localRoots: localRoots)
    }
}
