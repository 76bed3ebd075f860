import Foundation
import Hummingbird
import YardCore
import YardData
import YardStore

/// The dataset registry: versions registered by `yard data add --name`, and the runs that used them.
/// - `POST /api/v1/datasets` registers a version (idempotent per name and digest).
/// - `GET /api/v1/datasets`, `GET /api/v1/datasets/{name}`, `GET /api/v1/datasets/{name}/versions/{digest}`.
/// - `GET /api/v1/datasets/{name}/versions/{digest}/runs`: runs whose MLflow `log_input` used the version's
///   short digest (the first 36 hex characters, MLflow's digest limit) or its full digest.
struct DatasetRoutes<Context: RequestContext> {
    let store: any DatasetStore

    func register(on router: Router<Context>) {
        let store = self.store
        router.post("/api/v1/datasets") { request, _ in
            let body = try await NativeRequest.jsonObject(request, limit: 16 << 20)
            let version = try Self.registration(body)
            let stored = try await store.registerDatasetVersion(version)
            return Response.json(.object([("dataset_version", Self.json(stored))]))
        }
        router.get("/api/v1/datasets") { _, _ in
            let summaries = try await store.datasetSummaries()
            return Response.json(.object([("datasets", .array(summaries.map { summary in
                .object([("name", .string(summary.name)), ("version_count", .int(summary.versionCount)),
                         ("latest_version", Self.json(summary.latest))])
            }))]))
        }
        router.get("/api/v1/datasets/:name") { _, context in
            let name = try Self.name(context)
            let versions = try await store.datasetVersions(name: name)
            if versions.isEmpty { throw YardError.notFound("Dataset '\(name)' is not registered.") }
            return Response.json(.object([("name", .string(name)), ("versions", .array(versions.map(Self.json)))]))
        }
        router.get("/api/v1/datasets/:name/versions/:digest") { _, context in
            let version = try await Self.version(context, store: store)
            return Response.json(.object([("dataset_version", Self.json(version))]))
        }
        router.get("/api/v1/datasets/:name/versions/:digest/runs") { _, context in
            let version = try await Self.version(context, store: store)
            let runs = try await store.runs(usingDatasetDigests: [version.shortDigest, version.digest, "sha256:" + version.digest])
            return Response.json(.object([("runs", .array(runs.map { run in
                .object([("run_id", .string(run.runId)), ("experiment_id", .string(run.experimentId)),
                         ("run_name", .string(run.runName)), ("status", .string(run.status)),
                         ("start_time", run.startTime.map { .int($0) } ?? .null), ("dataset_name", .string(run.datasetName))])
            }))]))
        }
    }

    static func name(_ context: Context) throws -> String {
        let raw = context.parameters.get("name") ?? ""
        let name = raw.removingPercentEncoding ?? raw
        try validateName(name)
        return name
    }

    static func version(_ context: Context, store: any DatasetStore) async throws -> DatasetVersionRecord {
        let name = try name(context)
        let text = context.parameters.get("digest") ?? ""
        let lookup: String
        if let digest = ContentDigest(text) {
            lookup = digest.hex
        } else if text.utf8.count == ContentDigest.shortFormLength, text.utf8.allSatisfy({ $0 < 0x80 && Character(Unicode.Scalar($0)).isHexDigit }) {
            lookup = text.lowercased()
        } else {
            throw YardError.invalid("Invalid digest '\(text)': use the 64-hex SHA-256 (optionally sha256:-prefixed) or its first 36 hex characters.")
        }
        guard let version = try await store.datasetVersion(name: name, digest: lookup) else {
            throw YardError.notFound("Dataset '\(name)' has no version \(text).")
        }
        return version
    }

    /// Names appear in URLs and in MLflow, so they keep to letters, digits, `.`, `_` and `-`.
    static func validateName(_ name: String) throws {
        guard !name.isEmpty, name.count <= 200,
              name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }),
              name.first != "." else {
            throw YardError.invalid("Invalid dataset name '\(name)': use 1-200 letters, digits, '.', '_' or '-', not starting with '.'.")
        }
    }

    static func registration(_ body: JSONValue) throws -> DatasetVersionRecord {
        guard case .string(let name)? = body["name"] else { throw YardError.missingParameter("name") }
        try validateName(name)
        guard case .string(let digestText)? = body["digest"] else { throw YardError.missingParameter("digest") }
        let digest = try ContentDigest.parse(digestText)
        let kind: String
        switch body["kind"] {
        case .string(let value)? where value == "file" || value == "directory": kind = value
        case nil: kind = "file"
        default: throw YardError.invalid("'kind' must be \"file\" or \"directory\".")
        }
        let size = try integer(body["size"], "size")
        let files = try integer(body["files"], "files")
        var source: String?
        if case .string(let value)? = body["source"] { source = value }
        var profile: String?
        if let value = body["profile"], value != .null {
            guard case .object = value else { throw YardError.invalid("'profile' must be a JSON object.") }
            profile = String(decoding: JSONWriter.bytes(value), as: UTF8.self)
        }
        return DatasetVersionRecord(name: name, digest: digest.hex, shortDigest: digest.shortForm, kind: kind, size: size,
                                    files: Int(files), source: source, profileJSON: profile, createdAt: Identifiers.nowMillis())
    }

    static func integer(_ value: JSONValue?, _ field: String) throws -> Int64 {
        guard case .number(let text)? = value, let number = Int64(text), number >= 0 else {
            throw YardError.invalid("'\(field)' must be a non-negative integer.")
        }
        return number
    }

    static func json(_ version: DatasetVersionRecord) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string(version.name)), ("digest", .string(version.digest)),
            ("short_digest", .string(version.shortDigest)), ("kind", .string(version.kind)),
            ("size", .int(version.size)), ("files", .int(version.files)),
            ("source", version.source.map { .string($0) } ?? .null), ("created_at", .int(version.createdAt)),
        ]
        if let profile = version.profileJSON, let parsed = try? JSONParser.parse(Array(profile.utf8)) {
            members.append(("profile", parsed))
        }
        return .object(members)
    }
}

/// Reading JSON bodies of the native API (`application/json`, a JSON object).
enum NativeRequest {
    static func jsonObject(_ request: Request, limit: Int) async throws -> JSONValue {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        let document: JSONValue
        do {
            document = try JSONParser.parse(Array(buffer.readableBytesView))
        } catch {
            throw YardError(.badRequest, "Malformed JSON request body: \(error)")
        }
        guard case .object = document else { throw YardError(.badRequest, "Malformed JSON request body: expected a JSON object") }
        return document
    }
}
