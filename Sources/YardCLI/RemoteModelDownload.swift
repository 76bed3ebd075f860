import Foundation
import NIOHTTP1
import YardClient
import YardCore
import YardJSON
import YardServing

/// Fetches a model version's files (`models:/name/3`, `models:/name@alias`, `runs:/id/path`, and versions
/// registered from a run) through the server's artifact proxy; `yard predict` and `yard serve` share it.
struct RemoteModelDownload {
    let connection: ServerConnection

    func download(_ uri: String, into folder: String) async throws {
        let location: String
        if uri.lowercased().hasPrefix("runs:") {
            location = try await runLocation(uri)
        } else {
            let reference: ModelReference
            do {
                reference = try ModelReference(parsing: uri, field: "MODEL")
            } catch {
                throw CLIError(error.message)
            }
            let (name, version): (String, String)
            switch reference {
            case .version(let model, let number):
                (name, version) = (model, String(number))
            case .alias(let model, let alias):
                let reply = try await json(.GET, "/api/2.0/mlflow/registered-models/alias", query: [("name", model), ("alias", alias)])
                guard case .string(let number)? = reply["model_version"]?["version"] else {
                    throw YardError(.internalError, "The server's answer for \(uri) has no model_version.version.")
                }
                (name, version) = (model, number)
            case .path(let path):
                throw CLIError("'\(path)' is not a registered model URI.")
            }
            let reply = try await json(.GET, "/api/2.0/mlflow/model-versions/get-download-uri", query: [("name", name), ("version", version)])
            guard case .string(let artifactURI)? = reply["artifact_uri"] else {
                throw YardError(.internalError, "The server's answer for the download URI of \(name) version \(version) has no artifact_uri.")
            }
            location = artifactURI.lowercased().hasPrefix("runs:") ? try await runLocation(artifactURI) : artifactURI
        }
        let root = try proxyPath(location, for: uri)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var fileCount = 0
        try await copy(remote: root, local: folder, depth: 0, files: &fileCount)
        guard fileCount > 0 else {
            throw CLIError("\(uri) resolves to '\(location)', which holds no files.")
        }
    }

    private func runLocation(_ uri: String) async throws -> String {
        let rest = uri.drop(while: { $0 != ":" }).dropFirst().drop(while: { $0 == "/" })
        let parts = rest.split(separator: "/", maxSplits: 1).map(String.init)
        guard let runID = parts.first, !runID.isEmpty else {
            throw CLIError("'\(uri)' names no run; use runs:/<run_id>/<artifact path>, e.g. runs:/0123abcd/model.")
        }
        let reply = try await json(.GET, "/api/2.0/mlflow/runs/get", query: [("run_id", runID)])
        guard case .string(let artifactRoot)? = reply["run"]?["info"]?["artifact_uri"] else {
            throw YardError(.internalError, "The server's answer for run \(runID) has no run.info.artifact_uri.")
        }
        return parts.count > 1 ? artifactRoot + "/" + parts[1] : artifactRoot
    }

    /// `mlflow-artifacts:/a/b` (optionally with an authority) as the proxy path `a/b`.
    private func proxyPath(_ location: String, for uri: String) throws -> String {
        let scheme = "mlflow-artifacts:"
        guard location.hasPrefix(scheme) else {
            throw CLIError("\(uri) is stored at '\(location)', which is not served through the tracking server's artifact proxy; download the model folder and pass its path instead.")
        }
        var rest = Substring(location.dropFirst(scheme.count))
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2).drop { $0 != "/" }
        }
        let parts = rest.split(separator: "/")
        guard !parts.contains("..") else {
            throw CLIError("\(uri) is stored at '\(location)', which climbs out of the artifact root.")
        }
        return parts.joined(separator: "/")
    }

    private func copy(remote: String, local: String, depth: Int, files: inout Int) async throws {
        guard depth < 8 else { throw CLIError("The model folder nests deeper than 8 levels at '\(remote)'; is it really a model?") }
        let listing = try await json(.GET, "/api/2.0/mlflow-artifacts/artifacts", query: [("path", remote)])
        guard case .array(let entries)? = listing["files"] else { return }
        for entry in entries {
            guard case .string(let path)? = entry["path"] else { continue }
            let name = path.split(separator: "/").last.map(String.init) ?? path
            guard !name.isEmpty, name != ".", name != ".." else { continue }
            let remoteChild = remote.isEmpty ? name : remote + "/" + name
            let localChild = (local as NSString).appendingPathComponent(name)
            if case .bool(true)? = entry["is_dir"] {
                try FileManager.default.createDirectory(atPath: localChild, withIntermediateDirectories: true)
                try await copy(remote: remoteChild, local: localChild, depth: depth + 1, files: &files)
            } else {
                let encoded = remoteChild.split(separator: "/").map { ServerConnection.pathComponent(String($0)) }.joined(separator: "/")
                let reply = try await connection.send(.GET, "/api/2.0/mlflow-artifacts/artifacts/" + encoded)
                guard reply.status == 200 else { throw ServerConnection.error(from: reply) }
                guard FileManager.default.createFile(atPath: localChild, contents: reply.body) else {
                    throw CLIError("Cannot write '\(localChild)' while downloading the model.")
                }
                files += 1
            }
        }
    }

    private func json(_ method: HTTPMethod, _ path: String, query: [(String, String)]) async throws -> JSONValue {
        let reply = try await connection.send(method, path, query: query)
        guard reply.status == 200 else { throw ServerConnection.error(from: reply) }
        do {
            return try JSONParser.parse([UInt8](reply.body))
        } catch {
            throw YardError(.internalError, "The server at \(connection.baseURL) answered \(path) with a body that is not JSON.")
        }
    }
}
