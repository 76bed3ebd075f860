import Foundation
import Hummingbird
import YardBlobs
import YardCore
import YardJSON
import YardTracking

/// Artifacts: the tracking API's run-relative listing, and the `mlflow-artifacts` proxy that stores bytes
/// under the server's artifact root (upload, download, list, delete).
struct ArtifactRoutes {
    let tracking: TrackingService
    let roots: ArtifactRoots
    let limits: BodyLimits
    static var proxyPath: String { "/2.0/mlflow-artifacts/artifacts" }
    static var proxyPrefixes: [String] { ["/api" + proxyPath, "/ajax-api" + proxyPath] }

    func register(on routes: RouteCollection<YardRequestContext>, mlflow: MLflowRoutes) {
        let tracking = self.tracking
        let roots = self.roots
        let artifacts = roots.proxy
        let limits = self.limits
        mlflow.add(.get, "/artifacts/list") { fields in
            let run = try await tracking.run(id: try fields.runId())
            let path = try fields.string("path") ?? ""
            let (store, relative) = try roots.locate(run.info.artifactUri, path)
            var members: [(String, JSONValue)] = [("root_uri", .string(run.info.artifactUri))]
            let entries = try await store.list(relative) ?? []
            if !entries.isEmpty {
                members.append(("files", .array(entries.map {
                    MLflowJSON.fileInfo(path: ArtifactLocation.join(path, $0.name), entry: ArtifactEntryJSON(isDirectory: $0.isDirectory, size: $0.size))
                })))
            }
            return .object(members)
        }
        // Mounted under both `/api` and `/ajax-api`; `artifactPath` reads the raw path, so it needs the
        // full prefix the request arrived on.
        routes.get(RouterPath(Self.proxyPath)) { request, _ in
            let path = QueryString.pairs(request.uri.query).last(where: { $0.0 == "path" })?.1 ?? ""
            guard let entries = try await artifacts.list(path) else { return Response.json(.empty) }
            return Response.json(.object([("files", .array(entries.map {
                MLflowJSON.fileInfo(path: $0.name, entry: ArtifactEntryJSON(isDirectory: $0.isDirectory, size: $0.size))
            }))]))
        }
        routes.get(RouterPath(Self.proxyPath + "/**")) { request, _ in
            let path = try Self.artifactPath(request)
            let download = try await artifacts.read(path)
            let name = path.split(separator: "/").last.map(String.init) ?? path
            return Response(status: .ok, headers: [
                .contentType: MediaTypes.guess(fileName: name),
                .contentLength: String(download.size),
                .contentDisposition: ContentDisposition.attachment(fileName: name),
                .init("X-Content-Type-Options")!: "nosniff",
            ], body: ResponseBody(asyncSequence: download.chunks))
        }
        routes.put(RouterPath(Self.proxyPath + "/**")) { request, _ in
            let path = try Self.artifactPath(request)
            let upload = UploadLimits(maximumBytes: limits.artifactBytes, minimumFreeBytes: limits.minimumFreeDiskBytes,
                                      declaredBytes: request.headers[.contentLength].flatMap { Int64($0) },
                                      option: "--max-artifact-size")
            _ = try await artifacts.write(path, from: request.body, limits: upload)
            return Response.json(.empty)
        }
        routes.delete(RouterPath(Self.proxyPath + "/**")) { request, _ in
            try await artifacts.delete(try Self.artifactPath(request))
            return Response.json(.empty)
        }
        mlflow.add(.post, "/mlflow-artifacts/mpu/create") { _ in
            throw YardError(.notImplemented, "Multipart upload is not supported for the current artifact repository")
        }
    }

    /// The path after the proxy prefix, read from the raw request path (the router folds `//`, which
    /// would turn an absolute path into a relative one) and percent-decoded segment by segment so an
    /// encoded `/` or `..` cannot slip past validation.
    static func artifactPath(_ request: Request) throws -> String {
        let raw = request.uri.path
        guard let prefix = proxyPrefixes.first(where: { raw.hasPrefix($0 + "/") }) else { throw YardError.invalid("Invalid path") }
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

/// `Content-Disposition: attachment` for any file name: an ASCII fallback with quotes, backslashes and
/// control characters replaced (so a `"` in a name cannot end the parameter early or inject another), and
/// the exact name percent-encoded in `filename*` (RFC 6266 / RFC 5987).
enum ContentDisposition {
    static func attachment(fileName: String) -> String {
        let fallback = String(fileName.unicodeScalars.map { scalar -> Character in
            if scalar.value < 0x20 || scalar.value >= 0x7F || scalar == "\"" || scalar == "\\" { return "_" }
            return Character(scalar)
        })
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&+-.^_`|~")
        let encoded = fileName.addingPercentEncoding(withAllowedCharacters: allowed) ?? fallback
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
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
