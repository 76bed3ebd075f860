import Foundation
import Hummingbird
import YardBlobs
import YardCore
import YardTracking

/// Artifacts: the tracking API's run-relative listing, and the `mlflow-artifacts` proxy that stores bytes
/// under the server's artifact root (upload, download, list, delete).
struct ArtifactRoutes<Context: RequestContext> {
    let tracking: TrackingService
    let artifacts: LocalArtifactStore
    static var proxyPrefixes: [String] { ["/api/2.0/mlflow-artifacts/artifacts", "/ajax-api/2.0/mlflow-artifacts/artifacts"] }

    func register(on router: Router<Context>, mlflow: MLflowRoutes<Context>) {
        let tracking = self.tracking
        let artifacts = self.artifacts
        mlflow.add(.get, "/artifacts/list") { fields in
            let run = try await tracking.run(id: try fields.runId())
            let path = try fields.string("path") ?? ""
            let (store, relative) = try ArtifactLocation(uri: run.info.artifactUri).resolve(path, proxyRoot: artifacts)
            var members: [(String, JSONValue)] = [("root_uri", .string(run.info.artifactUri))]
            let entries = try store.list(relative) ?? []
            if !entries.isEmpty {
                members.append(("files", .array(entries.map {
                    MLflowJSON.fileInfo(path: ArtifactLocation.join(path, $0.name), entry: ArtifactEntryJSON(isDirectory: $0.isDirectory, size: $0.size))
                })))
            }
            return .object(members)
        }
        for prefix in Self.proxyPrefixes {
            router.get(RouterPath(prefix)) { request, _ in
                let path = QueryString.pairs(request.uri.query).last(where: { $0.0 == "path" })?.1 ?? ""
                guard let entries = try artifacts.list(path) else { return Response.json(.empty) }
                return Response.json(.object([("files", .array(entries.map {
                    MLflowJSON.fileInfo(path: $0.name, entry: ArtifactEntryJSON(isDirectory: $0.isDirectory, size: $0.size))
                }))]))
            }
            router.get(RouterPath(prefix + "/**")) { request, context in
                let path = try Self.artifactPath(request, prefix: prefix)
                guard let entry = try artifacts.entry(at: path) else {
                    throw YardError.notFound("No such artifact: '\(path)'")
                }
                if entry.isDirectory {
                    throw YardError.invalid("'\(path)' is a directory; list it instead of downloading it")
                }
                let body = try await FileIO().loadFile(path: try artifacts.resolve(path), context: context)
                return Response(status: .ok, headers: [
                    .contentType: MediaTypes.guess(fileName: entry.name),
                    .contentDisposition: "attachment; filename=\"\(entry.name)\"",
                    .init("X-Content-Type-Options")!: "nosniff",
                ], body: body)
            }
            router.put(RouterPath(prefix + "/**")) { request, _ in
                let path = try Self.artifactPath(request, prefix: prefix)
                let writer = try artifacts.beginWrite(path)
                do {
                    for try await buffer in request.body {
                        try buffer.withUnsafeReadableBytes { bytes throws(YardError) in try writer.append(bytes) }
                    }
                    try writer.commit()
                } catch {
                    writer.abort()
                    throw error
                }
                return Response.json(.empty)
            }
            router.delete(RouterPath(prefix + "/**")) { request, _ in
                try artifacts.delete(try Self.artifactPath(request, prefix: prefix))
                return Response.json(.empty)
            }
        }
        mlflow.add(.post, "/mlflow-artifacts/mpu/create") { _ in
            throw YardError(.notImplemented, "Multipart upload is not supported for the current artifact repository")
        }
    }

    /// The path after the proxy prefix, read from the raw request path (the router folds `//`, which
    /// would turn an absolute path into a relative one) and percent-decoded segment by segment so an
    /// encoded `/` or `..` cannot slip past validation.
    static func artifactPath(_ request: Request, prefix: String) throws -> String {
        let raw = request.uri.path
        guard raw.hasPrefix(prefix + "/") else { throw YardError.invalid("Invalid path") }
        let rest = raw.dropFirst(prefix.count + 1)
        if rest.hasPrefix("/") { throw YardError.invalid("Invalid path") }
        var segments: [String] = []
        for segment in rest.split(separator: "/", omittingEmptySubsequences: false) {
            guard let decoded = String(segment).removingPercentEncoding else { throw YardError.invalid("Invalid path") }
            if decoded.contains("/") || decoded.contains("\\") || decoded == ".." { throw YardError.invalid("Invalid path") }
            segments.append(decoded)
        }
        let path = segments.joined(separator: "/")
        try LocalArtifactStore.validate(path)
        return path
    }
}

enum MediaTypes {
    static func guess(fileName: String) -> String {
        switch (fileName as NSString).pathExtension.lowercased() {
        case "txt", "log", "md", "yaml", "yml", "cfg", "ini", "py": return "text/plain"
        case "json": return "application/json"
        case "csv": return "text/csv"
        case "html", "htm": return "text/html"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "svg": return "image/svg+xml"
        case "gif": return "image/gif"
        case "pdf": return "application/pdf"
        default: return "application/octet-stream"
        }
    }
}
